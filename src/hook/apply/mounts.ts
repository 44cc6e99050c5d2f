/**
 * Bind mounts (files, directories, host device nodes): each source is cloned as a detached tree
 * (open_tree) and made nosuid — read-only down to every submount when asked — before it is
 * visible anywhere, then attached with move_mount onto the fd of a mount point resolved in root.
 * No path is re-resolved between the check and the mount.
 */
import fs = require('node:fs');
import type { BindAction, ContainerUser, DeviceAction } from '../../core/actions';
import { ActionError, errorCode } from '../../core/errors';
import type { Plan } from '../../core/plan';
import { ensureMountPoint } from '../../linux/mount/mount-point';
import { native } from '../../linux/native';
import { inUserNamespace, outsideIds } from '../../linux/userns';
import type { ApplyRun } from './context';

export type MountAction = BindAction | DeviceAction;

function propagationFlag(p: Plan['propagation']): number {
  const c = native().constants;
  return { private: c.MS_PRIVATE, slave: c.MS_SLAVE, shared: c.MS_SHARED, unbindable: c.MS_UNBINDABLE }[p];
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
 * An O_PATH fd on the action's source looked up as the container's user (Sarus checks the
 * source as that user too): one they cannot reach is not given to them by a hook running as root.
 */
function openSourceAsUser(a: MountAction, user: ContainerUser): number {
  try {
    return native().openAs(a.source, user.uid, user.gid, user.additionalGids ?? []);
  } catch (e) {
    const code = errorCode(e);
    if (code === 'EACCES' || code === 'EPERM')
      throw new ActionError(
        `source ${a.source}: the container's user (${describeUser(user, 'self')}) cannot reach it (${code})`,
        { cause: e },
      );
    throw e;
  }
}

/** A detached, attribute-set clone of the action's source, seen from the current namespace. */
export function detachedTree(a: MountAction, propagation: Plan['propagation']): number {
  const n = native();
  const c = n.constants;
  const recursive = a.action === 'bind' ? c.AT_RECURSIVE : 0;
  const src = a.user ? openSourceAsUser(a, a.user) : undefined;
  let fd: number;
  try {
    fd =
      src === undefined
        ? n.openTree(c.AT_FDCWD, a.source, c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC | recursive)
        : n.openTree(src, '', c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC | recursive | c.AT_EMPTY_PATH);
  } finally {
    if (src !== undefined) fs.closeSync(src);
  }
  try {
    const attrs = c.MOUNT_ATTR_NOSUID | (a.action === 'bind' && a.readonly ? c.MOUNT_ATTR_RDONLY : 0);
    n.mountSetattr(fd, '', c.AT_EMPTY_PATH | c.AT_RECURSIVE, attrs, 0, propagationFlag(propagation), a.source);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
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
    target = ensureMountPoint(
      run.rootFd,
      a.destination,
      a.action === 'device' ? 'device' : a.kind,
      run.mountPointOptions(a),
    );
    const where = n.readlinkat(run.hostProc, `self/fd/${target}`);
    n.moveMount(tree, '', target, '', c.MOVE_MOUNT_F_EMPTY_PATH | c.MOVE_MOUNT_T_EMPTY_PATH, where);
    run.mounted.push(where);
    run.made.push({ id: n.mountOf(tree).id, action: a });
    run.opts.log.debug({ action: a, at: where }, 'mounted');
  } finally {
    if (target !== undefined) fs.closeSync(target);
    if (tree !== undefined && prepared === undefined) fs.closeSync(tree);
  }
}
