/**
 * The GPU/CDI hook with fake GPU nodes (mknod on the host). createContainer under
 * podman+runc with a cdi.k8s.io annotation; precreate through a hooks.d "precreate" stage; the
 * nvidia-ctk-shaped fixture through precreate; zlayer's fixture (hooks keyed by stage) through
 * precreate under runc; an AMD selection of two GPUs. Which GPUs a container gets, row by row:
 * gpu-selection.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  ROOT,
  RUNC,
  containerId,
  makeBusyboxRootfs,
  ok,
  podmanArgs,
  requireBuilt,
  requireTool,
  run,
  stateFile,
  tmpDir,
  writeHooksD,
  makeBundle,
} from '../support/e2e';

const LOOP_CONTROL = { major: 10, minor: 237 }; // a real misc device: opens without side effects

function mknod(p: string, major: number, minor: number) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  ok('mknod', ['-m', '0666', p, 'c', String(major), String(minor)]);
}

/** Two fake NVIDIA GPUs whose nodes are loop-control look-alikes, in a CDI spec. */
function fakeNvidia(dir: string) {
  const nodes = path.join(dir, 'nodes');
  mknod(path.join(nodes, 'nvidia0'), LOOP_CONTROL.major, LOOP_CONTROL.minor);
  mknod(path.join(nodes, 'nvidia1'), 1, 7); // /dev/full's numbers
  const cdi = path.join(dir, 'cdi');
  fs.mkdirSync(cdi);
  fs.writeFileSync(
    path.join(cdi, 'nvidia.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'nvidia.com/gpu',
      devices: [
        {
          name: '0',
          containerEdits: {
            deviceNodes: [{ path: '/dev/nvidia0', hostPath: path.join(nodes, 'nvidia0'), permissions: 'rw' }],
          },
        },
        {
          name: '1',
          containerEdits: { deviceNodes: [{ path: '/dev/nvidia1', hostPath: path.join(nodes, 'nvidia1') }] },
        },
      ],
      containerEdits: { env: ['NVIDIA_VISIBLE_DEVICES=void', 'FAKE_GPU_SPEC=1'] },
    }),
  );
  return { cdi };
}

describe('GPU hook', () => {
  beforeAll(requireBuilt);

  test('createContainer under podman+runc: the annotated GPU is there, opens, and the cgroup allows exactly it', () => {
    const dir = tmpDir('gpu-cc');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const { cdi } = fakeNvidia(dir);
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'gpu.json', {
      version: '1.0.0',
      hook: {
        path: process.execPath,
        args: ['node', BIN('ocihook-gpu'), `--log-file=${path.join(dir, 'gpu.log')}`, `--cdi-spec-dir=${cdi}`],
      },
      when: { annotations: { '^cdi\\.k8s\\.io/.*$': '.*' } },
      stages: ['createContainer'],
    });
    const check = [
      'if true 2>/dev/null < /dev/nvidia0; then echo r-ok; else echo r-denied; fi',
      'if true 2>/dev/null > /dev/nvidia0; then echo w-ok; else echo w-denied; fi',
      'test -e /dev/nvidia1 && echo gpu1-visible || echo gpu1-absent',
      'grep "^c 10:237" /sys/fs/cgroup/devices/devices.list',
    ].join('; ');
    const r = run(
      requireTool('podman'),
      podmanArgs({
        rootfs,
        hooksDir,
        annotations: { 'cdi.k8s.io/test': 'nvidia.com/gpu=0' },
        args: ['sh', '-c', check],
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['r-ok', 'w-ok', 'gpu1-absent', 'c 10:237 rw']);
    expect(fs.readFileSync(path.join(dir, 'gpu.log'), 'utf8')).toContain('env FAKE_GPU_SPEC=1: needs precreate');
  });

  /** A podman container given GPU 0 of fakeNvidia by the GPU precreate filter in hooks.d, running `check`. */
  function throughPrecreateFilter(name: string, check: string, extra: string[] = []) {
    const dir = tmpDir(name);
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const { cdi } = fakeNvidia(dir);
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'gpu-precreate.json', {
      version: '1.0.0',
      hook: {
        path: process.execPath,
        args: [
          'node',
          BIN('ocihook-gpu'),
          'precreate',
          `--log-file=${path.join(dir, 'gpu.log')}`,
          `--cdi-spec-dir=${cdi}`,
        ],
      },
      when: { annotations: { '^cdi\\.k8s\\.io/.*$': '.*' } },
      stages: ['precreate'],
    });
    return run(
      requireTool('podman'),
      podmanArgs({
        rootfs,
        hooksDir,
        annotations: { 'cdi.k8s.io/test': 'nvidia.com/gpu=0' },
        extra,
        args: ['sh', '-c', check],
      }),
    );
  }

  test('precreate stage through hooks.d: env and device reach the container', () => {
    const r = throughPrecreateFilter(
      'gpu-pre',
      'env | grep -E "^(FAKE_GPU_SPEC|NVIDIA_VISIBLE_DEVICES|CUDA_VISIBLE_DEVICES)=" | sort; stat -c "%F %t:%T" /dev/nvidia0; if true 2>/dev/null > /dev/nvidia0; then echo w-ok; else echo w-denied; fi',
    );
    expect(r.stderr).toBe('');
    // The env is the spec's (NVIDIA_VISIBLE_DEVICES=void); the hook writes no host index of its own.
    expect(r.stdout.trim().split('\n')).toEqual([
      'FAKE_GPU_SPEC=1',
      'NVIDIA_VISIBLE_DEVICES=void',
      'character special file a:ed',
      'w-ok',
    ]);
  });

  test('precreate under podman with --ulimit fsize=-1 (RLIM_INFINITY, 2^64-1, which JSON.parse rounds): podman gets it back as written', () => {
    const r = throughPrecreateFilter('gpu-pre-numbers', 'echo $FAKE_GPU_SPEC; stat -c %F /dev/nvidia0; ulimit -f', [
      '--ulimit',
      'fsize=-1:-1',
    ]);
    // Rounded, podman's uint64 refused the filter's output ("cannot unmarshal number 18446744073709552000").
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '1\ncharacter special file\nunlimited\n', '']);
  });

  test('precreate on the nvidia-ctk-shaped fixture: linux.devices, env, and the hook under createContainer', () => {
    const dir = tmpDir('gpu-ctk');
    const cdi = path.join(dir, 'cdi');
    fs.mkdirSync(cdi);
    fs.writeFileSync(
      path.join(cdi, 'nvidia.yaml'),
      [
        'cdiVersion: 0.6.0',
        'kind: nvidia.com/gpu',
        'devices:',
        '  - name: "0"',
        '    containerEdits:',
        '      deviceNodes:',
        '        - path: /dev/nvidia0',
        '          type: c',
        '          major: 195',
        '          minor: 0',
        'containerEdits:',
        '  env:',
        '    - NVIDIA_VISIBLE_DEVICES=0',
        '  hooks:',
        '    - hookName: createContainer',
        '      path: /usr/bin/nvidia-cdi-hook',
        '      args: [nvidia-cdi-hook, update-ldcache, --folder, /usr/lib/x86_64-linux-gnu]',
      ].join('\n'),
    );
    const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
      args: ['true'],
      annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
    });
    const config = fs.readFileSync(path.join(bundle, 'config.json'), 'utf8');
    const r = run(
      process.execPath,
      [BIN('ocihook-gpu'), 'precreate', '--log-file=-', `--cdi-spec-dir=${cdi}`, '--cdi-cache-dir=none'],
      { input: config },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.linux.devices).toContainEqual({ path: '/dev/nvidia0', type: 'c', major: 195, minor: 0 });
    expect(out.linux.resources.devices).toContainEqual({ allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' });
    expect(out.process.env).toContain('NVIDIA_VISIBLE_DEVICES=0');
    expect(out.hooks.createContainer).toEqual([
      {
        path: '/usr/bin/nvidia-cdi-hook',
        args: ['nvidia-cdi-hook', 'update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu'],
      },
    ]);
    // Everything else is kept as it was.
    const before = JSON.parse(config);
    expect(out.process.args).toEqual(before.process.args);
    expect(out.mounts).toEqual(before.mounts);
  });

  test('a spec in YAML kept decoded (--cdi-cache-dir) under runc: the kept form is what the next container gets, for that text alone; a folder others can write is not used', () => {
    const dir = tmpDir('gpu-kept');
    const node = path.join(dir, 'nodes', 'nvidia0');
    mknod(node, LOOP_CONTROL.major, LOOP_CONTROL.minor);
    const cdi = path.join(dir, 'cdi');
    fs.mkdirSync(cdi);
    const spec = path.join(cdi, 'nvidia.yaml');
    const specText = (last = '') =>
      [
        'cdiVersion: 0.6.0',
        'kind: nvidia.com/gpu',
        'devices:',
        '- name: "0"',
        '  containerEdits:',
        '    deviceNodes:',
        '    - path: /dev/nvidia0',
        `      hostPath: ${node}`,
        last,
      ].join('\n');
    fs.writeFileSync(spec, specText());
    const kept = path.join(dir, 'kept'); // made by the hook
    const entry = path.join(kept, `${encodeURIComponent(spec)}.json`);
    const log = path.join(dir, 'gpu.log');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    let n = 0;
    const gpuNodes = () => {
      const bundle = makeBundle(path.join(dir, `bundle-${++n}`), rootfs, {
        args: ['sh', '-c', 'ls /dev | grep nvidia'],
        annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
        hooks: {
          createContainer: [
            {
              path: process.execPath,
              args: [
                'node',
                BIN('ocihook-gpu'),
                `--log-file=${log}`,
                `--cdi-spec-dir=${cdi}`,
                `--cdi-cache-dir=${kept}`,
              ],
            },
          ],
        },
      });
      const r = run(RUNC, ['run', '--bundle', bundle, containerId('gpu-kept')], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n');
    };
    /** The entry with the node's container path changed by hand, as only root can. */
    const changeKeptPath = () => {
      const e = JSON.parse(fs.readFileSync(entry, 'utf8'));
      e.decoded.devices[0].edits.deviceNodes[0].path = '/dev/nvidia-kept';
      fs.writeFileSync(entry, JSON.stringify(e));
    };

    // The first container: decoded from the text, and kept (root's alone: the folder 0700, the entry 0600).
    expect(gpuNodes()).toEqual(['nvidia0']);
    expect(fs.statSync(kept).mode & 0o777).toBe(0o700);
    expect([fs.statSync(entry).uid, fs.statSync(entry).mode & 0o777]).toEqual([0, 0o600]);
    // The next container gets the kept form: changed by hand, it shows.
    changeKeptPath();
    expect(gpuNodes()).toEqual(['nvidia-kept']);
    // A spec with another text (regenerated) is decoded again, and kept in place of the old.
    fs.writeFileSync(spec, specText('# regenerated'));
    expect(gpuNodes()).toEqual(['nvidia0']);
    expect(JSON.parse(fs.readFileSync(entry, 'utf8')).text).toBe(specText('# regenerated'));
    // A folder its group can write is neither read (the hand-changed entry is not used) nor written.
    changeKeptPath();
    fs.chmodSync(kept, 0o770);
    expect(gpuNodes()).toEqual(['nvidia0']);
    expect(JSON.parse(fs.readFileSync(entry, 'utf8')).decoded.devices[0].edits.deviceNodes[0].path).toBe(
      '/dev/nvidia-kept',
    );
    expect(fs.readFileSync(log, 'utf8')).toContain(
      `${kept}: not root's, or writable by others than root; decoding without it`,
    );
    // Root of a user namespace (rootless podman's) keeps nothing and says nothing: the folder is
    // not its own. The filter, there, reads the spec from its text (the kept form is not used).
    fs.chmodSync(kept, 0o700);
    fs.rmSync(log);
    const bundle = makeBundle(path.join(dir, 'bundle-userns'), rootfs, {
      args: ['true'],
      annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
    });
    const inUserns = run(
      requireTool('unshare'),
      [
        '--user',
        '--map-root-user',
        process.execPath,
        BIN('ocihook-gpu'),
        'precreate',
        `--log-file=${log}`,
        `--cdi-spec-dir=${cdi}`,
        `--cdi-cache-dir=${kept}`,
      ],
      { input: fs.readFileSync(path.join(bundle, 'config.json'), 'utf8') },
    );
    expect([inUserns.status, inUserns.stderr]).toEqual([0, '']);
    expect(JSON.parse(inUserns.stdout).linux.devices).toContainEqual(expect.objectContaining({ path: '/dev/nvidia0' }));
    expect(fs.readFileSync(log, 'utf8')).not.toContain('decoding without it');
  });

  test("zlayer's fixture, byte for byte, through precreate under runc: /dev/nvidia0, NVIDIA_VISIBLE_DEVICES=0 and the createContainer hook, which runs", () => {
    const dir = tmpDir('gpu-zlayer');
    const cdi = path.join(dir, 'cdi');
    fs.mkdirSync(cdi);
    fs.copyFileSync(path.join(ROOT, 'src/cdi/testdata/zlayer-nvidia.json'), path.join(cdi, 'nvidia.json'));
    // The spec's hook is /usr/bin/nvidia-container-runtime-hook: this host has none, so a recording
    // stand-in is laid over /usr/bin (overlayfs) in a mount namespace of the test's own.
    const fake = path.join(dir, 'fake-bin');
    fs.mkdirSync(fake);
    fs.writeFileSync(
      path.join(fake, 'nvidia-container-runtime-hook'),
      `#!/bin/sh\necho "$0 $*" > ${dir}/hook-ran\ncat > ${dir}/hook-state.json\n`,
      { mode: 0o755 },
    );
    const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
      args: ['sh', '-c', 'stat -c "%F %t:%T" /dev/nvidia0; env | grep ^NVIDIA_VISIBLE_DEVICES='],
      annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
    });
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'gpu-precreate.json', {
      version: '1.0.0',
      hook: {
        path: BIN('ocihook-gpu'),
        args: ['ocihook-gpu', 'precreate', `--log-file=${path.join(dir, 'gpu.log')}`, `--cdi-spec-dir=${cdi}`],
      },
      when: { annotations: { '^cdi\\.k8s\\.io/.*$': '.*' } },
      stages: ['precreate'],
    });
    const r = run(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t overlay overlay -o "lowerdir=$1:/usr/bin" /usr/bin && shift && exec "$@"',
        'sh',
        fake,
        BIN('ocihooks-runtime'),
        '--runtime',
        RUNC,
        '--hooks-dir',
        hooksDir,
        `--log-file=${path.join(dir, 'wrapper.log')}`,
        '--',
        'run',
        '--bundle',
        bundle,
        containerId('gpu-zlayer'),
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['character special file c3:0', 'NVIDIA_VISIBLE_DEVICES=0']);
    // What zlayer's test asserts on the config it builds, here in the config.json runc ran.
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    expect(config.linux.devices).toContainEqual({ path: '/dev/nvidia0', type: 'c', major: 195, minor: 0 });
    expect(config.process.env).toContain('NVIDIA_VISIBLE_DEVICES=0');
    expect(config.hooks.createContainer).toEqual([
      { path: '/usr/bin/nvidia-container-runtime-hook', args: ['nvidia-container-runtime-hook', 'prestart'] },
    ]);
    expect(fs.readFileSync(path.join(dir, 'hook-ran'), 'utf8')).toBe(
      '/usr/bin/nvidia-container-runtime-hook prestart\n',
    );
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'hook-state.json'), 'utf8')).bundle).toBe(bundle);
    // The hook's log says the spec is not in the CDI form.
    expect(fs.readFileSync(path.join(dir, 'gpu.log'), 'utf8')).toContain(
      `${path.join(cdi, 'nvidia.json')}: devices[0].containerEdits.hooks: an object of hook lists keyed by stage (zlayer's form)`,
    );
  });

  test('an AMD selection of two GPUs (discovered nodes, no CDI spec): their nodes, and no ROCR_/HIP_VISIBLE_DEVICES with host indices', () => {
    const dir = tmpDir('gpu-amd');
    const devRoot = path.join(dir, 'dev');
    mknod(path.join(devRoot, 'kfd'), 1, 7);
    mknod(path.join(devRoot, 'dri', 'renderD128'), 1, 3);
    mknod(path.join(devRoot, 'dri', 'renderD129'), 1, 5);
    const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
      args: ['true'],
      annotations: { 'cdi.k8s.io/amd': 'amd.com/gpu=0,amd.com/gpu=1' },
    });
    const r = run(
      process.execPath,
      [
        BIN('ocihook-gpu'),
        'precreate',
        '--log-file=-',
        `--cdi-spec-dir=${path.join(dir, 'no-cdi')}`,
        `--device-root=${devRoot}`,
      ],
      { input: fs.readFileSync(path.join(bundle, 'config.json'), 'utf8') },
    );
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.process.env.filter((e: string) => /^(ROCR|HIP|CUDA|NVIDIA)_VISIBLE_DEVICES=/.test(e))).toEqual([]);
    expect(out.linux.devices.map((d: { path: string }) => d.path)).toEqual([
      '/dev/kfd',
      '/dev/dri/renderD128',
      '/dev/dri/renderD129',
    ]);
  });

  test('an unknown device name exits 2 naming it; nothing is applied', () => {
    const dir = tmpDir('gpu-unknown');
    const { cdi } = fakeNvidia(dir);
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
      args: ['true'],
      annotations: { 'cdi.k8s.io/x': 'nvidia.com/gpu=0,nvidia.com/gpu=7' },
    });
    const r = run(process.execPath, [
      BIN('ocihook-gpu'),
      '--log-file=-',
      `--cdi-spec-dir=${cdi}`,
      '--state-file',
      stateFile(dir, { ociVersion: '1.0.2', id: 'u', pid: 0, bundle }),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('ocihook-gpu: CDI device nvidia.com/gpu=7: unknown (nvidia.com/gpu has 0, 1)\n');
    expect(fs.existsSync(path.join(rootfs, 'dev', 'nvidia0'))).toBe(false);
    void RUNC;
  });

  test("a relative --cdi-spec-dir exits 2 naming it (a hook starts in the bundle's folder, the container owner's)", () => {
    const dir = tmpDir('gpu-relative-dir');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
      args: ['true'],
      annotations: { 'cdi.k8s.io/x': 'nvidia.com/gpu=0' },
    });
    const state = stateFile(dir, { ociVersion: '1.0.2', id: 'r', pid: 0, bundle });
    for (const mode of [
      ['--state-file', state],
      ['precreate', '--config-file', path.join(bundle, 'config.json')],
    ]) {
      const r = run(process.execPath, [BIN('ocihook-gpu'), ...mode, '--log-file=-', '--cdi-spec-dir=cdi'], {
        cwd: bundle,
      });
      expect([r.status, r.stderr, r.stdout]).toEqual([
        2,
        'ocihook-gpu: --cdi-spec-dir "cdi": not an absolute path\n',
        '',
      ]);
    }
  });

  test.each(['createContainer', 'precreate'] as const)(
    'an annotation value the CDI reference refuses (a blank after the comma) refuses the container under runc (%s), naming annotation and entry',
    (mode) => {
      const dir = tmpDir('gpu-ann');
      const { cdi } = fakeNvidia(dir);
      const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
      const flags = [`--log-file=${path.join(dir, 'gpu.log')}`, `--cdi-spec-dir=${cdi}`];
      const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
        args: ['sh', '-c', 'echo started'],
        annotations: { 'cdi.k8s.io/x': 'nvidia.com/gpu=0, nvidia.com/gpu=1' },
        hooks:
          mode === 'createContainer'
            ? { createContainer: [{ path: process.execPath, args: ['node', BIN('ocihook-gpu'), ...flags] }] }
            : undefined,
      });
      const hooksDir = path.join(dir, 'hooks.d');
      writeHooksD(hooksDir, 'gpu-precreate.json', {
        version: '1.0.0',
        hook: { path: BIN('ocihook-gpu'), args: ['ocihook-gpu', 'precreate', ...flags] },
        when: { always: mode === 'precreate' },
        stages: ['precreate'],
      });
      const r = run(
        BIN('ocihooks-runtime'),
        [
          '--runtime',
          RUNC,
          '--hooks-dir',
          hooksDir,
          `--log-file=${path.join(dir, 'wrapper.log')}`,
          '--',
          'run',
          '--bundle',
          bundle,
          containerId('gpu-ann'),
        ],
        { timeoutMs: 60_000 },
      );
      // runc quotes the hook's stderr in its own message; the wrapper reports a failed filter (exit 1)
      // with its line, and the hook's log has its exit code (2, bad input).
      expect(r.stdout).toBe('');
      if (mode === 'createContainer') expect(r.stderr).toContain('error running hook: exit status 2');
      else {
        expect(r.status).toBe(1);
        expect(fs.readFileSync(path.join(dir, 'gpu.log'), 'utf8')).toContain('"exitCode":2');
      }
      expect(r.stderr.replace(/\\"/g, '"')).toContain(
        'ocihook-gpu: annotation cdi.k8s.io/x="nvidia.com/gpu=0, nvidia.com/gpu=1": entry " nvidia.com/gpu=1" is not a CDI device name (vendor.com/class=name, no blanks): invalid device " nvidia.com/gpu=1": invalid vendor. " nvidia.com", should start with letter',
      );
      expect(fs.existsSync(path.join(rootfs, 'dev', 'nvidia0'))).toBe(false);
      if (mode === 'precreate')
        expect(JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).linux.devices ?? []).toEqual([]);
    },
  );
});
