/**
 * A precreate filter's config without the installation's createContainer GPU hooks that would
 * find nothing to do in it (the filter made their edits already): each is a Node start, or a
 * request to a hook server, inside the runtime's create.
 */
import path = require('node:path');
import type { Registry } from '../cdi/registry';
import type { HostView } from '../core/host-view';
import type { Json } from '../core/json';
import { containerEnv } from '../hook/inputs';
import { Logger } from '../hook/log';
import { type OciHook, withoutHooks } from '../hook/program/chain-hooks';
import { parseArgs } from '../hook/program/options';
import { HOOK_PROGRAMS, ownProgramOf } from '../hook/program/own-programs';
import { GPU_SPEC, type GpuArgs, registryOf } from './arguments';
import { gpuEditsLeft } from './plan';
import { selectDevices } from './registry';

/** The options that choose which specs a GPU hook reads: hooks with the same read the same registry. */
function registryKey(args: GpuArgs): string {
  return JSON.stringify([args['cdi-spec-dir'] ?? null, args['device-root'], args['cdi-cache-dir']]);
}

/**
 * The config without the installation's createContainer GPU hooks it leaves nothing to do: each
 * would be a Node start (or a request to a hook server) inside the runtime's create that logs
 * "nothing to do", because the edits it would make are the filter's, already in the config. Left
 * out only when that is certain: the installation's ocihook-gpu in its createContainer mode (no
 * subcommand), with no env of its own and no --dry-run, whose own options select devices whose
 * plan on this config (gpu/plan.ts: the config, the specs and the host) is empty. Any other hook,
 * one whose plan has an action or a deferred edit, one whose options or plan fail, and one in a
 * chain another hook server waits for (withoutHooks), stays and runs as it would have. Each hook
 * left out is logged.
 */
export function withoutSettledGpuHooks(
  config: Json,
  on: { binDir: string; host: HostView; filter: { args: GpuArgs; reg: Registry } },
  log: Logger,
): Json {
  return settledGpuHooks(config, on, log).config;
}

/**
 * withoutSettledGpuHooks, and the hooks it left out, each with whether its plan read the filter's
 * own registry (its options name the same specs) — what kept-edits.ts may keep.
 */
export function settledGpuHooks(
  config: Json,
  on: { binDir: string; host: HostView; filter: { args: GpuArgs; reg: Registry } },
  log: Logger,
): { config: Json; left: { hook: OciHook; filtersRegistry: boolean }[] } {
  const { binDir, host, filter } = on;
  const stage = (config.hooks as Record<string, OciHook[] | undefined> | undefined)?.createContainer;
  if (!Array.isArray(stage) || stage.length === 0) return { config, left: [] };
  const filtersRegistry = new Map<OciHook, boolean>();
  const quiet = new Logger('silent', undefined);
  const nothingLeft = (h: OciHook): boolean => {
    if (h.env?.length || path.basename(h.path) === 'nvidia-cdi-hook') return false;
    if (ownProgramOf(h.path, binDir) !== HOOK_PROGRAMS[1]) return false;
    const argv = (h.args ?? [h.path]).slice(1);
    // Another mode of the program (precreate, NVIDIA's subcommands, `hook`): not the createContainer hook.
    if (argv.includes('hook') || (argv[0] !== undefined && !argv[0].startsWith('-'))) return false;
    try {
      const args = parseArgs<GpuArgs>(GPU_SPEC, argv, { stdout: () => undefined });
      if (args === undefined || args['dry-run']) return false;
      const same = registryKey(args) === registryKey(filter.args);
      filtersRegistry.set(h, same);
      const reg = same ? filter.reg : registryOf(args, quiet, true);
      const annotations = (config.annotations ?? {}) as Record<string, string>;
      const env = containerEnv(config as Parameters<typeof containerEnv>[0]);
      const sel = selectDevices(
        reg,
        { annotations, env, cliDevices: args.device, acceptEnv: args['accept-env'] },
        quiet,
      );
      const left = gpuEditsLeft(config, sel, host);
      return left.actions.length === 0 && left.deferred.length === 0;
    } catch {
      return false; // it runs, and says what it finds itself
    }
  };
  const { hooks, left } = withoutHooks(stage, nothingLeft);
  if (left.length === 0) return { config, left: [] };
  for (const h of left)
    log.info({ hook: h.path, args: h.args }, 'createContainer GPU hook left out: the config has all it would add');
  return {
    config: { ...config, hooks: { ...(config.hooks as object), createContainer: hooks } },
    left: left.map((hook) => ({ hook, filtersRegistry: filtersRegistry.get(hook) === true })),
  };
}
