/**
 * What the wrapper does to a container's config for `create` and `run`: the hooks.d files are
 * matched against it exactly as `ocihooks match` does, the matched hooks are added to their
 * stages and precreate hooks run as config filters, in podman's order.
 */
import path = require('node:path');
import { ActionError, UsageError, messageOf } from '../core/errors';
import { Json, jsonKeepingNumbers, parseWith, stringifyKeepingNumbers } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import { matchHooks } from '../hooksd/match';
import { DEFAULT_PRESTART_AS, PrestartAs } from '../hooksd/prestart';
import type { HooksRead } from '../hooksd/read';
import type { OciHook } from '../hooksd/schema';
import { factsFromConfig } from '../hooksd/when';
import { runTrusted } from '../linux/exec';
import { RELAYED_STAGES, chainHooks, relayConfigHooks, servedCount } from '../hook/program/chain-hooks';

/** Runs a precreate hook: the config on stdin, the edited config on stdout. */
function runPrecreate(hook: OciHook, file: string, config: Json): Json {
  let out: Buffer;
  try {
    out = runTrusted(hook.path, {
      argv0: hook.args?.[0],
      args: (hook.args ?? [hook.path]).slice(1),
      env: hook.env,
      input: stringifyKeepingNumbers(config),
      timeoutMs: (hook.timeout ?? 30) * 1000,
      captureStdout: true,
    });
  } catch (e) {
    throw new ActionError(`precreate hook ${hook.path} (${file}): ${messageOf(e)}`, { cause: e });
  }
  try {
    return jsonKeepingNumbers(out.toString()) as Json;
  } catch (e) {
    throw new ActionError(`precreate hook ${hook.path} (${file}): its output is not JSON: ${messageOf(e)}`, {
      cause: e,
    });
  }
}

/**
 * Runs a precreate hook in the wrapper's own process instead of starting it, and returns the edited
 * config; undefined when it does not (then it is started as usual). The program entry provides it
 * (the GPU hook's precreate filter: src/gpu/precreate-in-process.ts).
 */
export type PrecreateInProcess = (hook: OciHook, config: Json) => Json | undefined;

/**
 * Returns the edited config, what was added and how many hooks the hook server will be asked to
 * run (`served`), as podman builds a container's config: the matched
 * hooks are appended to their stages first, then the precreate hooks filter the whole config, in
 * order. Refuses (UsageError) where podman refuses to start the container.
 */
export interface InjectOptions {
  precreateInProcess?: PrecreateInProcess;
  /** The installation's bin/ (beside the wrapper): runs of its hooks become one (chain.ts). */
  chainBin?: string;
  /** Where a file's prestart goes (hooksd/prestart.ts); podman 5's createRuntime when not said. */
  prestartAs?: PrestartAs;
  /**
   * The socket of the wrapper's hook server (hook/server/hook-server.ts), when it serves this container's
   * first stages: their runs of the installation's hooks go to it (chain.ts).
   */
  relaySocket?: string;
}

export function injectHooks(
  original: Json,
  read: HooksRead,
  extraAnnotations: Record<string, string>,
  configPath: string,
  opts: InjectOptions = {},
): { config: Json; added: string[]; served: number } {
  if (read.refusal) throw new UsageError(read.refusal);
  const parsed = parseWith(ociConfigSchema, original, `config ${configPath}`);
  let config: Json = structuredClone(original);
  if (Object.keys(extraAnnotations).length) config.annotations = { ...(config.annotations ?? {}), ...extraAnnotations };
  let matched: ReturnType<typeof matchHooks>;
  try {
    matched = matchHooks(read.hooks, factsFromConfig(parsed, extraAnnotations), opts.prestartAs ?? DEFAULT_PRESTART_AS);
  } catch (e) {
    throw new UsageError(`config ${configPath}: ${messageOf(e)}`, { cause: e });
  }
  const added: string[] = [];
  let served = 0;
  // With precreate filters to come and a hook server, the relayed stages' runs are made over the
  // config the filters leave (below): until then those stages hold the matched hooks as podman
  // writes them, which is what a filter reads (the GPU filter leaves out a hook it made needless).
  const relayLater =
    Boolean(matched.precreate?.length) && opts.chainBin !== undefined && opts.relaySocket !== undefined;
  for (const [stage, hooks] of Object.entries(matched)) {
    if (stage === 'precreate') continue;
    config.hooks ??= {};
    const relayed = (RELAYED_STAGES as readonly string[]).includes(stage) ? opts.relaySocket : undefined;
    const merged =
      opts.chainBin === undefined
        ? { hooks: hooks.map((h) => h.hook), chained: hooks.map(() => false) }
        : chainHooks(
            hooks.map((h) => h.hook),
            opts.chainBin,
            relayed,
          );
    const appended = relayLater && relayed !== undefined ? hooks.map((h) => h.hook) : merged.hooks;
    config.hooks[stage] = [...(config.hooks[stage] ?? []), ...appended];
    served += servedCount(merged.hooks, relayed);
    hooks.forEach((h, i) => added.push(`${stage} ${path.basename(h.file)}${merged.chained[i] ? ' (chained)' : ''}`));
  }
  for (const m of matched.precreate ?? []) {
    let inside: Json | undefined;
    try {
      inside = opts.precreateInProcess?.(m.hook, config);
    } catch (e) {
      throw new ActionError(`precreate hook ${m.hook.path} (${m.file}): ${messageOf(e)}`, { cause: e });
    }
    config = inside ?? runPrecreate(m.hook, m.file, config);
    added.push(`precreate ${path.basename(m.file)}${inside ? ' (in process)' : ''}`);
  }
  // The hooks a precreate filter added (the GPU filter: a CDI spec's hooks, ocihook-gpu's own
  // subcommands) ask the hook server too, as the filter started apart makes them ask itself; and
  // the server expects what the config holds after every filter, which may also have dropped some.
  if (relayLater) ({ config, served } = relayConfigHooks(config, opts.chainBin as string, opts.relaySocket as string));
  return { config, added, served };
}
