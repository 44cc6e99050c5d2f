/**
 * A container in a user namespace other than ours, joined by hand: this multithreaded process
 * cannot enter it, so a forked single-threaded helper of the addon does the mounts (native/
 * ocihooks.c mountInUserNamespace, with the same mount-point walk as every other path); mount
 * points it creates belong to the container's mapped root. What the helper cannot do here
 * (device cgroup, ldconfig, spec hooks, mknod) is refused or skipped with a reason, never
 * silently dropped.
 */
import * as os from 'node:os';
import { Action, BindAction, DeviceAction, bindsHostNode, describeAction } from '../../core/actions';
import { ActionError } from '../../core/errors';
import type { Plan } from '../../core/plan';
import { explainRefusal } from '../../linux/mount-point';
import { MOUNT_POINT_KINDS, MountPointRefusal, native } from '../../linux/native';
import { pathComponents } from '../../linux/rootfs';
import type { Applied, ApplyOptions } from './context';
import { USERNS_CGROUP_SKIPPED, checkDeviceReachable } from './device-cgroup';

/** errno number -> name, for results that come back from the forked helper as numbers. */
function errnoName(errno: number): string {
  return Object.entries(os.constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

type MountAction = BindAction | DeviceAction;

function kindOf(a: MountAction): keyof typeof MOUNT_POINT_KINDS {
  return a.action === 'bind' ? a.kind : 'device';
}

/** Words one failure line of the helper ("err <errno> <syscall> <path>" or "mp <reason> <mode> <path>"). */
function explainHelperFailure(line: string, a: MountAction | undefined): string {
  const [tag, first, second, ...rest] = line.split(' ');
  if (tag === 'mp' && a) {
    const refusal = { reason: first, mode: Number(second), at: rest.join(' ') } as MountPointRefusal;
    return explainRefusal(a.destination, kindOf(a), refusal);
  }
  const name = errnoName(Number(first));
  const where = `${second} ${rest.join(' ')}`;
  return name === 'EACCES' || name === 'EPERM'
    ? `${where}: permission denied for this user (${name})`
    : `${where}: ${name}`;
}

export function applyInUserNamespace(plan: Plan, pid: number, opts: ApplyOptions): Applied {
  const mounts = plan.actions.filter((a): a is MountAction => a.action === 'bind' || bindsHostNode(a));
  const other = plan.actions.find((a) => a.action !== 'bind' && a.action !== 'allow-devices' && !bindsHostNode(a));
  if (other)
    throw new ActionError(
      `${describeAction(other)}: not possible by hand in a container with its own user namespace; run the hook as a createContainer hook`,
    );
  for (const a of mounts) if (a.action === 'device') checkDeviceReachable(a);
  if (plan.actions.some((a) => a.action === 'allow-devices')) opts.log.warn(USERNS_CGROUP_SKIPPED);
  const results = native().mountInUserNamespace(
    pid,
    mounts.map((a) => ({
      source: a.source,
      destination: pathComponents(a.destination).join('/'),
      kind: MOUNT_POINT_KINDS[kindOf(a)],
      readonly: a.action === 'bind' && a.readonly,
    })),
  );
  const done = results.filter((r) => r === 'ok').length;
  const failure = results.find((r) => r !== 'ok');
  if (failure || done !== mounts.length) {
    const failed = mounts[done];
    const what = failed ? describeAction(failed as Action) : 'join the container';
    const reason = explainHelperFailure(failure ?? 'err 0 helper (no result)', failed);
    throw new ActionError(`${what}: ${reason}${done ? `; the ${done} mount(s) before it stay in the container` : ''}`);
  }
  opts.log.info({ mounts: done, pid }, 'mounted through the user-namespace helper');
  return { mounted: [], leave() {} };
}
