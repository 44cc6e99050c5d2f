/**
 * Reaching a container's cgroup directory. Its path (from /proc/<pid>/cgroup) is relative to the
 * reader's cgroup namespace, so the hierarchy is reached through a fresh, detached cgroup mount
 * (fsopen/fsmount): its root is the reader's namespace root, whatever the host mounted where.
 * Nothing is attached to any mount tree.
 */
import fs = require('node:fs');
import { ActionError, messageOf } from '../../core/errors';
import { native } from '../native';
import type { DeviceCgroup } from './membership';

/** A detached mount of the cgroup hierarchy (root = this process's cgroup namespace root). */
function mountHierarchy(version: 1 | 2): number {
  const n = native();
  const c = n.constants;
  const fsfd = n.fsopen(version === 2 ? 'cgroup2' : 'cgroup', c.FSOPEN_CLOEXEC);
  try {
    if (version === 1) n.fsconfig(fsfd, c.FSCONFIG_SET_FLAG, 'devices', null);
    n.fsconfig(fsfd, c.FSCONFIG_CMD_CREATE, null, null);
    return n.fsmount(fsfd, c.FSMOUNT_CLOEXEC, 0);
  } finally {
    fs.closeSync(fsfd);
  }
}

function relative(cgroupPath: string): string {
  const rel = cgroupPath.replace(/^\/+/, '');
  return rel === '' ? '.' : rel;
}

/** Opens the container's device cgroup directory (O_RDONLY, as bpf(2) needs). */
export function openDeviceCgroup(cg: DeviceCgroup): { dirFd: number; close(): void } {
  const n = native();
  const c = n.constants;
  let mnt: number;
  try {
    mnt = mountHierarchy(cg.version);
  } catch (e) {
    throw new ActionError(`cannot reach the cgroup v${cg.version} hierarchy for ${cg.path}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  try {
    const dirFd = n.openat(mnt, relative(cg.path), c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC, 0);
    return {
      dirFd,
      close() {
        fs.closeSync(dirFd);
      },
    };
  } catch (e) {
    throw new ActionError(`container cgroup ${cg.path} (v${cg.version}): ${messageOf(e)}`, { cause: e });
  } finally {
    fs.closeSync(mnt);
  }
}
