/**
 * The wrapper's side of an early create (native/front-end/early-create.c): the front-end has put a
 * slot into each stage the early index names (early-index.ts), made the hook server's socket and
 * started the runtime; this process, started beside it, matches the container as it would have
 * before the runtime started (same folders, same annotations, same config) and, when the
 * runtime's hook launcher asks for a slot, runs that stage's matched hooks — one served chain, as
 * inject.ts would have put into the config — or nothing when none matched. Whatever fails here
 * (a refused hooks.d, a config podman would refuse, folders changed since the front-end read the
 * index) fails each slot with its line on the hook's stderr: the runtime stops the container at
 * its first stage, as it would have stopped at the wrapper's refusal.
 */
import path = require('node:path');
import { ActionError, UsageError, exitCodeOf, failureLine, messageOf } from '../core/errors';
import { Json, parseWith } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import { matchHooks } from '../hooksd/match';
import type { PrestartAs } from '../hooksd/prestart';
import type { HooksRead } from '../hooksd/read';
import { factsFromConfig } from '../hooksd/when';
import { SLOT_FLAG } from '../hook/program/chain';
import { OciHook, RELAYED_STAGES, chainHooks, servedCount } from '../hook/program/chain-hooks';
import type { Invocation } from '../hook/program/invocation';

/** What each slot's stage runs (served chains of the installation's hooks); a stage not there matched nothing. */
export type SlotRuns = Map<string, OciHook[]>;

/**
 * The matched hooks of each stage, as the wrapper would have appended them with a hook server at
 * `socket`. Throws where the wrapper would have refused the container, and where a matched hook
 * has no slot to run in (the folders changed after the front-end read the index).
 */
export function slotRuns(
  original: Json,
  read: HooksRead,
  annotations: Record<string, string>,
  configPath: string,
  binDir: string,
  prestartAs: PrestartAs,
  socket: string,
): { runs: SlotRuns; added: string[] } {
  if (read.refusal) throw new UsageError(read.refusal);
  const parsed = parseWith(ociConfigSchema, original, `config ${configPath}`);
  let matched: ReturnType<typeof matchHooks>;
  try {
    matched = matchHooks(read.hooks, factsFromConfig(parsed, annotations), prestartAs);
  } catch (e) {
    throw new UsageError(`config ${configPath}: ${messageOf(e)}`, { cause: e });
  }
  const runs: SlotRuns = new Map();
  const added: string[] = [];
  for (const [stage, hooks] of Object.entries(matched)) {
    const merged = (RELAYED_STAGES as readonly string[]).includes(stage)
      ? chainHooks(
          hooks.map((h) => h.hook),
          binDir,
          socket,
        ).hooks
      : [];
    if (merged.length === 0 || servedCount(merged, socket) !== merged.length) {
      const file = path.basename(hooks[0]?.file ?? '');
      throw new ActionError(
        `hooks.d changed while this container was created: ${file} gives a ${stage} hook that the config's slots cannot run; create the container again`,
      );
    }
    runs.set(stage, merged);
    for (const h of hooks) added.push(`${stage} ${path.basename(h.file)} (slot)`);
  }
  return { runs, added };
}

/**
 * What the hook server runs for a request: a slot runs its stage's hooks (nothing when none
 * matched; the failure when the match failed), anything else as `dispatch` would.
 */
export function slotDispatch(
  runs: SlotRuns | Error,
  dispatch: (inv: Invocation) => number,
  name: string,
): (inv: Invocation) => number {
  return (inv) => {
    const arg = inv.argv[0];
    if (inv.argv.length !== 1 || !arg?.startsWith(SLOT_FLAG)) return dispatch(inv);
    if (runs instanceof Error) {
      inv.stderr(failureLine(name, runs));
      return exitCodeOf(runs);
    }
    for (const hook of runs.get(arg.slice(SLOT_FLAG.length)) ?? []) {
      // ['ocihook-chain', RELAY_FLAG…, CHAIN_FLAG…]: the dispatcher drops the relay argument.
      const code = dispatch({ ...inv, argv: (hook.args ?? []).slice(1) });
      if (code !== 0) return code;
    }
    return 0;
  };
}
