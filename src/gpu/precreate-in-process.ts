/**
 * The runtime wrapper runs an installed `ocihook-gpu precreate` filter in its own process instead of
 * starting it (a Node start, ~65 ms, on every GPU container's create under docker, containerd and
 * Slurm): the same arguments, log file, selection and edits as the program (gpu/cli.ts), and a
 * failure logged to the hook's log and reported as the program's would be. Only for a hook whose
 * path is the installation's own ocihook-gpu (same real path), `precreate` as its first argument
 * and no env list of its own; anything else is started as before.
 */
import { ActionError, exitCodeOf, messageOf } from '../core/errors';
import type { Json } from '../core/json';
import { parseArgs } from '../engine/cli/options';
import { createLogger } from '../engine/log';
import type { OciHook } from '../hooksd/schema';
import { realpathOrUndefined } from '../linux/files';
import { GPU_SPEC, GpuArgs, precreateConfig } from './cli';

/** Whether the wrapper may run `hook` itself: `ownGpuHook` is the installation's ocihook-gpu. */
export function runsInProcess(hook: OciHook, ownGpuHook: string | undefined): boolean {
  const own = ownGpuHook === undefined ? undefined : realpathOrUndefined(ownGpuHook);
  const args = hook.args ?? [];
  return (
    own !== undefined &&
    !hook.env?.length &&
    args[1] === 'precreate' &&
    !args.some((a) => a === '--help' || a === '--version') &&
    realpathOrUndefined(hook.path) === own
  );
}

/** The edited config, as `ocihook-gpu precreate` with the hook's arguments would print it. */
export function runPrecreateInProcess(hook: OciHook, config: Json): Json {
  let args: GpuArgs;
  try {
    args = parseArgs<GpuArgs>(GPU_SPEC, (hook.args ?? []).slice(2)) as GpuArgs;
  } catch (e) {
    throw new ActionError(`${GPU_SPEC.program}: ${messageOf(e)}`, { cause: e });
  }
  const setup = createLogger(GPU_SPEC.program, args['log-level'], args['log-file']);
  if (setup.problem) process.stderr.write(`${GPU_SPEC.program}: warning: ${setup.problem}\n`);
  try {
    return precreateConfig(args, setup.log.child({ ranIn: 'ocihooks-runtime' }), config, 'config on stdin');
  } catch (e) {
    setup.log.error(
      { exitCode: exitCodeOf(e), err: e instanceof Error ? e.stack : String(e) },
      messageOf(e).split('\n')[0],
    );
    throw new ActionError(`${GPU_SPEC.program}: ${messageOf(e)}`, { cause: e });
  }
}
