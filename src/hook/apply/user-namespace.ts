/**
 * A container in a user namespace other than ours, joined by hand: this multithreaded process
 * cannot enter it, so a forked single-threaded helper of the addon does the mounts (native/
 * userns-helper.c mountInUserNamespace, with the same mount-point walk as every other path); mount
 * points it creates belong to the container's mapped root. What the helper cannot do here
 * (device cgroup, ldconfig, spec hooks, mknod) is refused or skipped with a reason, never
 * silently dropped.
 */
import fs = require('node:fs');
import { Action, BindAction, DeviceAction, bindsHostNode, describeAction } from '../../core/actions';
import { ActionError } from '../../core/errors';
import type { Plan } from '../../core/plan';
import { explainRefusal } from '../../linux/mount/mount-point';
import { MOUNT_POINT_KINDS, MountPointRefusal, native } from '../../linux/native';
import { ownFilesystems } from '../../linux/mount/own-filesystems';
import { openRootfs, pathComponents } from '../../linux/mount/rootfs';
import { Applied, ApplyOptions, MadeMount, mountDescriber } from './context';
import { describeUser } from './mounts';
import { USERNS_CGROUP_SKIPPED, checkDeviceReachable } from './device-cgroup';

/** errno number -> name, for results that come back from the forked helper as numbers. */
function errnoName(errno: number): string {
  // node:os only here, on a failure: loading it costs every hook run a millisecond.
  const { constants } = require('node:os') as typeof import('node:os');
  return Object.entries(constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

type MountAction = BindAction | DeviceAction;

function kindOf(a: MountAction): keyof typeof MOUNT_POINT_KINDS {
  return a.action === 'bind' ? a.kind : 'device';
}

/** The helper's lines: "ok <mount id>" per mount made, then at most one failure. */
function parseResults(lines: string[]): { made: number[]; failure?: string } {
  const made: number[] = [];
  for (const line of lines) {
    const [tag, id] = line.split(' ');
    if (tag !== 'ok') return { made, failure: line };
    made.push(Number(id));
  }
  return { made };
}

/**
 * Words one failure line of the helper: "err <errno> <syscall> <path>", "err <errno> <syscall>
 * in <mount id> <fs type> <path>" (a creation that failed in a folder), or "mp <reason> <mode>
 * <mount id> <fs type> <path>".
 */
function explainHelperFailure(
  line: string,
  a: MountAction | undefined,
  describeMount: (id: number) => string | undefined,
  pid: number,
): string {
  const [tag, first, second, ...rest] = line.split(' ');
  if (tag === 'mp' && a) {
    const [mountId, fsType, ...at] = rest;
    const refusal = {
      reason: first,
      mode: Number(second),
      mountId: Number(mountId),
      fsType: Number(fsType),
      at: at.join(' '),
    } as MountPointRefusal;
    return explainRefusal(a.destination, kindOf(a), refusal, describeMount);
  }
  const name = errnoName(Number(first));
  let path = rest.join(' ');
  if (rest[0] === 'in' && a) {
    const [, mountId, , ...at] = rest;
    path = at.join(' ');
    const what = describeMount(Number(mountId));
    if (name === 'EROFS' && what) return `destination ${a.destination}: /${path} is on ${what}, which is read-only`;
  }
  const where = `${second} ${path}`;
  if ((name === 'EACCES' || name === 'EPERM') && second === 'open' && a?.user)
    return `source ${a.source}: the container's user (${describeUser(a.user, pid)}) cannot reach it (${name})`;
  return name === 'EACCES' || name === 'EPERM'
    ? `${where}: permission denied for this user (${name})`
    : `${where}: ${name}`;
}

/** The container's own filesystems, seen from here through /proc/<pid>/root. */
function ownMountsOf(pid: number): number[] {
  const root = openRootfs(`/proc/${pid}/root`);
  try {
    return ownFilesystems(root, () => fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
  } finally {
    fs.closeSync(root);
  }
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
  const allowedMounts = mounts.some((a) => a.ownFilesystems) ? ownMountsOf(pid) : undefined;
  const results = native().mountInUserNamespace(
    pid,
    mounts.map((a) => ({
      source: a.source,
      destination: pathComponents(a.destination).join('/'),
      kind: MOUNT_POINT_KINDS[kindOf(a)],
      readonly: a.action === 'bind' && a.readonly,
      ...(a.user ? { uid: a.user.uid, gid: a.user.gid, groups: a.user.additionalGids ?? [] } : {}),
      ...(a.ownFilesystems ? { ownFilesystems: true } : {}),
    })),
    allowedMounts ? { allowedMounts } : undefined,
  );
  const { made, failure } = parseResults(results);
  const done = made.length;
  if (failure || done !== mounts.length) {
    const failed = mounts[done];
    const what = failed ? describeAction(failed as Action) : 'join the container';
    const madeMounts: MadeMount[] = made.map((id, i) => ({ id, action: mounts[i] as MountAction }));
    const describeMount = mountDescriber(madeMounts, () => fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
    const reason = explainHelperFailure(failure ?? 'err 0 helper (no result)', failed, describeMount, pid);
    throw new ActionError(`${what}: ${reason}${done ? `; the ${done} mount(s) before it stay in the container` : ''}`);
  }
  opts.log.info({ mounts: done, pid }, 'mounted through the user-namespace helper');
  return { mounted: [], leave() {} };
}
