/**
 * Resolving container paths inside the rootfs, race-free: every lookup is openat2 with
 * RESOLVE_IN_ROOT relative to an fd on the rootfs, so symlinks ("/usr/lib -> /etc", "../../..")
 * resolve as if the rootfs were "/" and can never leave it.
 */
import fs = require('node:fs');
import { native } from '../native';

/** Splits an absolute container path into components, dropping "" and "."; ".." is kept for openat2 to clamp. */
export function pathComponents(containerPath: string): string[] {
  return containerPath.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The path relative to the root, its components joined by "/" (no "" or "." component):
 * pathComponents(p).join('/'), without the arrays for the usual "/a/b/c".
 */
export function rootRelative(containerPath: string): string {
  if (
    containerPath.includes('//') ||
    containerPath.includes('/.') ||
    containerPath.endsWith('/') ||
    containerPath[0] === '.'
  )
    return pathComponents(containerPath).join('/');
  return containerPath[0] === '/' ? containerPath.slice(1) : containerPath;
}

const KINDS: Record<number, string> = {
  [fs.constants.S_IFDIR]: 'directory',
  [fs.constants.S_IFREG]: 'file',
  [fs.constants.S_IFLNK]: 'symlink',
  [fs.constants.S_IFCHR]: 'character device',
  [fs.constants.S_IFBLK]: 'block device',
  [fs.constants.S_IFIFO]: 'fifo',
  [fs.constants.S_IFSOCK]: 'socket',
};

/** What an st_mode is, in words ("character device"). */
export function kindOfMode(mode: number): string {
  return KINDS[mode & fs.constants.S_IFMT] ?? 'special file';
}

/**
 * Opens an existing path inside the rootfs — O_PATH unless other open flags are given (O_RDONLY
 * to read a file) — or returns undefined if it does not exist.
 */
export function openInRootfs(
  rootFd: number,
  containerPath: string,
  flags: number = native().constants.O_PATH,
): number | undefined {
  const n = native();
  const c = n.constants;
  const rel = rootRelative(containerPath) || '.';
  const resolve = c.RESOLVE_IN_ROOT | c.RESOLVE_NO_MAGICLINKS;
  const fd = n.openat2(rootFd, rel, flags | c.O_CLOEXEC, 0, resolve, true);
  if (fd >= 0) return fd;
  if (fd === -c.ENOENT) return undefined;
  return n.openat2(rootFd, rel, flags | c.O_CLOEXEC, 0, resolve); // again, to throw the error with its name and path
}

/** Whether a container path exists (resolved in root). */
export function existsInRootfs(rootFd: number, containerPath: string): boolean {
  const fd = openInRootfs(rootFd, containerPath);
  if (fd === undefined) return false;
  fs.closeSync(fd);
  return true;
}

/** Opens the rootfs directory itself (O_PATH) from a path in the current mount namespace. */
export function openRootfs(rootfs: string): number {
  const c = native().constants;
  return native().openat(c.AT_FDCWD, rootfs, c.O_PATH | c.O_DIRECTORY | c.O_CLOEXEC, 0);
}
