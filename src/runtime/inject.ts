/**
 * The OCI runtime wrapper for runtimes that read no hooks.d (runc and crun run by Slurm):
 * for `create` and `run` it matches the hooks.d files against the bundle's config.json exactly
 * as `ocihooks match` does, runs precreate hooks as config filters, adds the matched hooks to
 * their stages, writes the config atomically (the original kept beside it), then the caller
 * execs the real runtime with the arguments untouched. Everything here is planning on data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError, UsageError, messageOf } from '../core/errors';
import { runTrusted } from '../linux/exec';
import { HookFile, factsFromConfig, matchHooks } from '../hooksd/match';
import { ociConfigSchema, parseJson, parseWith } from '../core/oci';

/** Global options of runc and crun that take a value in the next argument. */
const GLOBAL_WITH_VALUE = new Set(['--root', '--log', '--log-format', '--criu', '--rootless', '--log-level', '--cgroup-manager']);

export interface RuntimeCommand {
  subcommand?: string;
  /** Index of the subcommand in the runtime arguments. */
  index: number;
  bundle: string;
}

/** Finds the subcommand and, for create/run, the bundle (--bundle/-b, default the current directory). */
export function parseRuntimeArgs(args: string[], cwd: string): RuntimeCommand {
  let i = 0;
  while (i < args.length) {
    const a = args[i] as string;
    if (!a.startsWith('-')) break;
    i += GLOBAL_WITH_VALUE.has(a) ? 2 : 1;
  }
  const subcommand = args[i];
  let bundle = cwd;
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j] as string;
    if (a === '--bundle' || a === '-b') bundle = args[j + 1] ?? bundle;
    else if (a.startsWith('--bundle=')) bundle = a.slice('--bundle='.length);
    else if (a.startsWith('-b=')) bundle = a.slice(3);
  }
  return { ...(subcommand !== undefined ? { subcommand } : {}), index: i, bundle: path.resolve(cwd, bundle) };
}

export const ORIGINAL_SUFFIX = '.ocihooks-orig';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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

/**
 * Edits <bundle>/config.json in place. The original is kept as config.json.ocihooks-orig and is
 * the input of every later run, so running the wrapper twice never adds a hook twice.
 */
export function rewriteBundleConfig(bundle: string, files: HookFile[], extraAnnotations: Record<string, string>): string[] {
  const configPath = path.join(bundle, 'config.json');
  const originalPath = configPath + ORIGINAL_SUFFIX;
  const source = fs.existsSync(originalPath) ? originalPath : configPath;
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (e) {
    throw new UsageError(`config ${source}: ${messageOf(e)}`);
  }
  const original = parseJson(text, `config ${source}`) as Json;
  const { config, added } = injectHooks(original, files, extraAnnotations, source);
  if (source === configPath) fs.copyFileSync(configPath, originalPath);
  const tmp = `${configPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2));
  fs.renameSync(tmp, configPath);
  return added;
}

export function resolveRuntime(runtime: string): string {
  if (runtime.includes('/')) {
    if (!path.isAbsolute(runtime)) throw new UsageError(`--runtime ${runtime}: a path must be absolute`);
    return runtime;
  }
  const found = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => path.join(d, runtime)).find((p) => fs.existsSync(p));
  if (!found) throw new UsageError(`--runtime ${runtime}: not found`);
  return found;
}
