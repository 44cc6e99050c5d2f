/**
 * A Debian root of another release (Debian 13 for scrun, podman 5, docker 26, containerd 1.7),
 * made with debootstrap from the Debian archive this machine's apt uses, with the packages a test
 * names installed in it, and kept in a cache folder outside the repository: one root per suite and
 * package list (the key), checked for completeness before each use and made again when incomplete.
 * Tests never write to it: each session runs it through an overlay of its own (debian-session.ts).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireTool } from './e2e';
import { alive } from './pids.cjs';

export interface DebianRootSpec {
  suite: string;
  packages: readonly string[];
}

export interface DebianRoot {
  dir: string;
  suite: string;
  /** Package -> the version installed (from the root's dpkg status). */
  versions: Record<string, string>;
  /** Whether this call made it (false: taken from the cache). */
  built: boolean;
  /** The seconds this call took (making or checking it). */
  seconds: number;
}

/** Bumped when the way a root is made changes, so that cached roots made the old way are made again. */
const RECIPE = 1;
const MARK = '.ocihooks-root.json';
/** Where the roots are kept: the machine's, not a checkout's (OCIHOOKS_ROOT_CACHE overrides it). */
export const ROOT_CACHE = process.env.OCIHOOKS_ROOT_CACHE || '/var/cache/ocihooks-test/roots';

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The key of a spec: the suite, the sorted package list and the recipe. */
export function rootKey(spec: DebianRootSpec): string {
  const text = JSON.stringify({ recipe: RECIPE, suite: spec.suite, packages: [...new Set(spec.packages)].sort() });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The Debian archive this machine's apt reads (the first non-security entry of its sources), so
 * that a root comes from wherever the machine's packages come from.
 */
export function debianMirror(
  files: string[] = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d')],
): string | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const uris = file.endsWith('.sources')
      ? text
          .split(/\n\s*\n/)
          .map((block) => /^URIs:\s*(\S+)/im.exec(block)?.[1])
          .filter((u): u is string => u !== undefined)
      : text
          .split('\n')
          .map((l) => /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(l)?.[1])
          .filter((u): u is string => u !== undefined);
    const archive = uris.find((u) => !/security/.test(u) && /^https?:\/\//.test(u));
    if (archive) return archive;
  }
  return undefined;
}

function listDir(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .sort()
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** Installed packages and their versions, from a root's dpkg status file. */
export function installedPackages(statusText: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of statusText.split(/\n\n+/)) {
    const name = /^Package:\s*(\S+)/m.exec(block)?.[1];
    const status = /^Status:\s*(.*)$/m.exec(block)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(block)?.[1];
    if (name && version && status === 'install ok installed') out[name] = version;
  }
  return out;
}

/** Why a cached root is not usable, or undefined when it is complete. */
function incomplete(dir: string, spec: DebianRootSpec): string | undefined {
  let mark: { suite?: string; packages?: string[] };
  try {
    mark = JSON.parse(fs.readFileSync(path.join(dir, MARK), 'utf8'));
  } catch {
    return 'no completion mark';
  }
  if (mark.suite !== spec.suite) return `made for ${mark.suite}`;
  let installed: Record<string, string>;
  try {
    installed = installedPackages(fs.readFileSync(path.join(dir, 'var/lib/dpkg/status'), 'utf8'));
  } catch {
    return 'no dpkg status';
  }
  const missing = spec.packages.filter((p) => !installed[p]);
  if (missing.length) return `packages not installed: ${missing.join(' ')}`;
  for (const f of ['usr/bin/env', 'usr/bin/sleep', 'usr/lib/os-release'])
    if (!fs.existsSync(path.join(dir, f))) return `${f} missing`;
  return undefined;
}

/** Takes the lock folder of a root (waiting for another run that holds it); returns its release. */
function lock(dir: string): () => void {
  const lockDir = `${dir}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
    // A holder that died, or one that died between making the folder and writing its pid.
    const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((holder && !alive(holder)) || (!holder && age > 60_000)) fs.rmSync(lockDir, { recursive: true, force: true });
    else if (i > 6000) throw new Error(`${lockDir}: held by pid ${holder} for 10 minutes`);
    else sleep(100);
  }
}

/**
 * The root for `spec`, made when the cache has none (or an incomplete one). debootstrap installs
 * the packages with their dependencies (not their recommendations) in one pass; the root gets no
 * munge key (each session makes its own), no downloaded packages and no package lists.
 */
export function debianRoot(spec: DebianRootSpec): DebianRoot {
  const started = Date.now();
  const dir = path.join(ROOT_CACHE, `${spec.suite}-${rootKey(spec)}`);
  fs.mkdirSync(ROOT_CACHE, { recursive: true, mode: 0o755 });
  const release = lock(dir);
  try {
    let built = false;
    const why = incomplete(dir, spec);
    if (why !== undefined) {
      const debootstrap = requireTool('debootstrap');
      const mirror = debianMirror() ?? 'http://deb.debian.org/debian';
      const tmp = `${dir}.partial`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
      const r = spawnSync(
        debootstrap,
        [
          '--variant=minbase',
          '--components=main',
          `--include=${[...new Set(spec.packages)].sort().join(',')}`,
          spec.suite,
          tmp,
          mirror,
        ],
        { encoding: 'utf8', timeout: 15 * 60_000, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } },
      );
      if (r.status !== 0) {
        const log = fs.existsSync(path.join(tmp, 'debootstrap/debootstrap.log'))
          ? fs.readFileSync(path.join(tmp, 'debootstrap/debootstrap.log'), 'utf8').trim().split('\n').slice(-5)
          : [];
        fs.rmSync(tmp, { recursive: true, force: true });
        throw new Error(
          `debootstrap ${spec.suite} from ${mirror} (root was ${why}) failed: ${r.error?.message ?? `exit ${r.status}`}: ${[...(r.stderr ?? '').trim().split('\n').slice(-5), ...log].join(' | ')}`,
        );
      }
      for (const f of ['etc/munge/munge.key', 'var/lib/apt/lists', 'var/cache/apt/archives'])
        fs.rmSync(path.join(tmp, f), { recursive: true, force: true });
      fs.mkdirSync(path.join(tmp, 'var/cache/apt/archives/partial'), { recursive: true });
      fs.mkdirSync(path.join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
      const versions = installedPackages(fs.readFileSync(path.join(tmp, 'var/lib/dpkg/status'), 'utf8'));
      fs.writeFileSync(
        path.join(tmp, MARK),
        JSON.stringify(
          {
            suite: spec.suite,
            packages: [...spec.packages],
            mirror,
            seconds: Math.round((Date.now() - started) / 1000),
            versions: Object.fromEntries(spec.packages.map((p) => [p, versions[p]])),
          },
          null,
          2,
        ) + '\n',
      );
      fs.renameSync(tmp, dir);
      built = true;
      const still = incomplete(dir, spec);
      if (still) throw new Error(`${dir}: debootstrap made an incomplete root: ${still}`);
    }
    const all = installedPackages(fs.readFileSync(path.join(dir, 'var/lib/dpkg/status'), 'utf8'));
    return {
      dir,
      suite: spec.suite,
      versions: Object.fromEntries(spec.packages.map((p) => [p, all[p] as string])),
      built,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    release();
  }
}
