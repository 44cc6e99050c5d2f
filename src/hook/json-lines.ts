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

/** A record writer: one line per record to a file descriptor, or nowhere. */
export class Logger {
  private readonly threshold: number;

  constructor(
    level: LogLevel,
    private readonly fd: number | undefined,
    private readonly bindings: Fields = {},
  ) {
    this.threshold = LEVEL_NUMBERS[level];
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
  }
}
