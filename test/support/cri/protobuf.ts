/**
 * Just enough protobuf (proto3 wire format) for the CRI messages the tests send and read
 * (api.proto beside this file): a message is built from fields by number — strings, varints,
 * bools, nested messages, repeated fields, map<string, string> — and read back as a table of
 * field number -> raw values. Zero values are left out, as proto3 encoders do.
 */

/** An encoded field (tag and value), in the order written. */
export type Field = Buffer;

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Buffer.from(out);
}

const tag = (field: number, wire: 0 | 2) => varint((field << 3) | wire);
const delimited = (field: number, body: Buffer) => Buffer.concat([tag(field, 2), varint(body.length), body]);

/** A message from its fields. */
export const message = (...fields: (Field | Field[] | undefined)[]): Buffer =>
  Buffer.concat(fields.flat().filter((f): f is Buffer => f !== undefined));

export const str = (field: number, s: string | undefined): Field | undefined =>
  s ? delimited(field, Buffer.from(s, 'utf8')) : undefined;
export const bytes = (field: number, b: Buffer): Field | undefined => (b.length ? delimited(field, b) : undefined);
export const uint = (field: number, n: number | bigint | undefined): Field | undefined =>
  n ? Buffer.concat([tag(field, 0), varint(n)]) : undefined;
export const bool = (field: number, b: boolean | undefined): Field | undefined => (b ? uint(field, 1) : undefined);
/** A nested message; present even when empty (an empty sub-message is not a zero value). */
export const sub = (field: number, body: Buffer | undefined): Field | undefined =>
  body === undefined ? undefined : delimited(field, body);
export const strs = (field: number, list: readonly string[] = []): Field[] =>
  list.map((s) => delimited(field, Buffer.from(s, 'utf8')));
export const subs = (field: number, list: readonly Buffer[] = []): Field[] => list.map((b) => delimited(field, b));
/** map<string, string>: one entry message {1: key, 2: value} per pair, keys sorted (as Go writes them). */
export const map = (field: number, m: Record<string, string> = {}): Field[] =>
  Object.keys(m)
    .sort()
    .map((k) => delimited(field, message(str(1, k), str(2, m[k]))));

/** A decoded message: field number -> its values in order (varints as bigint, others as bytes). */
export type Decoded = Map<number, (bigint | Buffer)[]>;

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let v = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (at >= buf.length) throw new Error('protobuf: a varint runs past the end');
    const byte = buf[at++] as number;
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [v, at];
  }
}

export function decode(buf: Buffer): Decoded {
  const out: Decoded = new Map();
  for (let at = 0; at < buf.length;) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const field = Number(key >> 3n);
    let value: bigint | Buffer;
    switch (Number(key & 7n)) {
      case 0:
        [value, at] = readVarint(buf, at);
        break;
      case 1:
        value = buf.subarray(at, (at += 8));
        break;
      case 2: {
        const [n, from] = readVarint(buf, at);
        value = buf.subarray(from, (at = from + Number(n)));
        if (at > buf.length) throw new Error(`protobuf: field ${field} runs past the end`);
        break;
      }
      case 5:
        value = buf.subarray(at, (at += 4));
        break;
      default:
        throw new Error(`protobuf: wire type ${Number(key & 7n)} of field ${field} is not read here`);
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** The last value of a string field ('' when absent). */
export const getStr = (d: Decoded, field: number): string => {
  const v = d.get(field)?.at(-1);
  return Buffer.isBuffer(v) ? v.toString('utf8') : '';
};
/** The last value of a varint field (0 when absent), as a signed 32-bit number (int32 fields). */
export const getInt32 = (d: Decoded, field: number): number => {
  const v = d.get(field)?.at(-1);
  return typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : 0;
};
export const getBytes = (d: Decoded, field: number): Buffer => {
  const v = d.get(field)?.at(-1);
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
};
export const getSub = (d: Decoded, field: number): Decoded => decode(getBytes(d, field));
/** A map<string, string> field. */
export const getMap = (d: Decoded, field: number): Record<string, string> =>
  Object.fromEntries(
    (d.get(field) ?? []).filter(Buffer.isBuffer).map((entry) => {
      const e = decode(entry);
      return [getStr(e, 1), getStr(e, 2)];
    }),
  );
