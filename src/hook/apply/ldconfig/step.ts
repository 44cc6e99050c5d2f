/**
 * The linker-cache step. The host ldconfig builds the cache from the image's own configuration
 * plus the injected folders and the image's system folders (conf.ts; -r the rootfs as seen from
 * here, -f in a scratch folder in the container's /dev, the per-container tmpfs). Where the cache
 * goes is the action's `cache` (linux/ldconfig/cache-place.ts):
 *  - mount: -C in the scratch folder; the file is bound read-only over /etc/ld.so.cache and the
 *    scratch folder removed, the mount holding the file. The root's files are never written:
 *    Slurm's bundles (one rootfs shared by every step and node, on disk), read-only roots and
 *    images on read-only file systems keep theirs, and nothing is left when the container ends.
 *  - root: the cache ldconfig made in the scratch folder renamed into place of the root's own
 *    /etc/ld.so.cache, with the injected folders in a drop-in (drop-in.ts), so that an ldconfig
 *    inside the container works and keeps them.
 * ldconfig makes the cache in the scratch folder either way: if it fails, the container is as it was.
 * A later hook of the same start finds what an earlier one left -- a bound cache, whose folders
 * it keeps and which it replaces, or the drop-in -- and keeps those folders. ldconfig still makes
 * missing SONAME links where it may write, as NVIDIA's update-ldcache does.
 */
import fs = require('node:fs');
import type { LdconfigAction } from '../../../core/actions';
import { ActionError, messageOf } from '../../../core/errors';
import { makeDevScratch, removeDevScratch } from '../../../linux/mount/dev-scratch';
import { replaceFileAt, writeFileAt } from '../../../linux/files';
import { native } from '../../../linux/native';
import { cacheFolders, readContainerCache, summariseCache } from '../../../linux/ldconfig/cache';
import { runLdconfig } from '../../../linux/ldconfig/host-ldconfig';
import { existingFolders, noGlibcReason } from '../../../linux/ldconfig/conf';
import { openInRootfs } from '../../../linux/mount/rootfs';
import { isDebianLike } from '../../../linux/ldconfig/system-folders';
import type { ApplyRun } from '../context';
import { injectedFolders, ldconfigConf } from './conf';
import { writeDropIn } from './drop-in';
import { CachePlace, cachePlace } from '../../../linux/ldconfig/cache-place';
import { mountInfoById } from '../../../linux/mount/mountinfo';
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

/** The cache ldconfig made in the scratch folder, put in place of the root's /etc/ld.so.cache (0644, as ldconfig writes it). */
function writeCacheIntoRoot(rootFd: number, scratchFd: number): void {
  const c = native().constants;
  const made = native().openat(scratchFd, 'ld.so.cache', c.O_RDONLY | c.O_NOFOLLOW | c.O_CLOEXEC, 0);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(made);
  } finally {
    fs.closeSync(made);
  }
  const etc = openInRootfs(rootFd, '/etc', c.O_RDONLY | c.O_DIRECTORY);
  if (etc === undefined) throw new ActionError('the container has no /etc for its linker cache');
  try {
    replaceFileAt(etc, 'ld.so.cache', bytes, 0o644);
  } finally {
    fs.closeSync(etc);
  }
}

/** Where this container's cache goes: as planned, or for `auto`, judged from the mount its root lies on. */
function placeFor(run: ApplyRun, a: LdconfigAction): CachePlace {
  if (a.cache !== 'auto') return cachePlace(a.cache, undefined);
  const m = mountInfoById(run.mountInfo(), native().mountOf(run.rootFd).id);
  return cachePlace('auto', m && { fsType: m.fsType, root: m.root, options: m.options });
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
  const where = placeFor(run, a);
  const folders = { earlier: earlier?.folders ?? [], injected: present, system };
  const c = native().constants;
  let dropIn: string | undefined;
  const scratch = makeDevScratch(run.rootFd, 'ldconfig');
  try {
    writeFileAt(scratch.dirFd, 'ld.so.conf', ldconfigConf(folders), 0o600, true);
    // One container at a time per rootfs: Slurm runs every step of a multi-node job on the same
    // bundle rootfs (a shared filesystem), where ldconfig may make the same SONAME links.
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
      // Nothing is changed in the container until ldconfig has made the cache.
      if (where.place === 'root') {
        dropIn = writeDropIn(run.rootFd, injectedFolders(folders));
        // An earlier hook's mount goes first: nothing can be renamed over a mount point.
        if (earlier) native().umount2(earlier.at, c.MNT_DETACH | c.UMOUNT_NOFOLLOW);
        writeCacheIntoRoot(run.rootFd, scratch.dirFd);
      }
    } finally {
      fs.closeSync(lock); // releases the lock
    }
    if (where.place === 'mount') {
      // The earlier cache goes first: its file is already unlinked from its scratch folder, and
      // nothing can be mounted on a mount of a deleted file.
      if (earlier) native().umount2(earlier.at, c.MNT_DETACH | c.UMOUNT_NOFOLLOW);
      attachFileMount(run, scratch.dirFd, 'ld.so.cache', CACHE);
    }
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
      {
        ...summariseCache(cache, present),
        image: debianLike ? 'debian-like' : 'other',
        systemFolders: system,
        cache: where.place,
        why: where.why,
        ...(dropIn ? { dropIn } : {}),
      },
      'linker cache refreshed',
    );
}
