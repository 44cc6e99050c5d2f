/**
 * ocihooks-runtime: an OCI runtime wrapper that gives runc and crun hooks.d.
 *   ocihooks-runtime [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] -- <runtime args>
 * create and run: hooks matched into <bundle>/config.json first; every other subcommand passes through.
 */
import { UsageError } from '../core/errors';
import { createLogger } from '../engine/log';
import { DEFAULT_HOOKS_DIRS, readHooksDirs } from '../hooksd/match';
import { native } from '../linux/native';
import { parseRuntimeArgs, resolveRuntime, rewriteBundleConfig } from '../runtime/inject';
import { VERSION } from '../engine/cli/options';

const PROGRAM = 'ocihooks-runtime';
const USAGE = `usage: ${PROGRAM} [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation KEY=VALUE]... [--log-file FILE] [--] <runtime arguments>`;

function main(argv: string[]): void {
  let runtime = 'runc';
  const hooksDirs: string[] = [];
  const annotations: Record<string, string> = {};
  let logFile: string | undefined;
  let i = 0;
  // Our own options come first; the first argument that is not one of them starts the runtime's.
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (name: string): string => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (a === '--') {
      i++;
      break;
    } else if (a === '--runtime' || a.startsWith('--runtime=')) runtime = value('--runtime');
    else if (a === '--hooks-dir' || a.startsWith('--hooks-dir=')) hooksDirs.push(value('--hooks-dir'));
    else if (a === '--annotation' || a.startsWith('--annotation=')) {
      const kv = value('--annotation');
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`--annotation ${JSON.stringify(kv)}: expected KEY=VALUE`);
      annotations[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '--log-file' || a.startsWith('--log-file=')) logFile = value('--log-file');
    else if (a === '--ocihooks-help') {
      process.stdout.write(USAGE + '\n');
      return;
    } else if (a === '--ocihooks-version') {
      process.stdout.write(VERSION + '\n');
      return;
    } else break;
  }
  const runtimeArgs = argv.slice(i);
  const runtimePath = resolveRuntime(runtime);
  const cmd = parseRuntimeArgs(runtimeArgs, process.cwd());
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log } = createLogger(PROGRAM, 'info', logFile);
    const files = readHooksDirs(hooksDirs.length ? hooksDirs : DEFAULT_HOOKS_DIRS);
    const added = rewriteBundleConfig(cmd.bundle, files, annotations);
    log.info({ bundle: cmd.bundle, runtime: runtimePath, added }, 'hooks injected');
  }
  native().execve(runtimePath, [runtime.split('/').pop() as string, ...runtimeArgs], Object.entries(process.env).map(([k, v]) => `${k}=${v}`));
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${PROGRAM}: ${(e as Error).message.split('\n')[0]}\n`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
