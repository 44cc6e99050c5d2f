/**
 * The linker-cache step: a cache for this container only, never written into the image. The host
 * ldconfig builds it from the image's own configuration plus the injected folders and the image's
 * system folders (ldconfig-conf.ts; -r the rootfs as seen from here; -f and -C in a scratch folder
 * in the container's /dev, the per-container tmpfs); the file is bound read-only over
 * /etc/ld.so.cache and the scratch folder removed, the mount holding the file. So the image keeps
 * its own cache and configuration: Slurm's bundles (one rootfs shared by every step and node, on
 * disk), read-only roots (crun applies root.readonly before these hooks) and images on read-only
 * file systems all work, and nothing is left when the container ends. A later hook of the same
 * start (each is its own process) finds the cache an earlier one bound, keeps its folders and
 * replaces it. ldconfig still makes missing SONAME links where it may write, as NVIDIA's
 * update-ldcache does.
 */
import fs = require('node:fs');
import type { LdconfigAction } from '../../../core/actions';
import { messageOf } from '../../../core/errors';
import { makeDevScratch, removeDevScratch } from '../../../linux/mount/dev-scratch';
import { writeFileAt } from '../../../linux/files';
import { native } from '../../../linux/native';
import { cacheFolders, readContainerCache, summariseCache } from '../../../linux/ldconfig/cache';
import { runLdconfig } from '../../../linux/ldconfig/host-ldconfig';
import { existingFolders, noGlibcReason } from '../../../linux/ldconfig/conf';
import { openInRootfs } from '../../../linux/mount/rootfs';
import { isDebianLike } from '../../../linux/ldconfig/system-folders';
import type { ApplyRun } from '../context';
import { ldconfigConf } from './conf';
import { attachFileMount } from '../mount-file';

const CACHE = '/etc/ld.so.cache';

/**
 * The cache an earlier hook of this start bound over /etc/ld.so.cache (a file, not a symlink, from
 * another file system than /etc's): its folders, and where it is mounted, to be replaced. None
 * for the image's own cache, which adds nothing its configuration does not.
 */
function boundEarlier(run: ApplyRun): { folders: string[]; at: string } | undefined {
  const c = native().constants;
  const cacheFd = openInRootfs(run.rootFd, CACHE, c.O_PATH | c.O_NOFOLLOW);
  const etcFd = openInRootfs(run.rootFd, '/etc', c.O_PATH);
  let at: string;
  try {
    if (cacheFd === undefined || etcFd === undefined || fs.fstatSync(cacheFd).dev === fs.fstatSync(etcFd).dev)
      return undefined;
    at = `${native().readlinkat(run.hostProc, `self/fd/${etcFd}`)}/ld.so.cache`;
  } finally {
    if (cacheFd !== undefined) fs.closeSync(cacheFd);
    if (etcFd !== undefined) fs.closeSync(etcFd);
  }
  const cache = readContainerCache(run.rootFd);
  return {
    folders: cache
      ? existingFolders(
          run.rootFd,
          [...cacheFolders(cache).keys()].filter((f) => f.startsWith('/')),
        ).present
      : [],
    at,
  };
}

export function refreshLinkerCache(run: ApplyRun, a: LdconfigAction): void {
  const { log } = run.opts;
  const skip = noGlibcReason(run.rootFd);
  if (skip) {
    log.info({ reason: skip }, 'linker cache left untouched');
    return;
  }
  const { present, missing } = existingFolders(run.rootFd, a.folders);
  if (missing.length) log.warn({ missing }, 'folders not in the container, left out of the linker cache');
  const debianLike = isDebianLike(run.rootFd);
  const system = debianLike ? a.systemFolders.debianLike : a.systemFolders.other;
  const earlier = boundEarlier(run);
  const scratch = makeDevScratch(run.rootFd, 'ldconfig');
  try {
    const conf = ldconfigConf({ earlier: earlier?.folders ?? [], injected: present, system });
    writeFileAt(scratch.dirFd, 'ld.so.conf', conf, 0o600, true);
    // One container at a time per rootfs: Slurm runs every step of a multi-node job on the same
    // bundle rootfs (a shared filesystem), where ldconfig may make the same SONAME links.
    const c = native().constants;
    const lock = native().openat(run.rootFd, '.', c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC, 0);
    try {
      native().flock(lock, c.LOCK_EX);
      const pivoted = run.location.kind === 'join' && run.location.pivoted;
      // A pivoted container has no host ldconfig inside: run it from home, through /proc/<pid>/root.
      if (pivoted) run.leave();
      try {
        runLdconfig(
          a.ldconfig,
          pivoted ? `/proc/${(run.location as { pid: number }).pid}/root` : run.location.rootfs,
          `${scratch.path}/ld.so.conf`,
          `${scratch.path}/ld.so.cache`,
          a.timeoutMs,
        );
      } finally {
        if (pivoted) run.rejoin();
      }
    } finally {
      fs.closeSync(lock); // releases the lock
    }
    // The earlier cache goes first: its file is already unlinked from its scratch folder, and
    // nothing can be mounted on a mount of a deleted file.
    if (earlier) native().umount2(earlier.at, native().constants.MNT_DETACH | native().constants.UMOUNT_NOFOLLOW);
    attachFileMount(run, scratch.dirFd, 'ld.so.cache', CACHE);
  } finally {
    try {
      removeDevScratch(scratch, ['ld.so.conf', 'ld.so.cache', 'ld.so.cache~']);
    } catch (e) {
      log.warn({ at: scratch.path, err: messageOf(e) }, "scratch folder left in the container's /dev");
    }
  }
  const cache = readContainerCache(run.rootFd);
  if (cache)
    log.info(
      { ...summariseCache(cache, present), image: debianLike ? 'debian-like' : 'other', systemFolders: system },
      'linker cache refreshed',
    );
}
