/**
 * How a hook program runs: arguments, logger, body; and how its errors become exit codes —
 * 0 done, 1 failed while acting, 2 bad input or usage — with one line on stderr for a failure.
 */
import { causeCode, exitCodeOf, failureLine, messageOf } from '../../core/errors';
import { Logger, createLogger } from '../log';
import type { Invocation } from './invocation';
import { CliSpec, CommonArgs, parseArgs } from './options';

export interface HookContext {
  log: Logger;
  inv: Invocation;
}

/**
 * Parses the invocation's arguments against the spec (answering --help and --version), opens the
 * log, runs the body; a failure writes "<program>: <message>" on stderr and is logged. Returns the
 * exit code: 1 or 2 for a failure, 0 otherwise.
 */
export function runProgram<A extends CommonArgs>(
  spec: CliSpec,
  inv: Invocation,
  body: (args: A, ctx: HookContext) => void,
  argv: string[] = inv.argv,
): number {
  let log: Logger | undefined;
  inv.timing.done('modules');
  let code = 0;
  try {
    const args = parseArgs<A>(spec, argv, inv);
    if (args !== undefined) {
      inv.timing.done('arguments');
      const setup = inv.log
        ? { log: inv.log }
        : createLogger(spec.program, args['log-level'], args['log-file'], { env: inv.env, ranIn: inv.ranIn });
      log = setup.log;
      if ('problem' in setup && setup.problem) inv.stderr(`${spec.program}: warning: ${setup.problem}\n`);
      inv.timing.done('logger');
      body(args, { log, inv });
    }
  } catch (e) {
    code = exitCodeOf(e);
    log?.error(
      { exitCode: code, code: causeCode(e), err: e instanceof Error ? e.stack : String(e) },
      messageOf(e).split('\n')[0],
    );
    inv.stderr(failureLine(spec.program, e));
  }
  if (inv.env.OCIHOOKS_TIMINGS === '1') inv.stderr(inv.timing.line());
  return code;
}
