/**
 * The image's linker configuration, read and written through the rootfs fd (resolved in root):
 * whether it is a glibc image at all, and the ocihooks drop-in in /etc/ld.so.conf.d.
 */
import * as fs from 'node:fs';
import { ActionError, errorCode } from '../core/errors';
import { native } from './native';
import { existsInRootfs, openInRootfs, pathComponents } from './rootfs';

export const DROP_IN = '/etc/ld.so.conf.d/000-ocihooks.conf';

const MUSL_LOADERS = ['x86_64', 'aarch64', 'armhf', 'i386', 'ppc64le', 's390x', 'riscv64'].map((a) => `ld-musl-${a}.so.1`);
const GLIBC_LOADERS = ['ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'ld-linux-armhf.so.3', 'ld-linux.so.2', 'ld64.so.2', 'ld64.so.1', 'ld-linux-riscv64-lp64d.so.1'];
const LIB_DIRS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64'];
const MULTIARCH_DIRS = [...LIB_DIRS, '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

/** Why an image has no glibc linker cache to refresh, or undefined if it has one. Looks only for known loader names. */
export function noGlibcReason(rootFd: number): string | undefined {
  for (const dir of LIB_DIRS) {
    const musl = MUSL_LOADERS.find((f) => existsInRootfs(rootFd, `${dir}/${f}`));
    if (musl) return `the image uses musl (${dir}/${musl}); it has no glibc linker cache`;
  }
  if (existsInRootfs(rootFd, '/etc/ld.so.conf')) return undefined;
  if (MULTIARCH_DIRS.some((dir) => GLIBC_LOADERS.some((f) => existsInRootfs(rootFd, `${dir}/${f}`)))) return undefined;
  return 'the image has no /etc/ld.so.conf and no ld-linux loader: not a glibc image';
}

/** Keeps the folders that exist as directories in the container; reports the others. */
export function existingFolders(rootFd: number, folders: string[]): { present: string[]; missing: string[] } {
  const present: string[] = [];
  const missing: string[] = [];
  for (const folder of folders) {
    const fd = openInRootfs(rootFd, folder);
    if (fd !== undefined && fs.fstatSync(fd).isDirectory()) present.push(folder);
    else missing.push(folder);
    if (fd !== undefined) fs.closeSync(fd);
  }
  return { present, missing };
}

/** Creates a file that must not exist yet in a resolved directory (never through a symlink). */
function createFile(dirFd: number, name: string, content: string, exclusive: boolean): void {
  const c = native().constants;
  const fd = native().openat(dirFd, name, c.O_WRONLY | c.O_CREAT | (exclusive ? c.O_EXCL : c.O_TRUNC) | c.O_NOFOLLOW | c.O_CLOEXEC, 0o644);
  try {
    fs.writeSync(fd, content);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens /etc/ld.so.conf.d, creating it in /etc when missing. */
function openDropInFolder(rootFd: number): number {
  const dir = '/' + pathComponents(DROP_IN).slice(0, -1).join('/');
  const found = openInRootfs(rootFd, dir);
  if (found !== undefined) return found;
  const etc = openInRootfs(rootFd, '/etc');
  if (etc === undefined) throw new ActionError('the image has no /etc');
  try {
    native().mkdirat(etc, 'ld.so.conf.d', 0o755);
  } catch (e) {
    if (errorCode(e) === 'EEXIST') throw new ActionError(`${dir} is a symlink that does not resolve inside the rootfs`);
    throw e;
  } finally {
    fs.closeSync(etc);
  }
  return openInRootfs(rootFd, dir) as number;
}

/** The folders an earlier hook of this container start wrote to the drop-in (each hook adds its own). */
function dropInFolders(rootFd: number): string[] {
  let fd: number | undefined;
  try {
    fd = openInRootfs(rootFd, DROP_IN, native().constants.O_RDONLY | native().constants.O_NOFOLLOW);
  } catch {
    return []; // not a plain file (writing it will say why)
  }
  if (fd === undefined) return [];
  try {
    if (!fs.fstatSync(fd).isFile()) return [];
    return fs.readFileSync(fd, 'utf8').split('\n').filter((l) => l.startsWith('/'));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the drop-in (and /etc/ld.so.conf including it, if the image has none) inside the rootfs.
 * Folders already in it stay: several hooks (ocihook-ldconfig, update-ldcache) may add theirs.
 */
export function writeDropIn(rootFd: number, folders: string[]): void {
  const all = [...new Set([...dropInFolders(rootFd), ...folders])];
  const dirFd = openDropInFolder(rootFd);
  try {
    createFile(dirFd, pathComponents(DROP_IN).pop() as string, `# written by ocihooks: folders injected into this container\n${all.join('\n')}\n`, false);
  } finally {
    fs.closeSync(dirFd);
  }
  if (!existsInRootfs(rootFd, '/etc/ld.so.conf')) {
    const etc = openInRootfs(rootFd, '/etc') as number;
    try {
      createFile(etc, 'ld.so.conf', 'include /etc/ld.so.conf.d/*.conf\n', true);
    } finally {
      fs.closeSync(etc);
    }
  }
}
