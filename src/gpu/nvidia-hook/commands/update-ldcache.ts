/**
 * update-ldcache --folder DIR ... [--ldconfig-path P]: the container's linker cache rebuilt by the
 * host's ldconfig with these folders added — the one ldconfig action every hook of this project
 * uses (`ldconfig -r <rootfs>` into a cache of the container's own, never the image's ldconfig),
 * with the image's system folders listed last, as NVIDIA's hook writes them to its zz-nvcr-*.conf.
 */
import { UsageError } from '../../../core/errors';
import { newPlan } from '../../../core/plan';
import {
  DEFAULT_LDCONFIG_TIMEOUT_MS,
  preferRealLdconfig,
  validateLdconfigPath,
} from '../../../linux/ldconfig/host-ldconfig';
import { ldconfigAction } from '../../../linux/ldconfig/action';
import { CONTAINER_SPEC, NvidiaHook, listValues } from '../hook';

export const updateLdcache: NvidiaHook = {
  name: 'update-ldcache',
  describe: "rebuild the container's linker cache with these folders (--folder DIR, repeatable)",
  options: {
    folder: {
      type: 'string',
      array: true,
      default: [],
      describe: 'container folder to add to the linker search path (repeatable)',
    },
    'ldconfig-path': {
      type: 'string',
      default: '/sbin/ldconfig',
      describe: 'host ldconfig (P.real preferred when it exists)',
    },
    ...CONTAINER_SPEC,
  },
  check(args) {
    if (args['ldconfig-path'] === '') throw new UsageError('--ldconfig-path: ldconfig-path must be specified');
    for (const f of listValues(args.folder))
      if (!f.startsWith('/')) throw new UsageError(`--folder ${JSON.stringify(f)}: must be an absolute container path`);
    return undefined;
  },
  plan(p, args) {
    const ldconfig = validateLdconfigPath(
      preferRealLdconfig(args['ldconfig-path'] as string),
      p.bundle.rootfs,
      '--ldconfig-path',
    );
    // NVIDIA's spec names no place: judged per container, as the installation's own hooks do by default.
    return newPlan('gpu update-ldcache', p, [
      ldconfigAction(p, {
        ldconfig,
        folders: [...new Set(listValues(args.folder))],
        timeoutMs: DEFAULT_LDCONFIG_TIMEOUT_MS,
        cache: 'auto',
      }),
    ]);
  },
};
