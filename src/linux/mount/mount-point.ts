/**
 * Mount points inside a rootfs: the walk is the addon's (native/mount-point.c mount_point, the same
 * code the user-namespace helper runs): resolved inside the root, the image's symlinks followed
 * there (a link whose target is missing gets its target made, as runc and Sarus do), and created
 * one component at a time in already-resolved folders. This file words what the walk refuses.
 */
import { ActionError, errorCode, messageOf } from '../../core/errors';
import { fsTypeName } from './own-filesystems';
import { MOUNT_POINT_KINDS, MountPointRefusal, native } from '../native';
import { kindOfMode, pathComponents } from './rootfs';

/** What a mount point must be: a device bind accepts an existing device node (e.g. one a runtime made). */
export type MountPointKind = keyof typeof MOUNT_POINT_KINDS;

export interface MountPointOptions {
  /** The container's own filesystems (own-filesystems.ts): the destination only on these mounts. */
  allowedMounts?: number[];
  /** Owner of the mount point and of the folders made for it (the container's user). */
  owner?: { uid: number; gid: number };
  /** A mount of the walk's namespace in words, by id: the mounts this run made, then mountinfo. */
  describeMount?: (id: number) => string | undefined;
}

const OWN = "not on the container's own filesystems (its root, and its /dev tmpfs)";

/** Why the walk refused containerPath, in the words of an error about it. */
export function explainRefusal(
  containerPath: string,
  kind: MountPointKind,
  r: MountPointRefusal,
  describeMount?: (id: number) => string | undefined,
): string {
  const at = `/${r.at}`;
  switch (r.reason) {
    case 'root':
      return `destination ${containerPath}: cannot mount over the container's root`;
    case 'not-directory':
      return `destination ${containerPath}: ${at} is a ${kindOfMode(r.mode)}, not a directory`;
    case 'vanished':
      return `destination ${containerPath}: ${at} vanished while it was being created`;
    case 'wrong-kind':
      return `destination ${containerPath}: exists as a ${kindOfMode(r.mode)} in the container, the source needs a ${kind === 'device' ? 'file or device node' : kind}`;
    case 'foreign':
      return `destination ${containerPath}: ${at} is on ${describeMount?.(r.mountId) ?? fsTypeName(r.fsType)}, ${OWN}`;
  }
}

/** A creation that failed on a read-only filesystem, said of the filesystem it really was. */
function explainReadOnly(
  rootFd: number,
  containerPath: string,
  e: unknown,
  describeMount?: (id: number) => string | undefined,
): string {
  const err = e as { mountId?: number; fsType?: number; path?: string };
  const at = `/${err.path && err.path !== '.' ? err.path.replace(/\/[^/]*$/, '') : ''}`;
  if (err.mountId !== undefined && err.mountId !== native().mountOf(rootFd).id) {
    const what = describeMount?.(err.mountId) ?? `a read-only ${fsTypeName(err.fsType ?? 0)}`;
    return `destination ${containerPath}: ${at} is on ${what}, which is read-only (${messageOf(e)})`;
  }
  // Seen with crun, which applies root.readonly before createContainer hooks (runc after them).
  return `destination ${containerPath}: the image lacks it and the rootfs is read-only when this hook runs (${messageOf(e)}); add it to the image or set root.readonly to false`;
}

/**
 * Returns an O_PATH fd on the mount point for containerPath, creating it (and its folders) when
 * missing. An existing mount point must be of the kind the source needs.
 */
export function ensureMountPoint(
  rootFd: number,
  containerPath: string,
  kind: MountPointKind,
  opts: MountPointOptions = {},
): number {
  let r: ReturnType<ReturnType<typeof native>['mountPoint']>;
  const policy = {
    ...(opts.allowedMounts ? { allowedMounts: opts.allowedMounts } : {}),
    ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
  };
  try {
    r = native().mountPoint(rootFd, pathComponents(containerPath).join('/'), MOUNT_POINT_KINDS[kind], policy);
  } catch (e) {
    if (errorCode(e) === 'EROFS')
      throw new ActionError(explainReadOnly(rootFd, containerPath, e, opts.describeMount), { cause: e });
    throw e;
  }
  if (typeof r === 'number') return r;
  throw new ActionError(explainRefusal(containerPath, kind, r, opts.describeMount));
}
