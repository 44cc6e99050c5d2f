/**
 * hooks.d files as podman and CRI-O read them (containers/common pkg/hooks): schema 1.0.0 and
 * the older 0.1.0 form, normalised to one shape. zod checks the types; the rules podman adds
 * (stages, regexes, hook path, at least one condition) are checked here too.
 */
import * as z from 'zod/mini';
import { Problem, problemOf } from '../core/json';
import { OCI_STAGES } from '../core/oci';

/** podman's extension stage: the hook filters the runtime config (stdin -> stdout). */
export const EXTENSION_STAGES = ['precreate'] as const;
export const KNOWN_STAGES: readonly string[] = [...OCI_STAGES, ...EXTENSION_STAGES];

const ociHook = z.looseObject({
  path: z.string(),
  args: z.optional(z.array(z.string())),
  env: z.optional(z.array(z.string())),
  timeout: z.optional(z.int()),
});
export type OciHook = z.infer<typeof ociHook>;

export const hookV100Schema = z.looseObject({
  version: z.literal('1.0.0'),
  hook: ociHook,
  when: z.looseObject({
    always: z.optional(z.boolean()),
    annotations: z.optional(z.record(z.string(), z.string())),
    commands: z.optional(z.array(z.string())),
    hasBindMounts: z.optional(z.boolean()),
  }),
  stages: z.array(z.string()),
});

export const hookV010Schema = z.looseObject({
  version: z.optional(z.literal('0.1.0')),
  hook: z.string(),
  arguments: z.optional(z.array(z.string())),
  stages: z.optional(z.array(z.string())),
  stage: z.optional(z.array(z.string())),
  cmds: z.optional(z.array(z.string())),
  cmd: z.optional(z.array(z.string())),
  annotations: z.optional(z.array(z.string())),
  annotation: z.optional(z.array(z.string())),
  hasbindmounts: z.optional(z.boolean()),
});

/** One hooks.d entry in the 1.0.0 shape (0.1.0 files are converted the way podman does). */
export interface HookDefinition {
  version: '1.0.0' | '0.1.0';
  hook: OciHook;
  when: { always?: boolean; annotations?: Record<string, string>; commands?: string[]; hasBindMounts?: boolean };
  stages: string[];
}

export function parseHookDefinition(doc: unknown): { def?: HookDefinition; problems: Problem[] } {
  const version = doc !== null && typeof doc === 'object' ? (doc as { version?: unknown }).version : undefined;
  if (version === '1.0.0') {
    const r = z.safeParse(hookV100Schema, doc);
    if (!r.success) return { problems: r.error.issues.map((i) => problemOf(i as never, doc)) };
    return { def: { version: '1.0.0', hook: r.data.hook, when: r.data.when, stages: r.data.stages }, problems: [] };
  }
  if (version !== undefined && version !== '0.1.0') return { problems: [{ field: 'version', reason: `unknown hook schema version ${JSON.stringify(version)} (1.0.0 or 0.1.0)` }] };
  const r = z.safeParse(hookV010Schema, doc);
  if (!r.success) return { problems: r.error.issues.map((i) => problemOf(i as never, doc)) };
  const d = r.data;
  const problems: Problem[] = [];
  for (const [a, b] of [['stages', 'stage'], ['cmds', 'cmd'], ['annotations', 'annotation']] as const) {
    if (d[a] !== undefined && d[b] !== undefined) problems.push({ field: b, reason: `cannot be set together with ${a}` });
  }
  const annotations = d.annotations ?? d.annotation;
  const commands = d.cmds ?? d.cmd;
  const when: HookDefinition['when'] = {};
  // podman's 0.1.0 reader: an annotation regex matches any annotation value.
  if (annotations?.length) when.annotations = Object.fromEntries(annotations.map((a) => ['.*', a]));
  if (commands?.length) when.commands = commands;
  if (d.hasbindmounts !== undefined) when.hasBindMounts = d.hasbindmounts;
  return { def: { version: '0.1.0', hook: { path: d.hook, args: [d.hook, ...(d.arguments ?? [])] }, when, stages: d.stages ?? d.stage ?? [] }, problems };
}
