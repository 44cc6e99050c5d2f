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

/*
 * A config.json the wrapper and the precreate filters edit goes back to Go (runc, crun's and
 * podman's decoders) with every number as it was written. JSON.parse rounds integers past 2^53 and
 * makes Infinity of what overflows a double: RLIM_INFINITY (2^64-1, which docker and podman write
 * for --ulimit memlock=-1) came back as 18446744073709552000, which Go's uint64 refuses, and the
 * container did not start. So such a number is read as a string holding its text behind a mark no
 * document can hold (a NUL and this process's nonce) and written back as that text.
 */
const KEPT_MARK = `\u0000ocihooks-number-${Math.random().toString(36).slice(2)}:`;
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
/** Strings (skipped whole) and numbers of a JSON text. */
const TOKENS = new RegExp(`"(?:[^"\\\\]|\\\\.)*"|${NUMBER}`, 'g');
/** A kept number as JSON.stringify writes its string. */
const KEPT = new RegExp(`"${JSON.stringify(KEPT_MARK).slice(1, -1).replace(/\\/g, '\\\\')}(${NUMBER})"`, 'g');

/** Whether JSON.parse would give back another value than the text says. */
function changedByParse(number: string): boolean {
  const v = Number(number);
  if (!Number.isFinite(v)) return true;
  return /^-?\d+$/.test(number) && !Number.isSafeInteger(v);
}

/** JSON.parse, keeping the numbers it would change (KEPT_MARK); a SyntaxError as JSON.parse throws it. */
export function jsonKeepingNumbers(text: string): unknown {
  // Only a run of 16 digits or a three-digit exponent can be such a number.
  if (!/\d{16}|[eE][+-]?\d{3}/.test(text)) return JSON.parse(text);
  return JSON.parse(
    text.replace(TOKENS, (t) => (t[0] !== '"' && changedByParse(t) ? JSON.stringify(KEPT_MARK + t) : t)),
  );
}

/** jsonKeepingNumbers with the file named in the error (parseJson). */
export function parseJsonKeepingNumbers(text: string, what: string): unknown {
  try {
    return jsonKeepingNumbers(text);
  } catch (e) {
    throw new UsageError(`${what}: not valid JSON (${messageOf(e)})`, { cause: e });
  }
}

/** JSON.stringify, with the numbers jsonKeepingNumbers kept written as they were read. */
export function stringifyKeepingNumbers(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space);
  return text.includes('ocihooks-number-') ? text.replace(KEPT, '$1') : text;
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
