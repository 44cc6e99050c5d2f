/**
 * Bind mounts (files, directories, host device nodes): each source is cloned as a detached tree
 * (open_tree) and made nosuid — read-only down to every submount when asked — before it is
 * visible anywhere, then attached with move_mount onto the fd of a mount point resolved in root.
 * No path is re-resolved between the check and the mount.
 */
import type { BindAction, ContainerUser, DeviceAction } from '../../core/actions';
import { ActionError, errorCode } from '../../core/errors';
import type { Plan } from '../../core/plan';
import { ensureMountPointAt } from '../../linux/mount/mount-point';
import { native } from '../../linux/native';
import { inUserNamespace, outsideIds } from '../../linux/userns';
import type { ApplyRun } from './context';

export type MountAction = BindAction | DeviceAction;

function propagationFlag(p: Plan['propagation']): number {
  const c = native().constants;
  switch (p) {
    case 'private':
      return c.MS_PRIVATE;
    case 'slave':
      return c.MS_SLAVE;
    case 'shared':
      return c.MS_SHARED;
    case 'unbindable':
      return c.MS_UNBINDABLE;
  }
}

/**
 * The container's user in words: "uid 1000, gid 1000, groups 27 44"; in a user namespace (pid
 * one of its processes), also as the host sees them: "...; uid 100999, gid 100999 outside".
 */
export function describeUser(u: ContainerUser, pid?: number | 'self'): string {
  const groups = u.additionalGids?.length ? `, groups ${u.additionalGids.join(' ')}` : '';
  const outside = pid !== undefined && inUserNamespace(pid) ? outsideIds(u.uid, u.gid, pid) : undefined;
  return `uid ${u.uid}, gid ${u.gid}${groups}${outside ? `; ${outside} outside its user namespace` : ''}`;
}

/**
 * A detached, attribute-set clone of the action's source, seen from the current namespace. With
 * a container user the source is looked up as that user (Sarus checks the source as that user
 * too): one they cannot reach is not given to them by a hook running as root.
 */
export function detachedTree(a: MountAction, propagation: Plan['propagation']): number {
  const n = native();
  const c = n.constants;
  const flags = c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC | (a.action === 'bind' ? c.AT_RECURSIVE : 0);
  const attrs = c.MOUNT_ATTR_NOSUID | (a.action === 'bind' && a.readonly ? c.MOUNT_ATTR_RDONLY : 0);
  const user = a.user;
  try {
    return user
      ? n.cloneTree(a.source, flags, attrs, propagationFlag(propagation), user.uid, user.gid, user.additionalGids ?? [])
      : n.cloneTree(a.source, flags, attrs, propagationFlag(propagation), -1, -1, []);
  } catch (e) {
    if (user && deniedLookup(e))
      throw new ActionError(
        `source ${a.source}: the container's user (${describeUser(user, 'self')}) cannot reach it (${errorCode(e)})`,
        { cause: e },
      );
    throw e;
  }
}

/** Whether a failed clone was the lookup of the source refused (as the user, or as this thread when it is the user). */
function deniedLookup(e: unknown): boolean {
  const code = errorCode(e);
  const syscall = (e as { syscall?: string }).syscall;
  return (
    (syscall === 'open' && (code === 'EACCES' || code === 'EPERM')) || (syscall === 'open_tree' && code === 'EACCES')
  );
}

/**
 * Attaches a tree (cloned now when none was prepared: when already inside, each source is cloned
 * just before it is attached — a thousand detached trees held open slow every path lookup ~4x).
 */
export function attachMount(run: ApplyRun, a: MountAction, prepared: number | undefined): void {
  const n = native();
  const c = n.constants;
  let tree: number | undefined;
  let target: number | undefined;
  try {
    tree = prepared ?? detachedTree(a, run.plan.propagation);
    const point = ensureMountPointAt(
      run.rootFd,
      a.destination,
      a.action === 'device' ? 'device' : a.kind,
      run.mountPointOptions(a),
    );
    target = point.fd;
    const where = run.inRoot(point.at);
    n.moveMount(tree, '', target, '', c.MOVE_MOUNT_F_EMPTY_PATH | c.MOVE_MOUNT_T_EMPTY_PATH, where);
    run.mounted.push(where);
    run.made.push({ id: n.mountId(tree), action: a });
    run.opts.log.debug({ action: a, at: where }, 'mounted');
  } finally {
    if (target !== undefined) n.close(target);
    if (tree !== undefined && prepared === undefined) n.close(tree);
  }
}
