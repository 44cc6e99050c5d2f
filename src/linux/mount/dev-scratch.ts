/**
 * A private scratch folder in the container's /dev -- the tmpfs a runtime mounts for each container
 * before its hooks run -- for a file a hook has a host program write and then mounts elsewhere (the
 * linker cache): never in the image, gone with the container even if the hook dies. A fresh name,
 * mode 0700, made in the resolved /dev; removed with its files.
 */
import fs = require('node:fs');
import { randomHex } from '../random';
import { ActionError, errorCode } from '../../core/errors';
import { native } from '../native';
import { openInRootfs } from './rootfs';

export interface DevScratch {
  /** The container path, e.g. /dev/.ocihooks-ldconfig-1234-9f2c1a. */
  path: string;
  /** The folder, opened. */
  dirFd: number;
  devFd: number;
  name: string;
}

export function makeDevScratch(rootFd: number, what: string): DevScratch {
  const n = native();
  const c = n.constants;
  const devFd = openInRootfs(rootFd, '/dev', c.O_RDONLY | c.O_DIRECTORY);
  if (devFd === undefined) throw new ActionError('the container has no /dev for a scratch folder');
  const name = `.ocihooks-${what}-${process.pid}-${randomHex(4)}`;
  try {
    n.mkdirat(devFd, name, 0o700);
    return {
      path: `/dev/${name}`,
      dirFd: n.openat(devFd, name, c.O_RDONLY | c.O_DIRECTORY | c.O_NOFOLLOW | c.O_CLOEXEC, 0),
      devFd,
      name,
    };
  } catch (e) {
    fs.closeSync(devFd);
    throw e;
  }
}

/** Removes `files` (those that are there) from the folder, then the folder; one that will not go is an error. */
export function removeDevScratch(s: DevScratch, files: string[]): void {
  const n = native();
  try {
    for (const f of files) {
      try {
        n.unlinkat(s.dirFd, f, 0);
      } catch (e) {
        if (errorCode(e) !== 'ENOENT') throw e;
      }
    }
    n.unlinkat(s.devFd, s.name, n.constants.AT_REMOVEDIR);
  } finally {
    fs.closeSync(s.dirFd);
    fs.closeSync(s.devFd);
  }
}
