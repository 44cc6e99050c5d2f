/**
 * The runtime wrapper's front-end (native/runtime-front-end.c), made for one installation: the
 * built program holds a placeholder where the wrapper's path goes, and install writes the path
 * there. No run-time lookup (no /proc/self/exe, no file beside it) and nothing to read: the
 * front-end's cost is what it touches.
 */
import { UsageError } from '../core/errors';

/** The placeholder's text, at the start of a zero-filled 4096-byte array in the program. */
export const LAUNCHER_PLACEHOLDER = '@OCIHOOKS-RUNTIME-LAUNCHER@';
const LAUNCHER_SIZE = 4096;

/** A copy of the built front-end (`program`, read from `file`) that runs `launcher` as the wrapper. */
export function frontEndFor(program: Buffer, file: string, launcher: string): Buffer {
  const marker = Buffer.from(LAUNCHER_PLACEHOLDER);
  const at = program.indexOf(marker);
  if (at < 0 || program.indexOf(marker, at + 1) >= 0) throw new UsageError(`${file}: not the ocihooks-runtime front-end (its launcher placeholder is ${at < 0 ? 'missing' : 'there twice'}); rebuild with npm run build`);
  const bytes = Buffer.from(launcher);
  if (!launcher.startsWith('/') || bytes.includes(0)) throw new UsageError(`${launcher}: the wrapper's path must be absolute`);
  if (bytes.length >= LAUNCHER_SIZE || at + LAUNCHER_SIZE > program.length) throw new UsageError(`${launcher}: the wrapper's path is longer than the front-end can hold (${LAUNCHER_SIZE - 1} bytes)`);
  const out = Buffer.from(program);
  out.fill(0, at, at + LAUNCHER_SIZE);
  bytes.copy(out, at);
  return out;
}
