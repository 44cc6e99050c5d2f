/**
 * The engines sites run now — podman 5.4, docker 26, containerd 1.7 — from a Debian 13 root
 * (debian-root.ts) run as a session of its own (debian-session.ts), for the e2e suites that hold
 * ours against them. The root is its own package set, not the scrun suite's: each suite's root is
 * made (about 50 s) or taken from the cache by its own list, so neither suite's packages change
 * the other's root. The session binds the checkout (our build), node and the suite's folder at
 * the same paths, and has podman set up as a daemonless site has it: vfs storage (an overlay
 * cannot sit on the session's own overlay), runc (crun 1.21 refuses this host's hybrid cgroups),
 * cgroupfs and file events (no systemd inside).
 */
import * as fs from 'node:fs';
import { DebianRoot, debianRoot } from './debian-root';
import { DebianSession, describeProcesses, startDebianSession } from './debian-session';
import { ROOT, type Run, tmpDir } from './e2e';

export const ENGINES_ROOT = {
  suite: 'trixie',
  packages: ['podman', 'runc', 'crun', 'docker.io', 'docker-cli', 'containerd', 'libstdc++6'],
} as const;
/** The versions the suites are about (a root with others fails, saying which it has). */
const WANTED: Record<string, RegExp> = {
  podman: /^5\.4\./,
  'docker.io': /^26\./,
  containerd: /^1\.7\./,
  runc: /^1\.1\./,
};

export interface EnginesSession {
  session: DebianSession;
  root: DebianRoot;
  /** The suite's folder: the same path inside and outside. */
  dir: string;
  /** The node binary, bound at its host path. */
  node: string;
  /** A path inside the session, as the host sees it. */
  file(inside: string): string;
  /** A shell script inside (as root); a failure throws with its stderr. */
  sh(script: string, timeoutMs?: number): string;
  /** podman inside (runc, vfs), bounded. */
  podman(args: string[], o?: { timeoutMs?: number }): Run;
  /** Seconds the root took (made or from the cache) and the session's start. */
  timings: { root: number; session: number };
  stop(): void;
}

export const CONTAINERS_CONF = `[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;
export const STORAGE_CONF = `[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
`;

export function startEnginesSession(o: {
  /** Names the suite's folders. */
  name: string;
  /** The suite's folder, when the suite made it already (else one is made). */
  dir?: string;
  /** Character devices made in the session's /dev (fake accelerators). */
  devices?: { name: string; major: number; minor: number }[];
}): EnginesSession {
  const started = Date.now();
  const root = debianRoot(ENGINES_ROOT);
  const rootSeconds = (Date.now() - started) / 1000;
  const wrong = Object.entries(WANTED).filter(([p, v]) => !v.test(root.versions[p] ?? ''));
  if (wrong.length)
    throw new Error(
      `the ${root.suite} root has ${wrong.map(([p]) => `${p} ${root.versions[p]}`).join(', ')}; the engines suites are for podman 5.4, docker 26, containerd 1.7, runc 1.1`,
    );
  const dir = o.dir ?? tmpDir(o.name);
  fs.chmodSync(dir, 0o755);
  const node = fs.realpathSync(process.execPath);
  const session = startDebianSession(root, {
    work: tmpDir(`${o.name}-session`),
    hostname: 'engines13',
    address: '10.79.0.1/24',
    binds: [{ path: ROOT, readonly: true }, { path: node, readonly: true }, { path: dir }],
    devices: o.devices,
  });
  const sh = (script: string, timeoutMs = 60_000) => {
    const r = session.exec('/bin/sh', ['-ec', script], { timeoutMs });
    if (r.status !== 0)
      throw new Error(
        `in the ${root.suite} session: ${script.split('\n')[0]}: exit ${r.status}: ${r.stderr.trim()}${
          r.status === null ? ` (running: ${describeProcesses(session.processes())})` : ''
        }`,
      );
    return r.stdout;
  };
  try {
    fs.mkdirSync(session.file('/etc/containers'), { recursive: true });
    fs.writeFileSync(session.file('/etc/containers/containers.conf'), CONTAINERS_CONF);
    fs.writeFileSync(session.file('/etc/containers/storage.conf'), STORAGE_CONF);
  } catch (e) {
    session.stop();
    throw e;
  }
  return {
    session,
    root,
    dir,
    node,
    file: session.file,
    sh,
    podman: (args, x = {}) =>
      session.exec('podman', args, {
        env: { PODMAN_IGNORE_CGROUPSV1_WARNING: '1' },
        timeoutMs: x.timeoutMs ?? 60_000,
      }),
    timings: { root: rootSeconds, session: (Date.now() - started) / 1000 - rootSeconds },
    stop: () => {
      session.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One line for a suite's log: the root (made or cached) and the versions it runs. */
export function describeSession(s: EnginesSession, suite: string): string {
  const v = s.root.versions;
  return `${suite}: Debian 13 root ${s.root.built ? 'made' : 'from the cache'} in ${s.timings.root.toFixed(1)} s (podman ${v.podman}, docker.io ${v['docker.io']}, containerd ${v.containerd}, runc ${v.runc}), session started in ${s.timings.session.toFixed(1)} s\n`;
}
