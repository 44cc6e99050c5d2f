/**
 * One run of a program, as exec would set it up: its arguments, its environment, its stdin and
 * stdout. Every program is a function of one (src/cmd/dispatch.ts calls them), so several can run
 * in one process — a chain of hooks, a precreate filter inside the runtime wrapper, a CDI spec's
 * hook inside the GPU hook — each with what a process of its own would have had.
 */
import { Env, envList } from '../../core/env';

export type { Env } from '../../core/env';
import type { Logger } from '../log';
import { Timing } from '../timing';
import type { HandOff } from '../server/hand-off';

export interface Invocation {
  /** Which program: ocihook-mount, ocihook-gpu, ocihook-ldconfig, ocihooks, ocihooks-runtime. */
  program: string;
  /** The executable a runtime started (a hook's path; argv[0]'s file): how the installation is found. */
  path: string;
  /** The arguments after the program's name. */
  argv: string[];
  env: Env;
  /** Its stdin, read whole on first use (the OCI state; a precreate filter's config). */
  stdin(): string;
  stdout(text: string): void;
  stderr(text: string): void;
  timing: Timing;
  /** Runs another program in this process (the dispatcher): for a program that runs others. */
  dispatch(inv: Invocation): number;
  /** Called right before this process becomes another program (execve): the launcher's code cache. */
  beforeExec?: () => void;
  /** Set when the program runs inside another one: its log records say so. */
  ranIn?: string;
  /** The logger of the program this one runs inside, when its records belong in that log. */
  log?: Logger;
  /**
   * Set when the process was started apart and its starter waits for an answer (hand-off.ts): the
   * runtime's command line (the wrapper), else the program's exit code, sent when it returns.
   */
  handOff?: HandOff;
  /**
   * Whether whoever started this run has stopped waiting for it (a served hook whose launcher the
   * runtime killed at the hook's timeout): a chain starts no further hook then, as the chain's own
   * process, killed, would not have.
   */
  abandoned?: () => boolean;
}

/** An env list (KEY=VALUE entries, a runtime's `env` of a hook) as an environment; later entries win. */
export function envFromList(list: readonly string[]): Env {
  return Object.fromEntries(envList(list));
}

/** Reads once, on first use, what `read` gives: a process's stdin is there to be read once. */
export function once(read: () => string): () => string {
  let text: string | undefined;
  return () => (text ??= read());
}

/**
 * Runs a program inside this one (inv.dispatch) on `input` for its stdin, as a program started
 * with its output piped would be: its exit code, stdout and stderr. The rest of the invocation is
 * `run`'s; a fresh Timing (its phases are not this program's).
 */
export function runCaptured(
  inv: Invocation,
  run: Pick<Invocation, 'program' | 'path' | 'argv' | 'env'> & Partial<Pick<Invocation, 'ranIn' | 'log'>>,
  input: string,
): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = inv.dispatch({
    ...run,
    stdin: () => input,
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    timing: new Timing(),
    dispatch: inv.dispatch,
  });
  return { code, stdout, stderr };
}
