/**
 * Logging. Runtimes often throw a hook's stdout/stderr away, so records go to a log file
 * (pino, synchronous: the process exits right after acting and must not lose the last lines).
 * Failures are also printed as one line on stderr by the CLI layer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';

export type Logger = pino.Logger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** /var/log/ocihooks/<program>.log for root; a per-user runtime folder otherwise. */
export function defaultLogFile(program: string): string {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return `/var/log/ocihooks/${program}.log`;
  const base = process.env.XDG_RUNTIME_DIR || `/tmp/ocihooks-${uid}`;
  return path.join(base, 'ocihooks', `${program}.log`);
}

export interface LogSetup {
  log: Logger;
  /** Set when the log file could not be opened: the CLI prints it once on stderr. */
  problem?: string;
}

/**
 * pino's destination: each record is written with one write(2) before the call returns. pino's
 * own sonic-boom is left out of the bundles (scripts/shims/sonic-boom.cjs): loading it costs more
 * than a hook's whole logging.
 */
export function syncFdDestination(fd: number): pino.DestinationStream {
  return {
    write(record: string) {
      const bytes = Buffer.from(record);
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off);
    },
  };
}

const discard: pino.DestinationStream = { write() {} };

export function createLogger(program: string, level: LogLevel, file: string | undefined): LogSetup {
  const target = file ?? defaultLogFile(program);
  if (level === 'silent' || target === '' || target === '-') {
    return { log: pino({ level: 'silent' }, discard) };
  }
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o750 });
    fd = fs.openSync(target, 'a', 0o640);
  } catch (e) {
    return { log: pino({ level: 'silent' }, discard), problem: `log file ${target}: ${(e as Error).message}; logging disabled` };
  }
  const log = pino(
    { level, base: { hook: program, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    syncFdDestination(fd),
  );
  return { log };
}
