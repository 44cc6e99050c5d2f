/**
 * Planning for the ldconfig hook: one action that rebuilds the container's linker cache with a
 * trusted host ldconfig, with the given container folders and the image's system folders.
 */
import { UsageError } from '../core/errors';
import { Plan, PlanInput, newPlan } from '../core/plan';
import { DEFAULT_LDCONFIG_CANDIDATES, validateLdconfigPath } from '../linux/ldconfig/host-ldconfig';
import { ldconfigAction } from '../linux/ldconfig/action';
import type { LinkerCachePlace } from '../linux/ldconfig/cache-place';

export interface LdconfigHookArgs {
  /** The host ldconfig (the admin's --ldconfig-path, or the first default that exists). */
  ldconfig: string | undefined;
  folders: string[];
  timeoutSeconds: number;
  /** Where the cache goes (--linker-cache). */
  linkerCache: LinkerCachePlace;
}

/** The longest --timeout: a day. */
const MAX_TIMEOUT_SECONDS = 86_400;

/** Checks the arguments that need no container (before the state is read). */
export function checkLdconfigHookArgs(args: LdconfigHookArgs): void {
  for (const f of args.folders)
    if (!f.startsWith('/')) throw new UsageError(`--folder ${JSON.stringify(f)}: must be an absolute container path`);
  const t = args.timeoutSeconds;
  if (Number.isNaN(t)) throw new UsageError('--timeout: not a number of seconds');
  // The runner's timer takes whole milliseconds: under one, or no finite number, it would kill ldconfig at once.
  if (!(t >= 0.001 && t <= MAX_TIMEOUT_SECONDS))
    throw new UsageError(`--timeout ${t}: must be a number of seconds from 0.001 to ${MAX_TIMEOUT_SECONDS}`);
}

export function planLdconfigHook(p: PlanInput, args: LdconfigHookArgs): Plan {
  if (args.ldconfig === undefined)
    throw new UsageError(`no host ldconfig at ${DEFAULT_LDCONFIG_CANDIDATES.join(' or ')}: pass --ldconfig-path`);
  const ldconfig = validateLdconfigPath(args.ldconfig, p.bundle.rootfs, '--ldconfig-path');
  return newPlan('ldconfig', p, [
    ldconfigAction(p, {
      ldconfig,
      folders: args.folders,
      timeoutMs: Math.round(args.timeoutSeconds * 1000),
      cache: args.linkerCache,
    }),
  ]);
}
