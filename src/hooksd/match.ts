/**
 * Reading hooks.d directories and matching them against a container, with podman's semantics:
 *  - directories in order, a file name in a later (preferred) directory masks the same name in
 *    an earlier one;
 *  - hooks are injected in the order of their file names, lower-cased, by code point;
 *  - every condition set in `when` must match; `annotations`: each key/value pattern pair must
 *    match some annotation; `commands`: process.args[0] matches one pattern.
 * The same code serves `ocihooks validate`, `ocihooks match` and the runtime wrapper.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HookDefinition, KNOWN_STAGES, OciHook, Problem, parseHookDefinition } from './schema';
import { checkPattern } from './regex';

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

export interface ContainerFacts {
  annotations: Record<string, string>;
  command?: string;
  hasBindMounts: boolean;
}

function test(pattern: string, value: string): boolean {
  return checkPattern(pattern).regex?.test(value) ?? false;
}

export function whenMatches(when: HookDefinition['when'], c: ContainerFacts): boolean {
  let matches = 0;
  if (when.always !== undefined) {
    if (!when.always) return false;
    matches++;
  }
  if (when.hasBindMounts !== undefined) {
    if (!(when.hasBindMounts && c.hasBindMounts)) return false;
    matches++;
  }
  for (const [keyPattern, valuePattern] of Object.entries(when.annotations ?? {})) {
    if (!Object.entries(c.annotations).some(([k, v]) => test(keyPattern, k) && test(valuePattern, v))) return false;
    matches++;
  }
  if (when.commands && when.commands.length) {
    if (c.command === undefined || !when.commands.some((p) => test(p, c.command as string))) return false;
    matches++;
  }
  return matches > 0;
}

export interface MatchedHook {
  file: string;
  hook: OciHook;
}

/** Hooks per stage, in injection order. Files with problems never match (podman refuses them). */
export function matchHooks(files: HookFile[], c: ContainerFacts): Record<string, MatchedHook[]> {
  const out: Record<string, MatchedHook[]> = {};
  for (const f of files) {
    if (!f.def || f.problems.length) continue;
    if (!whenMatches(f.def.when, c)) continue;
    for (const stage of f.def.stages) (out[stage] ??= []).push({ file: f.file, hook: f.def.hook });
  }
  return out;
}

/** Mount destinations podman adds itself: not "host-to-container bind mounts the caller requested". */
const RUNTIME_BINDS = new Set(['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/run/.containerenv', '/dev/shm']);

export function factsFromConfig(config: { annotations?: Record<string, string>; process?: { args?: string[] }; mounts?: { destination: string; type?: string; options?: string[] }[] }, extraAnnotations: Record<string, string> = {}): ContainerFacts {
  const binds = (config.mounts ?? []).filter((m) => (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')) && !RUNTIME_BINDS.has(m.destination));
  return {
    annotations: { ...(config.annotations ?? {}), ...extraAnnotations },
    ...(config.process?.args?.[0] !== undefined ? { command: config.process.args[0] } : {}),
    hasBindMounts: binds.length > 0,
  };
}
