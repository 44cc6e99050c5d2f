/**
 * ocihook-ldconfig: refreshes the container's linker cache with a trusted host ldconfig
 * (createContainer hook), after other hooks injected libraries.
 */
import type { Invocation } from '../hook/program/invocation';
import type { CliSpec, CommonArgs } from '../hook/program/options';
import { runProgram } from '../hook/program/run-program';
import { runContainerHook } from '../hook/container-hook';
import {
  DEFAULT_LDCONFIG_CANDIDATES,
  DEFAULT_LDCONFIG_TIMEOUT_MS,
  defaultLdconfig,
} from '../linux/ldconfig/host-ldconfig';
import { checkLdconfigHookArgs, planLdconfigHook } from '../ldconfig/plan';
import { LINKER_CACHE_OPTION, LinkerCachePlace } from '../linux/ldconfig/cache-place';

interface Args extends CommonArgs {
  'ldconfig-path'?: string;
  folder: string[];
  timeout: number;
  'linker-cache': LinkerCachePlace;
}

const spec: CliSpec = {
  program: 'ocihook-ldconfig',
  usage: '$0 [--ldconfig-path PATH] [--folder DIR]... [options]',
  options: {
    'ldconfig-path': {
      type: 'string',
      describe: `host ldconfig (default: first of ${DEFAULT_LDCONFIG_CANDIDATES.join(', ')})`,
    },
    folder: {
      type: 'string',
      array: true,
      default: [],
      describe: 'container folder to add to the linker search path (repeatable)',
    },
    timeout: {
      type: 'number',
      default: DEFAULT_LDCONFIG_TIMEOUT_MS / 1000,
      describe: 'seconds before ldconfig is killed',
    },
    'linker-cache': LINKER_CACHE_OPTION,
  },
};

export function main(inv: Invocation): number {
  return runProgram<Args>(spec, inv, (args, ctx) => {
    const request = {
      ldconfig: args['ldconfig-path'] ?? defaultLdconfig(),
      folders: args.folder,
      timeoutSeconds: args.timeout,
      linkerCache: args['linker-cache'],
    };
    checkLdconfigHookArgs(request);
    runContainerHook(args, ctx, (p) => planLdconfigHook(p, request));
  });
}
