/**
 * Resolving container paths inside the rootfs, race-free: every lookup is openat2 with
 * RESOLVE_IN_ROOT relative to an fd on the rootfs, so symlinks ("/usr/lib -> /etc", "../../..")
 * resolve as if the rootfs were "/" and can never leave it. Mount points are created one
 * component at a time with mkdirat/openat on the fd of an already-resolved parent.
 */
import * as fs from 'node:fs';
import { ActionError, errorCode } from '../core/errors';
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
  const n = native();
  const c = n.constants;
  const rel = pathComponents(containerPath).join('/') || '.';
  const fd = n.openat2(rootFd, rel, flags | (c.O_CLOEXEC as number), 0, resolveFlags(), true);
  if (fd >= 0) return fd;
  if (fd === -(c.ENOENT as number)) return undefined;
  return openResolved(rootFd, rel, flags); // again, to throw the error with its name and path
}

/**
 * Returns an O_PATH fd on the mount point for containerPath, creating it (and its parents as
 * directories) when missing. An existing mount point must be of the kind the source needs.
 */
/** Creates `name` (a file, or a directory) in an already-resolved directory; never follows a symlink there. */
function createIn(parentFd: number, name: string, kind: MountPointKind, containerPath: string, prefix: string): void {
  const n = native();
  const c = n.constants;
  if (name === '..') throw new ActionError(`destination ${containerPath}: cannot create ".."`);
  try {
    if (kind !== 'directory') {
      // mknod of a regular file: created without being opened (O_EXCL semantics, no symlink followed).
      n.mknodat(parentFd, name, (c.S_IFREG as number) | 0o644, 0, 0);
    } else {
      n.mkdirat(parentFd, name, 0o755);
    }
  } catch (e) {
    if (errorCode(e) !== 'EEXIST') throw e;
    // Something exists under that name but did not resolve: a dangling or looping symlink.
    throw new ActionError(`destination ${containerPath}: /${prefix} is a symlink that does not resolve inside the rootfs`);
  }
}

/** Resolves (creating what is missing, one component at a time) the directory parts[0..] in root. */
function ensureDirectory(rootFd: number, parts: string[], containerPath: string): number {
  const c = native().constants;
  const dirFlags = (c.O_PATH as number) | (c.O_DIRECTORY as number);
  let parentFd = openResolved(rootFd, '', dirFlags);
  try {
    for (let i = 0; i < parts.length; i++) {
      const prefix = parts.slice(0, i + 1).join('/');
      let next = openInRootfs(rootFd, prefix);
      if (next === undefined) {
        createIn(parentFd, parts[i] as string, 'directory', containerPath, prefix);
        next = openInRootfs(rootFd, prefix);
        if (next === undefined) throw new ActionError(`destination ${containerPath}: /${prefix} vanished while it was being created`);
      }
      const k = kindOf(next);
      fs.closeSync(parentFd);
      parentFd = next;
      if (k !== 'directory') throw new ActionError(`destination ${containerPath}: /${prefix} is a ${k}, not a directory`);
    }
    return parentFd;
  } catch (e) {
    fs.closeSync(parentFd);
    throw e;
  }
}

/**
 * Returns an O_PATH fd on the mount point for containerPath, creating it (and its parents as
 * directories) when missing. An existing mount point must be of the kind the source needs.
 * The common case — the parent exists — costs one lookup of the parent, not a walk from the root.
 */
export function ensureMountPoint(rootFd: number, containerPath: string, kind: MountPointKind): number {
  const parts = pathComponents(containerPath);
  if (parts.length === 0) throw new ActionError(`destination ${containerPath}: cannot mount over the container's root`);
  let fd = openInRootfs(rootFd, containerPath);
  if (fd === undefined) {
    const parentParts = parts.slice(0, -1);
    let parentFd = openInRootfs(rootFd, parentParts.join('/'));
    if (parentFd === undefined) parentFd = ensureDirectory(rootFd, parentParts, containerPath);
    try {
      const k = kindOf(parentFd);
      if (k !== 'directory') throw new ActionError(`destination ${containerPath}: /${parentParts.join('/')} is a ${k}, not a directory`);
      createIn(parentFd, parts[parts.length - 1] as string, kind, containerPath, parts.join('/'));
    } finally {
      fs.closeSync(parentFd);
    }
    fd = openInRootfs(rootFd, containerPath);
    if (fd === undefined) throw new ActionError(`destination ${containerPath}: vanished while it was being created`);
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
