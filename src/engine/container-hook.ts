/**
 * The flow every container hook shares: state -> bundle -> location -> plan -> (print | apply).
 * src/cmd/<program>.ts only add their arguments and their planner.
 */
import * as fs from 'node:fs';
import { applyPlan, openContainerRoot } from './apply';
import { CommonArgs, HookContext } from './cli/options';
import { ActionError } from '../core/errors';
import { Bundle, loadBundle, readState } from './inputs';
import { Location, locateContainer } from './location';
import { describeAction, Plan } from '../core/plan';
import { phaseDone } from './timing';
import type { OciState } from '../core/oci';

export interface PlanContext {
  state: OciState;
  bundle: Bundle;
  location: Location;
  /** Runs fn with an fd on the container's rootfs (for reading image files while planning). */
  withRoot<T>(fn: (rootFd: number) => T): T;
}

/** Locates the container; a location that cannot be established is kept as "unresolved" so that
 * input errors found while planning (exit 2) are reported first, and --dry-run can still print. */
export function locate(state: OciState, bundle: Bundle): Location {
  try {
    return locateContainer(state.pid, bundle.rootfs);
  } catch (e) {
    if (e instanceof ActionError) return { kind: 'unresolved', rootfs: bundle.rootfs, reason: e.message };
    throw e;
  }
}

export function runContainerHook(args: CommonArgs & { 'skip-cgroup'?: boolean }, ctx: HookContext, makePlan: (p: PlanContext) => Plan): void {
  const state = readState(args['state-file']);
  const stateJson = JSON.stringify(state);
  phaseDone('state');
  const bundle = loadBundle(state);
  phaseDone('config');
  const location = locate(state, bundle);
  phaseDone('locate');
  const log = ctx.log.child({ container: state.id });
  log.info({ location: location.kind, statePid: state.pid ?? null }, location.reason);
  const plan = makePlan({
    state,
    bundle,
    location,
    withRoot(fn) {
      const fd = openContainerRoot(location);
      try {
        return fn(fd);
      } finally {
        fs.closeSync(fd);
      }
    },
  });
  phaseDone('plan');
  if (args['dry-run']) {
    process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
    return;
  }
  if (location.kind === 'unresolved') throw new ActionError(location.reason);
  for (const d of plan.deferred ?? []) log.warn(d);
  if (plan.actions.length === 0) {
    log.info('nothing to do');
    return;
  }
  const started = process.hrtime.bigint();
  const applied = applyPlan(plan, { log, skipCgroup: args['skip-cgroup'] ?? false, stateJson });
  applied.leave();
  phaseDone('apply');
  log.info({ actions: plan.actions.map(describeAction), ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'applied');
}
