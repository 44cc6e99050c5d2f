/**
 * Decoded inputs kept between hook runs, for an input whose decoding costs a start more than its
 * reading: a CDI spec, decoded and checked (~1.5 ms of a GPU hook's start in JSON; ~7 in YAML,
 * nvidia-ctk's default format: the yaml library's module and its parser's first run), against
 * ~0.1 ms for JSON.parse of what they made.
 *
 * An entry holds the exact text it was decoded from and the build that decoded it, and is used for
 * that text and build only: no file times or clocks decide (a spec rewritten within one tick of the
 * kernel's coarse clock keeps its times), and another build may decode differently. What is kept
 * becomes a container's devices and mounts, so the folder and each entry are trusted only as
 * root's and writable by root alone, and only a process of root's reads or writes them; otherwise
 * nothing is read or written, and the input is decoded as if nothing were kept. Keeping is never a
 * reason for a hook to fail: an entry that cannot be written is decoded again next time.
 */
import fs = require('node:fs');
import path = require('node:path');
import * as z from 'zod/mini';
import { messageOf } from '../core/errors';
import { writeFileAtomically } from '../linux/files';
import { inUserNamespace } from '../linux/userns';

/** The folder the GPU hook keeps its decoded CDI specs in unless told (--cdi-cache-dir). */
export const DEFAULT_DECODED_CACHE_DIR = '/run/ocihooks/cdi-specs';

declare const OCIHOOKS_BUILD_ID: string | undefined; // the bundles' build, defined by scripts/build.mjs
/** The build decoding here: the bundles' own, or "source" when run from src/ (the tests). */
const BUILD = typeof OCIHOOKS_BUILD_ID === 'string' ? OCIHOOKS_BUILD_ID : 'source';

/** An entry's file. */
const entrySchema = z.object({ build: z.string(), file: z.string(), text: z.string(), decoded: z.unknown() });

export interface DecodedCache {
  /** What was kept for exactly this text of `file` by this build; undefined when nothing was. */
  get(file: string, text: string): unknown;
  /** Keeps `decoded`, what `text` of `file` decoded to (plain JSON values only). */
  put(file: string, text: string, decoded: unknown): void;
}

export interface DecodedCacheOptions {
  /** Read entries but write none (a dry run changes nothing). */
  readOnly?: boolean;
  /** Told once when the folder or an entry is refused (owner, mode, kind). */
  warn?: (message: string) => void;
}

/** Root's, and writable by root alone: a folder or entry the cache trusts (`ocihooks doctor` asks too). */
export const rootsAlone = (st: fs.Stats): boolean => st.uid === 0 && (st.mode & 0o022) === 0;

/** An entry's name: its input's absolute path, escaped into one file name. */
const entryName = (file: string): string => `${encodeURIComponent(path.resolve(file))}.json`;

/**
 * The decoded cache in `dir` (an absolute path), or undefined where this process is not the host's
 * root: another user, or root of a user namespace (rootless podman's), to whom root's folder is
 * another user's — nothing to tell on every run.
 */
export function decodedCache(dir: string, options: DecodedCacheOptions = {}): DecodedCache | undefined {
  if (process.geteuid?.() !== 0 || inUserNamespace('self')) return undefined;
  let warned = false;
  const refuse = (what: string): undefined => {
    if (!warned) options.warn?.(`${what}: not root's, or writable by others than root; decoding without it`);
    warned = true;
    return undefined;
  };
  // The folder as it stands: 'missing', 'trusted', or 'refused' (checked once per run).
  let folder: 'missing' | 'trusted' | 'refused' | undefined;
  const judgeFolder = () => {
    if (folder === undefined) {
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(dir, { throwIfNoEntry: false });
      } catch (e) {
        // A path through a file (ENOTDIR), a loop: no folder to use, and nothing a hook should fail for.
        options.warn?.(`${dir}: ${messageOf(e)}; decoding without it`);
        warned = true;
        return (folder = 'refused');
      }
      folder = !st ? 'missing' : st.isDirectory() && rootsAlone(st) ? 'trusted' : 'refused';
      if (folder === 'refused') refuse(dir);
    }
    return folder;
  };

  const get = (file: string, text: string): unknown => {
    if (judgeFolder() !== 'trusted') return undefined;
    const entry = path.join(dir, entryName(file));
    let fd: number;
    try {
      fd = fs.openSync(entry, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return undefined; // none kept (or a link, which is never followed)
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || !rootsAlone(st)) return refuse(entry);
      const r = z.safeParse(entrySchema, JSON.parse(fs.readFileSync(fd, 'utf8')));
      if (!r.success) return undefined; // unreadable: written again after the next decoding
      const kept = r.data;
      return kept.build === BUILD && kept.file === path.resolve(file) && kept.text === text ? kept.decoded : undefined;
    } catch {
      return undefined;
    } finally {
      fs.closeSync(fd);
    }
  };

  const put = (file: string, text: string, decoded: unknown): void => {
    if (options.readOnly) return;
    try {
      if (judgeFolder() === 'missing') {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        folder = undefined;
      }
      if (judgeFolder() !== 'trusted') return;
      removeOrphans(dir);
      const entry = { build: BUILD, file: path.resolve(file), text, decoded };
      writeFileAtomically(path.join(dir, entryName(file)), JSON.stringify(entry), 0o600);
    } catch (e) {
      if (!warned) options.warn?.(`${dir}: ${messageOf(e)}; decoding without it`);
      warned = true;
    }
  };
  return { get, put };
}

/** Entries whose input is gone (a spec removed or renamed): the folder holds no more than what is read. */
function removeOrphans(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    let input: string;
    try {
      input = decodeURIComponent(name.slice(0, -'.json'.length));
    } catch {
      continue;
    }
    if (path.isAbsolute(input) && !fs.existsSync(input)) fs.rmSync(path.join(dir, name), { force: true });
  }
}
