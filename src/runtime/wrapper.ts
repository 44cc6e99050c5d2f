/**
 * ocihooks-runtime's flow: for `create` and `run`, the bundle's config.json gets its hooks.d
 * hooks first; then, for every subcommand, this process becomes the real runtime (execve), with
 * its arguments untouched.
 */
import { VERSION } from '../engine/cli/options';
import { createLogger } from '../engine/log';
import { DEFAULT_HOOKS_DIRS, readHooksDirs } from '../hooksd/read';
import { native } from '../linux/native';
import { parseRuntimeArgs } from './args';
import { readRuntimeConfig } from './config-file';
import { rewriteBundleConfig } from './bundle';
import { WRAPPER_USAGE, parseWrapperOptions, resolveRuntime } from './options';

export const WRAPPER = 'ocihooks-runtime';

export function runWrapper(argv: string[]): void {
  const o = parseWrapperOptions(argv, readRuntimeConfig(process.env));
  if (o.answer) {
    process.stdout.write(o.answer === 'help' ? `usage: ${WRAPPER} ${WRAPPER_USAGE}\n` : `${VERSION}\n`);
    return;
  }
  const runtimePath = resolveRuntime(o.runtime);
  const cmd = parseRuntimeArgs(o.runtimeArgs, process.cwd());
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log } = createLogger(WRAPPER, 'info', o.logFile);
    const read = readHooksDirs(o.hooksDirs.length ? o.hooksDirs : DEFAULT_HOOKS_DIRS);
    for (const f of read.skipped) log.warn({ file: f.file, reason: f.error }, 'hooks.d file skipped, as podman skips it');
    const added = rewriteBundleConfig(cmd.bundle, read, o.annotations);
    log.info({ bundle: cmd.bundle, runtime: runtimePath, added }, 'hooks injected');
  }
  // When training its code cache (src/admin/code-cache.ts) the launcher writes it here: execve never returns.
  (globalThis as { __ocihooksBeforeExec?: () => void }).__ocihooksBeforeExec?.();
  native().execve(runtimePath, [o.runtime.split('/').pop() as string, ...o.runtimeArgs], Object.entries(process.env).map(([k, v]) => `${k}=${v}`));
}
