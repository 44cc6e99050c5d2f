/**
 * ocihook-ldconfig: refreshes the container's linker cache with a trusted host ldconfig
 * (createContainer hook), after other hooks injected libraries.
 *   --ldconfig-path PATH   host ldconfig (default: /sbin/ldconfig or /usr/sbin/ldconfig)
 *   --folder DIR           container folder to add to the search path (repeatable)
 */
import { CommonArgs, parseArgs, runProgram } from '../engine/cli/options';
import { UsageError } from '../core/errors';
import { runContainerHook } from '../engine/container-hook';
import { DEFAULT_LDCONFIG_CANDIDATES, DEFAULT_LDCONFIG_TIMEOUT_MS, defaultLdconfig, validateLdconfigPath } from '../linux/ldconfig';
import { newPlan } from '../core/plan';

const PROGRAM = 'ocihook-ldconfig';

interface Args extends CommonArgs {
  'ldconfig-path'?: string;
  folder: string[];
  timeout: number;
}

runProgram(
  PROGRAM,
  () =>
    parseArgs<Args>({
      program: PROGRAM,
      usage: '$0 [--ldconfig-path PATH] [--folder DIR]... [options]',
      options: {
        'ldconfig-path': { type: 'string', describe: `host ldconfig (default: first of ${DEFAULT_LDCONFIG_CANDIDATES.join(', ')})` },
        folder: { type: 'string', array: true, default: [], describe: 'container folder to add to the linker search path (repeatable)' },
        timeout: { type: 'number', default: DEFAULT_LDCONFIG_TIMEOUT_MS / 1000, describe: 'seconds before ldconfig is killed' },
      },
    }),
  (args, ctx) => {
    for (const f of args.folder) if (!f.startsWith('/')) throw new UsageError(`--folder ${JSON.stringify(f)}: must be an absolute container path`);
    if (!(args.timeout > 0)) throw new UsageError(`--timeout ${args.timeout}: must be a positive number of seconds`);
    runContainerHook(args, ctx, ({ state, bundle, location }) => {
      const ldconfig = args['ldconfig-path'] ?? defaultLdconfig();
      if (ldconfig === undefined) throw new UsageError(`no host ldconfig at ${DEFAULT_LDCONFIG_CANDIDATES.join(' or ')}: pass --ldconfig-path`);
      return newPlan('ldconfig', state, bundle, location, [
        { action: 'ldconfig', ldconfig: validateLdconfigPath(ldconfig, bundle.rootfs, '--ldconfig-path'), folders: args.folder, timeoutMs: Math.round(args.timeout * 1000) },
      ]);
    });
  },
);
