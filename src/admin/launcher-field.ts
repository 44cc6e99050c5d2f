/**
 * The installation's two freestanding programs, made for one installation: the runtime wrapper's
 * front-end (native/front-end/) and the hook launcher (native/hook-launcher/). Each built program
 * holds a 4096-byte field, a tag and then the path of the Node program it starts, and install
 * writes the path there. No run-time lookup (no /proc/self/exe, no file beside it) and nothing to
 * read: their cost is what they touch. `ocihooks doctor` reads the path back.
 */
import { UsageError } from '../core/errors';
import { HOOK_LAUNCHER_TAG, SEPARATE_MARK } from '../hook/program/chain-hooks';

/** One of the two: its field's tag (the built program has "@unset@" after it) and words for errors. */
export interface LauncherField {
  tag: string;
  /** What the built program is, for errors. */
  program: string;
  /** The same, short. */
  short: string;
  /** What it starts, for errors. */
  target: string;
}

export const FRONT_END: LauncherField = {
  tag: 'ocihooks-runtime-launcher=',
  program: 'the ocihooks-runtime front-end',
  short: 'the front-end',
  target: "the wrapper's",
};
export const HOOK_LAUNCHER: LauncherField = {
  tag: HOOK_LAUNCHER_TAG,
  program: 'the ocihooks hook launcher',
  short: 'the hook launcher',
  target: "the hook program's",
};
const FIELD_SIZE = 4096;

function fieldAt(program: Buffer, tag: string): number | 'missing' | 'twice' {
  const bytes = Buffer.from(tag);
  const at = program.indexOf(bytes);
  if (at < 0) return 'missing';
  return program.indexOf(bytes, at + 1) >= 0 ? 'twice' : at;
}

/** A copy of the built program (`program`, read from `file`) that starts `launcher`; `mark` goes in front of the path. */
export function frontEndFor(
  program: Buffer,
  file: string,
  launcher: string,
  field: LauncherField = FRONT_END,
  mark = '',
): Buffer {
  const at = fieldAt(program, field.tag);
  if (typeof at !== 'number')
    throw new UsageError(
      `${file}: not ${field.program} (its launcher field is ${at === 'missing' ? 'missing' : 'there twice'}); rebuild with npm run build`,
    );
  if (!launcher.startsWith('/') || launcher.includes('\0'))
    throw new UsageError(`${launcher}: ${field.target} path must be absolute`);
  const bytes = Buffer.from(mark + launcher);
  const room = FIELD_SIZE - field.tag.length - 1 - Buffer.byteLength(mark);
  if (Buffer.byteLength(launcher) > room || at + FIELD_SIZE > program.length)
    throw new UsageError(`${launcher}: ${field.target} path is longer than ${field.short} can hold (${room} bytes)`);
  const out = Buffer.from(program);
  out.fill(0, at + field.tag.length, at + FIELD_SIZE);
  bytes.copy(out, at + field.tag.length);
  return out;
}

/** The program an installed one starts; undefined when `program` has no field or no path in it. */
export function launcherOf(program: Buffer, field: LauncherField = FRONT_END): string | undefined {
  const at = fieldAt(program, field.tag);
  if (typeof at !== 'number') return undefined;
  const start = at + field.tag.length;
  const end = program.indexOf(0, start);
  const value = program.subarray(start, end < 0 ? Math.min(program.length, at + FIELD_SIZE) : end).toString();
  const path = value.startsWith(SEPARATE_MARK) ? value.slice(SEPARATE_MARK.length) : value;
  return path.startsWith('/') ? path : undefined;
}
