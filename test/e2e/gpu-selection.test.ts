/**
 * Which GPUs a container gets, on a fake four-GPU node, under podman+runc (hooks.d) and plain runc
 * (the hook in config.json; precreate through ocihooks-runtime), in both modes: each row of the
 * docs/gpu.md's selection table must show exactly the expected /dev/nvidia* nodes in the container,
 * exactly their device cgroup rules, and no *_VISIBLE_DEVICES written with host indices.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  containerId,
  makeBundle,
  makeBusyboxRootfs,
  podmanRun,
  requireBuilt,
  run,
  tmpDir,
  writeHooksD,
} from '../support/e2e';
import { GPU_UUIDS, fakeFourGpuNode } from '../support/fake-gpus';

interface Row {
  name: string;
  annotations?: Record<string, string>;
  /** The image's env. */
  env?: string[];
  /** The admin's hook arguments. */
  hookArgs?: string[];
  gpus: number[];
}

const ALL = 'NVIDIA_VISIBLE_DEVICES=all';
const ROWS: Row[] = [
  {
    name: 'an annotation for GPU 2, image env all',
    annotations: { 'cdi.k8s.io/job': 'nvidia.com/gpu=2' },
    env: [ALL],
    gpus: [2],
  },
  {
    name: 'an annotation by UUID, image env all, --accept-env',
    annotations: { 'cdi.k8s.io/job': `nvidia.com/gpu=${GPU_UUIDS[1]}` },
    env: [ALL],
    hookArgs: ['--accept-env'],
    gpus: [1],
  },
  { name: "the hook's --device, image env all", env: [ALL], hookArgs: ['--device=nvidia.com/gpu=3'], gpus: [3] },
  { name: 'an annotation for all', annotations: { 'cdi.k8s.io/job': 'nvidia.com/gpu=all' }, gpus: [0, 1, 2, 3] },
  {
    name: 'GPU 2 requested twice, in two annotations: given once',
    annotations: { 'cdi.k8s.io/job': 'nvidia.com/gpu=2,nvidia.com/gpu=2', 'cdi.k8s.io/extra': 'nvidia.com/gpu=2' },
    gpus: [2],
  },
  {
    name: 'image env 0,3 with --accept-env',
    env: ['NVIDIA_VISIBLE_DEVICES=0,3'],
    hookArgs: ['--accept-env'],
    gpus: [0, 3],
  },
  { name: 'image env 0,3 without --accept-env', env: ['NVIDIA_VISIBLE_DEVICES=0,3'], gpus: [] },
  { name: 'image env all without --accept-env', env: [ALL], gpus: [] },
  {
    name: 'image env none with --accept-env',
    env: ['NVIDIA_VISIBLE_DEVICES=none'],
    hookArgs: ['--accept-env'],
    gpus: [],
  },
];

/** What the container reports: its nvidia nodes, the 195:* rules of its device cgroup, its vendor env. */
const CHECK = [
  'echo nodes: $(ls /dev | grep "^nvidia[0-9]" | sort)',
  'echo rules: $(grep "^c 195:[0-9] " /sys/fs/cgroup/devices/devices.list | sort)',
  'echo env: $(env | grep -E "^(NVIDIA|CUDA|ROCR|HIP)_VISIBLE_DEVICES=" | sort)',
].join('; ');

function expected(row: Row, mode: 'createContainer' | 'precreate'): string[] {
  // precreate applies the spec's env (NVIDIA_VISIBLE_DEVICES=void) when it gives devices; the
  // createContainer stage cannot change the env: the image's stays as the image set it.
  const imageEnv = (row.env ?? []).filter((e) => /_VISIBLE_DEVICES=/.test(e));
  const env = mode === 'precreate' && row.gpus.length ? ['NVIDIA_VISIBLE_DEVICES=void'] : imageEnv;
  return [
    `nodes: ${row.gpus.map((i) => `nvidia${i}`).join(' ')}`.trimEnd(),
    `rules: ${row.gpus.map((i) => `c 195:${i} rwm`).join(' ')}`.trimEnd(),
    `env: ${env.join(' ')}`.trimEnd(),
  ];
}

/**
 * The hook entry: createContainer through node; precreate as an installation writes it (the GPU
 * hook's own path), which the wrapper runs in its own process (podman starts it as a program).
 */
function hookEntry(
  dir: string,
  cdi: string,
  mode: 'createContainer' | 'precreate',
  row: Row,
): { path: string; args: string[] } {
  const flags = [`--log-file=${path.join(dir, 'gpu.log')}`, `--cdi-spec-dir=${cdi}`, ...(row.hookArgs ?? [])];
  return mode === 'precreate'
    ? { path: BIN('ocihook-gpu'), args: ['ocihook-gpu', 'precreate', ...flags] }
    : { path: process.execPath, args: ['node', BIN('ocihook-gpu'), ...flags] };
}

describe('GPU selection on a four-GPU node', () => {
  beforeAll(requireBuilt);

  describe.each(['createContainer', 'precreate'] as const)('%s mode', (mode) => {
    test.each(ROWS.map((r) => [r.name, r] as const))('podman+runc: %s', (_name, row) => {
      const dir = tmpDir('gpu-sel');
      const { cdi } = fakeFourGpuNode(dir);
      const hooksDir = path.join(dir, 'hooks.d');
      writeHooksD(hooksDir, 'gpu.json', {
        version: '1.0.0',
        hook: hookEntry(dir, cdi, mode, row),
        when: { always: true },
        stages: [mode],
      });
      const r = podmanRun({
        rootfs: makeBusyboxRootfs(path.join(dir, 'rootfs')),
        hooksDir,
        annotations: row.annotations,
        env: row.env,
        args: ['sh', '-c', CHECK],
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(expected(row, mode));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test.each(ROWS.map((r) => [r.name, r] as const))('runc: %s', (_name, row) => {
      const dir = tmpDir('gpu-sel');
      const { cdi } = fakeFourGpuNode(dir);
      const hook = hookEntry(dir, cdi, mode, row);
      const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
        args: ['sh', '-c', CHECK],
        env: row.env,
        annotations: row.annotations,
        hooks: mode === 'createContainer' ? { createContainer: [hook] } : undefined,
      });
      const hooksDir = path.join(dir, 'hooks.d');
      writeHooksD(hooksDir, 'gpu-precreate.json', {
        version: '1.0.0',
        hook,
        when: { always: mode === 'precreate' },
        stages: ['precreate'],
      });
      // precreate: the wrapper runs the hooks.d precreate filter over config.json, then runc.
      const r = run(
        BIN('ocihooks-runtime'),
        [
          '--runtime',
          'runc',
          '--hooks-dir',
          hooksDir,
          `--log-file=${path.join(dir, 'wrapper.log')}`,
          '--',
          'run',
          '--bundle',
          bundle,
          containerId('gpu-sel'),
        ],
        { timeoutMs: 60_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(expected(row, mode));
      if (mode === 'precreate') {
        expect(fs.readFileSync(path.join(dir, 'wrapper.log'), 'utf8')).toContain(
          '"added":["precreate gpu-precreate.json (in process)"]',
        );
        // One cgroup rule per GPU in the config runc ran, also for a GPU requested twice.
        const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
        const rules = (config.linux.resources.devices as { major?: number; minor?: number }[]).filter(
          (d) => d.major === 195 && d.minor !== 255,
        );
        expect(rules.map((d) => d.minor)).toEqual(row.gpus);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });
});
