/**
 * Kept precreate edits: what `ocihook-gpu precreate` planned for a container, kept for the hook
 * launcher (native/hook-launcher/kept-precreate.c), which applies them to the next container whose
 * key is the same — without starting Node in front of the runtime.
 *
 * The launcher reads the key from the config's text and its own call (argv, environment, the
 * bundle's build, the config's CDI annotations and *_VISIBLE_DEVICES entries, process.user,
 * linux.devices, linux.resources.devices, a user namespace) and hands it to the Node filter it
 * starts (hand-off.ts PRECREATE_KEY_ENV). After planning, the filter describes its edits as the launcher
 * applies them (keptEditsOf), applies that description here the launcher's way (replayKeptEdits)
 * and keeps it only when the result is the config it planned — with the spec folders it read and
 * the host nodes it looked at, which the launcher checks again each time.
 */
import fs = require('node:fs');
import path = require('node:path');
import { isDeepStrictEqual } from 'node:util';
import { cleanPath, mountDepth } from '../cdi/apply';
import type { ContainerEdits } from '../cdi/edits';
import { SPEC_FILE } from '../cdi/registry';
import type { HostNode, HostPath, HostView } from '../core/host-view';
import { type Json, jsonKeepingNumbers, stringifyKeepingNumbers } from '../core/json';
import { writeFileAtomically } from '../linux/files';

declare const OCIHOOKS_BUILD_ID: string | undefined; // the bundles' build, defined by scripts/build.mjs
/** The build planning here, as the launcher reads it from the bundle's first line ("source" in the tests). */
export const KEPT_BUILD = typeof OCIHOOKS_BUILD_ID === 'string' ? OCIHOOKS_BUILD_ID : 'source';

export const KEPT_PRECREATE_DIR = '/run/ocihooks/kept-precreate';
const ENTRY_HEADER = 'ocihooks kept precreate 2\n';

/** Members whose whole value an entry may give (their value before is part of the key). */
export const SET_MEMBERS = ['process.user', 'linux.devices', 'linux.resources.devices'] as const;
export type SetMember = (typeof SET_MEMBERS)[number];

/** A config's edits as the launcher applies them; values are JSON text. */
export interface KeptEdits {
  /** Each variable once: the config's last entry of that name replaced, else appended. */
  env: { name: string; value: string }[];
  /** A member's whole value, replaced or added to its parent. */
  set: { member: SetMember; value: string }[];
  /** Appended, then every mount sorted by depth, stably; none may have a destination the config has. */
  mounts: { depth: number; destination: string; value: string }[];
  /** Appended to their stage, in order. */
  hooks: { stage: string; value: string }[];
  /** Hooks of the config the filter left out (gpu/settled-hooks.ts): the first of the stage written so. */
  leave: { stage: string; value: string }[];
  /** Hook paths the config must not hold (any stage) but in a hook left out: else the Node filter plans. */
  busy: string[];
}

/** A spec folder as the filter read it: every name in it, and the exact text of each spec file. */
export type SpecFolder = { dir: string; names: { name: string; text?: Buffer }[] } | { dir: string; missing: true };

type Obj = Record<string, Json>;
const isObject = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function memberOf(config: Json, member: string): { parent: Obj | undefined; key: string } {
  const parts = member.split('.');
  const key = parts.pop() as string;
  let parent: unknown = config;
  for (const p of parts) parent = isObject(parent) ? parent[p] : undefined;
  return { parent: isObject(parent) ? parent : undefined, key };
}

/** The same JSON value (objects' key order aside), whichever realm made either (structuredClone's may differ from the caller's). */
const copy = (x: unknown): unknown => (x === undefined ? undefined : jsonKeepingNumbers(stringifyKeepingNumbers(x)));
const sameJson = (a: unknown, b: unknown): boolean => isDeepStrictEqual(copy(a), copy(b));

const envName = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);

/** The config with the kept edits applied as the launcher applies them; undefined where it would not. */
export function replayKeptEdits(input: Json, k: KeptEdits): Json | undefined {
  const config = copy(input) as Json;
  if (k.env.length) {
    const list: unknown = config.process?.env;
    if (!Array.isArray(list) || list.some((e) => typeof e !== 'string')) return undefined;
    const had = list.length;
    for (const { name, value } of k.env) {
      let last = -1;
      for (let i = 0; i < had; i++) if (envName(list[i]) === name) last = i;
      if (last >= 0) list[last] = jsonKeepingNumbers(value);
      else list.push(jsonKeepingNumbers(value));
    }
  }
  for (const { member, value } of k.set) {
    const { parent, key } = memberOf(config, member);
    if (!parent) return undefined;
    parent[key] = jsonKeepingNumbers(value) as Json;
  }
  if (k.mounts.length) {
    const list: unknown = config.mounts;
    if (!Array.isArray(list) || list.some((m) => typeof m?.destination !== 'string' || !writtenClean(m.destination)))
      return undefined;
    if (k.mounts.some((m) => list.some((x) => x.destination === m.destination))) return undefined;
    const all = [
      ...list.map((m) => ({ m, depth: mountDepth(m.destination) })),
      ...k.mounts.map((m) => ({ m: jsonKeepingNumbers(m.value), depth: m.depth })),
    ];
    all.sort((a, b) => a.depth - b.depth); // stable: the config's first at each depth, then the new ones
    config.mounts = all.map((x) => x.m);
  }
  const hooks: unknown = config.hooks;
  const left = new Set<unknown>();
  for (const { stage, value } of k.leave) {
    const list: unknown = isObject(hooks) ? hooks[stage] : undefined;
    const h = Array.isArray(list) ? list.find((x) => !left.has(x) && stringifyKeepingNumbers(x) === value) : undefined;
    if (h === undefined) return undefined;
    left.add(h);
  }
  if (isObject(hooks))
    for (const [stage, list] of Object.entries(hooks)) {
      if (!Array.isArray(list)) continue;
      if (list.some((h) => !left.has(h) && k.busy.includes(h?.path))) return undefined;
      if (list.some((h) => left.has(h))) hooks[stage] = list.filter((h) => !left.has(h));
    }
  for (const { stage, value } of k.hooks) {
    config.hooks ??= {};
    (config.hooks[stage] ??= []).push(jsonKeepingNumbers(value));
  }
  return config;
}

/**
 * A rooted path as Go's Clean writes it: the launcher compares mount destinations byte for byte,
 * which is the reference's comparison of cleaned paths only for such paths.
 */
const writtenClean = (p: string) => p.startsWith('/') && cleanPath(p) === p;

/**
 * The edits from `input` to `planned` (the filter's output before its hooks are relayed) as the
 * launcher applies them — undefined where the launcher's way does not give `planned` exactly (an
 * edit it does not make: netDevices, intelRdt, a member made where its parent was missing, an env
 * list to make, a spec mount the input has at its destination already: the plan skips one the
 * input holds the same, which a config without it would need). `edits`: the selection's env and
 * mounts; `busy`: the hook paths the config may hold only
 * in a hook the filter left out (`leave`, by stage) — the spec's hooks' and the installation's own
 * GPU hook's.
 */
export function keptEditsOf(
  input: Json,
  planned: Json,
  edits: Pick<ContainerEdits, 'env' | 'mounts'>,
  busy: string[],
  leave: { stage: string; hook: unknown }[] = [],
): KeptEdits | undefined {
  const inputDestinations = new Set(
    (Array.isArray(input.mounts) ? input.mounts : []).map((m: Json) =>
      typeof m?.destination === 'string' ? cleanPath(m.destination) : undefined,
    ),
  );
  if (edits.mounts.some((m) => inputDestinations.has(cleanPath(m.containerPath)))) return undefined;
  const byName = new Map<string, string>();
  for (const e of edits.env) {
    if (!e.includes('=')) return undefined;
    byName.set(envName(e), e); // Map keeps the first place of a name, with its last value
  }
  const k: KeptEdits = {
    env: [...byName].map(([name, e]) => ({ name, value: JSON.stringify(e) })),
    set: [],
    mounts: [],
    hooks: [],
    leave: leave.map(({ stage, hook }) => ({ stage, value: stringifyKeepingNumbers(hook) })),
    busy: [...new Set(busy)],
  };
  for (const member of SET_MEMBERS) {
    const before = memberOf(input, member);
    const after = memberOf(planned, member);
    const value = after.parent?.[after.key];
    if (sameJson(before.parent?.[before.key], value)) continue;
    if (value === undefined) return undefined;
    k.set.push({ member, value: stringifyKeepingNumbers(value) });
  }
  const had: Json[] = Array.isArray(input.mounts) ? [...input.mounts] : [];
  for (const m of Array.isArray(planned.mounts) ? planned.mounts : []) {
    const same = had.findIndex((x) => sameJson(x, m));
    if (same >= 0) had.splice(same, 1);
    else if (typeof m?.destination === 'string' && writtenClean(m.destination))
      k.mounts.push({
        depth: mountDepth(m.destination),
        destination: m.destination,
        value: stringifyKeepingNumbers(m),
      });
    else return undefined;
  }
  if (isObject(planned.hooks))
    for (const [stage, after] of Object.entries(planned.hooks)) {
      const before: unknown = isObject(input.hooks) ? input.hooks[stage] : undefined;
      const kept = Array.isArray(before) ? [...before] : [];
      for (const l of k.leave.filter((x) => x.stage === stage)) {
        const at = kept.findIndex((h) => stringifyKeepingNumbers(h) === l.value);
        if (at < 0) return undefined;
        kept.splice(at, 1);
      }
      if (!/^[A-Za-z]+$/.test(stage) || !Array.isArray(after)) return undefined;
      if (!sameJson(after.slice(0, kept.length), kept)) return undefined;
      for (const h of after.slice(kept.length)) k.hooks.push({ stage, value: stringifyKeepingNumbers(h) });
    }
  const again = replayKeptEdits(input, k);
  return again !== undefined && sameJson(again, planned) ? k : undefined;
}

/** The spec folders as they are now (every name; the text of each spec file); undefined where one cannot be read whole. */
export function specFolders(dirs: readonly string[]): SpecFolder[] | undefined {
  const out: SpecFolder[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      out.push({ dir, missing: true });
      continue;
    }
    const folder: SpecFolder = { dir, names: [] };
    for (const name of names.sort()) {
      if (!SPEC_FILE.test(name)) {
        folder.names.push({ name });
        continue;
      }
      try {
        folder.names.push({ name, text: fs.readFileSync(path.join(dir, name)) });
      } catch {
        return undefined;
      }
    }
    out.push(folder);
  }
  return out;
}

/** A host node as the launcher writes what it sees: "c 195 0 438" (type, numbers, mode) or "absent". */
export function nodeText(n: HostNode): string {
  return 'error' in n ? 'absent' : `${n.type} ${n.major} ${n.minor} ${n.mode}`;
}

/** A host path as the launcher writes what it sees (symlinks followed): "file", "device c 195 0", "missing", ... */
export function pathText(p: HostPath): string {
  if (p.kind === 'device') return `device ${p.type} ${p.major} ${p.minor}`;
  return p.kind;
}

/** A host view that notes each node and path looked at, and what was seen. */
export function notingHost(host: HostView): HostView & { nodes: Map<string, string>; paths: Map<string, string> } {
  const nodes = new Map<string, string>();
  const paths = new Map<string, string>();
  return {
    nodes,
    paths,
    lstatNode(p) {
      const n = host.lstatNode(p);
      nodes.set(p, nodeText(n));
      return n;
    },
    describe(p) {
      const d = host.describe(p);
      paths.set(p, pathText(d));
      return d;
    },
  };
}

/** The records of a key or an entry: `tag len\n bytes\n`. */
export function readRecords(text: Buffer): { tag: string; value: Buffer }[] {
  const out: { tag: string; value: Buffer }[] = [];
  let at = 0;
  while (at < text.length) {
    const m = /^([a-z-]+) (\d+)\n/.exec(text.subarray(at, at + 64).toString('latin1'));
    if (!m) throw new Error(`record at byte ${at}: not "tag length"`);
    const start = at + (m[0] as string).length;
    const end = start + Number(m[2]);
    if (end >= text.length || text[end] !== 0x0a) throw new Error(`record at byte ${at}: shorter than its length`);
    out.push({ tag: m[1] as string, value: text.subarray(start, end) });
    at = end + 1;
  }
  return out;
}

function records(list: [string, string | Buffer][]): Buffer {
  return Buffer.concat(
    list.flatMap(([tag, v]) => {
      const b = typeof v === 'string' ? Buffer.from(v) : v;
      return [Buffer.from(`${tag} ${b.length}\n`), b, Buffer.from('\n')];
    }),
  );
}

/** The log records the Node filter wrote, as the launcher writes them again (Logger.tapped's lines) and where. */
export interface KeptLog {
  file: string;
  lines: string[];
}

/** An entry's bytes: the key, the checks, the edits, the log (kept-precreate.c reads them in this order). */
export function entryBytes(
  key: Buffer,
  folders: SpecFolder[],
  seen: { nodes: Map<string, string>; paths: Map<string, string> },
  k: KeptEdits,
  log: KeptLog = { file: '', lines: [] },
): Buffer {
  const list: [string, string | Buffer][] = [['key', key]];
  for (const f of folders) {
    if ('missing' in f) {
      list.push(['no-dir', f.dir]);
      continue;
    }
    list.push(['dir', f.dir]);
    for (const n of f.names) {
      list.push(['name', n.name]);
      if (n.text) list.push(['text', n.text]);
    }
  }
  for (const [p, text] of seen.nodes) list.push(['node', p], ['stat', text]);
  for (const [p, text] of seen.paths) list.push(['path', p], ['kind', text]);
  for (const l of k.leave) list.push(['leave', l.stage], ['value', l.value]);
  for (const e of k.env) list.push(['env', e.name], ['value', e.value]);
  for (const s of k.set) list.push(['set', s.member], ['value', s.value]);
  for (const m of k.mounts) list.push(['mount', String(m.depth)], ['destination', m.destination], ['value', m.value]);
  for (const h of k.hooks) list.push(['hook', h.stage], ['value', h.value]);
  for (const b of k.busy) list.push(['busy', b]);
  if (log.lines.length) list.push(['log', log.file], ...log.lines.map((l): [string, string] => ['line', l]));
  list.push(['end', '']);
  return Buffer.concat([Buffer.from(ENTRY_HEADER), records(list)]);
}

/** The entry's file name: FNV-1a 64 of the key, as 16 hex digits (the launcher's). */
export function entryName(key: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const b of key) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** How many entries the folder holds at most: a key per selection and config shape, and the folders' own. */
export const KEPT_ENTRIES = 256;

/**
 * The entries used longest ago removed until at most `keep` are left: by modification time, which
 * the Node filter sets writing an entry and the launcher applying one.
 */
export function pruneEntries(dir: string, keep: number): void {
  const names = fs.readdirSync(dir);
  if (names.length <= keep) return;
  const byAge = names
    .map((name) => ({ name, written: fs.lstatSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => a.written - b.written);
  for (const { name } of byAge.slice(0, byAge.length - keep)) fs.rmSync(path.join(dir, name), { force: true });
}

/** Writes the entry where the launcher looks (root's folder, made where missing); false where it cannot. */
export function keepEntry(key: Buffer, bytes: Buffer, dir = KEPT_PRECREATE_DIR): boolean {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0) return false;
    pruneEntries(dir, KEPT_ENTRIES - 1);
    writeFileAtomically(path.join(dir, entryName(key)), bytes, 0o600);
    return true;
  } catch {
    return false;
  }
}
