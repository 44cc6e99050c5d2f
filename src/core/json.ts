/**
 * JSON input and zod: one readable line for a bad document ("<what>: <field>: <reason>"), and
 * the zod setting every schema of the project relies on.
 */
import * as z from 'zod/mini';
import { UsageError, messageOf } from './errors';

// No generated code: zod would otherwise compile each object schema with new Function on its first
// parse, which a hook (one parse per schema, then exit) pays for and never gets back.
z.config({ jitless: true });

/** A JSON document edited as data (config.json, hooks): its shape is checked where it is read. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Issue {
  path: PropertyKey[];
  code: string;
  expected?: unknown;
  minimum?: unknown;
  values?: unknown[];
  keys?: string[];
  message?: string;
}

/** A problem in a document, by field: what `validate`-style reports list. */
export interface Problem {
  field: string;
  reason: string;
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
    case 'unrecognized_keys':
      return `${where}: unknown field ${(issue.keys ?? []).map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return `${where}: ${issue.message && issue.message !== 'Invalid input' ? issue.message : issue.code.replace(/_/g, ' ')}`;
  }
}

/** The same problem as a field and a reason. */
export function problemOf(issue: Issue, input: unknown): Problem {
  const line = describeIssue(issue, input);
  const colon = line.indexOf(': ');
  return { field: line.slice(0, colon), reason: line.slice(colon + 2) };
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
    throw new UsageError(`${what}: not valid JSON (${messageOf(e)})`, { cause: e });
  }
}

/**
 * The fields of a Go struct as encoding/json decodes into it: a key names a field when it equals
 * the field's name or, failing that, when it does case-insensitively; later keys overwrite earlier
 * ones. `children` gives the shape of struct-valued fields ([shape] for a list of structs).
 */
export interface GoStruct {
  fields: readonly string[];
  children?: Readonly<Record<string, GoStruct | readonly [GoStruct]>>;
}

/** The document with its keys spelled as the struct's fields ("Kind" -> "kind"), as Go would read it. */
export function goFieldNames(doc: unknown, shape: GoStruct): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = shape.fields.includes(key)
      ? key
      : (shape.fields.find((f) => f.toLowerCase() === key.toLowerCase()) ?? key);
    const child = shape.children && Object.hasOwn(shape.children, name) ? shape.children[name] : undefined;
    if (name !== key) delete out[name]; // the field takes its last value in document order
    out[name] =
      child === undefined
        ? value
        : Array.isArray(child)
          ? Array.isArray(value)
            ? value.map((v) => goFieldNames(v, child[0]))
            : value
          : goFieldNames(value, child as GoStruct);
  }
  return out;
}
