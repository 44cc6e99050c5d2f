/**
 * The installation's own hook programs, found by what a runtime would start: a hook whose path is
 * the same real file as bin/<program> of this installation. Such a hook can run inside the process
 * that meets it (src/cmd/dispatch.ts calls programs as functions) instead of costing a Node start.
 */
import path = require('node:path');
import { realpathOrUndefined } from '../../linux/files';

/** The programs that run as hooks and may run inside another process. */
export const HOOK_PROGRAMS = ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'] as const;
export type HookProgram = (typeof HOOK_PROGRAMS)[number];

const known = new Map<string, Map<string, HookProgram>>();

/** The real files of bin/<program> in binDir, each with its program. */
function programsIn(binDir: string): Map<string, HookProgram> {
  let byReal = known.get(binDir);
  if (!byReal) {
    byReal = new Map();
    for (const p of HOOK_PROGRAMS) {
      const real = realpathOrUndefined(path.join(binDir, p));
      if (real !== undefined) byReal.set(real, p);
    }
    known.set(binDir, byReal);
  }
  return byReal;
}

/** Which of binDir's hook programs `file` is (links followed), if any. */
export function ownProgramOf(file: string, binDir: string): HookProgram | undefined {
  const real = realpathOrUndefined(file);
  return real === undefined ? undefined : programsIn(binDir).get(real);
}

/** The bin/ folder of the installation a program was started from (its path, links followed). */
export function binDirOf(programPath: string): string {
  return path.dirname(realpathOrUndefined(programPath) ?? programPath);
}

/**
 * binDirOf, and bin/ beside libexec/ for a Node launcher of libexec/ (an installation of one
 * process per hook starts those directly: the runtime's path, bin/<program>, is not said to it).
 */
export function installationBinOf(programPath: string): string {
  const dir = binDirOf(programPath);
  return path.basename(dir) === 'libexec' ? path.join(path.dirname(dir), 'bin') : dir;
}

/**
 * Which of binDir's hook programs a hook of a stage starts, when another process of the
 * installation may run it in its place (a chain, a run of hooks); `ocihook-gpu precreate` filters a
 * config and is no hook of a stage.
 */
export function stageHookProgram(
  hook: { path: string; args?: string[] | undefined },
  binDir: string,
): HookProgram | undefined {
  return hook.args?.[1] === 'precreate' ? undefined : ownProgramOf(hook.path, binDir);
}

/**
 * The relay filter's argument: `bin/<program> precreate-relay`, a precreate hook for every container
 * (native/hook-launcher/precreate-relay.c). It relays the config's hooks to a hook server it starts;
 * the runtime wrapper serves its own and passes it by.
 */
export const RELAY_FILTER_ARG = 'precreate-relay';

/** Whether a hooks.d hook is the installation's relay filter (by its program's name and argument). */
export function isRelayFilter(hook: { path: string; args?: string[] | undefined }): boolean {
  return (
    hook.args?.length === 2 &&
    hook.args[1] === RELAY_FILTER_ARG &&
    (HOOK_PROGRAMS as readonly string[]).includes(path.basename(hook.path))
  );
}
