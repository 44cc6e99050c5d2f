/**
 * The runtime wrapper's front-end (native/front-end/), made for one installation: the
 * built program holds a 4096-byte field, a tag and then the wrapper's path, and install writes the
 * path there. No run-time lookup (no /proc/self/exe, no file beside it) and nothing to read: the
 * front-end's cost is what it touches. `ocihooks doctor` reads the path back.
 */
import { UsageError } from '../core/errors';

/** The field's tag, at its start; the built program has "@unset@" after it. */
export const LAUNCHER_TAG = 'ocihooks-runtime-launcher=';
const FIELD_SIZE = 4096;

function fieldAt(program: Buffer): number | 'missing' | 'twice' {
  const tag = Buffer.from(LAUNCHER_TAG);
  const at = program.indexOf(tag);
  if (at < 0) return 'missing';
  return program.indexOf(tag, at + 1) >= 0 ? 'twice' : at;
}

/** A copy of the built front-end (`program`, read from `file`) that runs `launcher` as the wrapper. */
export function frontEndFor(program: Buffer, file: string, launcher: string): Buffer {
  const at = fieldAt(program);
  if (typeof at !== 'number')
    throw new UsageError(
      `${file}: not the ocihooks-runtime front-end (its launcher field is ${at === 'missing' ? 'missing' : 'there twice'}); rebuild with npm run build`,
    );
  const bytes = Buffer.from(launcher);
  if (!launcher.startsWith('/') || bytes.includes(0))
    throw new UsageError(`${launcher}: the wrapper's path must be absolute`);
  const room = FIELD_SIZE - LAUNCHER_TAG.length - 1;
  if (bytes.length > room || at + FIELD_SIZE > program.length)
    throw new UsageError(`${launcher}: the wrapper's path is longer than the front-end can hold (${room} bytes)`);
  const out = Buffer.from(program);
  out.fill(0, at + LAUNCHER_TAG.length, at + FIELD_SIZE);
  bytes.copy(out, at + LAUNCHER_TAG.length);
  return out;
}

/** The wrapper an installed front-end runs; undefined when `program` has no field or no path in it. */
export function launcherOf(program: Buffer): string | undefined {
  const at = fieldAt(program);
  if (typeof at !== 'number') return undefined;
  const start = at + LAUNCHER_TAG.length;
  const end = program.indexOf(0, start);
  const value = program.subarray(start, end < 0 ? Math.min(program.length, at + FIELD_SIZE) : end).toString();
  return value.startsWith('/') ? value : undefined;
}
