/**
 * hooks.d files as podman 4.3 reads them (containers/common v0.50.1 pkg/hooks): schema 1.0.0 and
 * the older 0.1.0 form (also any file without a version), decoded as Go's encoding/json decodes
 * them — unknown fields ignored (and dropped), field names matched case-insensitively, null an
 * absent value —
 * and the 0.1.0 form converted to the 1.0.0 shape as podman converts it.
 */
import * as z from 'zod/mini';
import { GoStruct, describeIssue, goFieldNames } from '../core/json';
import { OCI_STAGES } from '../core/oci';

/** Stages podman handles itself: precreate hooks filter config.json; poststop hooks it runs after the container. */
export const EXTENSION_STAGES = ['precreate', 'poststop'] as const;
/** Every stage a hooks.d file may name. */
export const KNOWN_STAGES: readonly string[] = [...new Set<string>([...OCI_STAGES, ...EXTENSION_STAGES])];

const opt = <T extends z.ZodMiniType>(t: T) => z.optional(z.nullable(t));
// Leaves built once and shared: the runtime wrapper builds these schemas on every matched create.
const strings = opt(z.array(z.string()));
const optString = opt(z.string());
const optBoolean = opt(z.boolean());

const ociHookSchema = z.object({ path: optString, args: strings, env: strings, timeout: opt(z.int()) });

const v100Schema = z.object({
  version: optString,
  hook: opt(ociHookSchema),
  when: opt(
    z.object({
      always: optBoolean,
      annotations: opt(z.record(z.string(), z.string())),
      commands: strings,
      hasBindMounts: optBoolean,
    }),
  ),
  stages: strings,
});

const v010Schema = z.object({
  hook: optString,
  arguments: strings,
  stages: strings,
  stage: strings,
  cmds: strings,
  cmd: strings,
  annotations: strings,
  annotation: strings,
  hasbindmounts: optBoolean,
});

const V100: GoStruct = {
  fields: ['version', 'hook', 'when', 'stages'],
  children: {
    hook: { fields: ['path', 'args', 'env', 'timeout'] },
    when: { fields: ['always', 'annotations', 'commands', 'hasBindMounts'] },
  },
};
const V010: GoStruct = {
  fields: ['hook', 'arguments', 'stages', 'stage', 'cmds', 'cmd', 'annotations', 'annotation', 'hasbindmounts'],
};

/** The hook to run: OCI's hook object. */
export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** When a hook applies; `or` (0.1.0 files) makes any condition enough. */
export interface When {
  always?: boolean;
  annotations?: Record<string, string>;
  commands?: string[];
  hasBindMounts?: boolean;
  or: boolean;
}

/** One hooks.d entry in the 1.0.0 shape. */
export interface HookDefinition {
  /** The schema the file was written in ("0.1.0" also for a file without a version). */
  version: '1.0.0' | '0.1.0';
  hook: OciHook;
  when: When;
  /** null: the file names no stages (podman: "missing required property: stages"). */
  stages: string[] | null;
}

function kindOf(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'object'
        ? 'object'
        : typeof v === 'string'
          ? 'string'
          : typeof v === 'number'
            ? 'number'
            : 'bool';
}

/** null and undefined out of an object (Go leaves absent and null fields at their zero value). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

function decodeWith<T>(schema: z.ZodMiniType<T>, doc: unknown): T | string {
  const r = z.safeParse(schema, doc);
  return r.success ? r.data : describeIssue(r.error.issues[0] as never, doc);
}

function fromV010(doc: unknown): HookDefinition | string {
  const raw = decodeWith(v010Schema, goFieldNames(doc ?? {}, V010));
  if (typeof raw === 'string') return raw;
  if (raw.hook == null) return 'missing required property: hook';
  if (raw.stages != null && raw.stage != null) return "cannot set both 'stage' and 'stages'";
  const stages = raw.stages ?? raw.stage;
  if (stages == null) return 'missing required property: stages';
  if (raw.cmds != null && raw.cmd != null) return "cannot set both 'cmd' and 'cmds'";
  if (raw.annotations != null && raw.annotation != null) return "cannot set both 'annotation' and 'annotations'";
  const commands = raw.cmds ?? raw.cmd;
  const annotations = raw.annotations ?? raw.annotation;
  return {
    version: '0.1.0',
    hook: { path: raw.hook, ...(raw.arguments != null ? { args: [raw.hook, ...raw.arguments] } : {}) },
    when: {
      ...(commands != null ? { commands } : {}),
      ...(raw.hasbindmounts != null ? { hasBindMounts: raw.hasbindmounts } : {}),
      ...(annotations != null ? { annotations: { '.*': annotations.join('|') } } : {}),
      or: true,
    },
    stages,
  };
}

function fromV100(doc: unknown): HookDefinition | string {
  const raw = decodeWith(v100Schema, goFieldNames(doc, V100));
  if (typeof raw === 'string') return raw;
  const hook = defined(raw.hook ?? {});
  const when = defined(raw.when ?? {});
  return {
    version: '1.0.0',
    hook: { path: '', ...hook } as OciHook,
    when: { ...when, or: false } as When,
    stages: raw.stages ?? null,
  };
}

/** The version field as Go's first pass reads it, or why it cannot be read. */
function versionOf(doc: unknown): string | { error: string } {
  if (doc === null) return '';
  if (typeof doc !== 'object' || Array.isArray(doc))
    return { error: `version check: cannot read a JSON ${kindOf(doc)} as a hook` };
  const v = (goFieldNames(doc, { fields: ['version'] }) as { version?: unknown }).version;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') return { error: `version check: version: expected string, got ${kindOf(v)}` };
  return v;
}

/** A hooks.d document as podman reads it (before its Validate), or podman's reason it cannot be read. */
export function decodeHookDocument(text: string): HookDefinition | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { error: `version check: ${(e as Error).message}` };
  }
  const version = versionOf(doc);
  if (typeof version !== 'string') return version;
  if (version !== '1.0.0' && version !== '0.1.0' && version !== '')
    return { error: `unrecognized hook version: ${JSON.stringify(version)}` };
  const def = version === '1.0.0' ? fromV100(doc) : fromV010(doc);
  // podman prefixes the reader's error with the version ("1.0.0: ..."), and with nothing but ": "
  // for a file without one; saying which schema it was read as is clearer.
  if (typeof def === 'string') return { error: `${version || '0.1.0 (no version)'}: ${def}` };
  return def;
}
