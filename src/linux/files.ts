/** Writing files so that a reader never sees half of one. */
import * as fs from 'node:fs';

/**
 * Writes a temporary file beside `file` and renames it over `file`: readers see the old content
 * or the new, never a mix. `mode` is applied exactly (not through the umask).
 */
export function writeFileAtomically(file: string, content: string | Buffer, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads an fd to its end, synchronously. A runtime may hand a hook a non-blocking pipe (runc under
 * load did: EAGAIN before the state was written), so EAGAIN waits a moment and reads again, up to
 * `timeoutMs` in all.
 */
export function readFdFully(fd: number, timeoutMs: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(64 * 1024);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && Date.now() < deadline) {
        Atomics.wait(pause, 0, 0, 2);
        continue;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}
