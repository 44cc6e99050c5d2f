/**
 * The plan: where a hook acts (its Location) and the list of actions it takes there. A planner
 * returns one, `--dry-run` prints it, hook/apply executes it. Planning reads the host (what a
 * source is, a device's numbers) but changes nothing.
 */
import type { Action } from './actions';
import type { Bundle, OciState } from './oci';

/** How a hook reaches the container's mount namespace (hook/location.ts decides). */
export type Location =
  | { kind: 'inside'; rootfs: string; reason: string }
  | { kind: 'join'; pid: number; pivoted: boolean; rootfs: string; reason: string }
  /** Only in --dry-run plans: where the hook would act could not be established. */
  | { kind: 'unresolved'; rootfs: string; reason: string };

export interface Plan {
  hook: string;
  container: { id: string; bundle: string; rootfs: string; pid?: number };
  location: Location;
  /** Propagation of the injected mounts, from config linux.rootfsPropagation (default private). */
  propagation: 'private' | 'slave' | 'shared' | 'unbindable';
  actions: Action[];
  /** Edits this stage cannot make (logged; the precreate stage can). */
  deferred?: string[];
}

/** What every planner is given about the container. */
export interface PlanInput {
  state: OciState;
  bundle: Bundle;
  location: Location;
}

export function propagationOf(rootfsPropagation: string | undefined): Plan['propagation'] {
  switch (rootfsPropagation) {
    case 'slave':
    case 'rslave':
      return 'slave';
    case 'shared':
    case 'rshared':
      return 'shared';
    case 'unbindable':
    case 'runbindable':
      return 'unbindable';
    default:
      return 'private';
  }
}

/** A plan for one container: what every hook's planner returns. */
export function newPlan(
  hook: string,
  { state, bundle, location }: PlanInput,
  actions: Action[],
  deferred?: string[],
): Plan {
  return {
    hook,
    container: { id: state.id, bundle: bundle.dir, rootfs: bundle.rootfs, ...(state.pid ? { pid: state.pid } : {}) },
    location,
    propagation: propagationOf(bundle.config.linux?.rootfsPropagation),
    actions,
    ...(deferred ? { deferred } : {}),
  };
}
