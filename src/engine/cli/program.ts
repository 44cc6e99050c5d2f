/**
 * How a hook program runs: arguments, logger, body; and how its errors become exit codes —
 * 0 done, 1 failed while acting, 2 bad input or usage — with one line on stderr for a failure.
 */
import { causeCode, exitCodeOf, failureLine, messageOf } from '../../core/errors';
import { Logger, createLogger } from '../log';
import { phaseDone, reportTimingsAtExit } from '../timing';
import { CliSpec, CommonArgs, parseArgs } from './options';

export interface HookContext {
  log: Logger;
}

/**
 * Parses argv against the spec (answering --help and --version), opens the log, runs the body;
 * a failure prints "<program>: <message>" on stderr, is logged, and sets exit code 1 or 2.
 */
export function runProgram<A extends CommonArgs>(
  spec: CliSpec,
  argv: string[],
  body: (args: A, ctx: HookContext) => void,
): void {
  let log: Logger | undefined;
  phaseDone('modules');
  reportTimingsAtExit();
  try {
    const args = parseArgs<A>(spec, argv);
    if (args === undefined) return; // --help or --version answered
    phaseDone('arguments');
    const setup = createLogger(spec.program, args['log-level'], args['log-file']);
    log = setup.log;
    if (setup.problem) process.stderr.write(`${spec.program}: warning: ${setup.problem}\n`);
    phaseDone('logger');
    body(args, { log });
  } catch (e) {
    const code = exitCodeOf(e);
    log?.error(
      { exitCode: code, code: causeCode(e), err: e instanceof Error ? e.stack : String(e) },
      messageOf(e).split('\n')[0],
    );
    process.stderr.write(failureLine(spec.program, e));
    process.exitCode = code;
  }
  // One of several hooks run in one process (the launcher's --ocihooks-chain): the launcher goes on
  // to the next, or ends the chain with process.exitCode.
  if ((globalThis as { __ocihooksChain?: unknown }).__ocihooksChain) return;
  // Exit now instead of letting the event loop wind down: before a natural exit node waits for
  // V8's background jobs (TurboFan compiling what ran hot), 9-19 ms after a 1000-mount run on a
  // 2-core VM, for code that will never run again. Everything a hook writes is synchronous.
  process.exit();
}
