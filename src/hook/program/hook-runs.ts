/**
 * One Node start for a run of the installation's hooks that a runtime starts one by one (podman
 * and CRI-O read hooks.d and put each file's hook in config.json; runc and crun start each hook of
 * a stage as a process of its own; a precreate filter adds a CDI spec's hooks). The first of a run
 * — the installed hook launcher (native/hook-launcher/) says so by OCIHOOKS_STARTED_AS — finds
 * itself in the bundle's config.json, runs every hook of the installation that follows it in that
 * stage, in the runtime's order, each as the runtime would have started it (src/hook/program/chain.ts),
 * and leaves a marker for the runtime process: the digests of the hooks it ran for the others. Each
 * of those, started next by the same runtime, finds its digest there and returns at once.
 *
 * What keeps a started hook's meaning:
 * - the run stops at the first hook that is not the installation's (a site's hook runs in its place);
 * - it stops at a hook relayed to a hook server (RELAY_FLAG first in its arguments): that server
 *   runs it when its launcher asks, and the launcher looks for no marker (each hook runs once);
 * - a hook with an env list gets exactly it; one without gets the runtime's environment, which only
 *   a first hook without an env list has: after a first with an env list, the run stops at the
 *   first hook without one;
 * - the first failure ends the run with that hook's exit code and line, and the stage with it (a
 *   runtime stops at the first failing hook too); the marker goes;
 * - the run lives under the first hook's timeout (runc and crun kill the process at it), which is
 *   never more than the members' own, added up;
 * - a first hook that cannot tell where it is in config.json (not there, there twice, a hook run by
 *   hand) runs alone, as do hooks when the marker cannot be written.
 */
import { parseWith } from '../../core/json';
import { OciStageHook as StageHook, ociStateSchema } from '../../core/oci';
import { createRunMarker, removeRunMarker } from '../../linux/hook-run-marker';
import { realpathOrUndefined } from '../../linux/files';
import { loadBundle } from '../inputs';
import { ChainedHook, RELAY_FLAG, runChain } from './chain';
import type { Invocation } from './invocation';
import { HookProgram, binDirOf, stageHookProgram } from './own-programs';

/** FNV-1a 64 over a hook's argv, each argument followed by a NUL: what the hook launcher computes. */
export function hookDigest(argv: readonly string[]): string {
  let h = 0xcbf29ce484222325n;
  for (const a of argv) {
    for (const byte of [...Buffer.from(a), 0]) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** This process as a stage's entry: the real path it was started as, its arguments after argv[0], its env. */
export interface OwnHook {
  realPath: string;
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

export type HookRun = { hooks: ChainedHook[]; others: string[] } | { alone: string };

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const envEntries = (env: Readonly<Record<string, string | undefined>>) =>
  Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .sort();

/**
 * The run `own` starts in config.json's hooks (every stage), the hooks it runs (itself first) and
 * the digests of the others; or why it runs alone. `programOf` says which of the installation's
 * programs a hook of a stage starts (own-programs.ts stageHookProgram).
 */
export function planHookRun(
  stages: Readonly<Record<string, readonly StageHook[] | undefined>>,
  own: OwnHook,
  programOf: (hook: StageHook) => HookProgram | undefined,
): HookRun {
  const realOf = (h: StageHook) => (programOf(h) !== undefined ? realpathOrUndefined(h.path) : undefined);
  const ownEnv = envEntries(own.env);
  const places: [readonly StageHook[], number][] = [];
  for (const hooks of Object.values(stages))
    for (const [i, h] of (hooks ?? []).entries()) {
      const args = h.args ?? [h.path];
      if (realOf(h) !== own.realPath || !sameList(args.slice(1), own.argv)) continue;
      if (h.env !== undefined && !sameList([...h.env].sort(), ownEnv)) continue;
      places.push([hooks as readonly StageHook[], i]);
    }
  if (places.length !== 1)
    return { alone: places.length ? 'it is in config.json more than once' : 'it is not in config.json' };
  const [hooks, at] = places[0] as [readonly StageHook[], number];
  const first = hooks[at] as StageHook;
  const run: ChainedHook[] = [];
  for (let i = at; i < hooks.length; i++) {
    const h = hooks[i] as StageHook;
    const program = programOf(h);
    const args = h.args ?? [h.path];
    if (program === undefined || args[1]?.startsWith(RELAY_FLAG)) break;
    // The runtime's own environment is known only to a first hook started with it.
    if (h.env === undefined && first.env !== undefined) break;
    run.push({ program, args, ...(h.env !== undefined ? { env: h.env } : {}) });
  }
  if (run.length < 2) return { alone: 'no hook of the installation follows it' };
  return { hooks: run, others: run.slice(1).map((h) => hookDigest(h.args)) };
}

/** Options that say a person runs the hook, not a runtime: never a run then. */
const BY_HAND = /^--(state-file|dry-run|help|version)\b/;

/**
 * Runs the run `inv` starts, when it starts one: its exit code; undefined when it runs alone (then
 * the program runs as usual).
 */
export function runHookRun(inv: Invocation, startedAs: string): number | undefined {
  if (inv.argv.some((a) => BY_HAND.test(a))) return undefined;
  const realPath = realpathOrUndefined(startedAs);
  if (realPath === undefined) return undefined;
  let stages: Record<string, StageHook[] | undefined>;
  try {
    const state = parseWith(ociStateSchema, JSON.parse(inv.stdin()), 'state on stdin');
    stages = loadBundle(state).config.hooks ?? {};
  } catch {
    return undefined; // the program reads them again and says what is wrong
  }
  const binDir = binDirOf(startedAs);
  const run = planHookRun(stages, { realPath, argv: inv.argv, env: inv.env }, (h) => stageHookProgram(h, binDir));
  if ('alone' in run) return undefined;
  const marker = createRunMarker(run.others);
  if (marker === undefined) return undefined;
  const code = runChain({ ...inv, ranIn: `a run of ${run.hooks.length} hooks` }, run.hooks);
  if (code !== 0) removeRunMarker(marker);
  return code;
}
