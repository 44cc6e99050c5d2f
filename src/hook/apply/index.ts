/**
 * Executes a plan through the native addon, as a short list of phases, each calling the step of
 * one action kind. Order, and why:
 *  1. In the hook's own namespace: clone each source as a detached tree (mounts.ts) — before a
 *     join, all of them, since the sources are visible only here — and find the container's
 *     device cgroup while /proc still shows the host (device-cgroup.ts).
 *  2. Enter the container's mount namespace if the location says so (context.ts).
 *  3. Attach each tree on a mount point resolved inside the rootfs; create device nodes; mount
 *     files (mount-file.ts); make symlinks, write files, set modes (files.ts).
 *  4. Allow the devices in the cgroup.
 *  5. Refresh the linker cache (ldconfig.ts).
 *  6. Run the CDI spec's hooks, from the hook's own namespace (spec-hooks.ts), or in this process
 *     when the hook is this program (opts.runHookInProcess): each would otherwise start Node again.
 * Any failure unmounts what this run mounted, in reverse order, and names the action that failed.
 * A container with a user namespace of its own, joined by hand, goes to user-namespace.ts.
 */
import {
  Action,
  AllowDevicesAction,
  DeviceAction,
  FileAction,
  LdconfigAction,
  RunHookAction,
  bindsHostNode,
  describeAction,
} from '../../core/actions';
import { ActionError, messageOf } from '../../core/errors';
import type { Plan } from '../../core/plan';
import { inUserNamespace, sameUserNamespace } from '../../linux/userns';
import { Applied, ApplyOptions, ApplyRun, step } from './context';
import { createDeviceNode } from './device-nodes';
import { applyFileAction } from './files';
import { mountFile } from './mount-file';
import { allowDeviceAccess, deviceCgroupToAllow } from './device-cgroup';
import { refreshLinkerCache } from './ldconfig/step';
import { MountAction, attachMount, detachedTree } from './mounts';
import { runSpecHook } from './spec-hooks';
import { applyInUserNamespace } from './user-namespace';

export type { Applied, ApplyOptions } from './context';

function ofKind<K extends Action['action']>(actions: Action[], kind: K): Extract<Action, { action: K }>[] {
  return actions.filter((a): a is Extract<Action, { action: K }> => a.action === kind);
}

export function applyPlan(plan: Plan, opts: ApplyOptions): Applied {
  const loc = plan.location;
  if (loc.kind === 'unresolved') throw new ActionError(loc.reason);
  if (loc.kind === 'join' && inUserNamespace(loc.pid) && !sameUserNamespace(loc.pid))
    return applyInUserNamespace(plan, loc.pid, opts);
  const mounts = plan.actions.filter((a): a is MountAction => a.action === 'bind' || bindsHostNode(a));
  const nodes = ofKind(plan.actions, 'device').filter((a) => !bindsHostNode(a));
  const allow: AllowDevicesAction[] = ofKind(plan.actions, 'allow-devices');
  const ldconfigs: LdconfigAction[] = ofKind(plan.actions, 'ldconfig');
  const hooks: RunHookAction[] = ofKind(plan.actions, 'run-hook');
  const fileMounts = ofKind(plan.actions, 'mount-file');
  const files = plan.actions.filter(
    (a): a is FileAction => a.action === 'symlink' || a.action === 'write-file' || a.action === 'chmod',
  );
  const run = new ApplyRun(plan, loc, opts);
  try {
    // 1. From the hook's own namespace.
    const trees =
      loc.kind === 'join'
        ? mounts.map((a) =>
            run.keep(
              step(
                () => describeAction(a),
                () => detachedTree(a, plan.propagation),
              ),
            ),
          )
        : [];
    const devices = mounts.filter((a): a is DeviceAction => a.action === 'device');
    const cgroup = deviceCgroupToAllow(
      run,
      devices,
      allow.flatMap((a) => a.rules),
    );
    // 2. Enter.
    run.enter();
    // 3. Mounts and device nodes.
    mounts.forEach((a, i) =>
      step(
        () => describeAction(a),
        () => attachMount(run, a, trees[i]),
      ),
    );
    for (const a of nodes) step(describeAction(a), () => createDeviceNode(run.rootFd, a));
    for (const a of fileMounts) step(describeAction(a), () => mountFile(run, a));
    for (const a of files) step(describeAction(a), () => applyFileAction(run, a));
    // 4. Device cgroup.
    allowDeviceAccess(run, cgroup, allow);
    // 5. Linker cache.
    for (const a of ldconfigs) step(describeAction(a), () => refreshLinkerCache(run, a));
    // 6. CDI spec hooks.
    if (hooks.length) run.leave();
    for (const a of hooks)
      step(describeAction(a), () => opts.runHookInProcess?.(a) || runSpecHook(a, opts.stateJson ?? ''));
    return run;
  } catch (e) {
    run.rollback();
    throw e instanceof ActionError ? e : new ActionError(messageOf(e), { cause: e });
  } finally {
    run.closeFds();
  }
}
