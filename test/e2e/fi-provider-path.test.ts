/**
 * <FI_PROVIDER_PATH> resolution, end to end under runc: (1) the container's FI_PROVIDER_PATH,
 * (2) the directory of libfabric in the container's real ld.so.cache (made by ldconfig from a
 * rootfs holding a libfabric file) + /libfabric, when LDCONFIG_PATH is set, (3) /usr/lib.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, containerId, makeBundle, makeBusyboxRootfs, ok, run, runcRun, stateFile, tmpDir } from '../support/e2e';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
const HOST_FABRIC = '/usr/lib/x86_64-linux-gnu/libfabric.so.1';

function setup(name: string) {
  const dir = tmpDir(name);
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const providers = path.join(dir, 'providers');
  fs.mkdirSync(providers);
  fs.writeFileSync(path.join(providers, 'libtest-fi.so'), 'provider\n');
  const hookArgs = [
    'node',
    BIN('ocihook-mount'),
    `--log-file=${path.join(dir, 'hook.log')}`,
    `--mount=type=bind,src=${providers},dst=<FI_PROVIDER_PATH>,readonly`,
  ];
  return { dir, rootfs, providers, hookArgs };
}

function dryRunDestination(s: ReturnType<typeof setup>, bundle: string, env: NodeJS.ProcessEnv = {}): string {
  const file = stateFile(s.dir, { ociVersion: '1.0.2', id: 'fi', pid: 0, bundle });
  const r = run(process.execPath, [...s.hookArgs.slice(1), '--state-file', file, '--dry-run'], {
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).actions[0].destination;
}

describe('<FI_PROVIDER_PATH>', () => {
  test('taken from the container env FI_PROVIDER_PATH', () => {
    const s = setup('fi-env');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['cat', '/opt/fabric/providers/libtest-fi.so'],
      env: ['FI_PROVIDER_PATH=/opt/fabric/providers'],
      hooks: { createContainer: [{ path: process.execPath, args: s.hookArgs }] },
    });
    expect(dryRunDestination(s, bundle)).toBe('/opt/fabric/providers');
    const r = runcRun(bundle, containerId('fi-env'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('provider\n');
  });

  test('from libfabric in the container linker cache, when LDCONFIG_PATH is set', () => {
    if (!fs.existsSync(HOST_FABRIC)) throw new Error(`${HOST_FABRIC} missing: install libfabric1`);
    const s = setup('fi-cache');
    const libDir = path.join(s.rootfs, 'usr', 'lib', 'x86_64-linux-gnu');
    fs.mkdirSync(libDir, { recursive: true });
    fs.copyFileSync(fs.realpathSync(HOST_FABRIC), path.join(libDir, path.basename(fs.realpathSync(HOST_FABRIC))));
    fs.writeFileSync(path.join(s.rootfs, 'etc', 'ld.so.conf'), '/usr/lib/x86_64-linux-gnu\n');
    ok(LDCONFIG, ['-r', s.rootfs]);
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['cat', '/usr/lib/x86_64-linux-gnu/libfabric/libtest-fi.so'],
      hooks: { createContainer: [{ path: process.execPath, args: s.hookArgs, env: [`LDCONFIG_PATH=${LDCONFIG}`] }] },
    });
    expect(dryRunDestination(s, bundle, { LDCONFIG_PATH: LDCONFIG })).toBe('/usr/lib/x86_64-linux-gnu/libfabric');
    // Without LDCONFIG_PATH the cache is not consulted: the fallback applies.
    expect(dryRunDestination(s, bundle, { LDCONFIG_PATH: '' })).toBe('/usr/lib');
    const r = runcRun(bundle, containerId('fi-cache'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('provider\n');
  });

  test('falls back to /usr/lib', () => {
    const s = setup('fi-fallback');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['cat', '/usr/lib/libtest-fi.so'],
      hooks: { createContainer: [{ path: process.execPath, args: s.hookArgs }] },
    });
    expect(dryRunDestination(s, bundle)).toBe('/usr/lib');
    const r = runcRun(bundle, containerId('fi-fallback'));
    expect(r.stdout).toBe('provider\n');
  });

  test('an image FI_PROVIDER_PATH that is not absolute is refused (exit 1), nothing mounted', () => {
    const s = setup('fi-relative');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['true'],
      env: ['FI_PROVIDER_PATH=../../../../etc'],
    });
    const file = stateFile(s.dir, { ociVersion: '1.0.2', id: 'fi', pid: 0, bundle });
    const r = run(process.execPath, [...s.hookArgs.slice(1), '--state-file', file, '--dry-run']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'ocihook-mount: <FI_PROVIDER_PATH> from container env FI_PROVIDER_PATH is "../../../../etc": not an absolute path\n',
    );
  });
});
