/**
 * YAML as the CDI reference reads a spec file: sigs.k8s.io/yaml (v1.4, what pkg/cdi's ParseSpec
 * calls) decodes it with its fork of go-yaml v2 — YAML 1.1 scalars, strict about repeated keys —
 * into Go values, which it then turns into JSON for encoding/json (go-json.ts). Only the first
 * document is read, as go-yaml's Unmarshal reads it.
 *
 * The `yaml` package only gives the structure here (failsafe schema: every scalar a string, with
 * its style and tag); each scalar is resolved by go-yaml v2's own rules (resolve.go), because the
 * package's YAML 1.1 schema differs from them where it matters: it reads `0:1` (a MIG device
 * name) as the base-60 number 1 and leaves `0o17` a string.
 */

/** A YAML float as go-yaml gives it (a float64); a YAML int is a bigint. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** What go-yaml v2 decodes into an interface{}, with the map keys already strings as sigs.k8s.io/yaml makes them. */
export type GoValue = null | boolean | string | bigint | GoFloat | GoValue[] | GoMap;
export type GoMap = Map<string, GoValue>;

/** A document go-yaml refuses (the reference then skips the spec). */
export class GoYamlError extends Error {
  override readonly name = 'GoYamlError';
}

const TAG = 'tag:yaml.org,2002:';
const STR = `${TAG}str`;
const BINARY = `${TAG}binary`;
const RESOLVABLE = new Set(['', STR, `${TAG}bool`, `${TAG}int`, `${TAG}float`, `${TAG}null`, `${TAG}timestamp`]);

/** go-yaml v2's resolve table: the scalars it knows by name. */
const NAMED = new Map<string, [string, GoValue]>();
for (const [value, tag, names] of [
  [true, 'bool', 'y Y yes Yes YES true True TRUE on On ON'],
  [false, 'bool', 'n N no No NO false False FALSE off Off OFF'],
  [null, 'null', '~ null Null NULL'],
  [new GoFloat(NaN), 'float', '.nan .NaN .NAN'],
  [new GoFloat(Infinity), 'float', '.inf .Inf .INF +.inf +.Inf +.INF'],
  [new GoFloat(-Infinity), 'float', '-.inf -.Inf -.INF'],
] as const)
  for (const n of names.split(' ')) NAMED.set(n, [`${TAG}${tag}`, value]);
NAMED.set('', [`${TAG}null`, null]);

/** The first character's hint, as resolve.go's table has it: only these may be other than a string. */
function hint(s: string): 'N' | 'M' | '.' | 'D' | undefined {
  if (s === '') return 'N';
  const c = s[0] as string;
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  if ('+-0123456789'.includes(c)) return 'D';
  return undefined;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseInt(s, 0, 64) (signed) or ParseUint(s, 0, 64) (no sign): base from the prefix, "0" alone or leading is octal. */
function parseGoInt(s: string, signed: boolean): bigint | undefined {
  let sign = '';
  let rest = s;
  if (signed && (s[0] === '+' || s[0] === '-')) {
    sign = s[0];
    rest = s.slice(1);
  }
  let digits: RegExp;
  let prefix = '';
  if (/^0[xX]/.test(rest)) [digits, prefix, rest] = [/^[0-9a-fA-F]+$/, '0x', rest.slice(2)];
  else if (/^0[bB]/.test(rest)) [digits, prefix, rest] = [/^[01]+$/, '0b', rest.slice(2)];
  else if (/^0[oO]/.test(rest)) [digits, prefix, rest] = [/^[0-7]+$/, '0o', rest.slice(2)];
  else if (/^0./.test(rest)) [digits, prefix, rest] = [/^[0-7]+$/, '0o', rest.slice(1)];
  else digits = /^[0-9]+$/;
  if (!digits.test(rest)) return undefined;
  const magnitude = BigInt(prefix + rest);
  const v = sign === '-' ? -magnitude : magnitude;
  if (signed ? v < INT64_MIN || v > INT64_MAX : v > UINT64_MAX) return undefined;
  return v;
}

/**
 * Go's ParseFloat(s, 64) where go-yaml calls it: after resolve.go's yamlStyleFloat check, or on a
 * scalar starting with "." (which that pattern covers). Out of range ("1e400") is an error there.
 */
function parseGoFloat(s: string): GoFloat | undefined {
  if (!/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? new GoFloat(v) : undefined;
}

/** go-yaml v2's resolve(tag, in): the Go value of a scalar, and its tag. */
function resolve(tag: string, text: string): [string, GoValue] {
  if (!RESOLVABLE.has(tag)) return [tag, text];
  const h = hint(text);
  if (h !== undefined && tag !== STR) {
    const named = NAMED.get(text);
    if (named) return named;
    if (h === '.') {
      const f = parseGoFloat(text);
      if (f) return [`${TAG}float`, f];
    }
    if (h === 'D') {
      // go-yaml tries a timestamp first, but decoded into an interface{} a timestamp is its own
      // text (decode.go), and nothing that reads as one reads as a number: no step needed here.
      const plain = text.replace(/_/g, '');
      const n = parseGoInt(plain, true) ?? parseGoInt(plain, false);
      if (n !== undefined) return [`${TAG}int`, n];
      const f = parseGoFloat(plain);
      if (f) return [`${TAG}float`, f];
    }
  }
  return [STR, text];
}

const shortTag = (t: string) => (t.startsWith(TAG) ? `!!${t.slice(TAG.length)}` : t);

/** A scalar as decode.go's scalar() gives it to an interface{}. */
function scalar(tag: string | undefined, plain: boolean, text: string): GoValue {
  if (tag === undefined && !plain) return text;
  if (tag === '!') return text; // the non-specific tag: a string, never resolved
  if (tag === BINARY) {
    // Go's base64.StdEncoding skips line breaks, nothing else.
    const b64 = text.replace(/[\r\n]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
      throw new GoYamlError('!!binary value contains invalid base64 data');
    return Buffer.from(b64, 'base64').toString('utf8');
  }
  const asked = tag ?? '';
  const [rtag, value] = resolve(asked, text);
  if (asked === '' || asked === rtag || asked === STR || !RESOLVABLE.has(asked)) return value;
  if (asked === `${TAG}float` && typeof value === 'bigint') return new GoFloat(Number(value));
  if (asked === `${TAG}timestamp` && rtag === STR) return text; // kept as written, as for an interface{}
  throw new GoYamlError(`cannot decode ${shortTag(rtag)} \`${text}\` as a ${shortTag(asked)}`);
}

/** A map key as sigs.k8s.io/yaml spells it in JSON (ints, floats and bools become strings). */
function keyString(k: GoValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'bigint') {
    if (k > INT64_MAX) throw new GoYamlError(`unsupported map key of type: uint64, key: ${k}`);
    return k.toString();
  }
  if (typeof k === 'boolean') return String(k);
  if (k instanceof GoFloat) {
    if (Number.isNaN(k.value)) return '.nan';
    if (k.value === Infinity) return '.inf';
    if (k.value === -Infinity) return '-.inf';
    return formatFloat32(k.value);
  }
  if (k === null) throw new GoYamlError('unsupported map key of type: <nil>');
  throw new GoYamlError('invalid map key: a map or a list');
}

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 32), which sigs.k8s.io/yaml uses for a float that lands
 * where a string is expected: the shortest digits that read back as the same float32, in %e form
 * when the exponent is below -4 or at least 6.
 */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let digits = '';
  let exp = 0;
  for (let p = 1; p <= 9; p++) {
    const e = Math.abs(f).toExponential(p - 1);
    if (Math.fround(Number(e)) !== Math.abs(f) && p < 9) continue;
    const [mantissa, power] = e.split('e') as [string, string];
    digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
    exp = Number(power);
    break;
  }
  const sign = f < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const dp = exp + 1; // digits before the decimal point
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (digits.length <= dp) return `${sign}${digits}${'0'.repeat(dp - digits.length)}`;
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

type Yaml = typeof import('yaml');

/** What a walk over one document needs: the package, the document (for aliases), its lines (for messages). */
interface Walk {
  Y: Yaml;
  doc: import('yaml').Document;
  lines: import('yaml').LineCounter;
}

const MAX_DEPTH = 1000;

function goValue(w: Walk, node: unknown, depth: number): GoValue {
  if (depth > MAX_DEPTH) throw new GoYamlError(`nested more than ${MAX_DEPTH} deep`);
  const { Y } = w;
  if (Y.isAlias(node)) {
    const target = node.resolve(w.doc);
    if (target === undefined) throw new GoYamlError(`unknown anchor '${node.source}' referenced`);
    return goValue(w, target, depth + 1);
  }
  if (Y.isScalar(node)) {
    const text = node.value === null || node.value === undefined ? '' : String(node.value);
    return scalar(node.tag, node.type === 'PLAIN' || node.type === undefined, text);
  }
  if (Y.isSeq(node)) return node.items.map((item) => goValue(w, item, depth + 1));
  if (Y.isMap(node)) {
    const out: GoMap = new Map();
    addPairs(w, node, out, depth);
    return out;
  }
  if (node === null || node === undefined) return null;
  throw new GoYamlError('unexpected YAML node');
}

/** decode.go's isMerge: a "<<" key that is plain and untagged (or "!"), or tagged !!merge. */
function isMergeKey(w: Walk, k: unknown): boolean {
  if (!w.Y.isScalar(k) || k.value !== '<<') return false;
  return (k.type === 'PLAIN' && (k.tag === undefined || k.tag === '!')) || k.tag === `${TAG}merge`;
}

/**
 * A map's pairs into `out`; a "<<" key merges a map, or a list of maps (the later ones first), in.
 * Decoding strictly, go-yaml refuses a key met twice, a merged one included.
 */
function addPairs(w: Walk, map: import('yaml').YAMLMap, out: GoMap, depth: number): void {
  const { Y } = w;
  const deref = (n: unknown) => (Y.isAlias(n) ? n.resolve(w.doc) : n);
  for (const pair of map.items) {
    if (isMergeKey(w, pair.key)) {
      const v = deref(pair.value);
      for (const m of Y.isSeq(v) ? [...v.items].reverse().map(deref) : [v]) {
        if (!Y.isMap(m)) throw new GoYamlError('map merge requires map or sequence of maps as the value');
        addPairs(w, m, out, depth + 1);
      }
      continue;
    }
    const key = goValue(w, pair.key, depth + 1);
    if (Array.isArray(key) || key instanceof Map) throw new GoYamlError('invalid map key: a map or a list');
    const name = keyString(key);
    if (out.has(name)) {
      const at = (pair.key as { range?: [number] } | null)?.range?.[0];
      const line = at === undefined ? '' : `line ${w.lines.linePos(at).line}: `;
      throw new GoYamlError(`${line}key ${JSON.stringify(name)} already set in map`);
    }
    out.set(name, goValue(w, pair.value, depth + 1));
  }
}

/** The first document of `text` as go-yaml v2 decodes it (null for none); GoYamlError when go-yaml refuses it. */
export function readGoYaml(text: string): GoValue {
  // Loaded only when a YAML spec exists: it is not on the hook's usual path.
  const Y = require('yaml') as Yaml;
  const lines = new Y.LineCounter();
  const docs = Y.parseAllDocuments(text, {
    schema: 'failsafe',
    version: '1.1',
    uniqueKeys: false,
    merge: false,
    lineCounter: lines,
  });
  const doc = docs[0];
  if (!doc) return null;
  const err = doc.errors[0];
  if (err) throw new GoYamlError(err.message.split('\n')[0] as string);
  return goValue({ Y, doc, lines }, doc.contents, 0);
}

/**
 * `doc` as YAML that go-yaml v2 reads back as the same strings: YAML 1.1 as the `yaml` package
 * writes it, and every string that go-yaml would resolve to something else (`0o17`, an int there)
 * double-quoted.
 */
export function writeGoYaml(doc: unknown): string {
  const Y = require('yaml') as Yaml;
  const d = new Y.Document(doc, { version: '1.1' });
  Y.visit(d, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && resolve('', node.value)[0] !== STR) node.type = 'QUOTE_DOUBLE';
    },
  });
  return d.toString();
}
