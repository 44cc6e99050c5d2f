/**
 * Edits a bundle's config.json for the runtime, in place and leaving nothing else in the bundle:
 * Slurm removes its per-step folder with rmdir after deleting the files it made itself, so any
 * file beside config.json kept the folder — and the job's environment in it — on disk. The
 * original config travels inside the edited one instead, as the annotation ORIGINAL_ANNOTATION,
 * and is the input of every later run: running the wrapper twice on a bundle never adds a hook
 * (or runs a precreate filter) twice. The file keeps its mode, owner and group.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError, messageOf } from '../core/errors';
import { Json, parseJsonKeepingNumbers, stringifyKeepingNumbers } from '../core/json';
import type { HooksRead } from '../hooksd/read';
import { writeFileAtomically } from '../linux/files';
import { InjectOptions, injectHooks } from './inject';
import { SLOT_FLAG } from '../hook/program/chain';

/** The config as it was before the wrapper edited it, as compact JSON. */
export const ORIGINAL_ANNOTATION = 'org.ocihooks.runtime.original-config';

/**
 * The config the wrapper must start from: the one it edited before, when this one is its edit;
 * without the slots of an early create (early-create.ts), when the front-end edited it.
 */
export function originalConfig(config: Json, configPath: string): Json {
  const saved = (config.annotations as Record<string, unknown> | undefined)?.[ORIGINAL_ANNOTATION];
  if (saved === undefined) return withoutSlots(config);
  if (typeof saved !== 'string')
    throw new UsageError(`config ${configPath}: annotation ${ORIGINAL_ANNOTATION} is not a string`);
  return parseJsonKeepingNumbers(saved, `config ${configPath}: annotation ${ORIGINAL_ANNOTATION}`) as Json;
}

const isSlot = (h: unknown) => {
  const args = (h as { args?: unknown } | null)?.args;
  return Array.isArray(args) && typeof args[2] === 'string' && args[2].startsWith(SLOT_FLAG);
};

function withoutSlots(config: Json): Json {
  const hooks = config.hooks as Record<string, unknown> | undefined;
  if (!hooks || typeof hooks !== 'object' || !Object.values(hooks).some((l) => Array.isArray(l) && l.some(isSlot)))
    return config;
  const kept = Object.fromEntries(
    Object.entries(hooks).map(([stage, list]) => [stage, Array.isArray(list) ? list.filter((h) => !isSlot(h)) : list]),
  );
  return { ...config, hooks: kept };
}

/** The bundle's config.json: its path, its file's facts and the config the wrapper starts from. */
export function readBundleConfig(bundle: string): { configPath: string; stat: fs.Stats; original: Json } {
  const configPath = path.join(bundle, 'config.json');
  let text: string;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(configPath);
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new UsageError(`config ${configPath}: ${messageOf(e)}`, { cause: e });
  }
  return {
    configPath,
    stat,
    original: originalConfig(parseJsonKeepingNumbers(text, `config ${configPath}`) as Json, configPath),
  };
}

/**
 * Edits <bundle>/config.json in place; returns what was added and how many hooks the hook server
 * will be asked to run (inject.ts). `edit` changes (a copy of) the
 * original before the hooks are matched against it.
 */
export function rewriteBundleConfig(
  bundle: string,
  read: HooksRead,
  extraAnnotations: Record<string, string>,
  edit?: (config: Json) => void,
  opts: InjectOptions = {},
): { added: string[]; served: number } {
  const { configPath, stat, original } = readBundleConfig(bundle);
  const edited = edit ? structuredClone(original) : original;
  edit?.(edited);
  const { config, added, served } = injectHooks(edited, read, extraAnnotations, configPath, opts);
  config.annotations = { ...(config.annotations ?? {}), [ORIGINAL_ANNOTATION]: stringifyKeepingNumbers(original) };
  try {
    writeFileAtomically(configPath, stringifyKeepingNumbers(config, 2), { like: stat });
  } catch (e) {
    throw new UsageError(`config ${configPath}: ${messageOf(e)}`, { cause: e });
  }
  return { added, served };
}
