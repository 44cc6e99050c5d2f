/**
 * A Debian root (debian-root.ts) running: one holder process in a private mount, network and UTS
 * namespace whose root is an overlay of the cached root (writes go to the session's folder and
 * vanish with it), with a /proc, a /sys, a /dev of its own (the usual nodes plus the test's fake
 * devices), /run and /tmp as tmpfs, the host's cgroup mounts, and the host paths the test names
 * (our build, node, the test's folder) bound at the same paths. Its network is a veth pair inside
 * the namespace with one address (Slurm wants an address that is not loopback), reachable from
 * nowhere else. Commands run in it through nsenter; stop() ends every process of the namespace by
 * pid, then the holder, and removes the session's folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebianRoot } from './debian-root';
import { type Run, run } from './e2e';
import { alive, signal as signalPid } from './pids.cjs';

export interface DebianSessionOptions {
  /** The session's own folder on the host (overlay layers); removed at stop. */
  work: string;
  hostname: string;
  /** The namespace's one address, with its prefix length ("10.78.0.1/24"). */
  address: string;
  /** Host paths (folders or files) bound at the same path inside; `readonly` ones read-only. */
  binds: { path: string; readonly?: boolean }[];
  /** Character devices made in the session's /dev, beside the usual ones (fake GPUs). */
  devices?: { name: string; major: number; minor: number }[];
}

export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  cwd?: string;
}

export interface DebianSession {
  root: DebianRoot;
  /** The holder's pid; /proc/<pid>/root is the session's root. */
  pid: number;
  /** A host path for a path inside the session (to read and write its files from the test). */
  file(inside: string): string;
  /** Runs a command inside, as root or `user`, with a clean environment plus `env`. */
  exec(cmd: string, args: string[], o?: ExecOptions & { timeoutMs?: number; input?: string }): Run;
  /** The same, not waited for (stdout and stderr piped). */
  spawn(cmd: string, args: string[], o?: ExecOptions): ChildProcess;
  /** Pids of the processes in the session, the holder left out. */
  processes(): number[];
  stop(): void;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const USUAL_DEVICES = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
  ['fuse', 10, 229],
] as const;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell script the holder runs: the mounts, the network, then pivot_root into the overlay. */
function holderScript(root: DebianRoot, o: DebianSessionOptions): string {
  const m = path.join(o.work, 'merged');
  const lines = [
    'set -e',
    `mount -t overlay overlay -o ${q(`lowerdir=${root.dir},upperdir=${o.work}/upper,workdir=${o.work}/overlay-work`)} ${q(m)}`,
    `mount -t proc proc ${q(`${m}/proc`)}`,
    `mount -t sysfs sysfs ${q(`${m}/sys`)}`,
    `mount --rbind /sys/fs/cgroup ${q(`${m}/sys/fs/cgroup`)}`,
    `mount -t tmpfs -o mode=755 tmpfs ${q(`${m}/dev`)}`,
    ...[...USUAL_DEVICES, ...(o.devices ?? []).map((d) => [d.name, d.major, d.minor] as const)].map(
      ([name, major, minor]) => `mknod -m 666 ${q(`${m}/dev/${name}`)} c ${major} ${minor}`,
    ),
    `mkdir ${q(`${m}/dev/pts`)} ${q(`${m}/dev/shm`)} ${q(`${m}/dev/mqueue`)}`,
    `mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts ${q(`${m}/dev/pts`)}`,
    `ln -s pts/ptmx ${q(`${m}/dev/ptmx`)}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${q(`${m}/dev/shm`)}`,
    `mount -t mqueue mqueue ${q(`${m}/dev/mqueue`)}`,
    `mount -t tmpfs -o mode=755 tmpfs ${q(`${m}/run`)}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${q(`${m}/tmp`)}`,
    ...o.binds.flatMap((b) => {
      const target = `${m}${b.path}`;
      const make = fs.statSync(b.path).isDirectory()
        ? `mkdir -p ${q(target)}`
        : `mkdir -p ${q(path.dirname(target))} && touch ${q(target)}`;
      return [
        make,
        `mount --rbind ${q(b.path)} ${q(target)}`,
        ...(b.readonly ? [`mount -o remount,bind,ro ${q(target)}`] : []),
      ];
    }),
    `hostname ${q(o.hostname)}`,
    'ip link set lo up',
    'ip link add oc0 type veth peer name oc1',
    `ip addr add ${q(o.address)} dev oc0`,
    'ip link set oc0 up',
    'ip link set oc1 up',
    // pivot_root, not chroot: a chrooted process may not make user namespaces (rootless podman).
    `cd ${q(m)}`,
    'mkdir -p .old-root',
    'pivot_root . .old-root',
    'umount -l /.old-root',
    'rmdir /.old-root',
    'echo ready > /run/ocihooks-session-ready',
    'exec /usr/bin/sleep infinity',
  ];
  return lines.join('\n') + '\n';
}

export function startDebianSession(root: DebianRoot, o: DebianSessionOptions): DebianSession {
  for (const d of ['upper', 'overlay-work', 'merged']) fs.mkdirSync(path.join(o.work, d), { recursive: true });
  const log = path.join(o.work, 'holder.log');
  const out = fs.openSync(log, 'w');
  const holder = spawn(
    'unshare',
    ['--mount', '--net', '--uts', '--propagation', 'private', 'sh', '-c', holderScript(root, o)],
    { detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  holder.unref();
  const pid = holder.pid as number;
  const file = (inside: string) => path.join(`/proc/${pid}/root`, inside);
  const KINDS = ['mnt', 'net', 'uts'];
  // A process of the session shares one of the holder's namespaces: rootless podman and its
  // containers have mount namespaces of their own, but the host's network and UTS namespaces are theirs.
  const processes = () => {
    let ns: string[];
    try {
      ns = KINDS.map((k) => fs.readlinkSync(`/proc/${pid}/ns/${k}`));
    } catch {
      return [];
    }
    return fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n) && Number(n) !== pid)
      .filter((n) =>
        KINDS.some((k, i) => {
          try {
            return fs.readlinkSync(`/proc/${n}/ns/${k}`) === ns[i];
          } catch {
            return false;
          }
        }),
      )
      .map(Number);
  };
  const stop = () => {
    // Everything inside, by pid: TERM, a grace period, then KILL; the holder last.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const left = processes();
      for (const p of left) {
        signalPid(p, signal);
      }
      for (let i = 0; i < 50 && processes().length; i++) sleep(100);
    }
    if (alive(pid)) signalPid(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) sleep(100);
    // The mounts went with the namespace; only plain files are left in the session's folder.
    fs.rmSync(o.work, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !fs.existsSync(file('/run/ocihooks-session-ready')); i++) {
    if (!alive(pid)) break;
    sleep(50);
  }
  if (!fs.existsSync(file('/run/ocihooks-session-ready'))) {
    const why = fs.readFileSync(log, 'utf8').trim();
    stop();
    throw new Error(`the ${root.suite} session did not start: ${why || 'no output'}`);
  }
  const argv = (cmd: string, args: string[], x: ExecOptions = {}) => {
    // runuser gives a user its own HOME.
    const env = Object.entries({ PATH, LANG: 'C.UTF-8', ...(x.user ? {} : { HOME: '/root' }), ...(x.env ?? {}) }).map(
      ([k, v]) => `${k}=${v}`,
    );
    return [
      `--target=${pid}`,
      '--mount',
      '--net',
      '--uts',
      '--root',
      // The holder's working folder (its root): nsenter would open a --wd=PATH in our root, not the session's.
      '--wd',
      '--',
      '/usr/bin/env',
      '-i',
      `--chdir=${x.cwd ?? '/'}`,
      ...env,
      ...(x.user ? ['/usr/sbin/runuser', '-u', x.user, '--'] : []),
      cmd,
      ...args,
    ];
  };
  const exec: DebianSession['exec'] = (cmd, args, x = {}) =>
    run('nsenter', argv(cmd, args, x), { timeoutMs: x.timeoutMs ?? 60_000, input: x.input });
  const spawnIn: DebianSession['spawn'] = (cmd, args, x = {}) =>
    spawn('nsenter', argv(cmd, args, x), { stdio: ['ignore', 'pipe', 'pipe'] });
  return { root, pid, file, exec, spawn: spawnIn, processes, stop };
}

/** Whether a process is still there, for tests that wait on one inside. */
export function processAlive(pid: number): boolean {
  return alive(pid);
}

/** `ps`-like lines for the session's processes (a failure's message says what was left running). */
export function describeProcesses(pids: number[]): string {
  return pids
    .map((p) => {
      try {
        return `${p} ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
      } catch {
        return `${p} (gone)`;
      }
    })
    .join('; ');
}
