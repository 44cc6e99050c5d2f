/**
 * Running a trusted host program on behalf of a hook (ldconfig, a CDI spec's hook, a precreate
 * filter): never with the hook's or the image's environment — only SCRUBBED_ENV plus what the
 * admin's hook entry names — with a hard timeout, and its last stderr lines in the error.
 */
import type * as ChildProcess from 'node:child_process';
import { envList } from '../core/env';
import { ActionError, errorCode } from '../core/errors';

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
  // Loaded here, not at the top: node:child_process pulls in net and stream (~3 ms), and most
  // hook runs start no program.
  const { spawnSync } = require('node:child_process') as typeof ChildProcess;
  const r = spawnSync(path, o.args, {
    argv0: o.argv0 ?? path,
    env,
    input: o.input,
    timeout: o.timeoutMs,
    killSignal: 'SIGKILL',
    stdio: [o.input === undefined ? 'ignore' : 'pipe', o.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const stderr = (r.stderr?.toString('utf8') ?? '').trim().split('\n').slice(-3).join(' | ');
  const tail = stderr ? `: ${stderr}` : '';
  if (r.error && errorCode(r.error) === 'ETIMEDOUT')
    throw new ActionError(`killed after ${o.timeoutMs} ms timeout`, { cause: r.error });
  // A program may exit without reading all of its stdin: that EPIPE is ours, its exit status tells.
  const stdinClosedEarly = r.error && errorCode(r.error) === 'EPIPE' && (r.status !== null || r.signal !== null);
  if (r.error && !stdinClosedEarly) throw new ActionError(r.error.message, { cause: r.error });
  if (r.signal) throw new ActionError(`killed by ${r.signal}${tail}`);
  if (r.status !== 0) throw new ActionError(`exit ${r.status}${tail}`);
  return r.stdout ?? Buffer.alloc(0);
}
