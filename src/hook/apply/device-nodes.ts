/** Device nodes a CDI spec gives a mode or owner: made with mknod inside the rootfs (parent resolved in root). */
import fs = require('node:fs');
import type { DeviceAction } from '../../core/actions';
import { ActionError, errorCode } from '../../core/errors';
import { splitDev } from '../../linux/dev';
import { ensureMountPoint } from '../../linux/mount/mount-point';
import { native } from '../../linux/native';
import { openInRootfs, pathComponents } from '../../linux/mount/rootfs';

/** The st_mode format of each node type ("u", unbuffered, is a character device to the kernel). */
const NODE_FORMAT: Record<DeviceAction['type'], (c: ReturnType<typeof native>['constants']) => number> = {
  c: (c) => c.S_IFCHR,
  u: (c) => c.S_IFCHR,
  b: (c) => c.S_IFBLK,
  p: () => fs.constants.S_IFIFO,
};

/** The folder the node goes in, created as directories where missing. */
function openParent(rootFd: number, parts: string[]): number {
  if (parts.length === 0) return openInRootfs(rootFd, '/') as number;
  return ensureMountPoint(rootFd, '/' + parts.join('/'), 'directory');
}

/** An existing node must be the same device. */
function checkExisting(parentFd: number, name: string, a: DeviceAction): void {
  const c = native().constants;
  const existing = native().openat(parentFd, name, c.O_PATH | c.O_NOFOLLOW | c.O_CLOEXEC, 0);
  try {
    const st = fs.fstatSync(existing, { bigint: true });
    const dev = splitDev(st.rdev);
    const type = st.isCharacterDevice()
      ? a.type === 'u'
        ? 'u'
        : 'c'
      : st.isBlockDevice()
        ? 'b'
        : st.isFIFO()
          ? 'p'
          : undefined;
    const sameNumbers = type === 'p' || (dev.major === a.major && dev.minor === a.minor);
    if (type !== a.type || !sameNumbers)
      throw new ActionError(`${a.destination} exists in the container and is not ${a.type} ${a.major}:${a.minor}`);
  } finally {
    fs.closeSync(existing);
  }
}

export function createDeviceNode(rootFd: number, a: DeviceAction): void {
  const n = native();
  const c = n.constants;
  const parts = pathComponents(a.destination);
  const name = parts.pop() as string;
  const parentFd = openParent(rootFd, parts);
  try {
    const mode = a.node?.fileMode ?? 0o666;
    try {
      n.mknodat(parentFd, name, NODE_FORMAT[a.type](c) | (mode & 0o7777), a.major, a.minor);
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw e;
      checkExisting(parentFd, name, a);
    }
    n.fchmodat(parentFd, name, mode & 0o7777); // mknod's mode went through the umask
    if (a.node?.uid !== undefined || a.node?.gid !== undefined)
      n.fchownat(parentFd, name, a.node?.uid ?? -1, a.node?.gid ?? -1, c.AT_SYMLINK_NOFOLLOW);
  } finally {
    fs.closeSync(parentFd);
  }
}
