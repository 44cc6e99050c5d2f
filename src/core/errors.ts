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

export function errorCode(e: unknown): string | undefined {
  return e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The exit code of a failure: 2 for bad input, 1 for anything else (acting, or a bug). */
export function exitCodeOf(e: unknown): 1 | 2 {
  return e instanceof UsageError ? 2 : 1;
}

/** What a program prints on stderr for a failure: "<program>: <first line of the message>". */
export function failureLine(program: string, e: unknown): string {
  return `${program}: ${messageOf(e).split('\n')[0]}\n`;
}
