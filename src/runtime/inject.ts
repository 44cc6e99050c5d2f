/**
 * What the wrapper does to a container's config for `create` and `run`: the hooks.d files are
 * matched against it exactly as `ocihooks match` does, precreate hooks run as config filters,
 * and the matched hooks are added to their stages. Everything here is planning on data.
 */
import * as path from 'node:path';
import { ActionError, UsageError, messageOf } from '../core/errors';
import { Json, parseWith } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import { matchHooks } from '../hooksd/match';
import type { HookFile } from '../hooksd/read';
import { factsFromConfig } from '../hooksd/when';
import { runTrusted } from '../linux/exec';

/** Runs a precreate hook: the config on stdin, the edited config on stdout. */
function runPrecreate(hook: { path: string; args?: string[]; env?: string[]; timeout?: number }, file: string, config: Json): Json {
  let out: Buffer;
  try {
    out = runTrusted(hook.path, { argv0: hook.args?.[0], args: (hook.args ?? [hook.path]).slice(1), env: hook.env, input: JSON.stringify(config), timeoutMs: (hook.timeout ?? 30) * 1000, captureStdout: true });
  } catch (e) {
    throw new ActionError(`precreate hook ${hook.path} (${file}): ${messageOf(e)}`);
  }
  try {
    return JSON.parse(out.toString()) as Json;
  } catch (e) {
    throw new ActionError(`precreate hook ${hook.path} (${file}): its output is not JSON: ${messageOf(e)}`);
  }
}

/** Returns the edited config and what was added, from the original config and the hook files. */
export function injectHooks(original: Json, files: HookFile[], extraAnnotations: Record<string, string>, configPath: string): { config: Json; added: string[] } {
  const broken = files.find((f) => f.problems.length);
  if (broken) {
    const p = broken.problems[0] as { field: string; reason: string };
    throw new UsageError(`${broken.file}: ${p.field}: ${p.reason}`);
  }
  const parsed = parseWith(ociConfigSchema, original, `config ${configPath}`);
  let config: Json = structuredClone(original);
  if (Object.keys(extraAnnotations).length) config.annotations = { ...(config.annotations ?? {}), ...extraAnnotations };
  const matched = matchHooks(files, factsFromConfig(parsed, extraAnnotations));
  const added: string[] = [];
  for (const m of matched.precreate ?? []) {
    config = runPrecreate(m.hook, m.file, config);
    added.push(`precreate ${path.basename(m.file)}`);
  }
  for (const [stage, hooks] of Object.entries(matched)) {
    if (stage === 'precreate') continue;
    config.hooks ??= {};
    for (const h of hooks) {
      config.hooks[stage] = [...(config.hooks[stage] ?? []), h.hook];
      added.push(`${stage} ${path.basename(h.file)}`);
    }
  }
  return { config, added };
}
