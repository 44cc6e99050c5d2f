/**
 * ocihooks-runtime's flow: for `create` and `run`, the bundle's config.json gets its hooks.d
 * hooks first (and, in a Slurm step, its allocation's GPUs: slurm/); then, for every subcommand,
 * this process becomes the real runtime (execve), with its arguments untouched but for the --root
 * that --root-per-user puts in front. Handed a create or run by the front-end (hook/server/hand-off.ts), it
 * sends the runtime's command line back instead and stays to serve the stages' hooks
 * (hook/server/hook-server.ts).
 */
import { messageOf } from '../core/errors';
import { VERSION } from '../hook/program/version';
import type { Invocation } from '../hook/program/invocation';
import { Logger, createLogger } from '../hook/log';
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
import { HandOff, handOff } from '../hook/server/hand-off';
import { HookServer, openHookServerOrWarn, serveHooks } from '../hook/server/hook-server';

export const WRAPPER = 'ocihooks-runtime';

/** Runs the wrapper; `handOffTo`: the front-end's hand-off (hook/server/hand-off.ts), when it started this one for it. */
export function runWrapper(inv: Invocation, opts: InjectOptions = {}, handOffTo?: HandOff): void {
  const argv = inv.argv;
  const env = inv.env;
  const config = readRuntimeConfig(env);
  const o = parseWrapperOptions(argv, config);
  if (o.answer) {
    inv.stdout(o.answer === 'help' ? `usage: ${WRAPPER} ${WRAPPER_USAGE}\n` : `${VERSION}\n`);
    return;
  }
  const runtimePath = resolveRuntime(o.runtime);
  if (o.rootPerUser !== undefined)
    o.runtimeArgs = withPerUserRoot(o.rootPerUser, o.runtimeArgs, parseRuntimeArgs(o.runtimeArgs, process.cwd()));
  const cmd = parseRuntimeArgs(o.runtimeArgs, process.cwd());
  let server: HookServer | undefined;
  let serve: { expected: number; log: Logger } | undefined;
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log, problem } = createLogger(WRAPPER, 'info', o.logFile, { env });
    if (problem) inv.stderr(`${WRAPPER}: warning: ${problem}\n`);
    try {
      if (handOffTo && config.serveHooks !== false) server = openHookServerOrWarn(handOffTo, log);
      const readAt = Date.now();
      const dirs = o.hooksDirs.length ? o.hooksDirs : DEFAULT_HOOKS_DIRS;
      const read = readHooksDirs(dirs);
      for (const f of read.skipped)
        log.warn({ file: f.file, reason: f.error }, 'hooks.d file skipped, as podman skips it');
      // Handed over, this process is not in the runtime's process tree: the front-end is.
      const edit = slurmConfigEdit(
        o.cdiSpecDirs.length ? o.cdiSpecDirs : DEFAULT_CDI_DIRS,
        log,
        env,
        handOffTo?.watched ?? process.pid,
      );
      const { added, served } = rewriteBundleConfig(cmd.bundle, read, o.annotations, edit, {
        ...opts,
        prestartAs: o.prestartAs,
        ...(server ? { relaySocket: server.socket } : {}),
      });
      log.info({ bundle: cmd.bundle, runtime: runtimePath, added }, 'hooks injected');
      if (server && served > 0) serve = { expected: served, log };
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
      server?.close();
      log.error({ bundle: cmd.bundle }, messageOf(e)); // the wrapper's own log has the failure too
      throw e;
    }
  }
  // When training its code cache (src/admin/code-cache.ts) the launcher writes it here: execve never returns.
  inv.beforeExec?.();
  const runtimeArgv = [o.runtime.split('/').pop() as string, ...o.runtimeArgs];
  const runtimeEnv = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  if (!handOffTo) return native().execve(runtimePath, runtimeArgv, runtimeEnv);
  try {
    handOff(handOffTo, runtimePath, runtimeArgv, runtimeEnv);
    if (server && serve) serveHooks(server, serve.expected, inv.dispatch, serve.log, WRAPPER);
  } finally {
    server?.close();
  }
}
