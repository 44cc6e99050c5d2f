/**
 * Which hooks a container gets, per stage, in podman's order — the same code serves `ocihooks
 * match`, `ocihooks validate` and the runtime wrapper. A match error (a command condition on a
 * config whose process has no args) refuses the container, as podman does. A file's `prestart`
 * goes where the podman being followed puts it (prestart.ts).
 */
import { messageOf } from '../core/errors';
import type { HookFile } from './read';
import { PrestartAs, injectedStage } from './prestart';
import type { OciHook } from './schema';
import { ContainerFacts, MatchError, whenMatches } from './when';

export interface MatchedHook {
  file: string;
  hook: OciHook;
}

/** Hooks per stage, in injection order; throws MatchError naming the hook file. */
export function matchHooks(
  hooks: readonly HookFile[],
  c: ContainerFacts,
  prestartAs: PrestartAs,
): Record<string, MatchedHook[]> {
  const out: Record<string, MatchedHook[]> = {};
  for (const f of hooks) {
    if (f.status !== 'ok' || !f.def) continue;
    let match: boolean;
    try {
      match = whenMatches(f.def.when, c);
    } catch (e) {
      throw new MatchError(`matching hook ${JSON.stringify(f.name)}: ${messageOf(e)}`, { cause: e });
    }
    if (!match) continue;
    for (const stage of f.def.stages ?? [])
      (out[injectedStage(stage, prestartAs)] ??= []).push({ file: f.file, hook: f.def.hook });
  }
  return out;
}
