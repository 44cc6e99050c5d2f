/** Writing files so that a reader never sees half of one, or through a symlink. */
import fs = require('node:fs');
import { native } from './native';
import { randomHex } from './random';

/**
 * Writes `name` in the directory dirFd, never through a symlink there, with exactly `mode` (the
 * create mode goes through the umask); `exclusive`: the file must not exist yet, else it is
 * truncated.
 */
export function writeFileAt(
  dirFd: number,
  name: string,
  content: string | Buffer,
  mode: number,
  exclusive: boolean,
): void {
  const c = native().constants;
  const fd = native().openat(
    dirFd,
    name,
    c.O_WRONLY | c.O_CREAT | (exclusive ? c.O_EXCL : c.O_TRUNC) | c.O_NOFOLLOW | c.O_CLOEXEC,
    mode,
  );
  try {
    writeFdFully(fd, content);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `name` in the folder: the content written to a fresh name there, then renamed over it.
 * A reader sees the old file or the new, never half of one; what is at `name` (a symlink included)
 * is replaced, never followed. The temporary name ends in `.tmp-<random>`, which no `*.conf`
 * include and no loader reads.
 */
export function replaceFileAt(dirFd: number, name: string, content: string | Buffer, mode: number): void {
  const tmp = `${name}.tmp-${randomHex(6)}`;
  writeFileAt(dirFd, tmp, content, mode, true);
  try {
    native().renameat(dirFd, tmp, dirFd, name);
  } catch (e) {
    native().unlinkat(dirFd, tmp, 0);
    throw e;
  }
}

/**
 * Writes a temporary file beside `file` and renames it over `file`: readers see the old content
 * or the new, never a mix. `mode` is applied exactly (not through the umask); `{ like: stat }`
 * gives the new file the mode, owner and group of the file it replaces (the owner only as root).
 */
export function writeFileAtomically(
  file: string,
  content: string | Buffer,
  modeOrLike: number | { like: fs.Stats } = 0o644,
): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const like = typeof modeOrLike === 'number' ? undefined : modeOrLike.like;
  const mode = like ? like.mode & 0o7777 : (modeOrLike as number);
  try {
    fs.writeFileSync(tmp, content, { mode });
    // Owner and group first: chown clears set-id bits, chmod then sets the exact mode.
    if (like) {
      const made = fs.statSync(tmp);
      if (made.uid !== like.uid || made.gid !== like.gid) {
        try {
          fs.chownSync(tmp, like.uid, like.gid);
        } catch (e) {
          // Not root (a Slurm job user rewriting root's config.json in the user's own folder):
          // the owner cannot be given away, the group — one of the user's — can.
          if ((e as NodeJS.ErrnoException).code !== 'EPERM' || made.uid === like.uid) throw e;
          fs.chownSync(tmp, -1, like.gid);
        }
      }
    }
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** A path with its symlinks resolved; undefined when it cannot be (not there, a loop, no access). */
export function realpathOrUndefined(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

// Made on the first wait: most reads and writes never wait.
let pause: Int32Array | undefined;
const waitAMoment = () => Atomics.wait((pause ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 2);

/**
 * Reads an fd to its end, synchronously, within `timeoutMs` in all: each read waits in poll(2)
 * first, so a blocking pipe whose writer never closes it ends in an ETIMEDOUT error instead of a
 * hang. A runtime may hand a hook a non-blocking pipe (runc under load did: EAGAIN before the state
 * was written); poll waits for it the same way.
 */
export function readFdFully(fd: number, timeoutMs: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(64 * 1024);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!native().pollIn(fd, Math.max(0, deadline - Date.now())))
      throw Object.assign(new Error(`nothing to read within ${timeoutMs} ms, and not closed`), { code: 'ETIMEDOUT' });
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // poll's wake-up raced another reader
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/**
 * Writes all of `text` to an fd, synchronously: a program's stdout and stderr without Node's
 * stream objects (process.stdout for a pipe loads node:net and the stream modules: ~4 ms of a
 * precreate filter's run). A full non-blocking pipe (EAGAIN) waits a moment, up to `timeoutMs`.
 */
export function writeFdFully(fd: number, text: string | Buffer, timeoutMs = 10_000): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const deadline = Date.now() + timeoutMs;
  for (let off = 0; off < bytes.length;) {
    try {
      off += fs.writeSync(fd, bytes, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= deadline) throw e;
      waitAMoment();
    }
  }
}
