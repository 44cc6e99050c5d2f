/**
 * End-to-end helpers: busybox rootfs, OCI bundles, and real containers under runc, crun and
 * podman. Tools are installed by scripts/ensure-deps.mjs (run by `npm test`); a missing tool
 * makes the test fail with the reason, never skip.
 */
import { SpawnSyncReturns, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = (name: string) => path.join(ROOT, 'dist', 'bin', name);
export const RUNC = '/usr/sbin/runc';

/**
 * The form an e2e installs in: the default (the hook launcher; a run of the installation's hooks
 * in one process), or with OCIHOOKS_E2E_HOOKS=one-process-per-hook each hook a Node start of its
 * own (jest's e2e-one-process-per-hook project runs the installing suites so).
 */
export function installForm(): string[] {
  return process.env.OCIHOOKS_E2E_HOOKS === 'one-process-per-hook' ? ['--one-process-per-hook'] : [];
}

/** `ocihooks install` of the built tree into `prefix`, its hooks.d files into `hooksDir`, no runtime config. */
export function installOcihooks(prefix: string, hooksDir: string, extra: string[] = []): void {
  ok(process.execPath, [
    BIN('ocihooks'),
    'install',
    '--prefix',
    prefix,
    '--hooks-dir',
    hooksDir,
    '--runtime-config',
    'none',
    ...extra,
  ]);
}

export function requireTool(cmd: string): string {
  const found = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => path.join(d, cmd)).find((p) => fs.existsSync(p));
  if (!found)
    throw new Error(
      `${cmd} is not installed: run "npm test" (scripts/ensure-deps.mjs installs it) or apt-get install it`,
    );
  return found;
}

export function requireBuilt(): void {
  for (const name of ['ocihook-mount', 'ocihook-ldconfig']) {
    if (!fs.existsSync(BIN(name))) throw new Error(`${BIN(name)} is missing: run "npm run build" first`);
  }
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Run {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 60_000,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and insists on exit 0, with stderr in the failure message. */
export function ok(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

const APPLETS = [
  'sh',
  'cat',
  'ls',
  'touch',
  'test',
  'stat',
  'echo',
  'sleep',
  'mkdir',
  'grep',
  'head',
  'dd',
  'printf',
  'true',
  'false',
  'readlink',
  'id',
  'wc',
  'env',
];

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ocihooks-${prefix}-`));
}

/** A static busybox with a few applets: enough of a rootfs for runc, crun and `podman --rootfs`. */
export function makeBusyboxRootfs(dir: string): string {
  const busybox = requireTool('busybox');
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(busybox, path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(bin, a));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'opt']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return dir;
}

/** A busybox rootfs plus the host's dynamic loader and libc at their Debian paths. */
export function makeGlibcRootfs(dir: string): string {
  const rootfs = makeBusyboxRootfs(dir);
  for (const lib of ['/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/libc.so.6']) {
    const dst = path.join(rootfs, lib);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dst);
  }
  fs.mkdirSync(path.join(rootfs, 'etc', 'ld.so.conf.d'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'etc', 'ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  fs.writeFileSync(
    path.join(rootfs, 'etc', 'ld.so.conf.d', 'x86_64-linux-gnu.conf'),
    '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n',
  );
  // The image's own linker cache, as an image build leaves it (the hooks never change it).
  const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p));
  if (ldconfig) execFileSync(ldconfig, ['-r', rootfs]);
  return rootfs;
}

export interface HookSpec {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface BundleOptions {
  args: string[];
  hooks?: { createContainer?: HookSpec[]; prestart?: HookSpec[]; createRuntime?: HookSpec[] };
  annotations?: Record<string, string>;
  env?: string[];
  devices?: unknown[];
}

/** An OCI bundle from `runc spec`, writable rootfs, no terminal, the given process and hooks. */
export function makeBundle(bundle: string, rootfs: string, opts: BundleOptions): string {
  fs.mkdirSync(bundle, { recursive: true });
  ok(RUNC, ['spec', '--bundle', bundle]);
  const configPath = path.join(bundle, 'config.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  config.root = { path: rootfs, readonly: false };
  config.process.terminal = false;
  config.process.args = opts.args;
  if (opts.env) config.process.env = [...config.process.env, ...opts.env];
  if (opts.hooks) config.hooks = opts.hooks;
  if (opts.annotations) config.annotations = opts.annotations;
  if (opts.devices) config.linux.resources.devices = [...config.linux.resources.devices, ...opts.devices];
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  return bundle;
}

let counter = 0;
export function containerId(prefix: string): string {
  return `ocihooks-${prefix}-${process.pid}-${++counter}`;
}

/** Starts a detached runc container; its stdio goes nowhere (runc hands ours to the container otherwise). */
export function runcRunDetached(bundle: string, id: string): void {
  const r = spawnSync(RUNC, ['run', '--detach', '--bundle', bundle, id], {
    stdio: 'ignore',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  if (r.error || r.status !== 0)
    throw new Error(`runc run --detach ${id} failed: ${r.error?.message ?? `exit ${r.status}`}`);
}

export function runcRun(bundle: string, id: string): Run {
  return run(RUNC, ['run', '--bundle', bundle, id], { timeoutMs: 60_000 });
}

/**
 * crun refuses the hybrid cgroup layout: a command that runs crun, in a private mount namespace
 * without the v2 mount.
 */
export function withoutHybridCgroups(argv: string[], opts: Parameters<typeof run>[2] = {}): Run {
  requireTool('crun');
  const script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"';
  return run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], {
    timeoutMs: 60_000,
    ...opts,
  });
}

export function crunRun(bundle: string, id: string): Run {
  return withoutHybridCgroups(['crun', 'run', '--bundle', bundle, id]);
}

export interface PodmanOptions {
  rootfs: string;
  args: string[];
  hooksDir?: string;
  annotations?: Record<string, string>;
  env?: string[];
  detach?: boolean;
  name?: string;
  runtime?: 'runc' | 'crun';
  extra?: string[];
}

export function podmanArgs(o: PodmanOptions): string[] {
  const args = ['--runtime', o.runtime ?? 'runc'];
  if (o.hooksDir) args.push('--hooks-dir', o.hooksDir);
  args.push('run', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none');
  args.push(o.detach ? '-d' : '--rm');
  if (o.name) args.push('--name', o.name);
  for (const [k, v] of Object.entries(o.annotations ?? {})) args.push('--annotation', `${k}=${v}`);
  for (const e of o.env ?? []) args.push('--env', e);
  args.push(...(o.extra ?? []), '--rootfs', o.rootfs, ...o.args);
  return args;
}

export function podmanRun(o: PodmanOptions): Run {
  return run(requireTool('podman'), podmanArgs(o), { timeoutMs: 90_000 });
}

/** A hooks.d 1.0.0 entry injecting `hook` when annotation key=value is set (exact match). */
export function onAnnotation(hook: HookSpec, key: string, value = 'true', stages = ['createContainer']): object {
  const exact = (s: string) => `^${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
  return { version: '1.0.0', hook, when: { annotations: { [exact(key)]: exact(value) } }, stages };
}

/** A log file's JSON records, one per line; none when it is not there. */
export function logRecords<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** Writes a hooks.d file (schema 1.0.0). */
export function writeHooksD(dir: string, name: string, content: object): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

/** podman's own storage and runtime mounts come and go with its containers; they are not ours. */
const PODMAN_OWNED = /^\/(var\/lib\/containers|run\/containers|run\/netns|run\/user)\//;

/** Mount points of the host's mount namespace (of this test process), for before/after comparison. */
export function hostMountPoints(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4] as string)
    .filter((p) => !PODMAN_OWNED.test(p + '/'))
    .sort();
}

export function stateFile(dir: string, state: object): string {
  const file = path.join(dir, `state-${++counter}.json`);
  fs.writeFileSync(file, JSON.stringify(state));
  return file;
}

export function runcState(id: string): { pid: number; bundle: string; status: string } {
  return JSON.parse(ok(RUNC, ['state', id]));
}

export function runcDelete(id: string): void {
  run(RUNC, ['delete', '--force', id]);
}

export interface RunningContainer {
  id: string;
  bundle: string;
  /** A state file naming the container's host pid, as a person running a hook by hand writes it. */
  state: string;
}

/** Runs fn against a detached runc container (`sleep 600` in rootfs), deleted afterwards. */
export async function withRunningRunc<T>(
  dir: string,
  rootfs: string,
  prefix: string,
  fn: (c: RunningContainer) => T | Promise<T>,
): Promise<T> {
  const id = containerId(prefix);
  const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, { args: ['sleep', '600'] });
  runcRunDetached(bundle, id);
  try {
    const state = stateFile(dir, { ociVersion: '1.0.2', id, status: 'running', pid: runcState(id).pid, bundle });
    return await fn({ id, bundle, state });
  } finally {
    runcDelete(id);
  }
}
