/**
 * What every nvidia-cdi-hook-compatible subcommand of ocihook-gpu is: NVIDIA's flags (and ours),
 * a check of the arguments before the state is read, and a planner — or nothing to do, decided
 * before the state is read, where NVIDIA's hook returns before reading it.
 */
import type { Plan } from '../../core/plan';
import type { OptionTable } from '../../hook/program/options';
import type { PlanContext } from '../../hook/container-hook';

export type HookArgs = Record<string, unknown>;

export interface NvidiaHook<A extends HookArgs = HookArgs> {
  name: string;
  describe: string;
  options: OptionTable;
  /** Bad arguments: UsageError. Returns a reason when there is nothing to do at all (no state is read then). */
  check(args: A): string | undefined;
  plan(p: PlanContext, args: A): Plan;
}

/** NVIDIA's hidden flag naming a file with the state (its tests use it); our --state-file does the same. */
export const CONTAINER_SPEC = {
  'container-spec': { type: 'string', describe: 'read the OCI state from FILE ("-": stdin), as nvidia-cdi-hook does' },
} as const;

/** A repeatable option's values, each also split at "," (urfave/cli's string slices). */
export function listValues(values: unknown): string[] {
  return ((values as string[] | undefined) ?? []).flatMap((v) => v.split(','));
}
