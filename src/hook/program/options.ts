/**
 * What every hook shares on its command line. Options are declared once, as a table. A hook runs
 * on every container start, so the hot path parses with yargs-parser (the parser inside yargs: ~2
 * ms) and checks the table itself; --help and --version are answered from the table (help.ts);
 * full yargs (~40 ms to load here) is loaded only to report a usage error in yargs's own words.
 */
import parser from 'yargs-parser';
import { UsageError } from '../../core/errors';
import { LOG_LEVELS, LogLevel } from '../log';
import type { CliSpec, OptionSpec, OptionTable } from './cli-spec';
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

const CONFIGURATION = {
  'camel-case-expansion': false,
  'dot-notation': false,
  'duplicate-arguments-array': true,
  'greedy-arrays': false,
  'short-option-groups': false,
  'boolean-negation': true,
};

/**
 * Repeatable options (`--mount=V`, `--mount V`) taken out in one pass, in order: yargs-parser's
 * array handling costs ~24 ms for a thousand `--mount=` arguments, this under 1 ms. The rest of
 * the command line still goes through yargs-parser. Undefined when a form is ambiguous (a
 * repeatable option with no value after it): full yargs then reads the whole line.
 */
function takeArrayOptions(
  table: OptionTable,
  argv: string[],
): { rest: string[]; taken: Record<string, string[]> } | undefined {
  const taken: Record<string, string[]> = {};
  const rest: string[] = [];
  const arrays = new Set(Object.keys(table).filter((n) => table[n]?.array));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 2 && arrays.has(a.slice(2, eq))) {
      (taken[a.slice(2, eq)] ??= []).push(a.slice(eq + 1));
    } else if (a.startsWith('--') && arrays.has(a.slice(2))) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return undefined;
      (taken[a.slice(2)] ??= []).push(value);
      i++;
    } else {
      rest.push(a);
    }
  }
  return { rest, taken };
}

/** The fast path: returns the arguments, or undefined when full yargs must answer (tested against yargsParse). */
export function fastParse(spec: CliSpec, argvIn: string[]): Record<string, unknown> | undefined {
  const table = { ...COMMON_OPTIONS, ...spec.options };
  const split = takeArrayOptions(table, argvIn);
  if (!split) return undefined;
  const { rest: argv, taken } = split;
  const names = Object.keys(table);
  const pick = (t: OptionSpec['type']) => names.filter((n) => table[n]?.type === t);
  const defaults: Record<string, unknown> = {};
  for (const n of names) if (table[n]?.default !== undefined) defaults[n] = table[n]?.default;
  const args = parser(argv, {
    string: pick('string'),
    boolean: pick('boolean'),
    number: pick('number'),
    array: names.filter((n) => table[n]?.array),
    default: defaults,
    configuration: CONFIGURATION,
  });
  if (args._.length) return undefined;
  for (const [key, values] of Object.entries(taken)) args[key] = values;
  for (const [key, value] of Object.entries(args)) {
    if (key === '_') continue;
    const opt = table[key];
    if (!opt) return undefined; // --help, --version, or an unknown option
    for (const v of Array.isArray(value) && opt.array ? value : [value]) {
      if (Array.isArray(v)) return undefined; // a single-valued option given twice
      if (
        opt.type === 'string' &&
        (typeof v !== 'string' || (v === '' && table[key]?.default === undefined && !opt.array))
      )
        return undefined;
      if (opt.type === 'number' && (typeof v !== 'number' || Number.isNaN(v))) return undefined;
      if (opt.choices && !opt.choices.includes(v as string)) return undefined;
    }
  }
  return args;
}

/** The slow path: full yargs, loaded on demand, answers --help/--version or throws its usage error. */
export function yargsParse(
  spec: CliSpec,
  argv: string[],
  stdout: (text: string) => void = (t) => process.stdout.write(t),
): Record<string, unknown> | undefined {
  // Loaded here, not at the top: its module initialisation is most of a hook's start-up.
  const yargs = (require('yargs') as typeof import('yargs')).default;
  let y = yargs([])
    .scriptName(spec.program)
    .usage(spec.usage)
    .parserConfiguration({ ...CONFIGURATION, 'strip-aliased': false })
    .strict()
    .version(VERSION)
    .help()
    .wrap(100)
    .exitProcess(false);
  for (const [name, o] of Object.entries({ ...COMMON_OPTIONS, ...spec.options })) {
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
  // yargs accepted what the fast path did not: keep yargs's reading, it is the reference.
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
