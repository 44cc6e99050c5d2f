/**
 * Reading hooks.d directories the way podman does: directories in order, a file name in a later
 * (preferred) directory masks the same name in an earlier one, and the files come out in the
 * order of their names, lower-cased, by code point. Each file is checked, every problem with
 * the field it is in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Problem } from '../core/json';
import { checkPattern } from './regex';
import { HookDefinition, KNOWN_STAGES, parseHookDefinition } from './schema';

export const DEFAULT_HOOKS_DIRS = ['/usr/share/containers/oci/hooks.d', '/etc/containers/oci/hooks.d'];

export interface HookFile {
  file: string;
  name: string;
  def?: HookDefinition;
  problems: Problem[];
}

function executable(p: string): string | undefined {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return 'is not a regular file';
    if ((st.mode & 0o111) === 0) return 'is not executable';
    return undefined;
  } catch {
    return 'does not exist';
  }
}

/** Reads and checks one hooks.d file: every problem, with the field it is in. */
export function readHookFile(file: string, opts: { checkPath?: boolean } = {}): HookFile {
  const name = path.basename(file);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { file, name, problems: [{ field: '(file)', reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON: ${(e as Error).message}` }] };
  }
  const { def, problems } = parseHookDefinition(doc);
  if (!def) return { file, name, problems };
  const p = (field: string, reason: string) => problems.push({ field, reason });
  if (!path.isAbsolute(def.hook.path)) p('hook.path', `${JSON.stringify(def.hook.path)} must be an absolute path`);
  else if (opts.checkPath !== false) {
    const why = executable(def.hook.path);
    if (why) p('hook.path', `${def.hook.path} ${why}`);
  }
  if (def.version === '1.0.0' && (!def.hook.args || def.hook.args.length === 0)) p('hook.args', 'args[0] must be present (the program name the hook sees)');
  if (def.hook.timeout !== undefined && def.hook.timeout <= 0) p('hook.timeout', 'must be greater than zero');
  if (def.stages.length === 0) p('stages', 'at least one stage is required');
  def.stages.forEach((s, i) => KNOWN_STAGES.includes(s) || p(`stages[${i}]`, `unknown stage ${JSON.stringify(s)} (known: ${KNOWN_STAGES.join(', ')})`));
  const w = def.when;
  if (def.version === '1.0.0' && w.always === undefined && w.annotations === undefined && w.commands === undefined && w.hasBindMounts === undefined) {
    p('when', 'at least one of always, annotations, commands, hasBindMounts must be set');
  }
  for (const [k, v] of Object.entries(w.annotations ?? {})) {
    for (const why of checkPattern(k).problems) p(`when.annotations[${JSON.stringify(k)}] (key)`, why);
    for (const why of checkPattern(v).problems) p(`when.annotations[${JSON.stringify(k)}]`, `value ${JSON.stringify(v)}: ${why}`);
  }
  (w.commands ?? []).forEach((c, i) => checkPattern(c).problems.forEach((why) => p(`when.commands[${i}]`, why)));
  return { file, name, def, problems };
}

/** The effective hook files of a list of directories (later masks earlier), in injection order. */
export function readHooksDirs(dirs: string[], opts: { checkPath?: boolean } = {}): HookFile[] {
  const byName = new Map<string, HookFile>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      continue;
    }
    for (const name of names) byName.set(name, readHookFile(path.join(dir, name), opts));
  }
  return [...byName.values()].sort((a, b) => {
    const x = a.name.toLowerCase();
    const y = b.name.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
