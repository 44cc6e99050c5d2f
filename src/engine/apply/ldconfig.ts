/**
 * The linker-cache step: write the drop-in through the rootfs fd, then run the host ldconfig
 * against a path that shows the container's mounts (after a join into a running container: back
 * in the hook's own namespace, through /proc/<pid>/root).
 */
import * as fs from 'node:fs';
import type { LdconfigAction } from '../../core/actions';
import { native } from '../../linux/native';
import { readContainerCache, summariseCache } from '../../linux/ldcache';
import { runLdconfig } from '../../linux/ldconfig';
import { existingFolders, noGlibcReason, writeDropIn } from '../../linux/ld-so-conf';
import type { ApplyRun } from './context';

export function refreshLinkerCache(run: ApplyRun, a: LdconfigAction): void {
  const { log } = run.opts;
  const skip = noGlibcReason(run.rootFd);
  if (skip) {
    log.info({ reason: skip }, 'linker cache left untouched');
    return;
  }
  const { present, missing } = existingFolders(run.rootFd, a.folders);
  if (missing.length) log.warn({ missing }, 'folders not in the container, left out of the drop-in');
  // One container at a time per rootfs: Slurm runs every step of a multi-node job on the same
  // bundle rootfs (a shared filesystem), and two ldconfigs renaming ld.so.cache~ at once fail.
  const c = native().constants;
  const lock = native().openat(run.rootFd, '.', c.O_RDONLY | c.O_DIRECTORY | c.O_CLOEXEC, 0);
  try {
    native().flock(lock, c.LOCK_EX);
    if (a.folders.length) writeDropIn(run.rootFd, present);
    let childRoot = run.location.rootfs;
    if (run.location.kind === 'join' && run.location.pivoted) {
      run.leave();
      childRoot = `/proc/${run.location.pid}/root`;
    }
    runLdconfig(a.ldconfig, childRoot, a.timeoutMs);
  } finally {
    fs.closeSync(lock); // releases the lock
  }
  const cache = readContainerCache(run.rootFd);
  if (cache) log.info(summariseCache(cache, present), 'linker cache refreshed');
}
