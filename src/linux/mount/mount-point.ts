/**
 * Mount points inside a rootfs: the walk is the addon's (native/mount-point.c mount_point, the same
 * code the user-namespace helper runs): resolved inside the root, the image's symlinks followed
 * there (a link whose target is missing gets its target made, as runc and Sarus do), and created
 * one component at a time in already-resolved folders. This file words what the walk refuses.
 */
import { ActionError, errorCode, messageOf } from '../../core/errors';
import { fsTypeName } from './own-filesystems';
import { MOUNT_POINT_KINDS, MountPointPolicy, MountPointRefusal, native } from '../native';
import { kindOfMode, rootRelative } from './rootfs';

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

/** The addon's form of the options: made once per options object (a run walks with a few). */
const policies = new WeakMap<MountPointOptions, MountPointPolicy>();
function policyOf(opts: MountPointOptions): MountPointPolicy {
  let policy = policies.get(opts);
  if (policy === undefined) {
    policy = {};
    if (opts.allowedMounts) policy.allowedMounts = opts.allowedMounts;
    if (opts.owner) {
      policy.uid = opts.owner.uid;
      policy.gid = opts.owner.gid;
    }
    policies.set(opts, policy);
  }
  return policy;
}

/** The walk for containerPath, its refusals and read-only failures in words. */
function walk<R>(
  rootFd: number,
  containerPath: string,
  kind: MountPointKind,
  opts: MountPointOptions,
  call: (rel: string, kindCode: number, policy: MountPointPolicy) => R | MountPointRefusal,
): R {
  let r: R | MountPointRefusal;
  try {
    r = call(rootRelative(containerPath), MOUNT_POINT_KINDS[kind], policyOf(opts));
  } catch (e) {
    if (errorCode(e) === 'EROFS')
      throw new ActionError(explainReadOnly(rootFd, containerPath, e, opts.describeMount), { cause: e });
    throw e;
  }
  if (typeof r === 'object' && r !== null && 'reason' in r)
    throw new ActionError(explainRefusal(containerPath, kind, r, opts.describeMount));
  return r as R;
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
  return walk(rootFd, containerPath, kind, opts, (rel, k, policy) => native().mountPoint(rootFd, rel, k, policy));
}

/**
 * ensureMountPoint's fd, with the mount point's path in the root ("usr/lib/x", the image's
 * symlinks followed): with the root's own path, where the mount will be, without asking /proc.
 */
export function ensureMountPointAt(
  rootFd: number,
  containerPath: string,
  kind: MountPointKind,
  opts: MountPointOptions = {},
): { fd: number; at: string } {
  const [fd, at] = walk(rootFd, containerPath, kind, opts, (rel, k, policy) =>
    native().mountPoint(rootFd, rel, k, policy, true),
  );
  return { fd, at };
}
