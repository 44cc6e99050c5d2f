/**
 * Resolving container paths inside the rootfs, race-free: every lookup is openat2 with
 * RESOLVE_IN_ROOT relative to an fd on the rootfs, so symlinks ("/usr/lib -> /etc", "../../..")
 * resolve as if the rootfs were "/" and can never leave it. Mount points are created one
 * component at a time with mkdirat/openat on the fd of an already-resolved parent.
 */
import * as fs from 'node:fs';
import { ActionError, errorCode } from './errors';
import { native } from './native';

/** What a mount point must be: a device bind accepts an existing device node (e.g. one a runtime made). */
export type MountPointKind = 'file' | 'directory' | 'device';

function resolveFlags(): number {
  const c = native().constants;
  return (c.RESOLVE_IN_ROOT as number) | (c.RESOLVE_NO_MAGICLINKS as number);
}

function openResolved(rootFd: number, rel: string, flags: number): number {
  const c = native().constants;
  return native().openat2(rootFd, rel === '' ? '.' : rel, flags | (c.O_CLOEXEC as number), 0, resolveFlags());
}

/** Splits an absolute container path into components, dropping "" and "."; ".." is kept for openat2 to clamp. */
export function pathComponents(containerPath: string): string[] {
  return containerPath.split('/').filter((c) => c !== '' && c !== '.');
}

function kindOf(fd: number): string {
  const st = fs.fstatSync(fd);
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Opens an existing path inside the rootfs — O_PATH unless other open flags are given (O_RDONLY
 * to read a file) — or returns undefined if it does not exist.
 */
export function openInRootfs(rootFd: number, containerPath: string, flags: number = native().constants.O_PATH as number): number | undefined {
  try {
    return openResolved(rootFd, pathComponents(containerPath).join('/'), flags);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Returns an O_PATH fd on the mount point for containerPath, creating it (and its parents as
 * directories) when missing. An existing mount point must be of the kind the source needs.
 */
export function ensureMountPoint(rootFd: number, containerPath: string, kind: MountPointKind): number {
  const n = native();
  const c = n.constants;
  const parts = pathComponents(containerPath);
  if (parts.length === 0) throw new ActionError(`destination ${containerPath}: cannot mount over the container's root`);
  let fd = openInRootfs(rootFd, containerPath);
  if (fd === undefined) {
    // Walk from the root: resolve each prefix in root, create the first missing component in its parent.
    let parentFd = openResolved(rootFd, '', (c.O_PATH as number) | (c.O_DIRECTORY as number));
    try {
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i] as string;
        const prefix = parts.slice(0, i + 1).join('/');
        const last = i === parts.length - 1;
        let next = openInRootfs(rootFd, prefix);
        if (next === undefined) {
          if (name === '..') throw new ActionError(`destination ${containerPath}: cannot create ".."`);
          try {
            if (last && kind !== 'directory') {
              const created = n.openat(parentFd, name, (c.O_CREAT as number) | (c.O_EXCL as number) | (c.O_WRONLY as number) | (c.O_NOFOLLOW as number) | (c.O_CLOEXEC as number), 0o644);
              fs.closeSync(created);
            } else {
              n.mkdirat(parentFd, name, 0o755);
            }
          } catch (e) {
            if (errorCode(e) !== 'EEXIST') throw e;
            // Something exists under that name but did not resolve: a dangling or looping symlink.
            throw new ActionError(`destination ${containerPath}: /${prefix} is a symlink that does not resolve inside the rootfs`);
          }
          next = openInRootfs(rootFd, prefix);
          if (next === undefined) throw new ActionError(`destination ${containerPath}: /${prefix} vanished while it was being created`);
        }
        if (!last) {
          const k = kindOf(next);
          if (k !== 'directory') {
            fs.closeSync(next);
            throw new ActionError(`destination ${containerPath}: /${prefix} is a ${k}, not a directory`);
          }
        }
        fs.closeSync(parentFd);
        parentFd = next;
      }
    } catch (e) {
      fs.closeSync(parentFd);
      throw e;
    }
    fd = parentFd;
  }
  const found = kindOf(fd);
  const acceptable = kind === 'device' ? ['file', 'character device', 'block device'] : [kind];
  if (!acceptable.includes(found)) {
    fs.closeSync(fd);
    throw new ActionError(`destination ${containerPath}: exists as a ${found} in the container, the source needs a ${kind === 'device' ? 'file or device node' : kind}`);
  }
  return fd;
}

/** Opens the rootfs directory itself (O_PATH) from a path in the current mount namespace. */
export function openRootfs(rootfs: string): number {
  const c = native().constants;
  return native().openat(c.AT_FDCWD as number, rootfs, (c.O_PATH as number) | (c.O_DIRECTORY as number) | (c.O_CLOEXEC as number), 0);
}
