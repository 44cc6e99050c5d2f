/**
 * ocihooks-runtime: an OCI runtime wrapper that gives runc and crun hooks.d.
 *   ocihooks-runtime [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] -- <runtime args>
 * create and run: hooks matched into <bundle>/config.json first; every other subcommand passes through.
 */
import { exitCodeOf, failureLine } from '../core/errors';
import { WRAPPER, runWrapper } from '../runtime/wrapper';

try {
  runWrapper(process.argv.slice(2));
} catch (e) {
  process.stderr.write(failureLine(WRAPPER, e));
  process.exitCode = exitCodeOf(e);
}
