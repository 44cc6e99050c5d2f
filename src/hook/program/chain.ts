/**
 * Several of the installation's hooks of one stage in one process: `bin/<program>
 * --ocihooks-chain=<json>` runs each listed hook in order, as a runtime would have started it —
 * its own arguments and env (its env list, else the runtime's), the OCI state read once and given
 * to each — and the first that fails ends the chain with its exit code and its line (a runtime
 * stops at the first failing hook too). The runtime wrapper writes such hooks (chain-hooks.ts).
 */
import path = require('node:path');
import * as z from 'zod/mini';
import { UsageError } from '../../core/errors';
import { parseJson, parseWith } from '../../core/json';
import { Invocation, envFromList, once } from './invocation';
import { HOOK_PROGRAMS, binDirOf } from './own-programs';
import { Timing } from '../timing';

export const CHAIN_FLAG = '--ocihooks-chain=';
/**
 * In front of a chain the runtime wrapper's hook server runs (hook-server.ts): the
 * installed hook launcher sends the rest of the command line there (native/hook-launcher/relay.c)
 * and drops this argument when it starts the program itself; so does the dispatcher.
 */
export const RELAY_FLAG = '--ocihooks-relay=';
/**
 * A slot (src/wrapper/early-index.ts): the hook the front-end adds for a stage before the wrapper
 * has matched anything; the wrapper's hook server runs the stage's matched hooks in its place
 * (src/wrapper/early-create.ts). Reaching a program, it means that server is gone.
 */
export const SLOT_FLAG = '--ocihooks-slot=';

const chainSchema = z.array(
  z.object({
    program: z.enum(HOOK_PROGRAMS),
    /** argv as the runtime gives it: the program's name first. */
    args: z.array(z.string()),
    env: z.optional(z.array(z.string())),
    /**
     * The hook's path as config.json named it, where that is not bin/<program> (a link to it):
     * what a reader of the chain (chain-hooks.ts hooksRun) compares with a CDI spec's hooks.
     */
    path: z.optional(z.string()),
  }),
);
export type ChainedHook = z.infer<typeof chainSchema>[number];

/** The hooks of a chain argument (CHAIN_FLAG and its JSON); a UsageError naming the flag where it is none. */
export function chainIn(arg: string): ChainedHook[] {
  const what = CHAIN_FLAG.slice(0, -1);
  return parseWith(chainSchema, parseJson(arg.slice(CHAIN_FLAG.length), what), what);
}

/** The chain an invocation asks for (its one argument), or undefined when it is no chain. */
export function chainOf(inv: Invocation): ChainedHook[] | undefined {
  const arg = inv.argv[0];
  if (inv.argv.length !== 1 || !arg?.startsWith(CHAIN_FLAG)) return undefined;
  return chainIn(arg);
}

/** A chain's exit code when its runtime stopped waiting before its end (as for a killed process: 128 + SIGKILL). */
export const ABANDONED_EXIT = 137;

/** Runs the hooks in order in this process; the exit code of the first that fails, else 0. */
export function runChain(inv: Invocation, hooks: readonly ChainedHook[]): number {
  if (hooks.length === 0) throw new UsageError(`${CHAIN_FLAG.slice(0, -1)}: no hooks`);
  const binDir = binDirOf(inv.path);
  const state = once(inv.stdin);
  for (const [i, h] of hooks.entries()) {
    if (i > 0 && inv.abandoned?.()) {
      inv.stderr(
        `${CHAIN_FLAG.slice(2, -1)}: the runtime stopped waiting (the hook's timeout) after ${i} of ${hooks.length} hooks; the others did not run\n`,
      );
      return ABANDONED_EXIT;
    }
    const code = inv.dispatch({
      ...inv,
      program: h.program,
      path: path.join(binDir, h.program),
      argv: h.args.slice(1),
      env: h.env ? envFromList(h.env) : inv.env,
      stdin: state,
      timing: i === 0 ? inv.timing : new Timing(),
    });
    if (code !== 0) return code;
  }
  return 0;
}
