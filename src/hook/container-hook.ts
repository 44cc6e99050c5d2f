/**
 * The flow every container hook shares: state -> bundle -> location -> plan -> (print | apply).
 * src/cmd/<program>.ts only add their arguments and their planner.
 */
import fs = require('node:fs');
import { RunHookAction, describeAction } from '../core/actions';
import { ActionError } from '../core/errors';
import type { Plan, PlanInput } from '../core/plan';
import { ApplyOptions, applyPlan } from './apply';
import { openContainerRoot } from './apply/context';
import type { CommonArgs } from './program/options';
import type { HookContext } from './program/run-program';
import { loadBundle, readState } from './inputs';
import { envFromList, runCaptured } from './program/invocation';
import { binDirOf, ownProgramOf } from './program/own-programs';
import { SCRUBBED_ENV } from '../linux/exec';
import { locateOrUnresolved } from './location';

export interface PlanContext extends PlanInput {
  /** Runs fn with an fd on the container's rootfs (for reading image files while planning). */
  withRoot<T>(fn: (rootFd: number) => T): T;
}

/**
 * Runs a CDI spec's hook inside this process when it is one of the installation's own programs
 * (ocihook-gpu's NVIDIA subcommands in specs `ocihooks cdi generate` writes: six per spec, each a
 * Node start otherwise), with what a started hook would get: its arguments, SCRUBBED_ENV plus its
 * env list, the state on stdin; its records go to this hook's log. False: start it.
 */
function ownHookRunner(ctx: HookContext, stateJson: string): (a: RunHookAction) => boolean {
  const binDir = binDirOf(ctx.inv.path);
  return (a) => {
    const program = ownProgramOf(a.path, binDir);
    if (program === undefined) return false;
    const { code, stderr } = runCaptured(
      ctx.inv,
      {
        program,
        path: a.path,
        argv: a.args.slice(1),
        env: { ...SCRUBBED_ENV, ...envFromList(a.env) },
        ranIn: ctx.inv.program,
        log: ctx.log,
      },
      stateJson,
    );
    // As runTrusted words a started hook's failure: its exit status and its last stderr lines.
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    if (code !== 0) throw new ActionError(`exit ${code}${tail ? `: ${tail}` : ''}`);
    return true;
  };
}

export function runContainerHook(
  args: CommonArgs & { 'skip-cgroup'?: boolean },
  ctx: HookContext,
  makePlan: (p: PlanContext) => Plan,
): void {
  const state = readState(args['state-file'], ctx.inv.stdin);
  const stateJson = JSON.stringify(state);
  ctx.inv.timing.done('state');
  const bundle = loadBundle(state);
  ctx.inv.timing.done('config');
  const location = locateOrUnresolved(state.pid, bundle.rootfs);
  ctx.inv.timing.done('locate');
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
  ctx.inv.timing.done('plan');
  if (args['dry-run']) {
    ctx.inv.stdout(JSON.stringify(plan, null, 2) + '\n');
    return;
  }
  if (location.kind === 'unresolved') throw new ActionError(location.reason);
  for (const d of plan.deferred ?? []) log.warn(d);
  if (plan.actions.length === 0) {
    log.info('nothing to do');
    return;
  }
  const started = process.hrtime.bigint();
  const opts: ApplyOptions = {
    log,
    skipCgroup: args['skip-cgroup'] ?? false,
    stateJson,
    runHookInProcess: ownHookRunner(ctx, stateJson),
  };
  const applied = applyPlan(plan, opts);
  applied.leave();
  ctx.inv.timing.done('apply');
  log.info(
    { actions: plan.actions.map(describeAction), ms: Number(process.hrtime.bigint() - started) / 1e6 },
    'applied',
  );
}
