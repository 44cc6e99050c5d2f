/**
 * The fact that lets the front-end start the runtime before the wrapper (native/front-end/
 * early-create.c): "every hooks.d file in these folders is one of this installation's hooks, of
 * the stages a hook server serves, or needs an annotation whose key starts with one of these
 * prefixes" (the GPU precreate filter needs a cdi.k8s.io/ key). Then for a container without such
 * a key what its config gets is one hook per stage whatever matches — a slot, which the wrapper's
 * hook server fills when the runtime asks (early-create.ts) — and the front-end can write it
 * without Node: the wrapper's start (~55 ms) overlaps the runtime's own set-up instead of coming
 * before it. With no slot at all, no hook can match such a container: the runtime alone.
 *
 * The wrapper writes the index (EARLY_INDEX, beside the no-match index) after a create or run it
 * was handed, for calls the front-end may take early itself: settings from a runtime config file
 * that gives no annotations, nothing on the line that changes the folders or the stages
 * (--hooks-dir, --prestart-as, --cdi-spec-dir, --root-per-user), a hook server possible (root in the
 * host's user namespace, the installed C hook launcher, serveHooks not off). It is dated and
 * trusted exactly as the no-match index is (no-match-index.ts): any change to the config file, a
 * folder or a *.json in it sends the next call to the wrapper again, which writes it anew or
 * removes it. The slots' timeouts: the sum of every hook's of the stage in the folders (a
 * runtime times a slot as it would the chain of the matched ones, which is never longer).
 */
import fs = require('node:fs');
import path = require('node:path');
import { literalPattern } from '../hooksd/literal-pattern';
import type { HooksRead } from '../hooksd/read';
import type { HookDefinition, When } from '../hooksd/schema';
import { PrestartAs, injectedStage } from '../hooksd/prestart';
import { RELAY_FLAG, SLOT_FLAG } from '../hook/program/chain';
import { RELAYED_STAGES, asksHookServer } from '../hook/program/chain-hooks';
import { HOOK_PROGRAMS, stageHookProgram } from '../hook/program/own-programs';
import { coversRead, noMatchIndexFile, writeIndex } from './no-match-index';

export const EARLY_HEADER = 'ocihooks-runtime early index 1';
/** Where the front-end puts the hook server's socket in a slot. */
export const SOCKET_MARK = '@SOCKET@';

/** The early index: the no-match index's path with ".early" after it (undefined where there is none). */
export const earlyIndexFile = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const noMatch = noMatchIndexFile(env);
  return noMatch === undefined ? undefined : `${noMatch}.early`;
};

/** A slot as config.json writes a hook. */
export interface SlotHook {
  path: string;
  args: string[];
  timeout?: number;
}

/**
 * The prefix every annotation key of a container lacks when this condition cannot hold for it: an
 * anchored literal key pattern (`^cdi\.k8s\.io/.+$`) that must match, all conditions required
 * (no `or`) and no `commands` (which decide alone). Undefined when there is none.
 */
export function requiredKeyPrefix(when: When): string | undefined {
  if (when.or || when.commands?.length) return undefined;
  for (const key of Object.keys(when.annotations ?? {})) {
    const p = literalPattern(key);
    if (p?.start && p.literal !== '' && !p.literal.includes('\n')) return p.literal;
  }
  return undefined;
}

/** What the front-end needs to start a create early. */
export interface EarlyPlan {
  /** The slot of each stage the installation's hooks go to. */
  slots: Map<string, SlotHook>;
  /**
   * Key prefixes of the files that are not such hooks (a site's hook, the GPU precreate filter, a
   * later stage): a container with an annotation key starting with one goes to the wrapper.
   */
  unless: string[];
}

/**
 * The early plan of these folders, or undefined when a file that is not one of binDir's hook
 * programs of a served stage could apply to any container (no required key prefix): then only the
 * wrapper can say what a container gets. Hooks of ours that need a key the `unless` prefixes
 * already send to the wrapper get no slot.
 */
export function earlyPlan(read: HooksRead, binDir: string, prestartAs: PrestartAs): EarlyPlan | undefined {
  if (!coversRead(read)) return undefined;
  const files = read.hooks.flatMap((f) => (f.status === 'ok' && f.def ? [f.def] : []));
  const served = (def: HookDefinition) =>
    stageHookProgram(def.hook, binDir) !== undefined &&
    (def.stages ?? []).every((s) => (RELAYED_STAGES as readonly string[]).includes(injectedStage(s, prestartAs)));
  const unless: string[] = [];
  for (const def of files.filter((d) => !served(d))) {
    const prefix = requiredKeyPrefix(def.when);
    if (prefix === undefined) return undefined;
    if (!unless.includes(prefix)) unless.push(prefix);
  }
  const timeouts = new Map<string, (number | undefined)[]>();
  for (const def of files.filter(served)) {
    const prefix = requiredKeyPrefix(def.when);
    if (prefix !== undefined && unless.some((u) => prefix.startsWith(u))) continue; // never early
    for (const stage of def.stages ?? []) {
      const at = injectedStage(stage, prestartAs);
      timeouts.set(at, [...(timeouts.get(at) ?? []), def.hook.timeout]);
    }
  }
  const slots = new Map<string, SlotHook>();
  for (const stage of RELAYED_STAGES) {
    const list = timeouts.get(stage);
    if (!list) continue;
    const slot: SlotHook = {
      path: path.join(binDir, HOOK_PROGRAMS[0]),
      args: ['ocihook-chain', `${RELAY_FLAG}${SOCKET_MARK}`, `${SLOT_FLAG}${stage}`],
    };
    if (list.every((t) => t !== undefined)) slot.timeout = list.reduce((a, b) => (a as number) + (b as number), 0);
    slots.set(stage, slot);
  }
  return { slots, unless };
}

/**
 * The index text: the config file, the hooks folders, the wrapper whose installation the slots
 * name (another installation's front-end does not use it), the key prefixes that send a container
 * to the wrapper and the slots, one per line.
 */
export function earlyIndexText(configFile: string, dirs: string[], wrapper: string, plan: EarlyPlan): string {
  const lines = [EARLY_HEADER, `config=${configFile}`, ...dirs.map((d) => `dir=${d}`), `wrapper=${wrapper}`];
  for (const prefix of plan.unless) lines.push(`unless-key=${prefix}`);
  for (const [stage, hook] of plan.slots) lines.push(`slot=${stage} ${JSON.stringify(hook)}`);
  return lines.join('\n') + '\n';
}

export interface EarlyIndexCall {
  configFile?: string;
  /** Whether the runtime config file gives annotations (the front-end cannot add those). */
  configAnnotations: boolean;
  /** Whether the line holds an option that changes the folders or the stages. */
  foldersOrStagesOnLine: boolean;
  inSlurmStep: boolean;
  /** Whether this wrapper can have a hook server (root in the host's user namespace, serveHooks not off). */
  canServe: boolean;
  binDir?: string;
  /** The wrapper's own path (the front-end's hand-off target). */
  wrapper: string;
  prestartAs: PrestartAs;
  dirs: string[];
  read: HooksRead;
  /** When the folders were read (ms since the epoch). */
  readAt: number;
}

/** Writes or removes the early index after a create/run; never fails the call (the index is only a shortcut). */
export function updateEarlyIndex(c: EarlyIndexCall, file = earlyIndexFile()): 'written' | 'kept' | 'removed' | 'left' {
  if (file === undefined || c.configFile === undefined || c.foldersOrStagesOnLine || c.inSlurmStep) return 'left';
  const plan =
    c.canServe &&
    !c.configAnnotations &&
    c.binDir !== undefined &&
    asksHookServer(path.join(c.binDir, HOOK_PROGRAMS[0]))
      ? earlyPlan(c.read, c.binDir, c.prestartAs)
      : undefined;
  try {
    if (!plan) {
      fs.rmSync(file, { force: true });
      return 'removed';
    }
  } catch {
    return 'left';
  }
  try {
    fs.mkdirSync(path.dirname(file), { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return 'left';
  }
  try {
    return writeIndex(file, earlyIndexText(c.configFile, c.dirs, c.wrapper, plan), c.readAt, c.configFile, c.dirs);
  } catch {
    return 'left'; // not root: the front-end keeps asking the wrapper
  }
}
