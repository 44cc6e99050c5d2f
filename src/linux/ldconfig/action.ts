/** The ldconfig action every planner asks for: the folders, the image's system folders, the cache's place. */
import type { LdconfigAction } from '../../core/actions';
import type { PlanInput } from '../../core/plan';
import { LinkerCachePlace, plannedCachePlace } from './cache-place';
import { imageSystemFolders } from './system-folders';

export function ldconfigAction(
  p: PlanInput,
  a: { ldconfig: string; folders: string[]; timeoutMs: number; cache: LinkerCachePlace },
): LdconfigAction {
  return {
    action: 'ldconfig',
    ldconfig: a.ldconfig,
    folders: a.folders,
    systemFolders: imageSystemFolders(),
    timeoutMs: a.timeoutMs,
    cache: plannedCachePlace(a.cache, p.bundle.config.root.readonly),
  };
}
