/**
 * The hooks' log records: one JSON line each, written with one write(2) before the call returns
 * (the process exits right after acting and must not lose the last lines). The format is pino's —
 * `{"level":30,"time":"<ISO>","hook":…,"pid":…,<bindings>,<fields>,"msg":…}` with pino's level
 * numbers — so that log tooling reads it as it would pino's. Not pino itself: loading and setting up
 * pino was a quarter of a hook's own start-up (docs/performance.md), for records this simple.
 */
import fs = require('node:fs');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** pino's numbers for the levels. */
const LEVEL_NUMBERS: Record<LogLevel, number> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
  silent: Infinity,
};

type Fields = Record<string, unknown>;

/** Where a logger writes: the file it opened, or why it writes nowhere though asked to. */
export interface LogTarget {
  file?: string;
  problem?: string;
}

/**
 * Where a line written by another process (the hook launcher, kept-precreate.c) puts its own time
 * and pid: control characters, which a JSON text never holds unescaped.
 */
export const LINE_TIME = '\x01';
export const LINE_PID = '\x02';

/** A record writer: one line per record to a file descriptor, or nowhere. */
export class Logger {
  private readonly threshold: number;
  /** Each record written from tapped() on, as a line for another writer (undefined: one it cannot write). */
  private readonly tap: ((line: string | undefined) => void) | undefined;

  constructor(
    level: LogLevel,
    private readonly fd: number | undefined,
    private readonly bindings: Fields = {},
    readonly target: LogTarget = {},
  ) {
    this.threshold = LEVEL_NUMBERS[level];
  }

  /**
   * A logger that also hands `take` each record it writes as the line another process would write
   * for it: LINE_TIME where the time goes, LINE_PID where the pid does. undefined where the record
   * has no single place for each (a field named time or pid, a field's text holding the markers).
   */
  tapped(take: (line: string | undefined) => void): Logger {
    const c = this.child({});
    Object.assign(c, { tap: take });
    return c;
  }

  /** A logger whose records also carry `fields` (after the parent's). */
  child(fields: Fields): Logger {
    const c = Object.create(Logger.prototype) as Logger;
    Object.assign(c, this, { bindings: { ...this.bindings, ...fields } });
    return c;
  }

  fatal(fields: Fields | string, msg?: string): void {
    this.write('fatal', fields, msg);
  }
  error(fields: Fields | string, msg?: string): void {
    this.write('error', fields, msg);
  }
  warn(fields: Fields | string, msg?: string): void {
    this.write('warn', fields, msg);
  }
  info(fields: Fields | string, msg?: string): void {
    this.write('info', fields, msg);
  }
  debug(fields: Fields | string, msg?: string): void {
    this.write('debug', fields, msg);
  }
  trace(fields: Fields | string, msg?: string): void {
    this.write('trace', fields, msg);
  }

  private write(level: LogLevel, fields: Fields | string, msg: string | undefined): void {
    const n = LEVEL_NUMBERS[level];
    if (n < this.threshold || this.fd === undefined) return;
    const own = typeof fields === 'string' ? {} : fields;
    const text = typeof fields === 'string' ? fields : msg;
    const record = {
      level: n,
      time: new Date().toISOString(),
      ...this.bindings,
      ...own,
      ...(text !== undefined ? { msg: text } : {}),
    };
    const bytes = Buffer.from(JSON.stringify(record) + '\n');
    for (let off = 0; off < bytes.length;) off += fs.writeSync(this.fd, bytes, off);
    if (this.tap) this.tap(lineFor(record, own));
  }
}

/** The record as another process writes it (Logger.tapped), or undefined. */
function lineFor(record: Fields, own: Fields): string | undefined {
  if ('time' in own || 'pid' in own || !('pid' in record)) return undefined;
  const text = JSON.stringify({ ...record, time: '\x01', pid: '\x02' }) + '\n';
  // JSON.stringify escapes both as \u0001 and \u0002: each must be there once, and nowhere else.
  const count = (s: string) => text.split(s).length - 1;
  if (count('\\u0001') !== 1 || count('\\u0002') !== 1 || count('"\\u0002"') !== 1) return undefined;
  return text.replace('\\u0001', LINE_TIME).replace('"\\u0002"', LINE_PID);
}
