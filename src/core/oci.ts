/**
 * zod schemas for every input the hooks read; the TypeScript types come from them.
 * zod/mini keeps the bundle and start-up small (a hook runs on every container start).
 * Objects are loose: runtimes add fields we do not read, and rejecting them would break hooks.
 */
import * as z from 'zod/mini';
import { UsageError } from './errors';

// No generated code: zod would otherwise compile each object schema with new Function on its first
// parse, which a hook (one parse per schema, then exit) pays for and never gets back.
z.config({ jitless: true });

/** OCI runtime state, as runtimes pass it on a hook's stdin. crun passes pid 0; some omit it. */
export const ociStateSchema = z.looseObject({
  ociVersion: z.string(),
  id: z.string().check(z.minLength(1)),
  status: z.optional(z.string()),
  pid: z.optional(z.int().check(z.minimum(0))),
  bundle: z.string().check(z.minLength(1)),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type OciState = z.infer<typeof ociStateSchema>;

const idMappingSchema = z.looseObject({
  containerID: z.int().check(z.minimum(0)),
  hostID: z.int().check(z.minimum(0)),
  size: z.int().check(z.minimum(1)),
});
export type IdMapping = z.infer<typeof idMappingSchema>;

const deviceRuleSchema = z.looseObject({
  allow: z.boolean(),
  type: z.optional(z.enum(['a', 'c', 'b'])),
  major: z.optional(z.nullable(z.int())),
  minor: z.optional(z.nullable(z.int())),
  access: z.optional(z.string()),
});
export type DeviceRule = z.infer<typeof deviceRuleSchema>;

const mountSchema = z.looseObject({
  destination: z.string(),
  source: z.optional(z.string()),
  type: z.optional(z.string()),
  options: z.optional(z.array(z.string())),
});

/** The part of config.json the hooks use. */
export const ociConfigSchema = z.looseObject({
  ociVersion: z.optional(z.string()),
  root: z.looseObject({ path: z.string().check(z.minLength(1)), readonly: z.optional(z.boolean()) }),
  process: z.optional(
    z.looseObject({
      env: z.optional(z.array(z.string())),
      args: z.optional(z.array(z.string())),
    }),
  ),
  mounts: z.optional(z.array(mountSchema)),
  annotations: z.optional(z.record(z.string(), z.string())),
  linux: z.optional(
    z.looseObject({
      namespaces: z.optional(z.array(z.looseObject({ type: z.string(), path: z.optional(z.string()) }))),
      uidMappings: z.optional(z.array(idMappingSchema)),
      gidMappings: z.optional(z.array(idMappingSchema)),
      resources: z.optional(z.looseObject({ devices: z.optional(z.array(deviceRuleSchema)) })),
      cgroupsPath: z.optional(z.string()),
      rootfsPropagation: z.optional(z.enum(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable', ''])),
    }),
  ),
});
export type OciConfig = z.infer<typeof ociConfigSchema>;

interface Issue {
  path: PropertyKey[];
  code: string;
  expected?: unknown;
  minimum?: unknown;
  values?: unknown[];
  message?: string;
}

/** One readable line for the first problem zod found: "pid: expected int, got string". */
export function describeIssue(issue: Issue, input: unknown): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  let value: unknown = input;
  for (const key of issue.path) value = value == null ? undefined : (value as Record<PropertyKey, unknown>)[key];
  const got = value === undefined ? 'missing' : value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  switch (issue.code) {
    case 'invalid_type':
      return `${where}: expected ${String(issue.expected)}, got ${got}`;
    case 'too_small':
      return `${where}: must be at least ${String(issue.minimum)}${typeof value === 'string' ? ' characters' : ''}`;
    case 'invalid_value':
      return `${where}: must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${issue.message && issue.message !== 'Invalid input' ? issue.message : issue.code.replace(/_/g, ' ')}`;
  }
}

/** Parses with a schema or throws UsageError("<what>: <field>: <reason>"). */
export function parseWith<T>(schema: z.ZodMiniType<T>, input: unknown, what: string): T {
  const r = z.safeParse(schema, input);
  if (r.success) return r.data;
  throw new UsageError(`${what}: ${describeIssue(r.error.issues[0] as Issue, input)}`);
}

/** JSON.parse with the file named in the error. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}
