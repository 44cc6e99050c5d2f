/**
 * ocihooks-runtime's flow: for `create` and `run`, the bundle's config.json gets its hooks.d
 * hooks first; then, for every subcommand, this process becomes the real runtime (execve), with
 * its arguments untouched.
 */
import { UsageError, messageOf } from '../core/errors';
import { VERSION } from '../engine/cli/options';
import { createLogger } from '../engine/log';
import { DEFAULT_HOOKS_DIRS, readHooksDirs } from '../hooksd/read';
import { native } from '../linux/native';
import { parseRuntimeArgs } from './args';
import { readRuntimeConfig } from './config-file';
import { rewriteBundleConfig } from './bundle';
import { checkRootPattern, rootForCall } from './per-user-root';
import { allocationOnly } from './slurm/edit';
import { slurmGpus } from './slurm/gpus';
import { slurmStepOf } from './slurm/step';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { WRAPPER_USAGE, parseWrapperOptions, resolveRuntime } from './options';

export const WRAPPER = 'ocihooks-runtime';

export function runWrapper(argv: string[]): void {
  const o = parseWrapperOptions(argv, readRuntimeConfig(process.env));
  if (o.answer) {
    process.stdout.write(o.answer === 'help' ? `usage: ${WRAPPER} ${WRAPPER_USAGE}\n` : `${VERSION}\n`);
    return;
  }
  const runtimePath = resolveRuntime(o.runtime);
  let cmd = parseRuntimeArgs(o.runtimeArgs, process.cwd());
  if (o.rootPerUser !== undefined) {
    checkRootPattern(o.rootPerUser);
    if (o.runtimeArgs.slice(0, cmd.index).some((a) => a === '--root' || a.startsWith('--root='))) throw new UsageError('--root-per-user and the runtime\'s --root: give one of them');
    o.runtimeArgs = ['--root', rootForCall(o.rootPerUser, o.runtimeArgs, cmd), ...o.runtimeArgs];
    cmd = parseRuntimeArgs(o.runtimeArgs, process.cwd());
  }
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    const { log, problem } = createLogger(WRAPPER, 'info', o.logFile);
    if (problem) process.stderr.write(`${WRAPPER}: warning: ${problem}\n`);
    try {
      const read = readHooksDirs(o.hooksDirs.length ? o.hooksDirs : DEFAULT_HOOKS_DIRS);
      for (const f of read.skipped) log.warn({ file: f.file, reason: f.error }, 'hooks.d file skipped, as podman skips it');
      const step = slurmStepOf();
      const gpus = step ? slurmGpus(step, process.env, o.cdiSpecDirs.length ? o.cdiSpecDirs : DEFAULT_CDI_DIRS) : undefined;
      if (gpus) log.info({ job: gpus.step.job, step: gpus.step.step, node: gpus.node, indices: gpus.indices, devices: gpus.devices }, 'Slurm step: GPUs from the allocation');
      const added = rewriteBundleConfig(cmd.bundle, read, o.annotations, gpus && ((c) => allocationOnly(c, gpus.devices)));
      log.info({ bundle: cmd.bundle, runtime: runtimePath, added }, 'hooks injected');
    } catch (e) {
      log.error({ bundle: cmd.bundle }, messageOf(e)); // the wrapper's own log has the failure too
      throw e;
    }
  }
  // When training its code cache (src/admin/code-cache.ts) the launcher writes it here: execve never returns.
  (globalThis as { __ocihooksBeforeExec?: () => void }).__ocihooksBeforeExec?.();
  native().execve(runtimePath, [o.runtime.split('/').pop() as string, ...o.runtimeArgs], Object.entries(process.env).map(([k, v]) => `${k}=${v}`));
}
