/**
 * V8 code caches for the launchers (see scripts/build.mjs): a launcher compiles its bundle with
 * dist/lib/<program>.<build id>.cache and, when OCIHOOKS_WRITE_CODE_CACHE=1, writes the cache
 * back at exit with every function that ran. So the cache holds what its training runs executed.
 *
 * Training runs here are the hooks' own work in --dry-run on a scratch container (arguments,
 * state, config, location, planning, logging), not `--version`: a cache trained on --version held
 * yargs' help machinery that no hook run uses, and missed the planning code every run uses
 * (measured: 15 M fewer instructions per hook start with the trained cache). The mount hook's
 * bind mounts are also applied for real when the installer is root, in a private mount namespace
 * of their own (`unshare`) that ends with the run: the apply steps are then in the cache too
 * instead of compiling on first use in every hook run. Devices, cgroups and ldconfig are not
 * applied in training (they would touch the installer's own cgroup and files).
 */
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { HOST_PROGRAM_DIRS, findHostProgram } from '../linux/programs';

/**
 * The bundles in <prefix>/lib (scripts/build.mjs writes them from src/cmd/bundles/), each with the
 * programs whose launchers start it; lib/<bundle>.<build id>.<program>.cache is a program's cache.
 */
export type Bundles = Readonly<Record<string, readonly string[]>>;

/** Every program of the bundles. */
export function programsOf(bundles: Bundles): string[] {
  return Object.values(bundles).flat();
}

/** The bundle whose launcher `program` is. */
export function bundleOf(bundles: Bundles, program: string): string {
  const bundle = Object.keys(bundles).find((b) => bundles[b]?.includes(program));
  if (bundle === undefined) throw new Error(`${program}: in no bundle (${Object.keys(bundles).join(', ')})`);
  return bundle;
}

interface TrainingRun {
  args: string[];
  /** stdin of the run (precreate reads config.json there) */
  input?: string;
  /**
   * Applies for real: the run is started in a mount namespace of its own in which this rootfs is
   * bound onto itself (a container's rootfs is a mount point); only as root, and a failure of it
   * leaves the cache of the runs before it.
   */
  applyIn?: string;
}

/** What each program runs to fill its cache; `scratch` holds a container made by makeScratch. */
function trainingRuns(program: string, scratch: string, prefix: string): TrainingRun[] {
  const state = path.join(scratch, 'state.json');
  const log = `--log-file=${path.join(scratch, 'training.log')}`;
  const common = ['--state-file', state, '--dry-run', '--log-level=info', log];
  // The specs kept decoded in a folder of the scratch's (hook/decoded-cache.ts; as root only): the
  // first run that is no dry run (precreate, the wrapper's filter) keeps the spec, and the runs
  // after it read the kept form, as every GPU start after a spec's first does.
  const cdi = [
    `--cdi-spec-dir=${path.join(scratch, 'cdi')}`,
    `--cdi-cache-dir=${path.join(scratch, 'kept-specs')}`,
    '--device=example.com/gpu=0',
    '--device=example.com/gpu=1',
  ];
  const binds = [
    `--mount=type=bind,src=${path.join(scratch, 'lib.so')},dst=/usr/lib/host/lib.so,readonly`,
    `--mount=type=bind,source=${path.join(scratch, 'cdi')},destination=/opt/host`,
  ];
  const rootfs = path.join(scratch, 'bundle', 'rootfs');
  const hooks = {
    mount: [...common, ...binds, '--device=/dev/null:/dev/host-null:rw'],
    mountApplied: [...common.filter((a) => a !== '--dry-run'), ...binds],
    ldconfig: [...common, '--folder=/opt'],
    gpu: [...common, ...cdi],
    // NVIDIA's `nvidia-ctk cdi generate` writes YAML: the yaml library's own cache
    // (src/cmd/vendored-loader.ts) is trained on reading one, decoded here (never the kept form).
    gpuYaml: [
      ...common,
      `--cdi-spec-dir=${path.join(scratch, 'cdi-yaml')}`,
      '--cdi-cache-dir=none',
      '--device=example.com/gpu=0',
    ],
  };
  // The wrapper and the GPU precreate filter run the first stages' hooks themselves, served
  // (src/hook/server/): their caches are trained on a chain of the hooks too.
  const chain = (...runs: [string, string[]][]) =>
    `--ocihooks-chain=${JSON.stringify(runs.map(([p, args]) => ({ program: p, args: [p, ...args] })))}`;
  const servedHooks: TrainingRun[] = [
    {
      args: [chain(['ocihook-mount', hooks.mount], ['ocihook-ldconfig', hooks.ldconfig], ['ocihook-gpu', hooks.gpu])],
    },
    { args: [chain(['ocihook-mount', hooks.mountApplied])], applyIn: rootfs },
  ];
  switch (program) {
    case 'ocihook-mount':
      return [{ args: hooks.mount }, { args: hooks.mountApplied, applyIn: rootfs }];
    case 'ocihook-ldconfig':
      return [{ args: hooks.ldconfig }];
    case 'ocihook-gpu':
      return [
        {
          args: ['precreate', ...cdi.slice(0, 3), '--log-level=info', log],
          input: fs.readFileSync(path.join(scratch, 'bundle', 'config.json'), 'utf8'),
        },
        { args: hooks.gpu },
        { args: hooks.gpuYaml },
        ...servedHooks,
      ];
    case 'ocihooks-runtime': {
      // create reads hooks.d and matches its patterns and runs the installation's GPU precreate
      // filter in its own process; /bin/true stands in for the runtime it then becomes.
      const hooksDir = path.join(scratch, 'hooks.d');
      const gpu = {
        path: path.join(prefix, 'bin', 'ocihook-gpu'),
        args: ['ocihook-gpu', 'precreate', ...cdi, log],
      };
      fs.writeFileSync(
        path.join(hooksDir, 'train-gpu-precreate.json'),
        JSON.stringify({
          version: '1.0.0',
          hook: gpu,
          when: { annotations: { '^com\\.example\\.train$': '^true$' } },
          stages: ['precreate'],
        }),
      );
      return [
        {
          args: [
            '--runtime',
            '/bin/true',
            '--hooks-dir',
            hooksDir,
            '--annotation',
            'com.example.train=true',
            log,
            '--',
            'create',
            '--bundle',
            path.join(scratch, 'runtime-bundle'),
            'ocihooks-code-cache',
          ],
        },
        ...servedHooks,
      ];
    }
    default:
      return [{ args: ['--version'] }];
  }
}

/** sh -c script: binds $1 onto itself, then runs the rest of its arguments. */
const BIND_AND_RUN = 'mount --bind "$1" "$1" && shift && exec "$@"';

/** A container that needs no privilege to plan for: bundle, state, a host file, a CDI spec, a hooks.d. */
function makeScratch(): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-code-cache-'));
  const bundle = path.join(scratch, 'bundle');
  for (const d of ['bin', 'etc', 'dev', 'proc', 'opt', 'usr/lib'])
    fs.mkdirSync(path.join(bundle, 'rootfs', d), { recursive: true });
  const config = {
    ociVersion: '1.0.2',
    root: { path: 'rootfs' },
    process: { args: ['sh'], env: ['PATH=/bin', 'NVIDIA_VISIBLE_DEVICES=void'] },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } },
  };
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
  fs.mkdirSync(path.join(scratch, 'runtime-bundle'));
  fs.writeFileSync(
    path.join(scratch, 'runtime-bundle', 'config.json'),
    JSON.stringify({ ...config, root: { path: path.join(bundle, 'rootfs') } }),
  );
  fs.mkdirSync(path.join(scratch, 'hooks.d'));
  // Patterns as the shipped hooks.d files write them: plain literals, which match without re2js
  // (src/hooksd/literal-pattern.ts), so that the wrapper's cache holds no re2js for the usual run.
  const when = { annotations: { '^com\\.example\\.train$': '^true$' } };
  fs.writeFileSync(
    path.join(scratch, 'hooks.d', 'train.json'),
    JSON.stringify({
      version: '1.0.0',
      hook: { path: '/bin/true', args: ['true'] },
      when,
      stages: ['createContainer'],
    }),
  );
  fs.writeFileSync(
    path.join(scratch, 'state.json'),
    JSON.stringify({
      ociVersion: '1.0.2',
      id: 'ocihooks-code-cache',
      status: 'created',
      pid: 0,
      bundle,
      annotations: {},
    }),
  );
  fs.writeFileSync(path.join(scratch, 'lib.so'), '');
  fs.mkdirSync(path.join(scratch, 'cdi'));
  const devices = ['0', '1'].map((name) => ({
    name,
    containerEdits: { deviceNodes: [{ path: `/dev/example${name}`, hostPath: '/dev/null' }] },
  }));
  fs.writeFileSync(
    path.join(scratch, 'cdi', 'example.json'),
    JSON.stringify({ cdiVersion: '0.6.0', kind: 'example.com/gpu', devices, containerEdits: { env: ['EXAMPLE=1'] } }),
  );
  // The same spec in YAML, in the layout nvidia-ctk writes (block collections, quoted strings where needed).
  fs.mkdirSync(path.join(scratch, 'cdi-yaml'));
  fs.writeFileSync(
    path.join(scratch, 'cdi-yaml', 'example.yaml'),
    [
      'cdiVersion: 0.6.0',
      'kind: example.com/gpu',
      'devices:',
      ...devices.flatMap((d) => [
        `- name: "${d.name}"`,
        '  containerEdits:',
        '    deviceNodes:',
        ...d.containerEdits.deviceNodes.map((n) => `    - path: ${n.path}\n      hostPath: ${n.hostPath}`),
      ]),
      'containerEdits:',
      '  env:',
      '  - EXAMPLE=1',
      '  hooks:',
      '  - hookName: createContainer',
      '    path: /bin/true',
      '    args:',
      '    - /bin/true',
      '    - --flag',
      '',
    ].join('\n'),
  );
  return scratch;
}

export interface CodeCacheReport {
  written: string[];
  problems: string[];
}

/**
 * Rewrites the code caches of the bundles' programs under `prefix` (bin/ launchers, lib/ bundles):
 * old caches go (those of an earlier bundle too), then each program's training runs write the new
 * one. A training run may exit non-zero (a dry run outside any container) as long as it wrote its
 * cache.
 */
export function writeCodeCaches(prefix: string, bundles: Bundles): CodeCacheReport {
  const report: CodeCacheReport = { written: [], problems: [] };
  const libDir = path.join(prefix, 'lib');
  const cachesOf = (p: string, bundle?: string) =>
    fs
      .readdirSync(libDir)
      .filter((f) => f.endsWith(`.${p}.cache`) && (bundle === undefined || f.startsWith(`${bundle.slice(0, -3)}.`)));
  // The libraries' own caches (src/cmd/vendored-loader.ts), written by the programs' runs that load them.
  const libraries = Object.keys(bundles).filter((b) => bundles[b]?.length === 0);
  const libraryCaches = () =>
    fs
      .readdirSync(libDir)
      .filter((f) => f.endsWith('.cache') && libraries.some((b) => f.startsWith(`${b.slice(0, -3)}.`)));
  for (const old of libraryCaches()) fs.unlinkSync(path.join(libDir, old));
  const scratch = makeScratch();
  try {
    for (const p of programsOf(bundles)) {
      for (const old of cachesOf(p)) fs.unlinkSync(path.join(libDir, old));
      for (const run of trainingRuns(p, scratch, prefix)) {
        const launcher = path.join(prefix, 'bin', p);
        let cmd = launcher;
        let args = run.args;
        let env: NodeJS.ProcessEnv = { OCIHOOKS_WRITE_CODE_CACHE: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' };
        if (run.applyIn !== undefined) {
          // Only as root, with the host's unshare and sh (the fixed folders, never PATH's).
          const [unshare, sh] = [findHostProgram('unshare'), findHostProgram('sh')];
          if (process.getuid?.() !== 0 || !unshare || !sh) continue;
          cmd = unshare;
          args = ['--mount', '--propagation', 'private', sh, '-c', BIND_AND_RUN, 'sh', run.applyIn, launcher, ...args];
          env = { ...env, PATH: HOST_PROGRAM_DIRS.join(':') };
        }
        const r = spawnSync(cmd, args, {
          env,
          input: run.input ?? '',
          stdio: ['pipe', 'ignore', 'ignore'],
          timeout: 30_000,
        });
        if (run.applyIn === undefined && (r.error || r.signal))
          report.problems.push(
            `${path.join(prefix, 'bin', p)}: code cache training run failed: ${r.error?.message ?? r.signal}`,
          );
      }
      const cache = cachesOf(p, bundleOf(bundles, p))[0];
      if (cache) report.written.push(path.join(libDir, cache));
      else report.problems.push(`${path.join(prefix, 'bin', p)}: wrote no code cache`);
    }
    for (const cache of libraryCaches()) report.written.push(path.join(libDir, cache));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return report;
}
