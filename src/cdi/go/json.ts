/**
 * A spec document as sigs.k8s.io/yaml hands it to encoding/json (yaml.go,
 * convertToJSONableObject): guided by the Go struct it will fill — here the struct's zod schema —
 * a number or a bool where a string is expected becomes that string ("0" for `name: 0`, "true" for
 * `name: on`, a float in Go's float32 %g form); everywhere else values stay what they are, and a
 * float JSON cannot hold (NaN, ±Inf) refuses the document, as json.Marshal does. Keys come out
 * sorted, as json.Marshal writes a map, so that of two keys naming one field case-insensitively
 * the same one wins as in Go.
 *
 * The reference reads .json files through the same path, so a JSON spec's `"name": 0` is "0" too
 * (stringsWhereExpected, the same on a JSON.parse result).
 */
import type * as z from 'zod/mini';
import { GoFloat, GoValue, GoYamlError, formatFloat32 } from './yaml';

interface Def {
  type: string;
  innerType?: z.ZodMiniType;
  shape?: Record<string, z.ZodMiniType>;
  element?: z.ZodMiniType;
  valueType?: z.ZodMiniType;
  options?: z.ZodMiniType[];
}

const defOf = (t: z.ZodMiniType): Def => (t as unknown as { _zod: { def: Def } })._zod.def;

/** The schema a value meets, under its optional/nullable wrappers; a union by the value's shape. */
function unwrap(t: z.ZodMiniType | undefined, v: GoValue): Def | undefined {
  let d = t && defOf(t);
  while (d && (d.type === 'optional' || d.type === 'nullable')) d = defOf(d.innerType as z.ZodMiniType);
  if (d?.type !== 'union') return d;
  const kind = Array.isArray(v) ? 'array' : v instanceof Map ? 'object' : 'scalar';
  for (const option of d.options ?? []) {
    const o = unwrap(option, v);
    const k = o?.type === 'array' ? 'array' : o?.type === 'object' || o?.type === 'record' ? 'object' : 'scalar';
    if (k === kind) return o;
  }
  return undefined;
}

/** encoding/json's field for a key: the exact name, else the first that matches ignoring case. */
function fieldOf(shape: Record<string, z.ZodMiniType>, key: string): z.ZodMiniType | undefined {
  if (Object.hasOwn(shape, key)) return shape[key];
  const name = Object.keys(shape).find((f) => f.toLowerCase() === key.toLowerCase());
  return name === undefined ? undefined : shape[name];
}

/**
 * The JSON value encoding/json gets for `v`, which fills `target`; `where` names it in errors. A
 * null list entry or map value where strings are expected is the empty string Go leaves there
 * (`element` says `v` is one).
 */
export function goJson(v: GoValue, target: z.ZodMiniType | undefined, where = '(top level)', element = false): unknown {
  const d = unwrap(target, v);
  if (v instanceof Map) {
    const out: [string, unknown][] = [];
    for (const key of [...v.keys()].sort()) {
      const child = d?.type === 'object' ? fieldOf(d.shape ?? {}, key) : d?.type === 'record' ? d.valueType : undefined;
      const at = where === '(top level)' ? key : `${where}.${key}`;
      out.push([key, goJson(v.get(key) as GoValue, child, at, d?.type === 'record')]);
    }
    return Object.fromEntries(out);
  }
  if (Array.isArray(v))
    return v.map((x, i) => goJson(x, d?.type === 'array' ? d.element : undefined, `${where}.${i}`, true));
  if (d?.type === 'string') {
    if (v === null && element) return '';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'boolean') return String(v);
    if (v instanceof GoFloat) return formatFloat32(v.value);
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoFloat) {
    if (!Number.isFinite(v.value))
      throw new GoYamlError(`${where}: json: unsupported value: ${formatFloat32(v.value)}`);
    return v.value;
  }
  return v;
}

/**
 * A JSON.parse result (changed in place) with what goJson would make of the same document: a
 * number or bool where the Spec has a string becomes that string. JSON.parse cannot tell 1.0
 * from 1, so an integral number is written as an int (the reference says "1e+06" for 1e6).
 */
export function stringsWhereExpected(v: unknown, target: z.ZodMiniType | undefined, element = false): unknown {
  const asGo: GoValue = Array.isArray(v) ? [] : v !== null && typeof v === 'object' ? new Map() : (v as GoValue);
  const d = unwrap(target, asGo);
  if (Array.isArray(v)) {
    const t = d?.type === 'array' ? d.element : undefined;
    if (t) for (let i = 0; i < v.length; i++) v[i] = stringsWhereExpected(v[i], t, true);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (d?.type === 'object' || d?.type === 'record')
      for (const key of Object.keys(o)) {
        const t = d.type === 'object' ? fieldOf(d.shape ?? {}, key) : d.valueType;
        if (t) o[key] = stringsWhereExpected(o[key], t, d.type === 'record');
      }
    return o;
  }
  if (d?.type !== 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (v === null) return element ? '' : v;
  if (typeof v !== 'number') return v;
  return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? BigInt(v).toString() : formatFloat32(v);
}
