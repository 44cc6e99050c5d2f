/**
 * The marker a run of hooks leaves for the runtime process that started it (the hook launcher,
 * native/hook-launcher/main.c, reads it; src/hook/program/hook-runs.ts says why): a file named by
 * that runtime process's pid and start time, in /run/ocihooks/runs for the host's root and in
 * /run/user/<uid outside the user namespace>/ocihooks/runs for anyone else, holding the digests of
 * the hooks still to come. A pid and its start time name one runtime process: a marker left by a
 * runtime that died is never another's, and the next run that writes one takes such leftovers away.
 */
import fs = require('node:fs');
import path = require('node:path');
import { outerUid } from './userns';

const MARKER_HEADER = 'ocihooks hook run 1';

/** The parent's pid as /proc (the host's, before pivot_root) names it. */
function parentPid(): number | undefined {
  const m = /^PPid:\s*(\d+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : undefined;
}

/** Field 22 of /proc/<pid>/stat: the start time, in clock ticks since boot. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The folder this process's markers go in. */
function runMarkerFolder(uid = outerUid()): string {
  return uid === 0 ? '/run/ocihooks/runs' : `/run/user/${uid}/ocihooks/runs`;
}

/** The marker of the runtime process that started this one; undefined when there can be none. */
function runMarkerPath(): string | undefined {
  const ppid = parentPid();
  const start = ppid === undefined ? undefined : startTime(ppid);
  return start === undefined ? undefined : path.join(runMarkerFolder(), `${ppid}-${start}`);
}

/** The folder, made (0700) where missing; undefined unless it is a folder of this user's, not a link. */
function markerFolder(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid?.() ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Markers whose runtime process is gone (or is another process now). */
function removeLeftovers(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const m = /^(\d+)-(\d+)$/.exec(name);
    if (m && startTime(Number(m[1])) !== m[2]) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * Writes the marker for `digests` (the hooks still to come, in order); its path, or undefined
 * when it cannot be written (then the hooks run one by one, as started).
 */
export function createRunMarker(digests: readonly string[]): string | undefined {
  const file = runMarkerPath();
  const dir = file && markerFolder(path.dirname(file));
  if (!file || !dir) return undefined;
  try {
    removeLeftovers(dir);
    const c = fs.constants;
    const fd = fs.openSync(file, c.O_WRONLY | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, [MARKER_HEADER, ...digests.map((d) => `next ${d}`)].join('\n') + '\n');
    } finally {
      fs.closeSync(fd);
    }
    return file;
  } catch {
    return undefined;
  }
}

export function removeRunMarker(file: string): void {
  fs.rmSync(file, { force: true });
}
