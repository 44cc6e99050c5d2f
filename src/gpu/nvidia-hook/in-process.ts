/**
 * The CDI hooks `ocihooks cdi generate` writes call ocihook-gpu itself (create-symlinks,
 * update-ldcache, ...): six of them per spec. Started as programs, each costs a Node start; on the
 * accelerator machine the GPU hook took 450 ms against 100 ms for a container without hooks. When a
 * spec hook's path is this very program and its subcommand is one of ours, the GPU hook runs it
 * here instead, after its own actions are applied (where the started hook would run), with the
 * same state, the same flags and the same checks — so it sees the device nodes and mounts the GPU
 * hook made, as a started hook would. Anything else (another program, an env list, a state file of
 * its own, --help) is started as usual.
 */
import { RunHookAction, describeAction } from '../../core/actions';
import { parseArgs } from '../../engine/cli/options';
import { applyPlan } from '../../engine/apply';
import { realpathOrUndefined } from '../../linux/files';
import type { InProcessHooks } from '../../engine/container-hook';
import { NOOP, NVIDIA_HOOKS } from '.';
import type { HookArgs } from './hook';
import { hookCliSpec, rootFlags } from './run';

/** The runner for ApplyOptions.runHookInProcess, for the program at ownPath (process.argv[1]). */
export function inProcessNvidiaHooks(program: string, ownPath: string | undefined): InProcessHooks {
  const own = ownPath === undefined ? undefined : realpathOrUndefined(ownPath);
  return (p, opts) => (a: RunHookAction) => {
    if (own === undefined || a.env.length || realpathOrUndefined(a.path) !== own) return false;
    const { rest } = rootFlags(a.args.slice(1));
    const name = rest[0];
    if (name === NOOP) return true;
    const hook = name !== undefined && Object.hasOwn(NVIDIA_HOOKS, name) ? NVIDIA_HOOKS[name] : undefined;
    if (!hook) return false;
    const argv = rest.slice(1);
    if (argv.some((x) => x === '--help' || x === '--version' || /^--(state-file|container-spec|dry-run)\b/.test(x)))
      return false;
    const args = parseArgs<HookArgs>(hookCliSpec(program, hook), argv);
    if (args === undefined) return false;
    const log = opts.log.child({ specHook: hook.name });
    const nothing = hook.check(args);
    if (nothing !== undefined) {
      log.info(`${nothing}: nothing to do`);
      return true;
    }
    const plan = hook.plan(p, args);
    const { runHookInProcess: _nested, ...plain } = opts;
    if (plan.actions.length) applyPlan(plan, { ...plain, log }).leave();
    log.info(
      { actions: plan.actions.map(describeAction) },
      plan.actions.length ? 'applied in the GPU hook' : 'nothing to do',
    );
    return true;
  };
}
