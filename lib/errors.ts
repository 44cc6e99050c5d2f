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

/** A native syscall error as thrown by the addon (see native/ocihooks.c). */
export interface SyscallError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

export function isSyscallError(e: unknown): e is SyscallError {
  return e instanceof Error && typeof (e as SyscallError).syscall === 'string' && typeof (e as SyscallError).code === 'string';
}

export function errorCode(e: unknown): string | undefined {
  return e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
