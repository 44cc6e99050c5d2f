/**
 * Reading hooks.d as podman 4.3 does (containers/common v0.50.1 pkg/hooks Read, Validate, ReadDir,
 * New), with its verdict on every problem (the same in podman 5; a hook path it cannot look at is
 * worded as the podman followed words it, prestart.ts):
 *  - a name not ending in ".json", or a file that vanished (a dangling link), is passed over;
 *  - a file that cannot be read, decoded or validated is an error; in each folder the first
 *    failing file (in name order) decides: when its hook path does not exist, podman drops every
 *    error of that folder (those files are skipped, the others load); otherwise it refuses to
 *    start the container, naming the errors;
 *  - a later folder's valid file replaces an earlier folder's file of the same name;
 *  - hooks are used in the order of their names, lower-cased.
 */
import fs = require('node:fs');
import path = require('node:path');
import { errorCode } from '../core/errors';
import { patternProblem } from './pattern';
import { HookPathCheck, NEWEST_HOOK_PATH_CHECK } from './prestart';
import { HookDefinition, KNOWN_STAGES, decodeHookDocument } from './schema';

/** podman's folder, and the folder it documents for admins' overrides (podman 4.3 reads only the first unless told). */
export const DEFAULT_HOOKS_DIRS = ['/usr/share/containers/oci/hooks.d', '/etc/containers/oci/hooks.d'];

export interface HookFile {
  file: string;
  name: string;
  /** ok: loaded; missing-hook: its hook path does not exist; error: any other failure. */
  status: 'ok' | 'missing-hook' | 'error';
  def?: HookDefinition;
  /** podman's reason, for a file that is not ok. */
  error?: string;
}

export interface HooksRead {
  /** The hooks podman uses, in its order. */
  hooks: HookFile[];
  /** Set when podman refuses to start a container with these folders: the files and reasons. */
  refusal?: string;
  /** Files podman passes over without a word (their folder's first failure was a missing hook path). */
  skipped: HookFile[];
  /** Every hooks.d file read, for validate. */
  files: HookFile[];
}

const STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
};
const strerror = (e: unknown) => STRERROR[errorCode(e) ?? ''] ?? (e as Error).message;

/** podman's Validate: the first problem, and whether it is the hook path missing. */
export function validateHook(
  def: HookDefinition,
  check: HookPathCheck = NEWEST_HOOK_PATH_CHECK,
): { error: string; missing?: true } | undefined {
  if (def.hook.path === '') return { error: 'missing required property: hook.path' };
  try {
    fs.statSync(def.hook.path);
  } catch (e) {
    return {
      error: `${check} ${def.hook.path}: ${strerror(e)}`,
      ...(errorCode(e) === 'ENOENT' ? { missing: true as const } : {}),
    };
  }
  for (const [key, value] of Object.entries(def.when.annotations ?? {})) {
    for (const [which, p] of [
      ['key', key],
      ['value', value],
    ] as const) {
      const r = patternProblem(p);
      if (r !== undefined) return { error: `invalid annotation ${which} ${JSON.stringify(p)}: ${r}` };
    }
  }
  for (const c of def.when.commands ?? []) {
    const r = patternProblem(c);
    if (r !== undefined) return { error: `invalid command ${JSON.stringify(c)}: ${r}` };
  }
  if (def.stages === null) return { error: 'missing required property: stages' };
  const unknown = def.stages.find((s) => !KNOWN_STAGES.includes(s));
  if (unknown !== undefined) return { error: `unknown stage ${JSON.stringify(unknown)}` };
  return undefined;
}

/**
 * One file as podman reads it; undefined when podman passes over it without a word (it vanished).
 * `check`: how the podman followed words a hook path it cannot look at.
 */
export function readHookFile(file: string, check: HookPathCheck = NEWEST_HOOK_PATH_CHECK): HookFile | undefined {
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    return {
      file,
      name,
      status: 'error',
      error: `${errorCode(e) === 'EISDIR' ? 'read' : 'open'} ${file}: ${strerror(e)}`,
    };
  }
  const def = decodeHookDocument(text);
  if ('error' in def)
    return { file, name, status: 'error', error: `parsing hook ${JSON.stringify(file)}: ${def.error}` };
  const invalid = validateHook(def, check);
  if (invalid) return { file, name, def, status: invalid.missing ? 'missing-hook' : 'error', error: invalid.error };
  return { file, name, def, status: 'ok' };
}

function byLowerName(a: HookFile, b: HookFile): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The folders, in increasing precedence, read as one set (podman's --hooks-dir given more than once). */
export function readHooksDirs(dirs: readonly string[], check: HookPathCheck = NEWEST_HOOK_PATH_CHECK): HooksRead {
  const byName = new Map<string, HookFile>();
  const out: HooksRead = { hooks: [], skipped: [], files: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (e) {
      if (errorCode(e) === 'ENOENT') continue;
      out.refusal = `${errorCode(e) === 'ENOTDIR' ? 'readdirent' : 'open'} ${dir}: ${strerror(e)}`;
      break;
    }
    const failures: HookFile[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const f = readHookFile(path.join(dir, name), check);
      if (!f) continue;
      out.files.push(f);
      if (f.status === 'ok') byName.set(name, f);
      else failures.push(f);
    }
    if (failures.length === 0) continue;
    if ((failures[0] as HookFile).status === 'missing-hook') {
      out.skipped.push(...failures);
      continue;
    }
    out.refusal = failures.map((f) => `${f.file}: ${f.error}`).join('; ');
    break;
  }
  out.hooks = [...byName.values()].sort(byLowerName);
  return out;
}
