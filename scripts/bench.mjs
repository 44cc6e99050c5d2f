#!/usr/bin/env node
// npm run bench: whole-process wall time (median of N runs after warm-up) of `node -e 0` and of
// each hook doing its real work, applied for real in a private mount namespace on a scratch
// rootfs; peak RSS of each (from the kernel, via /usr/bin/time); and a podman+runc container
// start with and without the three hooks. Prints a table and writes bench/results/<time>.json.
//
// The driver re-executes itself inside `unshare -m --propagation private`, mounts a tmpfs for its
// scratch files, binds each scratch rootfs onto itself there (as runc does before createContainer
// hooks) and spawns every command from that one namespace, so `node -e 0` and the hooks start the
// same way. The hooks are the installed launchers (`ocihooks install` into the scratch prefix),
// executed directly as a runtime does, with the shipped log level (info) and a log file.
// Scratch is a tmpfs because on this project's VMs (ext4 mounted with online discard) creating
// files right after the previous run deleted 1000 of them took up to 0.5 ms per file: the disk's
// backlog, not the hook, decided the 1000-mount row.
//
// Node's own settings (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...) are taken out of the environment the
// bench runs in: a runtime starts a hook with the hooks.d file's env alone (none), and an engine
// with its service's; the installed starters put them aside anyway (native/freestanding/node-env.c).
// Left in, NODE_EXTRA_CA_CERTS (set on these VMs: Debian's ca-certificates) added 35-40 ms to every
// `node -e 0` baseline and to every directly started Node launcher, which made each ratio look
// smaller than a runtime's start of the hook is.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { podmanRunArgs } from './podman.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const WARMUP = 2;
const node = process.execPath;

/** The environment without Node's own settings (every NODE_* variable), said on stderr when there were any. */
function withoutNodeSettings(env) {
  const dropped = Object.keys(env).filter((k) => k.startsWith('NODE_'));
  if (dropped.length)
    console.error(`bench: runs without ${dropped.join(', ')} (Node's own settings; see the top of scripts/bench.mjs)`);
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('NODE_')));
}

if (!process.env.OCIHOOKS_BENCH_INSIDE) {
  for (const p of ['/usr/bin/time', '/usr/bin/podman', '/usr/sbin/runc', '/bin/busybox']) {
    if (!fs.existsSync(p)) {
      console.error(`bench: ${p} is missing (apt-get install time podman runc busybox-static, or run npm test once)`);
      process.exit(2);
    }
  }
  if (!fs.existsSync(path.join(root, 'dist', 'bin', 'ocihooks')))
    execFileSync(node, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', node, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...withoutNodeSettings(process.env), OCIHOOKS_BENCH_INSIDE: '1' } },
  );
  process.exit(r.status ?? 1);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-bench-'));
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
sh(`mount -t tmpfs -o size=1g,mode=0755 ocihooks-bench '${scratch}'`);
const prefix = path.join(scratch, 'prefix');
const hooksDir = path.join(scratch, 'hooks.d');
execFileSync(
  node,
  [
    path.join(root, 'dist', 'bin', 'ocihooks'),
    'install',
    '--prefix',
    prefix,
    '--hooks-dir',
    hooksDir,
    '--runtime-config',
    'none',
  ],
  { stdio: 'ignore' },
);
const bin = (n) => path.join(prefix, 'bin', n);

function busyboxRootfs(dir, glibc = false) {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'true', 'cat']) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  for (const d of ['etc', 'proc', 'dev', 'sys', 'tmp', 'opt']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  if (glibc) {
    for (const lib of ['/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6']) {
      fs.mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(fs.realpathSync(lib), path.join(dir, lib));
    }
    fs.mkdirSync(path.join(dir, 'etc', 'ld.so.conf.d'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'etc', 'ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  }
}

/** A fresh rootfs for every run (mount points are created for real), bound onto itself. */
function freshRootfs(name, glibc) {
  const bundle = path.join(scratch, name);
  const rootfs = path.join(bundle, 'rootfs');
  if (fs.existsSync(rootfs)) {
    // Not lazy: the teardown of the last run's mounts must not overlap the next measurement.
    spawnSync('umount', ['-R', rootfs]);
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
  busyboxRootfs(rootfs, glibc);
  sh(`mount --bind '${rootfs}' '${rootfs}'`);
  if (!fs.existsSync(path.join(bundle, 'config.json'))) {
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({
        ociVersion: '1.0.2',
        root: { path: 'rootfs' },
        process: { args: ['sh'], env: ['PATH=/bin'] },
        linux: {},
      }),
    );
    fs.writeFileSync(
      path.join(bundle, 'state.json'),
      JSON.stringify({
        ociVersion: '1.0.2',
        id: `bench-${name}`,
        pid: 0,
        bundle,
        annotations: { 'com.hooks.slurm.activate': 'true' },
      }),
    );
  }
  return bundle;
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * q)];
}
const median = (xs) => quantile(xs, 0.5);

/** Runs once; returns the wall ms and, for a hook, its OCIHOOKS_TIMINGS phases (src/hook/timing.ts). */
function timeOnce(cmd, args, input, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}…: exit ${r.status}: ${r.stderr}`);
  const line = /^ocihooks-timings (\{.*\})$/m.exec(r.stderr.toString());
  return { ms, phases: line ? JSON.parse(line[1]) : undefined };
}

function peakRssKiB(cmd, args, input, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    input,
    env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
  });
  return Number(r.stderr.toString().trim().split('\n').pop());
}

/**
 * Each measured run is paired with a run of its baseline right before it (node -e 0, or podman
 * without hooks), and the ratio is taken between the two medians: on a shared VM the speed of
 * the machine drifts during a benchmark, and only interleaved runs see the same machine.
 * The 10th percentiles are reported too: on these VMs the same `node -e 0` takes either ~75 or
 * ~120 ms depending on the host's load at that moment (CPU time moves with it, so it is not
 * waiting), which can move a median by 20% between two runs of the bench; the fast 10% of runs
 * are far steadier.
 */
const results = [];
/** BENCH_ONLY=<regex> runs only the rows whose name matches (for looking into one of them). */
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
function bench(
  name,
  cmd,
  args,
  {
    before,
    input,
    baseline = [node, ['-e', '0']],
    baselineName = 'node -e 0',
    phases: askPhases = true,
    env: extraEnv = {},
  } = {},
) {
  if (only && !only.test(name)) return;
  const times = [];
  const base = [];
  const phases = {};
  // A hook run reports its phases (one stderr line at exit, src/hook/timing.ts); podman's are left alone.
  const env = { ...process.env, ...(askPhases ? { OCIHOOKS_TIMINGS: '1' } : {}), ...extraEnv };
  for (let i = 0; i < WARMUP + RUNS; i++) {
    before?.();
    const b = timeOnce(baseline[0], baseline[1]).ms;
    const run = timeOnce(cmd, args, input, env);
    if (i >= WARMUP) {
      times.push(run.ms);
      base.push(b);
      for (const [p, ms] of Object.entries(run.phases ?? {})) (phases[p] ??= []).push(ms);
    }
  }
  before?.();
  const rss = peakRssKiB(cmd, args, input, env);
  const r = {
    name,
    medianMs: median(times),
    baselineMs: median(base),
    baseline: baselineName,
    runs: RUNS,
    peakRssMiB: rss / 1024,
  };
  r.ratio = r.medianMs / r.baselineMs;
  r.p10Ms = quantile(times, 0.1);
  r.baselineP10Ms = quantile(base, 0.1);
  r.p10Ratio = r.p10Ms / r.baselineP10Ms;
  if (Object.keys(phases).length)
    r.phasesMedianMs = Object.fromEntries(Object.entries(phases).map(([p, xs]) => [p, median(xs)]));
  results.push(r);
  process.stderr.write(
    `  ${name}: ${r.medianMs.toFixed(1)} ms (${baselineName}: ${r.baselineMs.toFixed(1)} ms) ${r.ratio.toFixed(2)}x; p10 ${r.p10Ratio.toFixed(2)}x\n`,
  );
}

// ---- inputs ----
const slurm = JSON.parse(fs.readFileSync(path.join(root, 'hooks.d', 'slurm.json'), 'utf8')).hook.args.filter(
  (a) => a.startsWith('--mount=') && !a.includes('/run/munge'),
);
const filler = fs
  .readdirSync('/usr/bin')
  .sort()
  .map((f) => `/usr/bin/${f}`)
  .filter((p) => fs.lstatSync(p).isFile());
const mounts40 = [
  ...slurm,
  ...filler.slice(0, 40 - slurm.length).map((p) => `--mount=type=bind,src=${p},dst=/host${p},readonly`),
].slice(0, 40);
const many = path.join(scratch, 'many');
fs.mkdirSync(many);
const mounts1000 = [];
for (let i = 0; i < 1000; i++) {
  fs.writeFileSync(path.join(many, `f${i}`), '');
  mounts1000.push(`--mount=type=bind,src=${many}/f${i},dst=/many/d${i % 10}/f${i}`);
}
const gpuNodes = path.join(scratch, 'gpunodes');
fs.mkdirSync(gpuNodes);
const cdiDir = path.join(scratch, 'cdi');
fs.mkdirSync(cdiDir);
const devices = [];
for (let i = 0; i < 8; i++) {
  sh(`mknod -m 0666 '${gpuNodes}/nvidia${i}' c 1 ${i === 0 ? 3 : 5}`);
  devices.push({
    name: String(i),
    containerEdits: { deviceNodes: [{ path: `/dev/nvidia${i}`, hostPath: `${gpuNodes}/nvidia${i}` }] },
  });
}
fs.writeFileSync(
  path.join(cdiDir, 'fake.json'),
  JSON.stringify({ cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices }),
);
const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p));
const common = [`--log-file=${path.join(scratch, 'bench.log')}`];

console.error(`bench: ${RUNS} runs after ${WARMUP} warm-up, scratch ${scratch}`);
let b = freshRootfs('m40');
bench(
  'mount hook, 40 mounts (Slurm set)',
  bin('ocihook-mount'),
  [...common, '--state-file', path.join(b, 'state.json'), ...mounts40],
  { before: () => freshRootfs('m40') },
);
b = freshRootfs('m1000');
bench(
  'mount hook, 1000 mounts',
  bin('ocihook-mount'),
  [...common, '--state-file', path.join(b, 'state.json'), ...mounts1000],
  { before: () => freshRootfs('m1000') },
);
// The 1000/40 target compares two hook runs: measured against each other, interleaved, so that
// both see the same machine (two rows measured a minute apart moved the ratio by 0.4x here).
const b40 = path.join(scratch, 'm40');
bench(
  'mount hook, 1000 mounts (against 40 mounts)',
  bin('ocihook-mount'),
  [...common, '--state-file', path.join(b, 'state.json'), ...mounts1000],
  {
    before: () => {
      freshRootfs('m40');
      freshRootfs('m1000');
    },
    baseline: [bin('ocihook-mount'), [...common, '--state-file', path.join(b40, 'state.json'), ...mounts40]],
    baselineName: 'mount hook, 40 mounts',
    phases: false,
  },
);
spawnSync('umount', ['-R', path.join(b, 'rootfs')]); // the next rows start without its 1000 mounts
spawnSync('umount', ['-R', path.join(b40, 'rootfs')]);
b = freshRootfs('m0');
bench('mount hook, matched, nothing to do', bin('ocihook-mount'), [
  ...common,
  '--state-file',
  path.join(b, 'state.json'),
]);
b = freshRootfs('ldc', true);
bench(
  'ldconfig hook, glibc rootfs',
  bin('ocihook-ldconfig'),
  [...common, `--ldconfig-path=${ldconfig}`, '--folder=/opt', '--state-file', path.join(b, 'state.json')],
  { before: () => freshRootfs('ldc', true) },
);
b = freshRootfs('gpu');
// Specs kept decoded and checked in a folder of the scratch (the default is /run/ocihooks/cdi-specs),
// as for every start after a spec's first: the first warm-up run keeps them.
const keptSpecs = `--cdi-cache-dir=${path.join(scratch, 'cdi-decoded')}`;
const gpuArgs = [
  ...common,
  `--cdi-spec-dir=${cdiDir}`,
  keptSpecs,
  ...devices.map((d) => `--device=nvidia.com/gpu=${d.name}`),
];
bench(
  'GPU hook, 8 devices, createContainer',
  bin('ocihook-gpu'),
  [...gpuArgs, '--skip-cgroup', '--state-file', path.join(b, 'state.json')],
  { before: () => freshRootfs('gpu') },
);
bench(
  'GPU hook, 8 devices, createContainer, spec not kept decoded',
  bin('ocihook-gpu'),
  [
    ...gpuArgs.map((a) => (a === keptSpecs ? '--cdi-cache-dir=none' : a)),
    '--skip-cgroup',
    '--state-file',
    path.join(b, 'state.json'),
  ],
  { before: () => freshRootfs('gpu') },
);
bench('GPU hook, 8 devices, precreate', bin('ocihook-gpu'), ['precreate', ...gpuArgs], {
  input: fs.readFileSync(path.join(b, 'config.json')),
});
// The same spec in YAML, the form nvidia-ctk cdi generate writes by default.
const cdiYamlDir = path.join(scratch, 'cdi-yaml');
fs.mkdirSync(cdiYamlDir);
fs.writeFileSync(
  path.join(cdiYamlDir, 'fake.yaml'),
  [
    'cdiVersion: 0.6.0',
    'kind: nvidia.com/gpu',
    'devices:',
    ...devices.flatMap((d) => [
      `- name: "${d.name}"`,
      '  containerEdits:',
      '    deviceNodes:',
      ...d.containerEdits.deviceNodes.flatMap((n) => [`    - path: ${n.path}`, `      hostPath: ${n.hostPath}`]),
    ]),
    '',
  ].join('\n'),
);
// Kept decoded as above; and read from its text each time (none).
const gpuYamlArgs = gpuArgs.map((a) => (a === `--cdi-spec-dir=${cdiDir}` ? `--cdi-spec-dir=${cdiYamlDir}` : a));
for (const [name, keep] of [
  ['GPU hook, 8 devices, createContainer, spec in YAML', keptSpecs],
  ['GPU hook, 8 devices, createContainer, spec in YAML, not kept decoded', '--cdi-cache-dir=none'],
])
  bench(
    name,
    bin('ocihook-gpu'),
    [
      ...gpuYamlArgs.map((a) => (a === keptSpecs ? keep : a)),
      '--skip-cgroup',
      '--state-file',
      path.join(b, 'state.json'),
    ],
    { before: () => freshRootfs('gpu') },
  );

// ---- podman + runc, with and without the three hooks ----
// Exactly three hooks: install also writes libfabric's where the host has libfabric (then it would be four).
for (const f of ['50-ocihooks-gpu-precreate.json', '50-ocihooks-libfabric.json'])
  fs.rmSync(path.join(hooksDir, f), { force: true });
// The relay filter (99-ocihooks-relay.json, podman's precreate stage) stays as install writes it.
const RELAY_FILE = '99-ocihooks-relay.json';
for (const f of fs.readdirSync(hooksDir).filter((f) => f !== RELAY_FILE)) {
  // One annotation activates all three hooks: mount (Slurm set), GPU (fake spec), ldconfig.
  const j = JSON.parse(fs.readFileSync(path.join(hooksDir, f), 'utf8'));
  j.when = { annotations: { '^bench$': '^all$' } };
  if (f.includes('gpu')) j.hook.args.push(`--cdi-spec-dir=${cdiDir}`, keptSpecs, '--device=nvidia.com/gpu=0');
  if (f.includes('slurm')) j.hook.args = j.hook.args.filter((a) => !a.includes('/run/munge'));
  j.hook.args.push(`--log-file=${path.join(scratch, 'podman-hooks.log')}`);
  fs.writeFileSync(path.join(hooksDir, f), JSON.stringify(j));
}
const podmanRootfs = path.join(scratch, 'podman-rootfs');
busyboxRootfs(podmanRootfs, true);
// The baseline: podman with an empty hooks folder (no hook, no filter at all).
const noHooksDir = path.join(scratch, 'no-hooks.d');
fs.mkdirSync(noHooksDir);
// The same three hooks without the relay filter: each stage's first hook starts Node inside runc's create.
const noRelayDir = path.join(scratch, 'hooks-no-relay.d');
fs.mkdirSync(noRelayDir);
for (const f of fs.readdirSync(hooksDir).filter((f) => f !== RELAY_FILE))
  fs.copyFileSync(path.join(hooksDir, f), path.join(noRelayDir, f));
const podmanArgs = (dir, annotation) =>
  podmanRunArgs({ hooksDir: dir, rootfs: podmanRootfs, annotations: annotation ? ['bench=all'] : [], args: ['true'] });
bench('podman+runc start, 3 hooks active', 'podman', podmanArgs(hooksDir, true), {
  baseline: ['podman', podmanArgs(noHooksDir, false)],
  baselineName: 'podman+runc start, no hooks',
  phases: false,
});
bench('podman+runc start, 3 hooks active, no relay filter', 'podman', podmanArgs(noRelayDir, true), {
  baseline: ['podman', podmanArgs(noHooksDir, false)],
  baselineName: 'podman+runc start, no hooks',
  phases: false,
});
bench(
  'podman+runc start, no hook matches (the relay filter passes the config through)',
  'podman',
  podmanArgs(hooksDir, false),
  {
    baseline: ['podman', podmanArgs(noHooksDir, false)],
    baselineName: 'podman+runc start, no hooks',
    phases: false,
  },
);

// ---- runc given a config.json with three of the installation's hooks: one Node start for the stage ----
// (bin/ocihook-* is the installed hook launcher: the first runs the run, the others return.)
{
  const runcRootfs = path.join(scratch, 'runc-rootfs');
  busyboxRootfs(runcRootfs, true);
  const runcBundle = (name, hooks) => {
    const b = path.join(scratch, name);
    fs.mkdirSync(b);
    execFileSync('/usr/sbin/runc', ['spec', '--bundle', b]);
    const spec = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    Object.assign(spec.process, { terminal: false, args: ['true'] });
    spec.root = { path: runcRootfs, readonly: false };
    if (hooks) spec.hooks = { createContainer: hooks };
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
    return b;
  };
  const hookLog = `--log-file=${path.join(scratch, 'runc-hooks.log')}`;
  const three = [
    { path: bin('ocihook-mount'), args: ['ocihook-mount', hookLog, ...slurm.slice(0, 10)] },
    {
      path: bin('ocihook-gpu'),
      args: [
        'ocihook-gpu',
        hookLog,
        `--cdi-spec-dir=${cdiDir}`,
        keptSpecs,
        '--device=nvidia.com/gpu=0',
        '--skip-cgroup',
      ],
    },
    { path: bin('ocihook-ldconfig'), args: ['ocihook-ldconfig', hookLog, `--ldconfig-path=${ldconfig}`] },
  ];
  const withHooks = runcBundle('runc-three', three);
  const without = runcBundle('runc-none');
  let n = 0;
  bench(
    'runc run, 3 of our hooks in config.json',
    '/usr/sbin/runc',
    ['run', '--bundle', withHooks, `bench-runc-${++n}`],
    {
      baseline: ['/usr/sbin/runc', ['run', '--bundle', without, `bench-runc-none-${n}`]],
      baselineName: 'runc run, no hooks',
      phases: false,
    },
  );
}

// ---- podman GPU containers with fake GPUs: the createContainer hook, and the precreate path ----
{
  const gpuHooks = path.join(scratch, 'gpu-hooks.d');
  fs.mkdirSync(gpuHooks);
  const gpuLog = `--log-file=${path.join(scratch, 'gpu-hooks.log')}`;
  const when = { annotations: { '^cdi\\.k8s\\.io/': '.' } };
  fs.copyFileSync(path.join(hooksDir, RELAY_FILE), path.join(gpuHooks, RELAY_FILE));
  fs.writeFileSync(
    path.join(gpuHooks, 'gpu.json'),
    JSON.stringify({
      version: '1.0.0',
      hook: {
        path: bin('ocihook-gpu'),
        args: ['ocihook-gpu', gpuLog, `--cdi-spec-dir=${cdiDir}`, keptSpecs, '--skip-cgroup'],
      },
      when,
      stages: ['createContainer'],
    }),
  );
  // The precreate path: the filter writes the device into config.json, and the spec's own
  // createContainer hooks (ocihook-gpu's NVIDIA subcommands, as `ocihooks cdi generate` writes them).
  const specHooksDir = path.join(scratch, 'cdi-spec-hooks');
  fs.mkdirSync(specHooksDir);
  const fake = JSON.parse(fs.readFileSync(path.join(cdiDir, 'fake.json'), 'utf8'));
  fake.containerEdits = {
    hooks: ['/l1', '/l2', '/l3'].map((link) => ({
      hookName: 'createContainer',
      path: bin('ocihook-gpu'),
      args: ['ocihook-gpu', 'create-symlinks', '--link', `/bin/busybox::${link}`],
    })),
  };
  fs.writeFileSync(path.join(specHooksDir, 'fake.json'), JSON.stringify(fake));
  const precreateHooks = path.join(scratch, 'precreate-hooks.d');
  fs.mkdirSync(precreateHooks);
  fs.writeFileSync(
    path.join(precreateHooks, 'gpu-precreate.json'),
    JSON.stringify({
      version: '1.0.0',
      hook: {
        path: bin('ocihook-gpu'),
        args: ['ocihook-gpu', 'precreate', gpuLog, `--cdi-spec-dir=${specHooksDir}`, keptSpecs],
      },
      when,
      stages: ['precreate'],
    }),
  );
  // Both GPU files as install names them (the filter, the createContainer hook reading the same
  // specs) and the relay filter after them: the GPU filter leaves out the createContainer hook it
  // leaves nothing to do.
  const installedGpuHooks = path.join(scratch, 'installed-gpu-hooks.d');
  fs.mkdirSync(installedGpuHooks);
  fs.copyFileSync(path.join(hooksDir, RELAY_FILE), path.join(installedGpuHooks, RELAY_FILE));
  fs.copyFileSync(
    path.join(precreateHooks, 'gpu-precreate.json'),
    path.join(installedGpuHooks, '50-ocihooks-gpu-precreate.json'),
  );
  fs.writeFileSync(
    path.join(installedGpuHooks, '60-ocihooks-gpu.json'),
    JSON.stringify({
      version: '1.0.0',
      hook: { path: bin('ocihook-gpu'), args: ['ocihook-gpu', gpuLog, `--cdi-spec-dir=${specHooksDir}`, keptSpecs] },
      when,
      stages: ['createContainer'],
    }),
  );
  const gpuRootfs = path.join(scratch, 'gpu-podman-rootfs');
  busyboxRootfs(gpuRootfs, true);
  const podmanGpu = (hooksDirArg, annotation) =>
    podmanRunArgs({
      hooksDir: hooksDirArg,
      rootfs: gpuRootfs,
      annotations: annotation ? ['cdi.k8s.io/bench=nvidia.com/gpu=0'] : [],
      args: ['true'],
    });
  bench('podman+runc GPU container (createContainer hook, fake GPU)', 'podman', podmanGpu(gpuHooks, true), {
    baseline: ['podman', podmanGpu(noHooksDir, false)],
    baselineName: 'podman+runc start, no hooks',
    phases: false,
  });
  bench('podman+runc GPU container (precreate + 3 spec hooks, fake GPU)', 'podman', podmanGpu(precreateHooks, true), {
    baseline: ['podman', podmanGpu(noHooksDir, false)],
    baselineName: 'podman+runc start, no hooks',
    phases: false,
  });
  bench(
    'podman+runc GPU container (both installed GPU files: precreate + createContainer hook, fake GPU)',
    'podman',
    podmanGpu(installedGpuHooks, true),
    {
      baseline: ['podman', podmanGpu(precreateHooks, true)],
      baselineName: 'podman+runc GPU container (precreate + 3 spec hooks, fake GPU)',
      phases: false,
    },
  );
}

bench('ocihook-mount --version', bin('ocihook-mount'), ['--version'], { phases: false });

// ---- the runtime wrapper: a pass-through call, which needs none of its code (issue 19's target: 1.1x) ----
// `runc state` of a running container, called as docker and containerd call it: no options of
// ours, the settings from the runtime config file (as install writes it), which the front-end reads.
if (!only || only.test('runc state') || only.test('Slurm query')) {
  // The root as --root-per-user finds it for root (Slurm's end-of-step calls): users/<uid>/runc.
  const runcRoot = path.join(scratch, 'users', '0', 'runc');
  const stateBundle = path.join(scratch, 'state-bundle');
  busyboxRootfs(path.join(stateBundle, 'rootfs'));
  fs.symlinkSync('busybox', path.join(stateBundle, 'rootfs', 'bin', 'sleep'));
  execFileSync('/usr/sbin/runc', ['spec', '--bundle', stateBundle]);
  const spec = JSON.parse(fs.readFileSync(path.join(stateBundle, 'config.json'), 'utf8'));
  Object.assign(spec.process, { terminal: false, args: ['sleep', '3600'] });
  fs.writeFileSync(path.join(stateBundle, 'config.json'), JSON.stringify(spec));
  execFileSync('/usr/sbin/runc', ['--root', runcRoot, 'run', '-d', '--bundle', stateBundle, 'bench-state'], {
    stdio: 'ignore',
  });
  const passConfig = path.join(scratch, 'pass-through.json');
  fs.writeFileSync(passConfig, JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir] }, null, 2) + '\n');
  try {
    const state = ['--root', runcRoot, 'state', 'bench-state'];
    bench('ocihooks-runtime: runc state (pass-through)', bin('ocihooks-runtime'), state, {
      baseline: ['/usr/sbin/runc', state],
      baselineName: 'runc state',
      phases: false,
      env: { OCIHOOKS_RUNTIME_CONFIG: passConfig },
    });
    // Slurm's RunTimeQuery line: the front-end finds whose root holds the container.
    const perUser = ['--root-per-user', path.join(scratch, 'users', '%U', 'runc'), '--', 'state', 'bench-state'];
    bench('ocihooks-runtime: --root-per-user state (Slurm query)', bin('ocihooks-runtime'), perUser, {
      baseline: ['/usr/sbin/runc', state],
      baselineName: 'runc state',
      phases: false,
      env: { OCIHOOKS_RUNTIME_CONFIG: passConfig },
    });
  } finally {
    spawnSync('/usr/sbin/runc', ['--root', runcRoot, 'delete', '--force', 'bench-state'], { stdio: 'ignore' });
  }
}

// ---- docker and containerd through the wrapper (issue 19's targets: docker run 1.35x, ctr run 1.6x, stop and exec 1.1x) ----
if (
  fs.existsSync('/usr/sbin/dockerd') &&
  fs.existsSync('/usr/bin/containerd') &&
  (!only || ['docker run', 'ctr run', 'docker exec', 'docker stop'].some((n) => only.test(n)))
) {
  // The wrapper's no-match index goes under the engines' folder (engines.cjs sets OCIHOOKS_RUNTIME_INDEX).
  const runtimeConfig = path.join(scratch, 'runtime.json');
  // As install writes it: one field per line, which the front-end reads. BENCH_SERVE_HOOKS=0: the
  // wrapper does not serve the hooks (each stage starts its own Node), for comparison.
  const serve = process.env.BENCH_SERVE_HOOKS === '0' ? { serveHooks: false } : {};
  fs.writeFileSync(runtimeConfig, JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], ...serve }, null, 2));
  const engineDir = path.join(scratch, 'engines');
  fs.mkdirSync(engineDir);
  const engineRootfs = path.join(scratch, 'engine-rootfs');
  busyboxRootfs(engineRootfs);
  fs.symlinkSync('busybox', path.join(engineRootfs, 'bin', 'sleep'));
  const { startEngines } = await import('../test/support/engines.cjs');
  const engines = startEngines(engineDir, {
    runtimeConfig,
    runtimes: {
      ocihooks: { path: bin('ocihooks-runtime') },
      'ocihooks-bench': { path: bin('ocihooks-runtime'), runtimeArgs: ['--annotation', 'bench=all'] },
    },
    rootfs: engineRootfs,
    image: 'ocihooks-bench',
  });
  try {
    const [docker, dockerArgs] = engines.docker;
    const dockerRun = (runtime) => [
      ...dockerArgs,
      'run',
      '--rm',
      '--network',
      'none',
      '--runtime',
      runtime,
      'ocihooks-bench',
      '/bin/true',
    ];
    // No hooks.d file matches a container docker gives no annotations: the front-end's no-match index path.
    bench('docker run --rm true, through the wrapper', docker, dockerRun('ocihooks'), {
      baseline: [docker, dockerRun('runc')],
      baselineName: 'docker run with runc',
      phases: false,
    });
    // The same, with the bench's three hooks applied (runtimeArgs annotation): the wrapper in Node, and the hooks.
    bench('docker run --rm true, wrapper applying 3 hooks', docker, dockerRun('ocihooks-bench'), {
      baseline: [docker, dockerRun('runc')],
      baselineName: 'docker run with runc',
      phases: false,
    });
    const [ctr, ctrArgs] = engines.ctr;
    let n = 0;
    const ctrRun = (binary) => [
      ...ctrArgs,
      'run',
      '--rm',
      '--rootfs',
      '--runc-binary',
      binary,
      engineRootfs,
      `bench-${++n}`,
      '/bin/true',
    ];
    bench('ctr run --rm true, through the wrapper', ctr, ctrRun(bin('ocihooks-runtime')), {
      baseline: [ctr, ctrRun('/usr/sbin/runc')],
      baselineName: 'ctr run with runc',
      phases: false,
    });
    const started = (runtime) =>
      execFileSync(docker, [
        ...dockerArgs,
        'run',
        '-d',
        '--network',
        'none',
        '--runtime',
        runtime,
        'ocihooks-bench',
        '/bin/sleep',
        '3600',
      ])
        .toString()
        .trim();
    const wrapped = started('ocihooks');
    const plain = started('runc');
    bench('docker exec true, through the wrapper', docker, [...dockerArgs, 'exec', wrapped, '/bin/true'], {
      baseline: [docker, [...dockerArgs, 'exec', plain, '/bin/true']],
      baselineName: 'docker exec with runc',
      phases: false,
    });
    const startBoth = () => execFileSync(docker, [...dockerArgs, 'start', wrapped, plain], { stdio: 'ignore' });
    bench('docker stop -t 0, through the wrapper', docker, [...dockerArgs, 'stop', '-t', '0', wrapped], {
      before: startBoth,
      baseline: [docker, [...dockerArgs, 'stop', '-t', '0', plain]],
      baselineName: 'docker stop with runc',
      phases: false,
    });
    execFileSync(docker, [...dockerArgs, 'rm', '-f', wrapped, plain], { stdio: 'ignore' });
  } finally {
    engines.stop();
  }
}

// ---- report ----
const byName = Object.fromEntries(results.map((r) => [r.name, r]));
const lines = [
  '| what | median ms | baseline (interleaved) | baseline ms | ratio | p10 ratio | peak RSS MiB |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
];
for (const r of results) {
  lines.push(
    `| ${r.name} | ${r.medianMs.toFixed(1)} | ${r.baseline} | ${r.baselineMs.toFixed(1)} | ${r.ratio.toFixed(2)}x | ${r.p10Ratio.toFixed(2)}x | ${/^(podman|docker|ctr)/.test(r.name) ? '-' : r.peakRssMiB.toFixed(1)} |`,
  );
}
const phaseNames = [...new Set(results.flatMap((r) => Object.keys(r.phasesMedianMs ?? {})))];
if (phaseNames.length) {
  lines.push(
    '',
    'Where a hook run goes (median ms per phase, OCIHOOKS_TIMINGS=1; "node" is node\'s own start before the launcher runs, "own" the sum of the rest):',
    '',
  );
  lines.push(`| what | ${phaseNames.join(' | ')} | own |`, `| --- |${' ---: |'.repeat(phaseNames.length + 1)}`);
}
for (const r of results.filter((x) => x.phasesMedianMs)) {
  const own = Object.entries(r.phasesMedianMs)
    .filter(([p]) => p !== 'node')
    .reduce((a, [, ms]) => a + ms, 0);
  lines.push(
    `| ${r.name} | ${phaseNames.map((p) => (r.phasesMedianMs[p] === undefined ? '-' : r.phasesMedianMs[p].toFixed(1))).join(' | ')} | ${own.toFixed(1)} |`,
  );
}
const m1000to40 = byName['mount hook, 1000 mounts (against 40 mounts)'];
if (m1000to40)
  lines.push(
    '',
    `1000 mounts / 40 mounts (interleaved): ${m1000to40.ratio.toFixed(2)}x (p10: ${m1000to40.p10Ratio.toFixed(2)}x)`,
  );
const cpu = (os.cpus()[0]?.model ?? 'unknown cpu').trim();
const machine = `${os.hostname()}: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${os.release()}, node ${process.version}`;
console.log(
  `\nMachine: ${machine}\nRuns: median (and 10th percentile) of ${RUNS} after ${WARMUP} warm-up; each run interleaved with a run of its baseline\n`,
);
console.log(lines.join('\n'));
const outDir = path.join(root, 'bench', 'results');
fs.mkdirSync(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
fs.writeFileSync(
  path.join(outDir, `${stamp}.json`),
  JSON.stringify(
    {
      machine,
      runs: RUNS,
      warmup: WARMUP,
      results,
      ratio1000to40: m1000to40 ? m1000to40.ratio : null,
    },
    null,
    2,
  ),
);
spawnSync('umount', ['-R', '-l', scratch], { stdio: 'ignore' });
fs.rmSync(scratch, { recursive: true, force: true });
