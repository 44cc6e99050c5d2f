/**
 * Running a trusted host program on behalf of a hook (ldconfig, a CDI spec's hook, a precreate
 * filter): never with the hook's or the image's environment — only SCRUBBED_ENV plus what the
 * admin's hook entry names — with a hard timeout, and its last stderr lines in the error.
 */
import { envList } from '../core/env';
import { ActionError, messageOf } from '../core/errors';
import { RunResult, native } from './native';

/** The environment every program the hooks run gets: nothing from the hook's or the image's. */
export const SCRUBBED_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
});

export interface TrustedRun {
  /** argv[0] as the program sees it (default: the path). */
  argv0?: string;
  args: string[];
  /** NAME=value entries added to SCRUBBED_ENV. */
  env?: readonly string[];
  /** Given on stdin; stdin is closed when absent. */
  input?: string;
  timeoutMs: number;
  /** Keep stdout (precreate filters); otherwise it is discarded. */
  captureStdout?: boolean;
}

/** Runs the program; returns its stdout (empty unless captured), or throws ActionError("<why>"). */
export function runTrusted(path: string, o: TrustedRun): Buffer {
  const env = { ...SCRUBBED_ENV, ...Object.fromEntries(envList(o.env ?? [])) };
  // The addon's run, not node:child_process: that module pulls in net and stream (~2 ms), on every
  // hook run that starts a program (native/run.c).
  let r: RunResult;
  try {
    r = native().run(
      path,
      [o.argv0 ?? path, ...o.args],
      Object.entries(env).map(([k, v]) => `${k}=${v}`),
      o.input === undefined ? undefined : Buffer.from(o.input),
      o.captureStdout === true,
      o.timeoutMs,
    );
  } catch (e) {
    throw new ActionError(messageOf(e), { cause: e });
  }
  const stderr = r.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ');
  const tail = stderr ? `: ${stderr}` : '';
  if (r.timedOut) throw new ActionError(`killed after ${o.timeoutMs} ms timeout`);
  if (r.signal !== null) throw new ActionError(`killed by ${signalName(r.signal)}${tail}`);
  if (r.status !== 0) throw new ActionError(`exit ${r.status}${tail}`);
  return r.stdout;
}

/** SIGKILL for 9: looked up only when a program was killed. */
function signalName(n: number): string {
  const signals = (require('node:os') as typeof import('node:os')).constants.signals;
  return Object.entries(signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}
