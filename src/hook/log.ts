/**
 * Logging. Runtimes often throw a hook's stdout/stderr away, so records go to a log file (one JSON
 * line each, pino's format: json-lines.ts). Failures are also printed as one line on stderr by the
 * CLI layer.
 */
import fs = require('node:fs');
import path = require('node:path');
import { outerUid } from '../linux/userns';
import type { Env } from '../core/env';

import { LogLevel, Logger } from './json-lines';

export { LOG_LEVELS, Logger } from './json-lines';
export type { LogLevel, LogTarget } from './json-lines';

/**
 * Where a program logs unless told: /var/log/ocihooks/<program>.log for the host's root; for
 * anyone else — also "root" inside a user namespace, who cannot write /var/log — the user's
 * runtime folder ($XDG_RUNTIME_DIR, else /run/user/<uid> of the user outside the namespace), and
 * /tmp/ocihooks-<uid> where there is none.
 */
export function defaultLogFile(program: string, env: Env = process.env): string {
  const uid = outerUid();
  if (uid === 0) return `/var/log/ocihooks/${program}.log`;
  const runtimeDir = env.XDG_RUNTIME_DIR || (fs.existsSync(`/run/user/${uid}`) ? `/run/user/${uid}` : undefined);
  return runtimeDir ? path.join(runtimeDir, 'ocihooks', `${program}.log`) : `/tmp/ocihooks-${uid}/${program}.log`;
}

export interface LogSetup {
  log: Logger;
  /** Set when the log file could not be opened: the CLI prints it once on stderr. */
  problem?: string;
}

/**
 * mkdir -p, stopping at the first error. Node's own recursive mkdir loops forever where a parent
 * exists but mkdir answers ENOENT (a log path under /proc or /sys: the hook never started the
 * container).
 */
function makeFolders(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o750 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw e;
    makeFolders(parent);
    fs.mkdirSync(dir, { mode: 0o750 });
  }
}

/** How the program was started: its environment, and whether it runs inside another program. */
export interface LogContext {
  env?: Env;
  ranIn?: string;
}

export function createLogger(
  program: string,
  level: LogLevel,
  file: string | undefined,
  how: LogContext = {},
): LogSetup {
  const target = file ?? defaultLogFile(program, how.env);
  if (level === 'silent' || target === '' || target === '-') {
    return { log: new Logger('silent', undefined) };
  }
  let fd: number;
  try {
    makeFolders(path.dirname(target));
    // A folder of the default's in /tmp that someone else made first is not ours to log into.
    if (
      file === undefined &&
      target.startsWith('/tmp/') &&
      fs.lstatSync(path.dirname(target)).uid !== process.getuid?.()
    )
      throw new Error(`${path.dirname(target)} belongs to another user`);
    fd = fs.openSync(target, 'a', 0o640);
  } catch (e) {
    const problem = `log file ${target}: ${(e as Error).message}; logging disabled`;
    return { log: new Logger('silent', undefined, {}, { problem }), problem };
  }
  const bindings = { hook: program, pid: process.pid, ...(how.ranIn ? { ranIn: how.ranIn } : {}) };
  const log = new Logger(level, fd, bindings, { file: target });
  return { log };
}
