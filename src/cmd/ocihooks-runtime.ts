/**
 * ocihooks-runtime: an OCI runtime wrapper that gives runc and crun hooks.d.
 *   ocihooks-runtime [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] -- <runtime args>
 * create and run: hooks matched into <bundle>/config.json first (the installation's GPU precreate
 * filter runs in this process; runs of the installation's hooks become one process: hook/program/chain-hooks.ts);
 * every other subcommand passes through.
 * A failure is one line on stderr and, when the runtime arguments name a --log file, a record there.
 */
import path = require('node:path');
import { ActionError, exitCodeOf, failureLine, messageOf } from '../core/errors';
import { type Json, jsonKeepingNumbers, stringifyKeepingNumbers } from '../core/json';
import { Invocation, runCaptured } from '../hook/program/invocation';
import { HOOK_PROGRAMS, ownProgramOf } from '../hook/program/own-programs';
import type { PrecreateInProcess } from '../wrapper/inject';
import { runtimeLog, writeRuntimeLog } from '../wrapper/runtime-log';
import { WRAPPER, runWrapper } from '../wrapper/wrapper';

export function main(inv: Invocation): number {
  // The installation's hooks, beside this program's launcher (bin/ of a build, libexec/../bin of an install).
  const ownBin = path.resolve(path.dirname(inv.path), '..', 'bin');
  /**
   * The installation's own `ocihook-gpu precreate` (no env list of its own) runs here, as the
   * program would with the config on its stdin; anything else is started.
   */
  const precreateInProcess: PrecreateInProcess = (hook, config) => {
    const args = hook.args ?? [];
    if (hook.env?.length || args[1] !== 'precreate' || ownProgramOf(hook.path, ownBin) !== HOOK_PROGRAMS[1])
      return undefined;
    const { code, stdout, stderr } = runCaptured(
      inv,
      { program: 'ocihook-gpu', path: hook.path, argv: args.slice(1), env: inv.env, ranIn: WRAPPER },
      stringifyKeepingNumbers(config),
    );
    if (code !== 0) throw new ActionError(stderr.trim().split('\n').pop() || `exit ${code}`);
    try {
      return jsonKeepingNumbers(stdout) as Json;
    } catch (e) {
      throw new ActionError(`its output is not JSON: ${messageOf(e)}`, { cause: e });
    }
  };
  try {
    // Started by the front-end for a create or run (inv.handOff): it becomes the runtime.
    runWrapper(inv, { precreateInProcess, chainBin: ownBin }, inv.handOff);
    return 0;
  } catch (e) {
    const line = failureLine(WRAPPER, e);
    inv.stderr(line);
    const log = runtimeLog(inv.argv);
    if (log) writeRuntimeLog(log, line.trimEnd());
    return exitCodeOf(e);
  }
}
