/**
 * The linker-cache step: write the drop-in through the rootfs fd, then run the host ldconfig
 * against a path that shows the container's mounts (after a join into a running container: back
 * in the hook's own namespace, through /proc/<pid>/root).
 */
import type { LdconfigAction } from '../../core/actions';
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
  if (a.folders.length) writeDropIn(run.rootFd, present);
  let childRoot = run.location.rootfs;
  if (run.location.kind === 'join' && run.location.pivoted) {
    run.leave();
    childRoot = `/proc/${run.location.pid}/root`;
  }
  runLdconfig(a.ldconfig, childRoot, a.timeoutMs);
  const cache = readContainerCache(run.rootFd);
  if (cache) log.info(summariseCache(cache, present), 'linker cache refreshed');
}
