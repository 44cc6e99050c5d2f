/**
 * ocihooks: the admin command, one file per subcommand under ocihooks/:
 * validate | match | install | code-cache | doctor | plan | cdi generate | scrun | completion.
 */
import yargs from 'yargs';
import { UsageError, exitCodeOf, failureLine } from '../core/errors';
import { settleYargsReading } from '../hook/program/options';
import { VERSION } from '../hook/program/version';
import { cdiCommand } from './ocihooks/cdi';
import { codeCacheCommand } from './ocihooks/code-cache';
import { PROGRAM } from './ocihooks/common';
import { doctorCommand } from './ocihooks/doctor';
import { installCommand } from './ocihooks/install';
import { matchCommand } from './ocihooks/match';
import { planCommand, runPlan } from './ocihooks/plan';
import { scrunCommand } from './ocihooks/scrun';
import { validateCommand } from './ocihooks/validate';

/** The admin command's exit code: a failure is one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    await run(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    process.stderr.write(failureLine(PROGRAM, e));
    return exitCodeOf(e);
  }
}

async function run(argv: string[]): Promise<void> {
  if (argv[0] === 'plan' && !argv.includes('--help')) return runPlan(argv.slice(1));
  const y = yargs(argv);
  // yargs' own options of the command being run (its typings leave getOptions out).
  const options = () => (y as unknown as { getOptions(): { array: string[]; boolean: string[] } }).getOptions();
  await y
    .scriptName(PROGRAM)
    .usage('$0 <command> [options]')
    .command(validateCommand)
    .command(matchCommand)
    .command(installCommand)
    .command(codeCacheCommand)
    .command(doctorCommand)
    .command(planCommand)
    .command(cdiCommand)
    .command(scrunCommand)
    .completion('completion', 'print a bash completion script')
    .demandCommand(1, 'name a command')
    .strict()
    .version(VERSION)
    .help()
    .wrap(100)
    .middleware((args) => {
      const { array, boolean } = options();
      // yargs keeps each dashed option under its camel-case name too (hooks-dir, hooksDir).
      const dashed = (n: string) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      settleYargsReading(argv, args, {
        isArray: (n) => array.includes(dashed(n)),
        isBoolean: (n) => boolean.includes(n),
      });
      // strict() leaves a stray word after a command without positional arguments in `_`.
      const words = args._ as unknown[];
      const depth = words[0] === 'cdi' || words[0] === 'scrun' ? 2 : 1;
      if (words.length > depth)
        throw new UsageError(
          `${JSON.stringify(String(words[depth]))}: not an argument of ${PROGRAM} ${words.slice(0, depth).join(' ')}`,
        );
    }, true)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
}
