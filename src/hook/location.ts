/**
 * "Where am I?" — how a hook reaches the container's mount namespace, decided in one place.
 *
 * The facts (measured with runc and crun): they run createContainer hooks *inside* the
 * container's mount namespace, before pivot_root, with the host's /proc still mounted; runc
 * passes pid 1 (the host's init through that /proc), crun passes 0. A person running a hook by
 * hand passes the host pid of a running container; prestart/createRuntime hooks run in the
 * runtime's namespace with the host pid of a container that has not pivoted yet.
 *
 * The rule, checked in this order:
 *  1. RUNNING: state.pid > 0 names a process whose root (/proc/<pid>/root) is the rootfs
 *     directory itself (same device and inode): a running container. Join its mount namespace.
 *  2. INSIDE: our mount namespace is not the host init's (/proc/1/ns/mnt) and it has a mount
 *     point exactly at the rootfs path (runc and crun bind the rootfs onto itself before the
 *     createContainer hooks): we are in the container's namespace already.
 *  3. PRE-PIVOT: state.pid > 0 names a process in another mount namespace, not the host init's,
 *     that has a mount point at the rootfs path (createRuntime/prestart). Join it.
 *  Anything else fails: the hook never acts in a namespace it could not tie to the container,
 *  and never in the host init's mount namespace.
 */
import fs = require('node:fs');
import { ActionError, UsageError } from '../core/errors';
import type { Location } from '../core/plan';
import { mountInfoHasMountPoint } from '../linux/mount/mountinfo';

export type { Location };

/** What the rule needs to know about the system; real /proc by default, a table in unit tests. */
export interface LocationProbe {
  /** The mount namespace id (readlink of ns/mnt) of a pid, or undefined if it does not exist. */
  mountNs(pid: number | 'self'): string | undefined;
  /** Whether /proc/<pid>/root and the rootfs path are the same directory. */
  rootIs(pid: number, rootfs: string): boolean;
  /** Whether the mount namespace of pid has a mount point exactly at path. */
  hasMountPoint(pid: number | 'self', path: string): boolean;
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

export const procProbe: LocationProbe = {
  mountNs(pid) {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      return undefined;
    }
  },
  rootIs(pid, rootfs) {
    try {
      return sameFile(fs.statSync(`/proc/${pid}/root`), fs.statSync(rootfs));
    } catch {
      return false;
    }
  },
  hasMountPoint(pid, path) {
    try {
      return mountInfoHasMountPoint(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'), path);
    } catch {
      return false;
    }
  },
};

export function locateContainer(pid: number | undefined, rootfs: string, probe: LocationProbe = procProbe): Location {
  const self = probe.mountNs('self');
  const init = probe.mountNs(1);
  if (self === undefined) throw new ActionError('cannot read /proc/self/ns/mnt: is /proc mounted?');
  const statePid = pid !== undefined && pid > 0 ? pid : undefined;
  const target = statePid !== undefined ? probe.mountNs(statePid) : undefined;

  if (statePid !== undefined && target !== undefined && statePid !== 1 && probe.rootIs(statePid, rootfs)) {
    if (target === self)
      return {
        kind: 'inside',
        rootfs,
        reason: `pid ${statePid} is the running container and shares our mount namespace`,
      };
    return {
      kind: 'join',
      pid: statePid,
      pivoted: true,
      rootfs,
      reason: `pid ${statePid} is the running container (its root is the rootfs): joining its mount namespace`,
    };
  }
  if (self !== init && probe.hasMountPoint('self', rootfs)) {
    return {
      kind: 'inside',
      rootfs,
      reason: `already in the container's mount namespace (rootfs is a mount point here, not in the host's); state pid ${pid ?? 'absent'}`,
    };
  }
  if (
    statePid !== undefined &&
    target !== undefined &&
    target !== self &&
    target !== init &&
    probe.hasMountPoint(statePid, rootfs)
  ) {
    return {
      kind: 'join',
      pid: statePid,
      pivoted: false,
      rootfs,
      reason: `pid ${statePid} is the container before pivot_root: joining its mount namespace`,
    };
  }
  if (statePid !== undefined && target === undefined && statePid !== 1) {
    throw new UsageError(`state pid ${statePid}: no such process`);
  }
  throw new ActionError(
    `cannot establish the container's mount namespace: state pid ${pid ?? 'absent'} is not the container (its root is not ${rootfs}) ` +
      `and this process is not inside it (no mount point at ${rootfs} outside the host's namespace); refusing to act`,
  );
}

/**
 * The location, or "unresolved" when it cannot be established: input errors found while planning
 * (exit 2) are then reported first, and --dry-run can still print the plan.
 */
export function locateOrUnresolved(
  pid: number | undefined,
  rootfs: string,
  probe: LocationProbe = procProbe,
): Location {
  try {
    return locateContainer(pid, rootfs, probe);
  } catch (e) {
    if (e instanceof ActionError) return { kind: 'unresolved', rootfs, reason: e.message };
    throw e;
  }
}
