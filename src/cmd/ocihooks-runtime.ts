/**
 * ocihooks-runtime: an OCI runtime wrapper that gives runc and crun hooks.d.
 *   ocihooks-runtime [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] -- <runtime args>
 * create and run: hooks matched into <bundle>/config.json first (the installation's GPU precreate
 * filter runs in this process; runs of the installation's hooks become one process: runtime/chain.ts);
 * every other subcommand passes through.
 * A failure is one line on stderr and, when the runtime arguments name a --log file, a record there.
 */
import * as path from 'node:path';
import { exitCodeOf, failureLine } from '../core/errors';
import type { PrecreateInProcess } from '../runtime/inject';
import { runtimeLog, writeRuntimeLog } from '../runtime/runtime-log';
import { WRAPPER, runWrapper } from '../runtime/wrapper';

const argv = process.argv.slice(2);
// The installation's hooks, beside this program's launcher (bin/ of a build, libexec/../bin of an install).
const ownBin = path.resolve(path.dirname(process.argv[1] ?? '.'), '..', 'bin');
const ownGpuHook = path.join(ownBin, 'ocihook-gpu');
/** Its precreate filter runs here, not as a program; the GPU code loads only then (a lazy require). */
const precreateInProcess: PrecreateInProcess = (hook, config) => {
  const gpu = require('../gpu/precreate-in-process') as typeof import('../gpu/precreate-in-process');
  return gpu.runsInProcess(hook, ownGpuHook) ? gpu.runPrecreateInProcess(hook, config) : undefined;
};
try {
  runWrapper(argv, { precreateInProcess, chainBin: ownBin });
} catch (e) {
  const line = failureLine(WRAPPER, e);
  process.stderr.write(line);
  const log = runtimeLog(argv);
  if (log) writeRuntimeLog(log, line.trimEnd());
  process.exitCode = exitCodeOf(e);
}
