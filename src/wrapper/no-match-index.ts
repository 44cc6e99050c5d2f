/**
 * The fact that lets the front-end start create/run without Node: "no hooks.d file in these
 * folders can match a container that has no annotations". Docker 20.10 passes no annotations and
 * containerd's `ctr run` none unless asked, so for most of their containers the wrapper matches
 * nothing, adds nothing and execs the runtime — after a Node start that doubled `ctr run`.
 *
 * The wrapper writes the fact (INDEX) only for the call the front-end can skip — engine style: no
 * options of ours on the line, settings from a runtime config file that gives no annotations, not
 * in a Slurm step — and only when every hook read needs an annotation to apply (no always, no
 * commands; hasBindMounts counted as true). Otherwise it removes it. The index's modification time
 * is the moment before the folders were read, less CLOCK_MARGIN_MS: the front-end
 * (native/front-end/) trusts it only while it is newer than every change to the config
 * file, each folder and each *.json in them (the later of their modification and status-change
 * times), so any later edit, new, removed or restored file (cp -p and touch -d set the modification
 * time back, never the status change) sends the call to the wrapper again, which writes a new index.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { HooksRead } from '../hooksd/read';
import { whenMatches } from '../hooksd/when';
import { writeFileAtomically } from '../linux/files';

/**
 * How much earlier than the reading the index is dated. File times come from the kernel's coarse
 * clock, up to a tick (4 ms at HZ=250, 10 ms at HZ=100) behind the clock readAt comes from: a file
 * written just after the wrapper read its folder could otherwise look older than the index.
 * Dating it earlier only ever sends a call to the wrapper, which dates the next index later.
 */
export const CLOCK_MARGIN_MS = 50;

/**
 * Where the index is; OCIHOOKS_RUNTIME_INDEX (in the engine's environment, as the config file's
 * variable) moves it. A relative one would name a file in whatever folder the engine runs the
 * runtime in (containerd: each bundle): no index then, and the front-end never skips.
 */
export const noMatchIndexFile = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const file = env.OCIHOOKS_RUNTIME_INDEX || '/run/ocihooks/runtime-index';
  return path.isAbsolute(file) ? file : undefined;
};

/**
 * Whether an index (this one or the early one) may stand for what was read: hooks.d podman reads
 * whole, no file skipped for its missing program (it applies once the program is there, which
 * changes nothing an index covers).
 */
export const coversRead = (read: HooksRead): boolean => !read.refusal && read.skipped.length === 0;

/**
 * The latest change (ms since the epoch: the later of modification and status change) to what an
 * index covers, as the front-end reads it: the config file, each folder and each *.json in it (dot
 * files too, as podman reads them); Infinity when one of them cannot be looked at.
 */
function latestChange(configFile: string, dirs: string[]): number {
  // A link's own times count too: pointed elsewhere, it changed (native/freestanding/files.c facts).
  const changed = (f: string) => {
    const own = fs.lstatSync(f, { throwIfNoEntry: false });
    const st = own?.isSymbolicLink() ? fs.statSync(f, { throwIfNoEntry: false }) : own;
    if (!own || !st) return 0; // gone, or a link to nothing: nothing newer (the front-end: absent)
    return Math.max(own.mtimeMs, own.ctimeMs, st.mtimeMs, st.ctimeMs);
  };
  try {
    let latest = changed(configFile);
    for (const dir of dirs) {
      latest = Math.max(latest, changed(dir));
      const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
      for (const name of names) if (name.endsWith('.json')) latest = Math.max(latest, changed(path.join(dir, name)));
    }
    return latest;
  } catch {
    return Infinity;
  }
}

/**
 * Writes an index (the no-match one or the early one) dated CLOCK_MARGIN_MS before readAt, unless
 * the file holds this text already and is newer than every change to what it covers: then the
 * front-end trusts it as it is, and it is kept. A create the front-end cannot take itself (a
 * container with a matching hook) reaches the wrapper every time; rewriting two unchanged indexes
 * cost each such create ~1.4 ms. "Newer" is asked 1 ms more strictly than the front-end asks it:
 * at worst an index is written that could have been kept, never kept when the front-end would
 * find it stale (it would then send every create to the wrapper, which would keep it again).
 */
export function writeIndex(
  file: string,
  text: string,
  readAt: number,
  configFile: string,
  dirs: string[],
): 'written' | 'kept' {
  try {
    const st = fs.statSync(file);
    if (st.isFile() && st.mtimeMs > latestChange(configFile, dirs) + 1 && fs.readFileSync(file, 'latin1') === text)
      return 'kept';
  } catch {
    // none yet, or unreadable: written
  }
  writeFileAtomically(file, text, 0o644);
  const t = new Date(readAt - CLOCK_MARGIN_MS);
  fs.utimesSync(file, t, t);
  return 'written';
}

/** Whether a hooks.d entry could apply to some container without annotations. */
export function appliesWithoutAnnotations(when: NonNullable<HooksRead['hooks'][number]['def']>['when']): boolean {
  if (when.commands?.length) return true; // a command match decides alone
  return whenMatches(when, { annotations: {}, hasBindMounts: true }); // more facts never match less
}

/** The index text: the config file and the hooks folders it covers, one per line. */
export function indexText(configFile: string, dirs: string[]): string {
  return (
    ['ocihooks-runtime no-match index 1', `config=${configFile}`, ...dirs.map((d) => `dir=${d}`)].join('\n') + '\n'
  );
}

export interface IndexCall {
  /** Whether the command line held options of the wrapper (then the front-end never skips). */
  optionsOnLine: boolean;
  configFile?: string;
  annotations: Record<string, string>;
  inSlurmStep: boolean;
  dirs: string[];
  read: HooksRead;
  /** When the folders were read (ms since the epoch). */
  readAt: number;
}

/** Writes or removes the index after a create/run; never fails the call (the index is only a shortcut). */
export function updateNoMatchIndex(c: IndexCall, file = noMatchIndexFile()): 'written' | 'kept' | 'removed' | 'left' {
  if (file === undefined || c.optionsOnLine || c.configFile === undefined) return 'left';
  const skippable =
    Object.keys(c.annotations).length === 0 &&
    !c.inSlurmStep &&
    coversRead(c.read) &&
    c.read.hooks.every((h) => h.def && !appliesWithoutAnnotations(h.def.when));
  try {
    if (!skippable) {
      fs.rmSync(file, { force: true });
      return 'removed';
    }
    fs.mkdirSync(path.dirname(file), { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return 'left';
  }
  try {
    return writeIndex(file, indexText(c.configFile, c.dirs), c.readAt, c.configFile, c.dirs);
  } catch {
    return 'left'; // not root: the front-end keeps asking the wrapper
  }
}
