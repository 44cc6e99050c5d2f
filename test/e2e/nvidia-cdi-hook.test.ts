/**
 * ocihook-gpu's nvidia-cdi-hook subcommands as NVIDIA's specs use them: createContainer hooks of a
 * CDI spec, run by the GPU hook under runc (and, for the nvidia-ctk-shaped spec, written into
 * config.json by precreate through ocihooks-runtime and run by runc itself). Each leaves its
 * result in the container: a symlink, a linker cache that holds the driver library, the compat
 * folder first, a mode, the application profile. The params file lives in the container's procfs,
 * which has no /proc/driver/nvidia without a driver: disable-device-node-modification is shown in
 * a mount namespace set up the way runc sets one up for createContainer hooks, over an image
 * folder, and under runc on a real GPU by scripts/gpu-e2e.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLdCache } from '../../src/linux/ldconfig/cache';
import {
  BIN,
  containerId,
  makeBundle,
  makeGlibcRootfs,
  requireBuilt,
  run,
  stateFile,
  tmpDir,
  writeHooksD,
} from '../support/e2e';
import { buildLibcuda } from '../support/fake-driver-libs';
import { mknod } from '../support/fake-gpus';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
const LIB = '/usr/lib/x86_64-linux-gnu';
const DRIVER = '580.65.06';

interface Node {
  dir: string;
  rootfs: string;
  cdi: string;
  /** nvidia-cdi-hook: ocihook-gpu under NVIDIA's name, as `ocihooks install --nvidia-cdi-hook` puts it. */
  hook: string;
}

/** A host with a fake GPU (c 195:0), a driver libcuda, params with ModifyDeviceFiles: 1, and a glibc image with a compat libcuda. */
function fakeNode(name: string): Node {
  const dir = tmpDir(name);
  mknod(path.join(dir, 'nodes', 'nvidia0'), 195, 0);
  buildLibcuda(path.join(dir, 'driver', `libcuda.so.${DRIVER}`), 'libcuda.so.1');
  fs.writeFileSync(path.join(dir, 'params'), 'ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\n');
  const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
  fs.mkdirSync(path.join(rootfs, LIB), { recursive: true });
  buildLibcuda(path.join(rootfs, 'usr/local/cuda-12.9/compat/libcuda.so.590.10.01'), 'libcuda.so.1', {
    cudaVersion: '12.9',
    drivers: [580, 590],
  });
  fs.symlinkSync('/usr/local/cuda-12.9', path.join(rootfs, 'usr/local/cuda'));
  fs.mkdirSync(path.join(rootfs, 'opt/data'), { mode: 0o755 });
  const hook = path.join(dir, 'bin', 'nvidia-cdi-hook');
  fs.mkdirSync(path.dirname(hook));
  fs.symlinkSync(BIN('ocihook-gpu'), hook);
  return { dir, rootfs, cdi: path.join(dir, 'cdi'), hook };
}

function writeSpec(node: Node, hooks: object[], env: string[] = []): void {
  fs.mkdirSync(node.cdi, { recursive: true });
  fs.writeFileSync(
    path.join(node.cdi, 'nvidia.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'nvidia.com/gpu',
      devices: [
        {
          name: '0',
          containerEdits: {
            deviceNodes: [{ path: '/dev/nvidia0', hostPath: path.join(node.dir, 'nodes', 'nvidia0') }],
          },
        },
      ],
      containerEdits: {
        env,
        mounts: [
          {
            hostPath: path.join(node.dir, 'driver', `libcuda.so.${DRIVER}`),
            containerPath: `${LIB}/libcuda.so.${DRIVER}`,
            options: ['ro', 'nosuid', 'nodev', 'bind'],
          },
        ],
        hooks,
      },
    }),
  );
}

/** A hook of the spec, as nvidia-ctk writes one: args[0] nvidia-cdi-hook, NVIDIA_CTK_DEBUG=false. */
const nv = (node: Node, ...args: string[]) => ({
  hookName: 'createContainer',
  path: node.hook,
  args: ['nvidia-cdi-hook', ...args],
  env: ['NVIDIA_CTK_DEBUG=false'],
});

const SETUID_REFUSED =
  '--mode "4755": the setuid bit is not set by nvidia-cdi-hook (NVIDIA\'s drops it without a word): give the permission bits only, 755';

const CHECK = [
  `echo link: $(readlink ${LIB}/libcuda.so)`,
  `echo soname: $(readlink ${LIB}/libcuda.so.1)`,
  'echo compat: $(cat /etc/ld.so.conf.d/00-compat-*.conf 2>/dev/null)',
  'echo mode: $(stat -c %a /opt/data)',
  'echo profile: $(cat /etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf)',
  'cat /etc/ld.so.cache > /opt/ld.so.cache.seen', // the container's own cache (a mount), for cacheEntries
].join('; ');

function bundle(node: Node, hooks?: object): string {
  return makeBundle(path.join(node.dir, 'bundle'), node.rootfs, {
    args: ['sh', '-c', CHECK],
    annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
    hooks,
  });
}

const gpuHook = (node: Node, ...extra: string[]) => ({
  path: process.execPath,
  args: [
    'node',
    BIN('ocihook-gpu'),
    `--log-file=${path.join(node.dir, 'gpu.log')}`,
    `--cdi-spec-dir=${node.cdi}`,
    ...extra,
  ],
});

/** What the container's ld.so.cache mapped each name to (the copy CHECK left in the image). */
function cacheEntries(node: Node): Record<string, string> {
  return Object.fromEntries(
    parseLdCache(fs.readFileSync(path.join(node.rootfs, 'opt/ld.so.cache.seen')))
      .entries.map((e) => [e.name, e.path])
      .reverse(),
  );
}

describe('nvidia-cdi-hook subcommands', () => {
  beforeAll(requireBuilt);

  test('each subcommand, as a createContainer hook of a CDI spec under runc, leaves its result in the container', () => {
    const node = fakeNode('nvhook-each');
    writeSpec(node, [
      nv(node, 'create-symlinks', '--link', `libcuda.so.1::${LIB}/libcuda.so`),
      nv(node, 'enable-cuda-compat', `--host-driver-version=${DRIVER}`),
      nv(node, 'update-ldcache', '--ldconfig-path', LDCONFIG, '--folder', LIB),
      nv(node, 'disable-device-node-modification'), // this host has no driver params: nothing to do
      nv(node, 'chmod', '--mode', '700', '--path', '/opt/data'),
      nv(node, 'update-application-profile'),
    ]);
    const r = run(
      '/usr/sbin/runc',
      ['run', '--bundle', bundle(node, { createContainer: [gpuHook(node)] }), containerId('nvhook')],
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      'link: libcuda.so.1',
      `soname: libcuda.so.${DRIVER}`,
      'compat: /usr/local/cuda-12.9/compat',
      'mode: 700',
      'profile: {"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",0x1]}],"rules":[{"pattern":[],"profile":"_container_"}]}',
    ]);
    // The compat folder comes first: the cache resolves libcuda.so.1 to the image's newer library.
    expect(cacheEntries(node)['libcuda.so.1']).toBe('/usr/local/cuda-12.9/compat/libcuda.so.1');
    expect(fs.readlinkSync(path.join(node.rootfs, 'usr/local/cuda-12.9/compat/libcuda.so.1'))).toBe(
      'libcuda.so.590.10.01',
    );
  });

  test('the older form nvidia-ctk writes with --nvidia-cdi-hook-path=…/nvidia-ctk (`nvidia-ctk [flags] hook [flags] <subcommand> [flags]`): the same results', () => {
    const node = fakeNode('nvhook-ctk-hook');
    const ctk = (...args: string[]) => ({ ...nv(node), args: ['nvidia-ctk', ...args] });
    writeSpec(node, [
      ctk('hook', 'create-symlinks', '--link', `libcuda.so.1::${LIB}/libcuda.so`),
      // A root flag after the subcommand too, as urfave/cli v3 reads it.
      ctk('--quiet', 'hook', 'update-ldcache', '--ldconfig-path', LDCONFIG, '--folder', LIB, '--debug=false'),
      ctk('-d=false', 'hook', '--debug', 'update-application-profile'),
    ]);
    const r = run(
      '/usr/sbin/runc',
      ['run', '--bundle', bundle(node, { createContainer: [gpuHook(node)] }), containerId('nvhook-ctk')],
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe('');
    const out = r.stdout.trim().split('\n');
    expect([out[0], out[1], out[4]]).toEqual([
      'link: libcuda.so.1',
      `soname: libcuda.so.${DRIVER}`,
      expect.stringContaining('"EGLVisibleDGPUDevices",0x1]'),
    ]);
    expect(cacheEntries(node)['libcuda.so.1']).toBe(`${LIB}/libcuda.so.1`);
  });

  test('disable-device-node-modification: the params with ModifyDeviceFiles: 0, read-only, over the container path; the host file unchanged', () => {
    const node = fakeNode('nvhook-params');
    fs.mkdirSync(path.join(node.rootfs, 'proc/driver/nvidia'), { recursive: true });
    fs.writeFileSync(path.join(node.rootfs, 'proc/driver/nvidia/params'), 'image placeholder\n');
    const b = bundle(node);
    const state = stateFile(node.dir, { ociVersion: '1.0.2', id: 'params', pid: 0, bundle: b });
    const params = path.join(node.rootfs, 'proc/driver/nvidia/params');
    // As runc runs a createContainer hook: a private mount namespace, the rootfs bound onto itself.
    const script = `mount --bind "$1" "$1" && "$2" disable-device-node-modification --params-file="$3" --state-file="$4" --log-file=- && cat "$5" && ( (echo x > "$5") 2>/dev/null && echo writable || echo read-only)`;
    const r = run(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        node.rootfs,
        node.hook,
        path.join(node.dir, 'params'),
        state,
        params,
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 0\nDeviceFileUID: 0\nread-only\n');
    expect(fs.readFileSync(params, 'utf8')).toBe('image placeholder\n');
    expect(fs.readFileSync(path.join(node.dir, 'params'), 'utf8')).toContain('ModifyDeviceFiles: 1');
    const noop = run(
      node.hook,
      ['disable-device-node-modification', `--params-file=${path.join(node.dir, 'nope')}`, '--log-file=-'],
      { input: '' },
    );
    expect([noop.status, noop.stderr]).toEqual([0, '']);
  });

  test('a spec laid out as nvidia-ctk writes it runs with only the hook path changed: createContainer and precreate', () => {
    for (const mode of ['createContainer', 'precreate'] as const) {
      const node = fakeNode(`nvhook-ctk-${mode}`);
      writeSpec(
        node,
        [
          nv(node, 'create-symlinks', '--link', `libcuda.so.1::${LIB}/libcuda.so`),
          nv(node, 'enable-cuda-compat', '--host-driver-version=595.1.1'),
          nv(node, 'update-ldcache', '--folder', LIB),
          nv(node, 'disable-device-node-modification'),
          nv(node, 'update-application-profile'),
        ],
        [`NVIDIA_CTK_LIBCUDA_DIR=${LIB}`, 'NVIDIA_VISIBLE_DEVICES=void'],
      );
      const hooksDir = path.join(node.dir, 'hooks.d');
      const b = bundle(node, mode === 'createContainer' ? { createContainer: [gpuHook(node)] } : undefined);
      writeHooksD(hooksDir, 'gpu.json', {
        version: '1.0.0',
        hook: {
          path: process.execPath,
          args: [...gpuHook(node).args.slice(0, 2), 'precreate', ...gpuHook(node).args.slice(2)],
        },
        when: { always: mode === 'precreate' },
        stages: ['precreate'],
      });
      const r = run(
        BIN('ocihooks-runtime'),
        [
          '--hooks-dir',
          hooksDir,
          `--log-file=${path.join(node.dir, 'wrapper.log')}`,
          '--',
          'run',
          '--bundle',
          b,
          containerId('nvctk'),
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.stderr).toBe('');
      const out = r.stdout.trim().split('\n');
      expect(out[0]).toBe('link: libcuda.so.1');
      expect(out[1]).toBe(`soname: libcuda.so.${DRIVER}`);
      expect(out[2]).toBe('compat:'); // a host driver newer than the compat library: not used
      expect(out[4]).toContain('"EGLVisibleDGPUDevices",0x1]');
      expect(cacheEntries(node)['libcuda.so.1']).toBe(`${LIB}/libcuda.so.1`); // the soname link ldconfig made, to the driver's library
    }
  });

  test('unknown subcommands are a warning and exit 0; bad input is one line, exit 2, before the state is read', () => {
    const node = fakeNode('nvhook-bad');
    const unknown = run(node.hook, ['frobnicate', '--with', 'flags'], { input: '' });
    expect([unknown.status, unknown.stderr]).toEqual([0, 'ocihook-gpu: warning: Unsupported CDI hook: frobnicate\n']);
    const none = run(node.hook, [], { input: '' });
    expect([none.status, none.stderr]).toEqual([0, 'ocihook-gpu: warning: No CDI hook specified\n']);
    const hookWord = run(node.hook, ['--debug', 'hook'], { input: '' });
    expect([hookWord.status, hookWord.stderr]).toEqual([0, 'ocihook-gpu: warning: No CDI hook specified\n']);
    // A single-valued flag given twice: the last wins, as urfave/cli's (the first is no octal mode).
    const twice = run(node.hook, ['chmod', '--mode', 'rwx', '--mode', '755', '--path', '/x', '--log-file=-'], {
      input: '',
    });
    expect([twice.status, twice.stderr]).toEqual([2, 'ocihook-gpu: state on stdin: empty\n']);
    const notBool = run(node.hook, ['--debug=yes', 'noop'], { input: '' });
    expect([notBool.status, notBool.stderr]).toEqual([2, 'ocihook-gpu: --debug=yes: invalid boolean value "yes"\n']);
    const badLink = run(node.hook, ['create-symlinks', '--link', 'libcuda.so.1:/lib/libcuda.so', '--log-file=-'], {
      input: '',
    });
    expect([badLink.status, badLink.stderr]).toEqual([
      2,
      'ocihook-gpu: --link "libcuda.so.1:/lib/libcuda.so": invalid symlink specification libcuda.so.1:/lib/libcuda.so\n',
    ]);
    const badMode = run(node.hook, ['chmod', '--mode', 'rwx', '--path', '/x', '--log-file=-'], { input: '' });
    expect([badMode.status, badMode.stderr]).toEqual([2, 'ocihook-gpu: --mode "rwx": failed to parse mode as octal\n']);
    const setuid = run(node.hook, ['chmod', '--mode', '4755', '--path', '/x', '--log-file=-'], { input: '' });
    expect([setuid.status, setuid.stderr]).toEqual([2, `ocihook-gpu: ${SETUID_REFUSED}\n`]);
  });

  test('chmod with a setuid bit, as a spec hook under runc: the container is refused with its line and the image folder keeps its mode', () => {
    const node = fakeNode('nvhook-setuid');
    writeSpec(node, [nv(node, 'chmod', '--mode', '4755', '--path', '/opt/data')]);
    const r = run(
      '/usr/sbin/runc',
      ['run', '--bundle', bundle(node, { createContainer: [gpuHook(node)] }), containerId('nvsuid')],
      { timeoutMs: 60_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.replace(/\\"/g, '"')).toContain(SETUID_REFUSED);
    expect(fs.statSync(path.join(node.rootfs, 'opt/data')).mode & 0o7777).toBe(0o755);
  });

  test('chmod of a path the container cannot resolve (a link loop): the container is refused with a line naming the path (NVIDIA skips it)', () => {
    const node = fakeNode('nvhook-chmod-loop');
    fs.symlinkSync('loop', path.join(node.rootfs, 'opt/loop'));
    writeSpec(node, [nv(node, 'chmod', '--mode', '700', '--path', '/opt/loop')]);
    const r = run(
      '/usr/sbin/runc',
      ['run', '--bundle', bundle(node, { createContainer: [gpuHook(node)] }), containerId('nvloop')],
      { timeoutMs: 60_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /ocihook-gpu: chmod 0700 \/opt\/loop: openat2 opt\/loop: Too many levels of symbolic links \(ELOOP\)/,
    );
  });

  test('a compat folder that is a symlink out of the rootfs: exit 1 naming it, and the GPU hook rolls its mounts back', () => {
    const node = fakeNode('nvhook-escape');
    fs.rmSync(path.join(node.rootfs, 'usr/local/cuda'));
    fs.symlinkSync('../../../../../../..' + node.dir, path.join(node.rootfs, 'usr/local/cuda'));
    writeSpec(node, [
      nv(
        node,
        'enable-cuda-compat',
        `--host-driver-version=${DRIVER}`,
        '--cuda-compat-container-root',
        '/usr/local/cuda',
      ),
    ]);
    const r = run(
      '/usr/sbin/runc',
      ['run', '--bundle', bundle(node, { createContainer: [gpuHook(node)] }), containerId('nvesc')],
      { timeoutMs: 60_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ocihook-gpu: \/usr\/local\/cuda: a symlink out of the container's rootfs/);
    expect(fs.readdirSync(path.join(node.rootfs, 'etc/ld.so.conf.d')).filter((f) => f.startsWith('00-compat'))).toEqual(
      [],
    );
  });
});
