/**
 * Random names for scratch files: from /dev/urandom, not node:crypto, which a hook would load (with
 * every stream module) only to name a file.
 */
import fs = require('node:fs');

/** n random bytes as hex. */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    fs.readSync(fd, buf, 0, bytes, null);
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('hex');
}

/** A random (version 4) UUID. */
export function randomUuid(): string {
  const h = randomHex(16).split('');
  h[12] = '4';
  h[16] = '89ab'[parseInt(h[16] as string, 16) & 3] as string;
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
