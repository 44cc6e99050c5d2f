/**
 * ocihooks-runtime's flow: for `create` and `run`, the bundle's config.json gets its hooks.d
 * hooks first (and, in a Slurm step, its allocation's GPUs: slurm/); then, for every subcommand,
 * this process becomes the real runtime (execve), with its arguments untouched but for the --root
 * that --root-per-user puts in front.
 */
import { messageOf } from '../core/errors';
import { VERSION } from '../hook/program/version';
import type { Invocation } from '../hook/program/invocation';
import { createLogger } from '../hook/log';
import { DEFAULT_HOOKS_DIRS, readHooksDirs } from '../hooksd/read';
import { native } from '../linux/native';
import { parseRuntimeArgs } from './command-line/runtime-args';
import { readRuntimeConfig } from './config-file';
import { rewriteBundleConfig } from './bundle';
import type { InjectOptions } from './inject';
import { updateNoMatchIndex } from './no-match-index';
import { withPerUserRoot } from './command-line/per-user-root';
import { slurmConfigEdit } from './slurm';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { WRAPPER_USAGE, parseWrapperOptions, resolveRuntime } from './command-line/options';

export const WRAPPER = 'ocihooks-runtime';

export function runWrapper(inv: Invocation, opts: InjectOptions = {}): void {
  const argv = inv.argv;
  const config = readRuntimeConfig(inv.env);
  const o = parseWrapperOptions(argv, config);
  if (o.answer) {
    inv.stdout(o.answer === 'help' ? `usage: ${WRAPPER} ${WRAPPER_USAGE}\n` : `${VERSION}\n`);
    return;
  }
  const runtimePath = resolveRuntime(o.runtime);
  if (o.rootPerUser !== undefined)
    o.runtimeArgs = withPerUserRoot(o.rootPerUser, o.runtimeArgs, parseRuntimeArgs(o.runtimeArgs, process.cwd()));
  const cmd = parseRuntimeArgs(o.runtimeArgs, process.cwd());
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log, problem } = createLogger(WRAPPER, 'info', o.logFile, { env: inv.env });
    if (problem) inv.stderr(`${WRAPPER}: warning: ${problem}\n`);
    try {
      const readAt = Date.now();
      const dirs = o.hooksDirs.length ? o.hooksDirs : DEFAULT_HOOKS_DIRS;
      const read = readHooksDirs(dirs);
      for (const f of read.skipped)
        log.warn({ file: f.file, reason: f.error }, 'hooks.d file skipped, as podman skips it');
      const edit = slurmConfigEdit(o.cdiSpecDirs.length ? o.cdiSpecDirs : DEFAULT_CDI_DIRS, log, inv.env);
      const added = rewriteBundleConfig(cmd.bundle, read, o.annotations, edit, { ...opts, prestartAs: o.prestartAs });
      log.info({ bundle: cmd.bundle, runtime: runtimePath, added }, 'hooks injected');
      const optionsOnLine = argv.length !== o.runtimeArgs.length;
      updateNoMatchIndex({
        optionsOnLine,
        ...(config.file ? { configFile: config.file } : {}),
        annotations: o.annotations,
        inSlurmStep: edit !== undefined,
        dirs,
        read,
        readAt,
      });
    } catch (e) {
      log.error({ bundle: cmd.bundle }, messageOf(e)); // the wrapper's own log has the failure too
      throw e;
    }
  }
  // When training its code cache (src/admin/code-cache.ts) the launcher writes it here: execve never returns.
  inv.beforeExec?.();
  native().execve(
    runtimePath,
    [o.runtime.split('/').pop() as string, ...o.runtimeArgs],
    Object.entries(inv.env).map(([k, v]) => `${k}=${v}`),
  );
}
