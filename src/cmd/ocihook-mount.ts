/**
 * ocihook-mount: Sarus-compatible mount hook (createContainer, or by hand with --state-file).
 *   --mount=type=bind,src=/host,dst=/container[,readonly]   (repeatable; <FI_PROVIDER_PATH> allowed in dst)
 *   --device=/dev/x[:/dev/y][:rwm]                          (repeatable)
 * Environment: LDCONFIG_PATH — a host ldconfig to refresh the container's linker cache with.
 */
import type { Invocation } from '../engine/cli/invocation';
import type { CliSpec, CommonArgs } from '../engine/cli/options';
import { runProgram } from '../engine/cli/program';
import { runContainerHook } from '../engine/container-hook';
import { realHost } from '../engine/host';
import { readContainerCache } from '../linux/ldcache';
import { checkMountHookArgs, planMountHook } from '../mount/plan';

interface Args extends CommonArgs {
  mount: string[];
  device: string[];
  'skip-cgroup': boolean;
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
  },
  epilogue: 'Environment: LDCONFIG_PATH=<host ldconfig> refreshes the container linker cache after mounting.',
};

export function main(inv: Invocation): number {
  return runProgram<Args>(spec, inv, (args, ctx) => {
    // Grammar errors before the state is read.
    const checked = checkMountHookArgs({
      mounts: args.mount,
      devices: args.device,
      ldconfigPath: inv.env.LDCONFIG_PATH,
    });
    runContainerHook(args, ctx, (p) =>
      planMountHook(p, checked, { host: realHost, readCache: () => p.withRoot(readContainerCache) }),
    );
  });
}
