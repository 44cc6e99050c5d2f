/**
 * The tests' CRI client writes protobuf by hand (test/support/cri/protobuf.ts): the bytes of the
 * messages it sends, worked out from the wire format (field number << 3 | wire type, varints,
 * length-delimited bodies) and written here as literals; containerd reading them is the e2e
 * (test/e2e/containerd-cri.test.ts).
 */
import {
  bool,
  decode,
  getBytes,
  getInt32,
  getMap,
  getStr,
  getSub,
  map,
  message,
  str,
  strs,
  sub,
  subs,
  uint,
} from '../support/cri/protobuf';

const hex = (b: Buffer) => b.toString('hex');

test.each<[string, Buffer, string]>([
  [
    'StopContainerRequest{container_id: "abc", timeout: 300}',
    message(str(1, 'abc'), uint(2, 300)),
    '0a036162631' + '0ac02',
  ],
  ['zero values are left out (proto3)', message(str(1, ''), uint(2, 0), bool(3, false)), ''],
  ['a bool', message(bool(2, true)), '1001'],
  ['an empty sub-message is written', message(sub(8, message())), '4200'],
  ['repeated strings, in order', message(strs(2, ['cat', 'x'])), '1203636174' + '120178'],
  [
    'a map<string, string>: one entry {1: key, 2: value} per pair, keys sorted',
    message(map(10, { b: '2', a: '1' })),
    '52060a0161120131' + '52060a0162120132',
  ],
  ['repeated CDIDevice{name}', message(subs(17, [message(str(1, 'a.b/c=d'))])), '8a01090a07612e622f633d64'],
  ['a string longer than 127 bytes: a two-byte length', message(str(1, 'x'.repeat(130))), `0a8201${'78'.repeat(130)}`],
])('%s', (_name, bytes, expected) => {
  expect(hex(bytes)).toBe(expected);
});

test('decoding a ContainerStatusResponse: strings, a negative int32, a map, a nested message', () => {
  // {1: {1: "id1", 3: 2 (EXITED), 7: -1, 13: {"k": "v"}}}, the int32 -1 as ten varint bytes.
  const status = Buffer.from('0a03696431' + '1802' + '38ffffffffffffffffff01' + '6a060a016b120176', 'hex');
  const body = Buffer.concat([Buffer.from([0x0a, status.length]), status]);
  const s = getSub(decode(body), 1);
  expect([getStr(s, 1), getInt32(s, 3), getInt32(s, 7), getMap(s, 13), getStr(s, 10)]).toEqual([
    'id1',
    2,
    -1,
    { k: 'v' },
    '',
  ]);
});

test('decoding bytes fields and a fixed64 and fixed32 passed over', () => {
  const d = decode(Buffer.from('0a026869' + '110102030405060708' + '2501020304' + '1803', 'hex'));
  expect([getBytes(d, 1).toString(), getInt32(d, 3), d.get(2)?.length, d.get(4)?.length]).toEqual(['hi', 3, 1, 1]);
});

test('a message cut short is refused, naming the field', () => {
  expect(() => decode(Buffer.from('0a05616263', 'hex'))).toThrow('protobuf: field 1 runs past the end');
  expect(() => decode(Buffer.from('08ff', 'hex'))).toThrow('protobuf: a varint runs past the end');
});
