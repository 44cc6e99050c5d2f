/**
 * The mount hook's planner, offline: Sarus arguments against a fake container and a host made of
 * a table. Whole plans are compared with golden files (testdata/); errors with their exact line.
 */
import { UsageError, ActionError } from '../core/errors';
import type { OciConfig } from '../core/oci';
import type { LdCache } from '../linux/ldconfig/cache';
import { DIR, FILE, chr, expectGolden, fakeContainer, fakeHost } from '../../test/support/offline';
import { MountHookArgs, checkMountHookArgs, planMountHook } from './plan';

const host = fakeHost({
  '/usr/bin/srun': FILE,
  '/usr/lib/x86_64-linux-gnu/slurm-wlm': DIR,
  '/etc/slurm': DIR,
  '/run/munge': DIR,
  '/usr/lib/x86_64-linux-gnu/libfabric': DIR,
  '/dev/infiniband/uverbs0': chr(231, 192),
  '/dev/null': chr(1, 3),
  '/run/fifo': { kind: 'fifo' },
  '/run/odd': { kind: 'other', detail: 'a special file' },
});

const cacheWithFabric: LdCache = {
  format: 'new',
  entries: [{ name: 'libfabric.so.1', path: '/opt/fabric/lib/libfabric.so.1', flags: 0 }],
};

function plan(args: Partial<MountHookArgs>, config: Partial<OciConfig> = {}, cache?: LdCache) {
  const checked = checkMountHookArgs({ mounts: [], devices: [], ...args });
  return planMountHook(fakeContainer(config), checked, { host, readCache: () => cache });
}

const FI = '--mount=type=bind,src=/usr/lib/x86_64-linux-gnu/libfabric,dst=<FI_PROVIDER_PATH>,readonly'.slice(8);

describe('mount hook plans (golden)', () => {
  test.each<[string, Partial<MountHookArgs>, Partial<OciConfig>, LdCache | undefined]>([
    [
      'slurm-binds',
      {
        mounts: [
          'type=bind,src=/usr/bin/srun,dst=/usr/bin/srun,readonly',
          'type=bind,source=/usr/lib/x86_64-linux-gnu/slurm-wlm,destination=/usr/lib/x86_64-linux-gnu/slurm-wlm,readonly',
          'type=bind,src=/etc/slurm,target=/etc/slurm',
          'type=bind,src=/run/munge,dst=/run/munge',
        ],
      },
      {},
      undefined,
    ],
    ['devices', { devices: ['/dev/infiniband/uverbs0', '/dev/null:/dev/host-null:rw', '/dev/null:r'] }, {}, undefined],
    [
      'ldconfig-path',
      { mounts: ['type=bind,src=/etc/slurm,dst=/etc/slurm'], ldconfigPath: '/sbin/ldconfig' },
      {},
      undefined,
    ],
    [
      'fi-provider-path-from-env',
      { mounts: [FI] },
      { process: { env: ['FI_PROVIDER_PATH=/opt/providers'] } },
      undefined,
    ],
    ['fi-provider-path-from-cache', { mounts: [FI], ldconfigPath: '/sbin/ldconfig' }, {}, cacheWithFabric],
    ['fi-provider-path-fallback', { mounts: [FI] }, {}, cacheWithFabric],
    [
      'propagation-rslave',
      { mounts: ['type=bind,src=/etc/slurm,dst=/etc/slurm'] },
      { linux: { rootfsPropagation: 'rslave' } },
      undefined,
    ],
    ['nothing-to-do', {}, {}, undefined],
    // Sarus accepts a fifo as a source: bound like a file.
    ['fifo-source', { mounts: ['type=bind,src=/run/fifo,dst=/run/fifo'] }, {}, undefined],
    // The container's user (process.user) rides on every mount: the source is looked up as them, the mount points are theirs.
    [
      'container-user',
      { mounts: ['type=bind,src=/etc/slurm,dst=/etc/slurm'], devices: ['/dev/null:/dev/host-null:r'] },
      { process: { user: { uid: 1000, gid: 1000, additionalGids: [27, 44] } } },
      undefined,
    ],
  ])('%s', (name, args, config, cache) => {
    expectGolden(__filename, `plan-${name}`, plan(args, config, cache));
  });
});

describe('mount hook refusals', () => {
  test.each<[string, Partial<MountHookArgs>, Partial<OciConfig>, typeof UsageError | typeof ActionError, string]>([
    [
      'missing source',
      { mounts: ['type=bind,src=/nope,dst=/x'] },
      {},
      UsageError,
      "Invalid mount request 'type=bind,src=/nope,dst=/x': source /nope: no such file or directory",
    ],
    [
      'a source that is no file, folder, device, socket or fifo',
      { mounts: ['type=bind,src=/run/odd,dst=/x'] },
      {},
      UsageError,
      "Invalid mount request 'type=bind,src=/run/odd,dst=/x': source /run/odd is a special file",
    ],
    [
      'device that is a directory',
      { devices: ['/etc/slurm'] },
      {},
      UsageError,
      "Invalid device request '/etc/slurm': /etc/slurm is not a character or block device (a directory)",
    ],
    [
      'device that is missing',
      { devices: ['/dev/nope:rw'] },
      {},
      UsageError,
      "Invalid device request '/dev/nope:rw': /dev/nope is not a character or block device (no such file or directory)",
    ],
    [
      'token in the source',
      { mounts: ['type=bind,src=<FI_PROVIDER_PATH>,dst=/x'] },
      {},
      UsageError,
      "Invalid mount request 'type=bind,src=<FI_PROVIDER_PATH>,dst=/x': <FI_PROVIDER_PATH> may only be used in the destination (its value can come from the image)",
    ],
    [
      'relative FI_PROVIDER_PATH from the image',
      { mounts: [FI] },
      { process: { env: ['FI_PROVIDER_PATH=../../etc'] } },
      ActionError,
      '<FI_PROVIDER_PATH> from container env FI_PROVIDER_PATH is "../../etc": not an absolute path',
    ],
    [
      'relative LDCONFIG_PATH',
      { ldconfigPath: 'ldconfig' },
      {},
      UsageError,
      'LDCONFIG_PATH "ldconfig": must be an absolute path on the host',
    ],
    [
      'LDCONFIG_PATH that does not exist',
      { ldconfigPath: '/opt/nope/ldconfig' },
      {},
      UsageError,
      'LDCONFIG_PATH /opt/nope/ldconfig: no such file on the host',
    ],
    [
      'relative --ldconfig-path (the error names the option)',
      { ldconfigPath: 'sbin/ldconfig', ldconfigFrom: '--ldconfig-path' },
      {},
      UsageError,
      '--ldconfig-path "sbin/ldconfig": must be an absolute path on the host',
    ],
    [
      'the root as a destination (a dry run says so too)',
      { mounts: ['type=bind,src=/etc/slurm,dst=/'] },
      {},
      UsageError,
      "Invalid mount request 'type=bind,src=/etc/slurm,dst=/': destination /: cannot mount over the container's root",
    ],
    [
      'the root spelt with . and slashes',
      { mounts: ['type=bind,src=/etc/slurm,dst=//./'] },
      {},
      UsageError,
      "Invalid mount request 'type=bind,src=/etc/slurm,dst=//./': destination //./: cannot mount over the container's root",
    ],
  ])('%s', (_name, args, config, kind, message) => {
    const attempt = () => plan(args, config);
    expect(attempt).toThrow(kind);
    expect(attempt).toThrow(message);
  });

  test('grammar errors come from checkMountHookArgs, before any container is read', () => {
    expect(() => checkMountHookArgs({ mounts: ['type=bind,src=/a'], devices: [] })).toThrow(
      "Invalid mount request 'type=bind,src=/a': no destination specified. Use either 'destination', 'dst' or 'target'.",
    );
    expect(() => checkMountHookArgs({ mounts: ['type=bind,src=/a,dst=<FI_PROVIDER_PATH>,bad'], devices: [] })).toThrow(
      "'bad' is not a valid bind mount option",
    );
    expect(() => checkMountHookArgs({ mounts: [], devices: ['/dev/x:q'] })).toThrow(
      "Invalid device request '/dev/x:q'",
    );
    // An empty --ldconfig-path given on purpose is refused; an empty LDCONFIG_PATH is Sarus's "not set".
    expect(() =>
      checkMountHookArgs({ mounts: [], devices: [], ldconfigPath: '', ldconfigFrom: '--ldconfig-path' }),
    ).toThrow('--ldconfig-path: empty (the host ldconfig, an absolute path)');
    expect(checkMountHookArgs({ mounts: [], devices: [], ldconfigPath: '' }).ldconfigPath).toBe('');
  });
});
