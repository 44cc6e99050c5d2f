/**
 * A read-only file with given content over a container path (NVIDIA's params file): the file is
 * made on a small tmpfs that is created detached and never attached anywhere, cloned as a file
 * mount, made read-only, nodev, nosuid and nosymfollow before it is visible, and moved onto the
 * mount point resolved in root. Nothing else of the tmpfs is left in the container.
 */
import fs = require('node:fs');
import type { MountFileAction } from '../../core/actions';
import { writeFileAt } from '../../linux/files';
import { ensureMountPoint } from '../../linux/mount/mount-point';
import { native } from '../../linux/native';
import type { ApplyRun } from './context';

function detachedTmpfs(size: number): number {
  const n = native();
  const c = n.constants;
  const fsfd = n.fsopen('tmpfs', c.FSOPEN_CLOEXEC);
  try {
    n.fsconfig(fsfd, c.FSCONFIG_SET_STRING, 'size', String(size));
    n.fsconfig(fsfd, c.FSCONFIG_SET_STRING, 'mode', '0755');
    n.fsconfig(fsfd, c.FSCONFIG_CMD_CREATE, null, null);
    return n.fsmount(fsfd, c.FSMOUNT_CLOEXEC, 0);
  } finally {
    fs.closeSync(fsfd);
  }
}

/**
 * Clones the file `name` in the directory dirFd as a mount of its own, read-only, nodev, nosuid
 * and nosymfollow before it is visible, and moves it onto `destination` (resolved in root, made
 * a file when missing). Returns where it is mounted, as seen here.
 */
export function attachFileMount(run: ApplyRun, dirFd: number, name: string, destination: string): string {
  const n = native();
  const c = n.constants;
  let tree: number | undefined;
  let target: number | undefined;
  try {
    tree = n.openTree(dirFd, name, c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC);
    n.mountSetattr(
      tree,
      '',
      c.AT_EMPTY_PATH,
      c.MOUNT_ATTR_RDONLY | c.MOUNT_ATTR_NODEV | c.MOUNT_ATTR_NOSUID | c.MOUNT_ATTR_NOSYMFOLLOW,
      0,
      c.MS_PRIVATE,
      destination,
    );
    target = ensureMountPoint(run.rootFd, destination, 'file');
    const where = n.readlinkat(run.hostProc, `self/fd/${target}`);
    n.moveMount(tree, '', target, '', c.MOVE_MOUNT_F_EMPTY_PATH | c.MOVE_MOUNT_T_EMPTY_PATH, where);
    run.mounted.push(where);
    return where;
  } finally {
    if (target !== undefined) fs.closeSync(target);
    if (tree !== undefined) fs.closeSync(tree);
  }
}

export function mountFile(run: ApplyRun, a: MountFileAction): void {
  const tmpfs = detachedTmpfs(Math.max(4096, Buffer.byteLength(a.content)));
  try {
    writeFileAt(tmpfs, 'file', a.content, a.mode, true);
    attachFileMount(run, tmpfs, 'file', a.destination);
  } finally {
    fs.closeSync(tmpfs);
  }
}
