/**
 * How a bundle (lib/<bundle>.js, entries in src/cmd/bundles/) runs its programs. Every program is
 * a function of an Invocation, and this is the one place that calls them: for a program started on
 * its own (the launcher, bin/<program>), for a chain of hooks (--ocihooks-chain), and for a program
 * run inside another (inv.dispatch: a CDI spec's hook inside the GPU hook, a precreate filter
 * inside the runtime wrapper). A program's code is evaluated the first time it runs, not before.
 */
import { failureLine } from '../core/errors';
import { helpOrVersion } from '../hook/program/help';
import type { HandOff } from '../hook/server/hand-off';
import { Invocation, once } from '../hook/program/invocation';
import { HOOK_PROGRAMS } from '../hook/program/own-programs';
import { Mark, Timing } from '../hook/timing';
import { VERSION } from '../hook/program/version';
import { writeFdFully } from '../linux/files';

// What every run needs is loaded here; the rest when a run needs it (a chain, a run of hooks, stdin):
// a program's start-up is mostly module evaluation.
const chain = () => require('../hook/program/chain') as typeof import('../hook/program/chain');
const hookRuns = () => require('../hook/program/hook-runs') as typeof import('../hook/program/hook-runs');
const readProcessStdin = () => (require('../hook/inputs') as typeof import('../hook/inputs')).readProcessStdin();
const handOffModule = () => require('../hook/server/hand-off') as typeof import('../hook/server/hand-off');

/**
 * A server started apart (hook-server.ts serveRelayed): the relay filter's logs to the program's
 * default log; the GPU precreate filter's, started from its kept edits with the filter's own
 * command line, where and as that filter logs, as the Node filter's own server does (src/gpu/cli.ts).
 */
function serveRelayed(
  h: HandOff & { early: NonNullable<HandOff['early']> },
  inv: Invocation,
  dispatch: (inv: Invocation) => number,
): number {
  const server = require('../hook/server/hook-server') as typeof import('../hook/server/hook-server');
  const { createLogger } = require('../hook/log') as typeof import('../hook/log');
  const { logOptionsOf } = require('../hook/program/options') as typeof import('../hook/program/options');
  const filter = inv.argv[0] === 'precreate' ? logOptionsOf(inv.argv.slice(1)) : undefined;
  const { log } = createLogger(inv.program, filter?.level ?? 'info', filter?.file, { env: process.env });
  return server.serveRelayed(h, dispatch, log, `${inv.program} ${filter ? 'precreate' : 'precreate-relay'}`);
}

/** A program: a function of an Invocation, its exit code. */
export type Program = (inv: Invocation) => number;

/** The programs a bundle holds, each loaded the first time it runs. */
export type ProgramTable = Readonly<Record<string, () => Program>>;

/** Runs a program of `programs`, or a chain of them, in this process; its exit code. */
export function dispatcher(programs: ProgramTable): (inv: Invocation) => number {
  const dispatch = (inv: Invocation): number => {
    // A chain meant for the runtime wrapper's hook server that reached a program (chain.ts RELAY_FLAG).
    if (inv.argv.length === 2 && inv.argv[0]?.startsWith('--ocihooks-relay='))
      inv = { ...inv, argv: inv.argv.slice(1) };
    if (inv.argv.length === 1 && inv.argv[0]?.startsWith('--ocihooks-slot=')) {
      // An early create's slot (src/wrapper/early-create.ts) that its hook server did not take.
      inv.stderr(
        `${inv.program}: ${inv.argv[0]}: the runtime wrapper's hook server for this container is gone (the wrapper's log says why); this stage's hooks did not run\n`,
      );
      return 1;
    }
    if (inv.argv.length === 1 && inv.argv[0]?.startsWith('--ocihooks-chain=')) {
      const c = chain();
      let hooks;
      try {
        hooks = c.chainOf(inv);
      } catch (e) {
        inv.stderr(failureLine(inv.program, e));
        return 2;
      }
      if (hooks) return c.runChain(inv, hooks);
    }
    const program = programs[inv.program];
    if (!program) {
      inv.stderr(`${inv.program}: not a program of this bundle (${Object.keys(programs).join(', ')})\n`);
      return 2;
    }
    return program()(inv);
  };
  return dispatch;
}

/** What the launcher knows of the process it runs in. */
export interface ProcessStart {
  program: string;
  /** argv[1]: the executable the process was started as. */
  path: string;
  /** The path the runtime started, when the installed hook launcher started this process. */
  startedAs?: string;
  marks: Mark[];
  beforeExec?: () => void;
}

/** How a bundle's launcher starts the program it was started as (src/cmd/bundles/). */
export type Start = (p: ProcessStart) => number | Promise<number>;

/**
 * The start of a bundle holding `programs`: the program the launcher started, with the process's
 * own arguments, environment and stdio; its exit code.
 */
export function starter(programs: ProgramTable): Start {
  const dispatch = dispatcher(programs);
  return (p) => startProgram(p, dispatch);
}

/**
 * A line for stderr. One that cannot be written (a reader gone: EPIPE, as an engine may leave a
 * runtime's stderr; a pipe nobody empties) is lost, as with process.stderr: it must not become a
 * failure of its own and stop what comes after it (the wrapper's record in the runtime's log).
 */
function writeStderr(text: string): void {
  try {
    writeFdFully(2, text, 1000);
  } catch {
    // nowhere left to say it
  }
}

function startProgram(p: ProcessStart, dispatch: (inv: Invocation) => number): number {
  // Started apart (the wrapper by its front-end, a precreate filter by the hook launcher): the
  // starter waits for an answer, the exit code unless the program gave another.
  let handOff: HandOff | undefined;
  if (process.env.OCIHOOKS_RUNTIME_RELAY !== undefined) {
    const h = handOffModule();
    try {
      handOff = h.handOffOf(process.env);
    } catch (e) {
      writeStderr(failureLine(p.program, e));
      return 2;
    }
    delete process.env[h.HAND_OFF_ENV]; // neither the program's environment nor its children's
  }
  // hand-off.ts EARLY_ENV: only ever its starter's, beside the hand-off (read above), never one
  // inherited from an engine; and not for the program's children.
  delete process.env.OCIHOOKS_RUNTIME_EARLY;
  delete process.env.OCIHOOKS_PRECREATE_KEY; // hand-off.ts PRECREATE_KEY_ENV, read beside the hand-off
  const code = startWithoutHandOff(p, dispatch, handOff);
  if (handOff) handOffModule().handOffExit(handOff, code);
  return code;
}

function startWithoutHandOff(
  p: ProcessStart,
  dispatch: (inv: Invocation) => number,
  handOff: HandOff | undefined,
): number {
  const timing = new Timing(p.marks);
  const inv: Invocation = {
    program: p.program,
    path: p.path,
    argv: process.argv.slice(2),
    env: process.env,
    stdin: once(readProcessStdin),
    // fd 1 and 2 written directly: process.stdout would load node:net and the stream modules.
    stdout: (t) => writeFdFully(1, t),
    stderr: writeStderr,
    timing,
    dispatch,
    ...(p.beforeExec ? { beforeExec: p.beforeExec } : {}),
    ...(handOff ? { handOff } : {}),
  };
  if (!(HOOK_PROGRAMS as readonly string[]).includes(p.program)) return dispatch(inv);
  // Started apart by the relay filter (native/hook-launcher/precreate-relay.c): serve the hooks it relayed.
  if (handOff?.early) return serveRelayed({ ...handOff, early: handOff.early }, inv, dispatch);
  // The relay filter's argument reaching Node (a hook launcher of one process per hook, a Node launcher
  // run directly): the filter passes the config through.
  if (inv.argv.length === 1 && inv.argv[0] === 'precreate-relay') {
    inv.stdout(inv.stdin());
    return 0;
  }
  // Answered before the program's modules are evaluated: nothing else is needed for it.
  if (helpOrVersion(inv.argv) === 'version') {
    inv.stdout(`${VERSION}\n`);
    return 0;
  }
  // A hook a runtime started through the installed hook launcher may be the first of a run.
  const ran = p.startedAs !== undefined ? hookRuns().runHookRun(inv, p.startedAs) : undefined;
  return ran ?? dispatch(inv);
}
