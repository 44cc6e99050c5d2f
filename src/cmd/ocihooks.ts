/**
 * ocihooks: the admin command, one file per subcommand under ocihooks/:
 * validate | match | install | code-cache | doctor | plan | cdi generate | scrun | completion.
 */
import yargs from 'yargs';
import { UsageError, exitCodeOf, failureLine } from '../core/errors';
import { VERSION } from '../engine/cli/options';
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
  await yargs(argv)
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
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
}
