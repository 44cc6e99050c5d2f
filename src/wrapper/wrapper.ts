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
import { readingOf } from '../hooksd/prestart';
import { native } from '../linux/native';
import { parseRuntimeArgs } from './command-line/runtime-args';
import { readRuntimeConfig } from './config-file';
import { readBundleConfig, rewriteBundleConfig } from './bundle';
import type { InjectOptions } from './inject';
import { updateNoMatchIndex } from './no-match-index';
import { withPerUserRoot } from './command-line/per-user-root';
import { slurmConfigEdit } from './slurm';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { WRAPPER_USAGE, foldersOrStagesOnLine, parseWrapperOptions, resolveRuntime } from './command-line/options';
import { HandOff, handOff } from '../hook/server/hand-off';
import {
  HookServer,
  UNTIL_THE_RUNTIME_ENDS_MS,
  adoptHookServer,
  openHookServerOrWarn,
  serveHooks,
} from '../hook/server/hook-server';
import { inUserNamespace } from '../linux/userns';
import { isRelayFilter } from '../hook/program/own-programs';
import type { HooksRead } from '../hooksd/read';
import { SlotRuns, slotDispatch, slotRuns } from './early-create';
import { updateEarlyIndex } from './early-index';

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
  let writeIndexes: (() => void) | undefined;
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log, problem } = createLogger(WRAPPER, 'info', o.logFile, { env });
    if (problem) inv.stderr(`${WRAPPER}: warning: ${problem}\n`);
    const dirs = o.hooksDirs.length ? o.hooksDirs : DEFAULT_HOOKS_DIRS;
    const indexes = (read: HooksRead, readAt: number, inSlurmStep: boolean) => {
      updateNoMatchIndex({
        optionsOnLine: argv.length !== o.runtimeArgs.length,
        ...(config.file ? { configFile: config.file } : {}),
        annotations: o.annotations,
        inSlurmStep,
        dirs,
        read,
        readAt,
      });
      updateEarlyIndex({
        ...(config.file ? { configFile: config.file } : {}),
        configAnnotations: config.annotations !== undefined,
        foldersOrStagesOnLine: foldersOrStagesOnLine(argv.slice(0, argv.length - o.runtimeArgs.length)),
        inSlurmStep,
        canServe: config.serveHooks !== false && process.geteuid?.() === 0 && !inUserNamespace('self'),
        ...(opts.chainBin !== undefined ? { binDir: opts.chainBin } : {}),
        wrapper: inv.path,
        prestartAs: o.prestartAs,
        dirs,
        read,
        readAt,
      });
    };
    const readFolders = () => {
      // The installation's relay filter (podman's) is passed by here, once: the wrapper serves its
      // own hooks, and the indexes and the match never see it.
      const all = readHooksDirs(dirs, readingOf(o.prestartAs).hookPathCheck);
      const read = { ...all, hooks: all.hooks.filter((f) => !(f.def && isRelayFilter(f.def.hook))) };
      for (const f of read.skipped)
        log.warn({ file: f.file, reason: f.error }, 'hooks.d file skipped, as podman skips it');
      return read;
    };
    if (handOffTo?.early) return serveEarlyCreate({ ...handOffTo, early: handOffTo.early });
    try {
      if (handOffTo && config.serveHooks !== false) server = openHookServerOrWarn(handOffTo, log);
      const readAt = Date.now();
      const read = readFolders();
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
      writeIndexes = () => {
        try {
          indexes(read, readAt, edit !== undefined);
        } catch (e) {
          log.warn({ err: messageOf(e) }, 'indexes not written: the next calls go to the wrapper'); // a shortcut only
        }
      };
    } catch (e) {
      server?.close();
      log.error({ bundle: cmd.bundle }, messageOf(e)); // the wrapper's own log has the failure too
      throw e;
    }

    /**
     * The front-end started the runtime already (early-create.ts): match, then serve the slots.
     * Nothing can be refused to the engine any more: a failure goes to each slot's stderr.
     */
    function serveEarlyCreate(h: HandOff & { early: NonNullable<HandOff['early']> }): void {
      const server = adoptHookServer(h);
      const bundle = cmd.bundle;
      try {
        let runs: SlotRuns | Error;
        try {
          const readAt = Date.now();
          const read = readFolders();
          const { configPath, original } = readBundleConfig(bundle);
          const found = slotRuns(
            original,
            read,
            o.annotations,
            configPath,
            opts.chainBin ?? '',
            o.prestartAs,
            server.socket,
          );
          runs = found.runs;
          log.info({ bundle, runtime: runtimePath, added: found.added, early: true }, 'hooks injected');
          indexes(read, readAt, false);
        } catch (e) {
          runs = e instanceof Error ? e : new Error(String(e));
          log.error({ bundle, early: true }, messageOf(e));
        }
        serveHooks(
          server,
          h.early.slots,
          slotDispatch(runs, inv.dispatch, WRAPPER),
          log,
          WRAPPER,
          UNTIL_THE_RUNTIME_ENDS_MS,
        );
      } finally {
        server.close();
      }
    }
  }
  // When training its code cache (src/admin/code-cache.ts) the launcher writes it here: execve never returns.
  inv.beforeExec?.();
  const runtimeArgv = [o.runtime.split('/').pop() as string, ...o.runtimeArgs];
  const runtimeEnv = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  if (!handOffTo) {
    writeIndexes?.();
    return native().execve(runtimePath, runtimeArgv, runtimeEnv);
  }
  try {
    handOff(handOffTo, runtimePath, runtimeArgv, runtimeEnv);
    // The indexes are for the calls to come: written while the runtime starts, not before it.
    writeIndexes?.();
    if (server && serve) serveHooks(server, serve.expected, inv.dispatch, serve.log, WRAPPER);
  } finally {
    server?.close();
  }
}
