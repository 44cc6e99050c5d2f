/**
 * The container's own filesystems — where the mount hook may put a mount point (Sarus's rule:
 * a destination only on the container's own devices). Decided by mount, not by device number: a
 * volume of the same disk as the rootfs is another mount, hence still a host folder.
 *   - the mount its root lies on (the rootfs bind, or overlay, the runtime made);
 *   - the mount of its /dev when that is a tmpfs (every runtime mounts a fresh one for each
 *     container; a host /dev bound in is devtmpfs, and that is the host's).
 * Everything else is not the container's: procfs, sysfs, cgroupfs, /dev/shm and /dev/pts,
 * volumes (host folders bound in by the engine) and the mounts this same hook made.
 */
import fs = require('node:fs');
import { ActionError } from '../../core/errors';
import { MountInfo, mountInfoById } from './mountinfo';
import { native } from '../native';
import { openInRootfs } from './rootfs';

/** statfs f_type of the filesystems a refusal may name when mountinfo does not (linux/magic.h). */
const FS_TYPES: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x01021994: 'tmpfs',
  0x1cd1: 'devpts',
  0x19800202: 'mqueue',
  0x794c7630: 'overlay',
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x6969: 'nfs',
  0x73636673: 'securityfs',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0xcafe4a11: 'bpf',
};

const TMPFS_MAGIC = 0x01021994;

/** Filesystems of the kernel itself: a destination there hides or fakes what the kernel shows. */
const KERNEL_FS = new Set([
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'bpf',
  'pstore',
  'configfs',
  'fusectl',
  'efivarfs',
  'binfmt_misc',
  'devpts',
  'mqueue',
]);

/** The name of a statfs f_type ("proc"), or its number in hex. */
export function fsTypeName(fsType: number): string {
  return FS_TYPES[fsType] ?? `filesystem type 0x${fsType.toString(16)}`;
}

/** A mount in words, for a refusal: "the kernel's proc filesystem", "ext4 /dev/vda1 (its folder /srv/v) mounted into the container". */
export function describeMountInfo(m: MountInfo): string {
  if (KERNEL_FS.has(m.fsType)) return `the kernel's ${m.fsType} filesystem`;
  const folder = m.root !== '/' ? ` (its folder ${m.root})` : '';
  return `${m.fsType} ${m.source}${folder} mounted into the container`;
}

/**
 * The ids of the container's own filesystems, seen through rootFd: its root's mount, and its
 * /dev's when that is a tmpfs. mountInfo gives the mount table of the namespace rootFd lives in
 * (read only when /dev is a mount of its own).
 */
export function ownFilesystems(rootFd: number, mountInfo: () => string): number[] {
  const n = native();
  const root = n.mountOf(rootFd).id;
  if (!root) throw new ActionError("cannot tell the container's own filesystems: the kernel gives no mount id (statx)");
  const own = [root];
  const dev = openInRootfs(rootFd, '/dev');
  if (dev === undefined) return own;
  try {
    const m = n.mountOf(dev);
    // devtmpfs reports the tmpfs f_type too: the mount table tells them apart.
    if (m.id && m.id !== root && m.fsType === TMPFS_MAGIC && mountInfoById(mountInfo(), m.id)?.fsType === 'tmpfs')
      own.push(m.id);
  } finally {
    fs.closeSync(dev);
  }
  return own;
}
