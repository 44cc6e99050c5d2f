/**
 * What every hook shares on its command line and how its errors become exit codes:
 * 0 done, 1 failed while acting, 2 bad input or usage. Every failure prints one line on stderr.
 */
import yargs, { Argv } from 'yargs';
import { ActionError, UsageError, messageOf } from './errors';
import { LOG_LEVELS, LogLevel, Logger, createLogger } from './log';

export const VERSION = '0.1.0';

export interface CommonArgs {
  stateFile?: string;
  dryRun: boolean;
  logLevel: LogLevel;
  logFile?: string;
}

/** A yargs parser with the options every hook has. Strict: an unknown option is a usage error. */
export function hookParser(program: string, usage: string): Argv<CommonArgs> {
  return yargs()
    .scriptName(program)
    .usage(usage)
    .parserConfiguration({
      'camel-case-expansion': true,
      'dot-notation': false,
      'duplicate-arguments-array': true,
      'greedy-arrays': false,
      'short-option-groups': false,
    })
    .option('state-file', { type: 'string', describe: 'read the OCI state from FILE instead of stdin (running a hook by hand)', requiresArg: true })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan as JSON and change nothing' })
    .option('log-level', { choices: LOG_LEVELS, default: 'info' as LogLevel, describe: 'log level of the log file' })
    .option('log-file', { type: 'string', describe: 'log file (default /var/log/ocihooks/<hook>.log as root; "-" for none)', requiresArg: true })
    .strict()
    .version(VERSION)
    .help()
    .wrap(100)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    }) as unknown as Argv<CommonArgs>;
}

export interface HookContext {
  log: Logger;
}

function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError || e instanceof ActionError) return e.exitCode;
  return 1;
}

/**
 * Runs a program body, printing "<program>: <message>" on stderr and exiting 1 or 2 on failure.
 * `parse` returns undefined when yargs already answered (--help, --version).
 */
export function runProgram<A extends CommonArgs>(program: string, parse: () => A | undefined, body: (args: A, ctx: HookContext) => void): void {
  let log: Logger | undefined;
  try {
    const args = parse();
    if (args === undefined) return;
    const setup = createLogger(program, args.logLevel, args.logFile);
    log = setup.log;
    if (setup.problem) process.stderr.write(`${program}: warning: ${setup.problem}\n`);
    body(args, { log });
  } catch (e) {
    const code = exitCodeOf(e);
    const message = messageOf(e).split('\n')[0];
    log?.error({ exitCode: code, err: e instanceof Error ? e.stack : String(e) }, message);
    process.stderr.write(`${program}: ${message}\n`);
    process.exitCode = code;
  }
}

/** Parses argv with yargs; returns undefined when --help or --version printed and nothing else is to be done. */
export function parseArgs<A>(parser: Argv<A>, argv: string[] = process.argv.slice(2)): A | undefined {
  let answered = false;
  const args = parser.parseSync(argv, {}, (err, _argv, output) => {
    if (err) throw err instanceof UsageError ? err : new UsageError(err.message);
    if (output) {
      process.stdout.write(output + '\n');
      answered = true;
    }
  }) as A;
  return answered ? undefined : args;
}
