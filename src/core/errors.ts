/**
 * The two failure kinds every program maps to exit codes: bad input or usage (2) and a
 * failure while acting (1). Messages are one line and name the argument or file at fault.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

export class ActionError extends Error {
  override readonly name = 'ActionError';
  readonly exitCode = 1;
}

/** The errno name (e.g. "ENOENT") of a system error. Not `instanceof Error`: an error made in another realm (a vm context) is one too. */
export function errorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The errno name anywhere down e's chain of causes: a wrapped ENOENT stays an ENOENT to whoever
 * handles the error at the top, as Go's errors.Is sees through %w.
 */
export function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; typeof c === 'object' && c !== null && depth < 32; depth++) {
    const code = errorCode(c);
    if (code) return code;
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

export function messageOf(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
    ? (e as Error).message
    : String(e);
}

/** The exit code of a failure: 2 for bad input, 1 for anything else (acting, or a bug). */
export function exitCodeOf(e: unknown): 1 | 2 {
  return e instanceof UsageError ? 2 : 1;
}

/** What a program prints on stderr for a failure: "<program>: <the message on one line>". */
export function failureLine(program: string, e: unknown): string {
  // One line whatever the message holds (yargs words a bad choice on three, V8 quotes JSON text).
  const line = messageOf(e)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return `${program}: ${line}\n`;
}
