/**
 * ocihook-mount: Sarus-compatible mount hook (createContainer, or by hand with --state-file).
 *   --mount=type=bind,src=/host,dst=/container[,readonly]   (repeatable; <FI_PROVIDER_PATH> allowed in dst)
 *   --device=/dev/x[:/dev/y][:rwm]                          (repeatable)
 *   --ldconfig-path=/sbin/ldconfig                          (or Sarus's LDCONFIG_PATH in the environment)
 * refreshes the container's linker cache with that host ldconfig after mounting.
 */
import type { Invocation } from '../hook/program/invocation';
import type { CliSpec, CommonArgs } from '../hook/program/options';
import { runProgram } from '../hook/program/run-program';
import { runContainerHook } from '../hook/container-hook';
import { realHost } from '../hook/real-host';
import { readContainerCache } from '../linux/ldconfig/cache';
import { LINKER_CACHE_OPTION, LinkerCachePlace } from '../linux/ldconfig/cache-place';
import { checkMountHookArgs, planMountHook } from '../mount/plan';

interface Args extends CommonArgs {
  mount: string[];
  device: string[];
  'skip-cgroup': boolean;
  'ldconfig-path'?: string;
  'linker-cache': LinkerCachePlace;
}

const spec: CliSpec = {
  program: 'ocihook-mount',
  usage: '$0 [--mount=type=bind,src=SRC,dst=DST[,readonly]]... [--device=HOST[:CONTAINER][:rwm]]... [options]',
  options: {
    mount: {
      type: 'string',
      array: true,
      default: [],
      describe: 'bind mount, Sarus syntax: type=bind,src|source=,dst|destination|target=[,readonly]',
    },
    device: {
      type: 'string',
      array: true,
      default: [],
      describe: 'device: HOST[:CONTAINER][:ACCESS], access a subset of rwm (default rwm)',
    },
    'skip-cgroup': {
      type: 'boolean',
      default: false,
      describe: 'bind devices but leave the device cgroup alone (diagnostics)',
    },
    'ldconfig-path': {
      type: 'string',
      describe: "host ldconfig that refreshes the container's linker cache after mounting (as LDCONFIG_PATH)",
    },
    'linker-cache': LINKER_CACHE_OPTION,
  },
  epilogue: "Environment: LDCONFIG_PATH=<host ldconfig> (Sarus's) does what --ldconfig-path does; the option wins.",
};

export function main(inv: Invocation): number {
  return runProgram<Args>(spec, inv, (args, ctx) => {
    // Grammar errors before the state is read.
    const checked = checkMountHookArgs({
      mounts: args.mount,
      devices: args.device,
      ...(args['ldconfig-path'] !== undefined
        ? { ldconfigPath: args['ldconfig-path'], ldconfigFrom: '--ldconfig-path' }
        : { ldconfigPath: inv.env.LDCONFIG_PATH }),
      linkerCache: args['linker-cache'],
    });
    runContainerHook(args, ctx, (p) =>
      planMountHook(p, checked, { host: realHost, readCache: () => p.withRoot(readContainerCache) }),
    );
  });
}
