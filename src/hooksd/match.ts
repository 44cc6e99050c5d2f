/**
 * Which hooks a container gets, per stage, in injection order: the same code serves `ocihooks
 * match`, `ocihooks validate` and the runtime wrapper.
 */
import type { HookFile } from './read';
import type { OciHook } from './schema';
import { ContainerFacts, whenMatches } from './when';

export interface MatchedHook {
  file: string;
  hook: OciHook;
}

/** Hooks per stage, in injection order. Files with problems never match (podman refuses them). */
export function matchHooks(files: HookFile[], c: ContainerFacts): Record<string, MatchedHook[]> {
  const out: Record<string, MatchedHook[]> = {};
  for (const f of files) {
    if (!f.def || f.problems.length) continue;
    if (!whenMatches(f.def.when, c)) continue;
    for (const stage of f.def.stages) (out[stage] ??= []).push({ file: f.file, hook: f.def.hook });
  }
  return out;
}
