/**
 * Files in the container — symlinks, written files, modes — each through the rootfs fd: the parent
 * folder is resolved in root (created where missing), the last component is handled with the *at
 * syscalls on that folder's fd and never followed, so an image's symlink cannot send a write to the host.
 */
import { randomHex } from '../../linux/random';
import fs = require('node:fs');
import type { ChmodAction, FileAction, SymlinkAction, WriteFileAction } from '../../core/actions';
import { ActionError, errorCode, messageOf } from '../../core/errors';
import { writeFileAt } from '../../linux/files';
import { ensureMountPoint } from '../../linux/mount/mount-point';
import { native } from '../../linux/native';
import { openInRootfs, pathComponents } from '../../linux/mount/rootfs';
import type { ApplyRun } from './context';

/** The folder of a container path (resolved in root, created where missing) and the last component. */
function openParent(rootFd: number, containerPath: string): { dirFd: number; name: string } {
  const parts = pathComponents(containerPath);
  const name = parts.pop();
  if (name === undefined || name === '..') throw new ActionError(`${containerPath}: names no file`);
  const dirFd = parts.length
    ? ensureMountPoint(rootFd, '/' + parts.join('/'), 'directory')
    : (openInRootfs(rootFd, '/') as number);
  return { dirFd, name };
}

function readlinkOrUndefined(dirFd: number, name: string): string | undefined {
  try {
    return native().readlinkat(dirFd, name);
  } catch {
    return undefined; // missing, or not a symlink
  }
}

function symlink(run: ApplyRun, a: SymlinkAction): void {
  const n = native();
  const { dirFd, name } = openParent(run.rootFd, a.link);
  try {
    if (readlinkOrUndefined(dirFd, name) === a.target) {
      run.opts.log.debug({ link: a.link }, 'symlink already there');
      return;
    }
    const tmp = `${name}-ocihooks-${randomHex(6)}`;
    n.symlinkat(a.target, dirFd, tmp);
    try {
      n.renameat(dirFd, tmp, dirFd, name);
    } catch (e) {
      n.unlinkat(dirFd, tmp, 0);
      throw new ActionError(`${a.link}: ${errorCode(e) === 'EISDIR' ? 'is a directory' : messageOf(e)}`, { cause: e });
    }
  } finally {
    fs.closeSync(dirFd);
  }
}

function writeFile(run: ApplyRun, a: WriteFileAction): void {
  const { dirFd, name } = openParent(run.rootFd, a.path);
  try {
    writeFileAt(dirFd, name, a.content, a.mode, a.exclusive ?? false);
  } finally {
    fs.closeSync(dirFd);
  }
}

function chmod(run: ApplyRun, a: ChmodAction): void {
  const fd = openInRootfs(run.rootFd, a.path);
  if (fd === undefined) {
    run.opts.log.debug({ path: a.path }, 'chmod: not in the container, skipped');
    return;
  }
  try {
    if ((fs.fstatSync(fd).mode & 0o7777) === a.mode) return;
    // An O_PATH fd cannot be fchmod'ed; its /proc/self/fd link reaches the file it resolved to.
    fs.chmodSync(`/proc/self/fd/${fd}`, a.mode);
  } catch (e) {
    const code = errorCode(e);
    if (code !== 'EPERM' && code !== 'EACCES') throw e;
    run.opts.log.warn({ path: a.path, err: code }, 'chmod: not permitted, left as it is');
  } finally {
    fs.closeSync(fd);
  }
}

export function applyFileAction(run: ApplyRun, a: FileAction): void {
  if (a.action === 'symlink') symlink(run, a);
  else if (a.action === 'write-file') writeFile(run, a);
  else chmod(run, a);
}
