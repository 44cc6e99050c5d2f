/**
 * ocihooks-runtime: an OCI runtime wrapper that gives runc and crun hooks.d.
 *   ocihooks-runtime [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] -- <runtime args>
 * create and run: hooks matched into <bundle>/config.json first; every other subcommand passes through.
 * A failure is one line on stderr and, when the runtime arguments name a --log file, a record there.
 */
import { exitCodeOf, failureLine } from '../core/errors';
import { runtimeLog, writeRuntimeLog } from '../runtime/runtime-log';
import { WRAPPER, runWrapper } from '../runtime/wrapper';

const argv = process.argv.slice(2);
try {
  runWrapper(argv);
} catch (e) {
  const line = failureLine(WRAPPER, e);
  process.stderr.write(line);
  const log = runtimeLog(argv);
  if (log) writeRuntimeLog(log, line.trimEnd());
  process.exitCode = exitCodeOf(e);
}
