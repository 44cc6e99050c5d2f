/**
 * Several of this installation's hooks in one process: a run of consecutive hooks of one stage,
 * each the installation's own ocihook-mount, ocihook-gpu or ocihook-ldconfig (same real path as
 * bin/<program> beside the wrapper), becomes one hook that starts the launcher once with
 * --ocihooks-chain (src/hook/program/chain.ts runs them in order, each with its own arguments and
 * env, the first failure ending it). Each hook is a Node start of its own otherwise: ~65 ms.
 */
import fs = require('node:fs');
import path = require('node:path');
import { CHAIN_FLAG, ChainedHook, RELAY_FLAG, chainIn } from './chain';
import { HOOK_PROGRAMS, HookProgram, stageHookProgram } from './own-programs';
import type { Json } from '../../core/json';

/** A hook of a stage as config.json and hooks.d write it (core/oci.ts, hooksd/schema.ts). */
export interface OciHook {
  path: string;
  args?: string[] | undefined;
  env?: string[] | undefined;
  timeout?: number | undefined;
}

/**
 * The stages a runtime runs before its create (or run's create part) is over: those a hook server
 * (../server/hook-server.ts) can serve.
 */
export const RELAYED_STAGES = ['prestart', 'createRuntime', 'createContainer'] as const;

/**
 * The hooks with each run of two or more chainable ones as one; `chained[i]` says whether hook i
 * went into a chain. With `relaySocket` (a stage the runtime runs while the wrapper's hook server
 * is up: wrapper/hook-server.ts) every run, one hook long too, becomes a chain that the hook
 * launcher hands to the server (RELAY_FLAG first): no Node start of its own.
 */
export function chainHooks(
  hooks: OciHook[],
  binDir: string,
  relaySocket?: string,
): { hooks: OciHook[]; chained: boolean[] } {
  // Only the installed hook launcher asks the server; Node launchers and those of one process per hook do not.
  if (relaySocket !== undefined && !asksHookServer(path.join(binDir, HOOK_PROGRAMS[0]))) relaySocket = undefined;
  // A chain made earlier (the wrapper's matched hooks, before a precreate filter ran) stays as it is.
  const programs = hooks.map((h) => (isChainHook(h) ? undefined : stageHookProgram(h, binDir)));
  const out: OciHook[] = [];
  const chained = hooks.map(() => false);
  for (let i = 0; i < hooks.length;) {
    let j = i;
    while (j < hooks.length && programs[j] !== undefined) j++;
    if (j - i < (relaySocket === undefined ? 2 : 1)) {
      out.push(hooks[i] as OciHook);
      i++;
      continue;
    }
    const run = hooks.slice(i, j);
    const list: ChainedHook[] = run.map((h, k) => {
      const program = programs[i + k] as HookProgram;
      return {
        program,
        args: h.args ?? [h.path],
        ...(h.env ? { env: h.env } : {}),
        ...(h.path === path.join(binDir, program) ? {} : { path: h.path }),
      };
    });
    const timeouts = run.map((h) => h.timeout);
    const chain: OciHook = {
      path: path.join(binDir, HOOK_PROGRAMS[0]),
      args: [
        'ocihook-chain',
        ...(relaySocket === undefined ? [] : [`${RELAY_FLAG}${relaySocket}`]),
        `${CHAIN_FLAG}${JSON.stringify(list)}`,
      ],
    };
    if (timeouts.every((t) => t !== undefined))
      chain.timeout = timeouts.reduce((a, b) => (a as number) + (b as number), 0);
    out.push(chain);
    for (let k = i; k < j; k++) chained[k] = true;
    i = j;
  }
  return { hooks: out, chained };
}

/**
 * A config whose first stages' runs of the installation's hooks ask the hook server at
 * relaySocket (a precreate filter's output); `served`: how many hooks will ask.
 */
export function relayConfigHooks(config: Json, binDir: string, relaySocket: string): { config: Json; served: number } {
  const hooks = config.hooks as Record<string, OciHook[] | undefined> | undefined;
  if (!hooks) return { config, served: 0 };
  const out: Record<string, OciHook[] | undefined> = { ...hooks };
  let served = 0;
  for (const stage of RELAYED_STAGES) {
    const list = hooks[stage];
    if (!list?.length) continue;
    out[stage] = chainHooks(list, binDir, relaySocket).hooks;
    served += servedCount(out[stage], relaySocket);
  }
  return { config: { ...config, hooks: out }, served };
}

/**
 * The hooks a stage's list runs: each chain of the installation's hooks (relayed or not) as the
 * hooks in it — the path config.json named (bin/<program> beside the chain's own launcher, or the
 * link to it the chain noted), each with its args and env, marked `inChain` (a chain has one
 * timeout for them all); any other hook as it is. What a hook that asks
 * "does the runtime run this hook already?" must read (the GPU hook with a spec's hooks).
 */
export function hooksRun(hooks: readonly OciHook[]): (OciHook & { inChain?: true })[] {
  return hooks.flatMap((h) => {
    const chain = chainInHook(h);
    return chain === undefined ? [h] : chain.map((c) => ({ ...chainedAsRun(h, c), inChain: true as const }));
  });
}

/**
 * The stage's hooks without those `leaveOut` picks: a hook as it is, or one in a chain of ours
 * (read as hooksRun reads it), the chain then keeping the others (a chain left empty goes; its
 * timeout, the sum of all its hooks', stays). A relayed chain stays whole: the hook server it asks
 * (the relay filter's, started before) waits for it as it was. `left` lists the hooks left out.
 */
export function withoutHooks(
  hooks: readonly OciHook[],
  leaveOut: (h: OciHook) => boolean,
): { hooks: OciHook[]; left: OciHook[] } {
  const left: OciHook[] = [];
  const out: OciHook[] = [];
  for (const h of hooks) {
    if (isRelayed(h)) {
      out.push(h);
      continue;
    }
    const chain = chainInHook(h);
    if (chain === undefined) {
      if (leaveOut(h)) left.push(h);
      else out.push(h);
      continue;
    }
    const kept = chain.filter((c) => {
      const run = chainedAsRun(h, c);
      if (!leaveOut(run)) return true;
      left.push(run);
      return false;
    });
    if (kept.length === chain.length) out.push(h);
    else if (kept.length > 0)
      out.push({
        ...h,
        args: (h.args ?? []).map((a) => (a.startsWith(CHAIN_FLAG) ? `${CHAIN_FLAG}${JSON.stringify(kept)}` : a)),
      });
  }
  return { hooks: out, left };
}

/** The hooks in a chain of ours; undefined for any other hook (one that only looks like a chain too). */
function chainInHook(h: OciHook): ChainedHook[] | undefined {
  const arg = isChainHook(h) ? h.args?.find((a) => a.startsWith(CHAIN_FLAG)) : undefined;
  if (arg === undefined) return undefined;
  try {
    return chainIn(arg);
  } catch {
    return undefined; // not a chain of ours after all: a hook as any other
  }
}

/** A hook of a chain as config.json named it: bin/<program> beside the chain's launcher, or the link it noted. */
function chainedAsRun(chain: OciHook, c: ChainedHook): OciHook {
  return {
    path: c.path ?? path.join(path.dirname(chain.path), c.program),
    args: c.args,
    ...(c.env ? { env: c.env } : {}),
  };
}

/** config.json's `hooks` with each chain of ours as the hooks in it (hooksRun), stage by stage. */
export function hooksRunByStage(hooks: Json): Json {
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) return hooks;
  return Object.fromEntries(
    Object.entries(hooks).map(([stage, list]) => [stage, Array.isArray(list) ? hooksRun(list as OciHook[]) : list]),
  );
}

/** Whether the hook is a chain of the installation's hooks already (relayed or not). */
function isChainHook(h: OciHook): boolean {
  const first = h.args?.[1];
  return first !== undefined && (first.startsWith(RELAY_FLAG) || first.startsWith(CHAIN_FLAG));
}

/**
 * How many of these hooks ask the hook server at `socket` (chains with its RELAY_FLAG first); a
 * chain another server relayed earlier (the relay filter's, run before a GPU filter) is its own.
 */
export function servedCount(hooks: readonly OciHook[], socket: string | undefined): number {
  return socket === undefined ? 0 : hooks.filter((h) => h.args?.[1] === `${RELAY_FLAG}${socket}`).length;
}

/** Whether the hook is a chain a hook server was told to expect (RELAY_FLAG first). */
function isRelayed(h: OciHook): boolean {
  return h.args?.[1]?.startsWith(RELAY_FLAG) === true;
}

/** The hook launcher's field (native/hook-launcher/main.c), its path after it. */
export const HOOK_LAUNCHER_TAG = 'ocihooks-hook-launcher=';
/**
 * In front of the path in the hook launcher's field: each hook a Node start of its own (`install
 * --one-process-per-hook`), the launcher asking no server.
 */
export const SEPARATE_MARK = 'separate:';

/**
 * Whether the file is the installed hook launcher (native/hook-launcher/: an ELF file) that asks a
 * hook server, not a Node launcher nor the launcher of an installation of one process per hook.
 */
export function asksHookServer(file: string): boolean {
  let asks = asksHookServerSeen.get(file);
  if (asks === undefined) asksHookServerSeen.set(file, (asks = readAsksHookServer(file)));
  return asks;
}

/**
 * What asksHookServer found for each file in this process: a wrapper's create asks up to once per
 * stage and edit, and reading the launcher whole costs ~30 µs (its first 4 bytes, ~6).
 */
const asksHookServerSeen = new Map<string, boolean>();

function readAsksHookServer(file: string): boolean {
  let program: Buffer;
  try {
    program = fs.readFileSync(file); // tens of kB, the launcher's whole file
  } catch {
    return false;
  }
  if (program.subarray(0, 4).toString('latin1') !== '\x7fELF') return false;
  const at = program.indexOf(HOOK_LAUNCHER_TAG);
  return (
    at >= 0 &&
    !program
      .subarray(at + HOOK_LAUNCHER_TAG.length)
      .toString('latin1', 0, SEPARATE_MARK.length)
      .startsWith(SEPARATE_MARK)
  );
}
