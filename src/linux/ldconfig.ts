/**
 * Refreshing a container's linker cache with a trusted host ldconfig (`ldconfig -r <rootfs>`).
 * Never runs a binary from the image: the ldconfig path is validated to be on the host and
 * outside the rootfs, and it runs with a scrubbed environment and a hard timeout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError, UsageError, errorCode, messageOf } from '../core/errors';
import { runTrusted } from './exec';
import { LdCache, cacheFolders, parseLdCache } from './ldcache';
import { native } from './native';
import { openInRootfs, pathComponents } from './rootfs';

export const DEFAULT_LDCONFIG_CANDIDATES = ['/sbin/ldconfig', '/usr/sbin/ldconfig'];
export const DROP_IN = '/etc/ld.so.conf.d/000-ocihooks.conf';
export const DEFAULT_LDCONFIG_TIMEOUT_MS = 10_000;

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks a host ldconfig path: absolute, an executable regular file, not inside the rootfs
 * (also after resolving symlinks). `what` names the argument or variable in errors.
 */
export function validateLdconfigPath(ldconfig: string, rootfs: string, what: string): string {
  if (!path.isAbsolute(ldconfig)) throw new UsageError(`${what} ${JSON.stringify(ldconfig)}: must be an absolute path on the host`);
  let real: string;
  try {
    real = fs.realpathSync(ldconfig);
  } catch {
    throw new UsageError(`${what} ${ldconfig}: no such file on the host`);
  }
  let realRootfs = rootfs;
  try {
    realRootfs = fs.realpathSync(rootfs);
  } catch {
    // A rootfs we cannot resolve here is compared lexically.
  }
  if (isInside(ldconfig, rootfs) || isInside(real, realRootfs)) {
    throw new UsageError(`${what} ${ldconfig}: is inside the container's rootfs; only a host ldconfig is trusted`);
  }
  const st = fs.statSync(real);
  if (!st.isFile() || (st.mode & 0o111) === 0) throw new UsageError(`${what} ${ldconfig}: not an executable file`);
  return ldconfig;
}

export function defaultLdconfig(): string | undefined {
  return DEFAULT_LDCONFIG_CANDIDATES.find((p) => fs.existsSync(p));
}

function existsIn(rootFd: number, containerPath: string): boolean {
  const fd = openInRootfs(rootFd, containerPath);
  if (fd === undefined) return false;
  fs.closeSync(fd);
  return true;
}

const MUSL_LOADERS = ['x86_64', 'aarch64', 'armhf', 'i386', 'ppc64le', 's390x', 'riscv64'].map((a) => `ld-musl-${a}.so.1`);
const GLIBC_LOADERS = ['ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1', 'ld-linux-armhf.so.3', 'ld-linux.so.2', 'ld64.so.2', 'ld64.so.1', 'ld-linux-riscv64-lp64d.so.1'];
const LIB_DIRS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64'];
const MULTIARCH_DIRS = [...LIB_DIRS, '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

/** Why an image has no glibc linker cache to refresh, or undefined if it has one. Looks only for known loader names. */
export function noGlibcReason(rootFd: number): string | undefined {
  for (const dir of LIB_DIRS) {
    const musl = MUSL_LOADERS.find((f) => existsIn(rootFd, `${dir}/${f}`));
    if (musl) return `the image uses musl (${dir}/${musl}); it has no glibc linker cache`;
  }
  if (existsIn(rootFd, '/etc/ld.so.conf')) return undefined;
  if (MULTIARCH_DIRS.some((dir) => GLIBC_LOADERS.some((f) => existsIn(rootFd, `${dir}/${f}`)))) return undefined;
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

/** Writes the drop-in (and the include line's target folder) inside the rootfs, resolving in root. */
export function writeDropIn(rootFd: number, folders: string[]): void {
  const n = native();
  const c = n.constants;
  const parts = pathComponents(DROP_IN);
  const dir = '/' + parts.slice(0, -1).join('/');
  let dirFd = openInRootfs(rootFd, dir);
  if (dirFd === undefined) {
    const etc = openInRootfs(rootFd, '/etc');
    if (etc === undefined) throw new ActionError('the image has no /etc');
    try {
      n.mkdirat(etc, 'ld.so.conf.d', 0o755);
    } catch (e) {
      if (errorCode(e) === 'EEXIST') throw new ActionError(`${dir} is a symlink that does not resolve inside the rootfs`);
      throw e;
    } finally {
      fs.closeSync(etc);
    }
    dirFd = openInRootfs(rootFd, dir) as number;
  }
  try {
    const file = n.openat(dirFd, parts[parts.length - 1] as string, (c.O_WRONLY as number) | (c.O_CREAT as number) | (c.O_TRUNC as number) | (c.O_NOFOLLOW as number) | (c.O_CLOEXEC as number), 0o644);
    try {
      fs.writeSync(file, `# written by ocihooks: folders injected into this container\n${folders.join('\n')}\n`);
    } finally {
      fs.closeSync(file);
    }
  } finally {
    fs.closeSync(dirFd);
  }
  if (!existsIn(rootFd, '/etc/ld.so.conf')) {
    const etc = openInRootfs(rootFd, '/etc') as number;
    try {
      const conf = n.openat(etc, 'ld.so.conf', (c.O_WRONLY as number) | (c.O_CREAT as number) | (c.O_EXCL as number) | (c.O_NOFOLLOW as number) | (c.O_CLOEXEC as number), 0o644);
      fs.writeSync(conf, 'include /etc/ld.so.conf.d/*.conf\n');
      fs.closeSync(conf);
    } finally {
      fs.closeSync(etc);
    }
  }
}

/** Runs the host ldconfig against a rootfs path (as seen by this process), killing it at the timeout. */
export function runLdconfig(ldconfig: string, rootfsPath: string, timeoutMs: number): void {
  try {
    runTrusted(ldconfig, { args: ['-r', rootfsPath], timeoutMs });
  } catch (e) {
    throw new ActionError(`${ldconfig} -r ${rootfsPath}: ${messageOf(e)}`);
  }
}

/** Reads the container's /etc/ld.so.cache (resolved in root), or undefined if it has none. */
export function readContainerCache(rootFd: number): LdCache | undefined {
  const fd = openInRootfs(rootFd, '/etc/ld.so.cache', native().constants.O_RDONLY as number);
  if (fd === undefined) return undefined;
  try {
    if (!fs.fstatSync(fd).isFile()) throw new ActionError('/etc/ld.so.cache in the container is not a regular file');
    return parseLdCache(fs.readFileSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

export function summariseCache(cache: LdCache, folders: string[]): { entries: number; format: string; contributed: Record<string, number> } {
  const byFolder = cacheFolders(cache);
  const contributed: Record<string, number> = {};
  for (const f of folders) contributed[f] = byFolder.get(f.replace(/\/+$/, '')) ?? 0;
  return { entries: cache.entries.length, format: cache.format, contributed };
}
