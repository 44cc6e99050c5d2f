/**
 * The flow every container hook shares: state -> bundle -> location -> plan -> (print | apply).
 * src/cmd/<program>.ts only add their arguments and their planner.
 */
import * as fs from 'node:fs';
import { RunHookAction, describeAction } from '../core/actions';
import { ActionError } from '../core/errors';
import type { Plan, PlanInput } from '../core/plan';
import { ApplyOptions, applyPlan } from './apply';
import { openContainerRoot } from './apply/context';
import type { CommonArgs } from './cli/options';
import type { HookContext } from './cli/program';
import { loadBundle, readState } from './inputs';
import { locateOrUnresolved } from './location';
import { phaseDone } from './timing';

export interface PlanContext extends PlanInput {
  /** Runs fn with an fd on the container's rootfs (for reading image files while planning). */
  withRoot<T>(fn: (rootFd: number) => T): T;
}

/** A way to run some of the plan's CDI hooks in this process (see ApplyOptions.runHookInProcess). */
export type InProcessHooks = (p: PlanContext, opts: ApplyOptions) => (a: RunHookAction) => boolean;

export function runContainerHook(
  args: CommonArgs & { 'skip-cgroup'?: boolean },
  ctx: HookContext,
  makePlan: (p: PlanContext) => Plan,
  inProcess?: InProcessHooks,
): void {
  const state = readState(args['state-file']);
  const stateJson = JSON.stringify(state);
  phaseDone('state');
  const bundle = loadBundle(state);
  phaseDone('config');
  const location = locateOrUnresolved(state.pid, bundle.rootfs);
  phaseDone('locate');
  const log = ctx.log.child({ container: state.id });
  log.info({ location: location.kind, statePid: state.pid ?? null }, location.reason);
  const p: PlanContext = {
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
  };
  const plan = makePlan(p);
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
  const opts: ApplyOptions = { log, skipCgroup: args['skip-cgroup'] ?? false, stateJson };
  if (inProcess) opts.runHookInProcess = inProcess(p, opts);
  const applied = applyPlan(plan, opts);
  applied.leave();
  phaseDone('apply');
  log.info(
    { actions: plan.actions.map(describeAction), ms: Number(process.hrtime.bigint() - started) / 1e6 },
    'applied',
  );
}
