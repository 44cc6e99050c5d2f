/** The ldconfig hook's planner, offline. */
import { UsageError } from '../core/errors';
import { expectGolden, fakeContainer } from '../../test/support/offline';
import type { LinkerCachePlace } from '../linux/ldconfig/cache-place';
import { checkLdconfigHookArgs, planLdconfigHook } from './plan';

describe('ldconfig hook plans', () => {
  test('a host ldconfig and two folders (golden)', () => {
    expectGolden(
      __filename,
      'plan-folders',
      planLdconfigHook(fakeContainer(), {
        ldconfig: '/sbin/ldconfig',
        folders: ['/usr/lib/x86_64-linux-gnu/slurm', '/opt/lib'],
        timeoutSeconds: 2.5,
        linkerCache: 'auto',
      }),
    );
  });

  test.each<[string, boolean | undefined, LinkerCachePlace, string]>([
    ['auto, root not read-only', undefined, 'auto', 'auto'],
    ['root, root.readonly false', false, 'root', 'root'],
    ['mount', undefined, 'mount', 'mount'],
    // A read-only root is never written, whatever the admin chose (crun makes it read-only before the hooks).
    ['auto, root.readonly', true, 'auto', 'mount'],
    ['root, root.readonly', true, 'root', 'mount'],
  ])('--linker-cache: %s', (_name, readonly, chosen, planned) => {
    const plan = planLdconfigHook(
      fakeContainer({ root: { path: 'rootfs', ...(readonly === undefined ? {} : { readonly }) } }),
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: 10, linkerCache: chosen },
    );
    expect(plan.actions.map((a) => a.action === 'ldconfig' && a.cache)).toEqual([planned]);
  });

  test.each<[string, Parameters<typeof planLdconfigHook>[1], string]>([
    [
      'no host ldconfig',
      { ldconfig: undefined, folders: [], timeoutSeconds: 10, linkerCache: 'auto' },
      'no host ldconfig at /sbin/ldconfig or /usr/sbin/ldconfig: pass --ldconfig-path',
    ],
    [
      'relative ldconfig',
      { ldconfig: 'sbin/ldconfig', folders: [], timeoutSeconds: 10, linkerCache: 'auto' },
      '--ldconfig-path "sbin/ldconfig": must be an absolute path on the host',
    ],
    [
      'ldconfig that is a folder',
      { ldconfig: '/etc', folders: [], timeoutSeconds: 10, linkerCache: 'auto' },
      '--ldconfig-path /etc: not an executable file',
    ],
  ])('refused: %s', (_name, args, message) => {
    expect(() => planLdconfigHook(fakeContainer(), args)).toThrow(new UsageError(message));
  });

  test.each<[string, Parameters<typeof checkLdconfigHookArgs>[0], string]>([
    [
      'relative folder',
      { ldconfig: '/sbin/ldconfig', folders: ['lib'], timeoutSeconds: 10, linkerCache: 'auto' },
      '--folder "lib": must be an absolute container path',
    ],
    [
      'zero timeout',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: 0, linkerCache: 'auto' },
      '--timeout 0: must be a number of seconds from 0.001 to 86400',
    ],
    [
      'NaN timeout (yargs reads --timeout=abc so)',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: NaN, linkerCache: 'auto' },
      '--timeout: not a number of seconds',
    ],
    // The runner's timer takes whole milliseconds: each of these would kill ldconfig at once.
    [
      'under a millisecond',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: 0.0001, linkerCache: 'auto' },
      '--timeout 0.0001: must be a number of seconds from 0.001 to 86400',
    ],
    [
      'Infinity',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: Infinity, linkerCache: 'auto' },
      '--timeout Infinity: must be a number of seconds from 0.001 to 86400',
    ],
  ])('argument refused before the state is read: %s', (_name, args, message) => {
    expect(() => checkLdconfigHookArgs(args)).toThrow(new UsageError(message));
  });
});
