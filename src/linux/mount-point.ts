/**
 * Mount points inside a rootfs: the walk is the addon's (native/ocihooks.c mount_point, the same
 * code the user-namespace helper runs), resolved with openat2 RESOLVE_IN_ROOT and created one
 * component at a time in already-resolved parents. This file words what the walk refuses.
 */
import { ActionError, errorCode, messageOf } from '../core/errors';
import { MOUNT_POINT_KINDS, MountPointRefusal, native } from './native';
import { kindOfMode, pathComponents } from './rootfs';

/** What a mount point must be: a device bind accepts an existing device node (e.g. one a runtime made). */
export type MountPointKind = keyof typeof MOUNT_POINT_KINDS;

/** Why the walk refused containerPath, in the words of an error about it. */
export function explainRefusal(containerPath: string, kind: MountPointKind, r: MountPointRefusal): string {
  const at = `/${r.at}`;
  switch (r.reason) {
    case 'root':
      return `destination ${containerPath}: cannot mount over the container's root`;
    case 'dotdot':
      return `destination ${containerPath}: cannot create ".."`;
    case 'dangling':
      return `destination ${containerPath}: ${at} is a symlink that does not resolve inside the rootfs`;
    case 'not-directory':
      return `destination ${containerPath}: ${at} is a ${kindOfMode(r.mode)}, not a directory`;
    case 'vanished':
      return `destination ${containerPath}: ${at} vanished while it was being created`;
    case 'wrong-kind':
      return `destination ${containerPath}: exists as a ${kindOfMode(r.mode)} in the container, the source needs a ${kind === 'device' ? 'file or device node' : kind}`;
  }
}

/**
 * Returns an O_PATH fd on the mount point for containerPath, creating it (and its parents as
 * directories) when missing. An existing mount point must be of the kind the source needs.
 */
export function ensureMountPoint(rootFd: number, containerPath: string, kind: MountPointKind): number {
  let r: ReturnType<ReturnType<typeof native>['mountPoint']>;
  try {
    r = native().mountPoint(rootFd, pathComponents(containerPath).join('/'), MOUNT_POINT_KINDS[kind]);
  } catch (e) {
    // Seen with crun, which applies root.readonly before createContainer hooks (runc after them).
    if (errorCode(e) === 'EROFS')
      throw new ActionError(
        `destination ${containerPath}: the image lacks it and the rootfs is read-only when this hook runs (${messageOf(e)}); add it to the image or set root.readonly to false`,
        { cause: e },
      );
    throw e;
  }
  if (typeof r === 'number') return r;
  throw new ActionError(explainRefusal(containerPath, kind, r));
}
