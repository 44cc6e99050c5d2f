/**
 * What every hook shares on its command line. Options are declared once, as a table. A hook runs
 * on every container start, so the hot path reads the plain forms against the table itself
 * (fastParse); --help and --version are answered from the table (help.ts); full yargs (~40 ms to
 * load here) reads any other command line and reports a usage error in its own words.
 */
import { UsageError } from '../../core/errors';
import { LOG_LEVELS, LogLevel } from '../log';
import type { CliSpec, OptionTable } from './cli-spec';
import { helpOrVersion, helpText } from './help';
import { VERSION } from './version';

export { VERSION } from './version';

export type { CliSpec, OptionSpec, OptionTable } from './cli-spec';

export const COMMON_OPTIONS: OptionTable = {
  'state-file': { type: 'string', describe: 'read the OCI state from FILE instead of stdin (running a hook by hand)' },
  'dry-run': { type: 'boolean', default: false, describe: 'print the plan as JSON and change nothing' },
  'log-level': { type: 'string', choices: LOG_LEVELS, default: 'info', describe: 'log level of the log file' },
  'log-file': { type: 'string', describe: 'log file (default /var/log/ocihooks/<hook>.log as root; "-" for none)' },
};

export interface CommonArgs {
  'state-file'?: string;
  'dry-run': boolean;
  'log-level': LogLevel;
  'log-file'?: string;
}

/** How yargs reads a hook's command line (its parser's settings). */
export const YARGS_CONFIGURATION = {
  'camel-case-expansion': false,
  'dot-notation': false,
  'duplicate-arguments-array': true,
  'greedy-arrays': false,
  'short-option-groups': false,
  'boolean-negation': true,
};

/** A number as the fast path takes it; any other spelling is left to yargs. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * The fast path: the command line read against the option table in one pass — `--name=value`,
 * `--name value`, `--flag`, `--flag=true|false`, `--no-flag`, repeatable options in order. Returns
 * undefined for anything else (a short option, a positional argument, an unknown option, --help,
 * --version, a value that is not of its option's type, a single-valued option given twice, a value
 * that looks like an option): full yargs then reads the whole line and is the reference (the
 * options test compares the two on every form the fast path takes).
 */
export function fastParse(spec: CliSpec, argv: string[]): Record<string, unknown> | undefined {
  const table = { ...COMMON_OPTIONS, ...spec.options };
  const args: Record<string, unknown> = {};
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      if (i + 1 < argv.length) return undefined; // positional arguments
      break;
    }
    if (!a.startsWith('--')) return undefined;
    const eq = a.indexOf('=');
    let name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    let value: string | boolean | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    let opt = table[name];
    if (!opt && eq < 0 && name.startsWith('no-') && table[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      opt = table[name];
      value = false;
    }
    if (!opt) return undefined;
    if (value === undefined) {
      if (opt.type === 'boolean') value = true;
      else {
        value = argv[i + 1];
        if (value === undefined || value.startsWith('-')) return undefined;
        i++;
      }
    }
    let parsed: unknown = value;
    if (opt.type === 'boolean') {
      if (value === 'true' || value === 'false') parsed = value === 'true';
      else if (typeof value !== 'boolean') return undefined;
    } else if (opt.type === 'number') {
      if (typeof value !== 'string' || !PLAIN_NUMBER.test(value)) return undefined;
      parsed = Number(value);
    } else if (value === '') return undefined; // yargs drops an empty value of a repeatable option
    if (opt.choices && !opt.choices.includes(parsed as string)) return undefined;
    if (opt.array) ((args[name] ??= []) as unknown[]).push(parsed);
    else if (given.has(name)) return undefined;
    else args[name] = parsed;
    given.add(name);
  }
  for (const [name, opt] of Object.entries(table))
    if (!given.has(name) && opt.default !== undefined) args[name] = opt.default;
  return args;
}

/**
 * The log options of a command line a program read before: the GPU precreate filter's, whose hook
 * server started apart from its kept edits (native/hook-launcher/kept-precreate.c) logs where and
 * as the filter does. `--log-file`/`--log-level`, either form; the other options are passed over.
 * A level that is not one is left out (the filter would have refused the line: no entry is kept).
 */
export function logOptionsOf(argv: readonly string[]): { file?: string; level?: LogLevel } {
  const found: { file?: string; level?: LogLevel } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    const m = /^--log-(file|level)(?:=(.*))?$/s.exec(a);
    if (!m) continue;
    const value = m[2] ?? argv[++i];
    if (value === undefined) break;
    if (m[1] === 'file') found.file = value;
    else if ((LOG_LEVELS as readonly string[]).includes(value)) found.level = value as LogLevel;
  }
  return found;
}

/** The slow path: full yargs, loaded on demand, answers --help/--version or throws its usage error. */
export function yargsParse(
  spec: CliSpec,
  argv: string[],
  stdout: (text: string) => void = (t) => process.stdout.write(t),
): Record<string, unknown> | undefined {
  const table = { ...COMMON_OPTIONS, ...spec.options };
  // Loaded here, not at the top: its module initialisation is most of a hook's start-up.
  const yargs = (require('yargs') as typeof import('yargs')).default;
  let y = yargs([])
    .scriptName(spec.program)
    .usage(spec.usage)
    .parserConfiguration({ ...YARGS_CONFIGURATION, 'strip-aliased': false })
    .strict()
    .version(VERSION)
    .help()
    .wrap(100)
    .exitProcess(false);
  for (const [name, o] of Object.entries(table)) {
    y = y.option(name, {
      type: o.type,
      array: o.array,
      default: o.default,
      describe: o.describe,
      choices: o.choices as string[] | undefined,
      requiresArg: o.type !== 'boolean',
    });
  }
  if (spec.epilogue) y = y.epilogue(spec.epilogue);
  let answered = false;
  const args = y.parseSync(argv, {}, (err, _argv, output) => {
    if (err) throw new UsageError(err.message);
    if (output) {
      stdout(output + '\n');
      answered = true;
    }
  }) as Record<string, unknown>;
  if (answered) return undefined;
  // yargs accepted what the fast path did not: keep yargs's reading, it is the reference — but
  // for what a program would misread (settleYargsReading).
  settleYargsReading(
    argv,
    args,
    { isArray: (n) => table[n]?.array === true, isBoolean: (n) => table[n]?.type === 'boolean' },
    spec.repeated,
  );
  return args;
}

/** Parses argv; returns undefined when --help or --version printed (on `out`) and nothing else is to be done. */
export function parseArgs<A>(spec: CliSpec, argv: string[], out?: { stdout(text: string): void }): A | undefined {
  const write = out ? (t: string) => out.stdout(t) : (t: string) => void process.stdout.write(t);
  const asked = helpOrVersion(argv);
  if (asked) {
    write(asked === 'help' ? helpText(spec, { ...COMMON_OPTIONS, ...spec.options }) : `${VERSION}\n`);
    return undefined;
  }
  return (fastParse(spec, argv) ?? yargsParse(spec, argv, write)) as A | undefined;
}

/**
 * What yargs lets through and a program would misread, settled on yargs's reading of `argv`
 * (`args`, changed in place): a boolean option given a value other than true or false (yargs reads
 * it as false: `--dry-run=yes` would act) refuses; a single-valued option given more than once
 * (yargs makes a list, which a program reads as "a,b") is its value when every one is the same,
 * the last with `repeated: 'last'`, and refuses otherwise. The hooks' and the admin command's.
 */
export function settleYargsReading(
  argv: readonly string[],
  args: Record<string, unknown>,
  kinds: { isArray(name: string): boolean; isBoolean(name: string): boolean },
  repeated?: 'last',
): void {
  for (const a of argv) {
    if (a === '--') break;
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    if (m && kinds.isBoolean(m[1] as string) && m[2] !== 'true' && m[2] !== 'false')
      throw new UsageError(`${a}: --${m[1]} takes true or false`);
  }
  for (const [name, v] of Object.entries(args)) {
    if (name === '_' || name === '$0' || !Array.isArray(v) || kinds.isArray(name)) continue;
    const last: unknown = v[v.length - 1];
    if (repeated !== 'last' && !v.every((x) => x === last))
      throw new UsageError(
        `--${name} given ${v.length} times, with different values (${v.map((x) => JSON.stringify(x)).join(', ')}): it takes one`,
      );
    args[name] = last;
  }
}
