/** Numbers JSON.parse would change, kept as written through a parse and a stringify. */
import { UsageError } from './errors';
import { jsonKeepingNumbers, parseJsonKeepingNumbers, stringifyKeepingNumbers } from './json';

const roundTrip = (text: string) => stringifyKeepingNumbers(jsonKeepingNumbers(text));

test.each([
  ['RLIM_INFINITY (2^64-1)', '{"hard":18446744073709551615,"soft":18446744073709551615}'],
  ['the least int64', '{"a":-9223372036854775808}'],
  ['2^53+1', '{"a":[9007199254740993]}'],
  ['past a double', '{"a":1e400,"b":-2E+999}'],
  [
    'in a nested object, beside others',
    '{"linux":{"resources":{"memory":{"limit":9223372036854775807,"swap":-1}}},"x":[1.5,0,true,null]}',
  ],
  ['a string of such digits, untouched', '{"a":"18446744073709551615","b":18446744073709551615}'],
  ['a string with an escaped quote before a number', '{"a":"x\\"1","b":18446744073709551615}'],
  ['a string spelling a mark of another process', '{"a":"\\u0000ocihooks-number-zzz:18446744073709551615"}'],
])('%s: written as it was read', (_name, text) => expect(roundTrip(text)).toBe(text));

test('what JSON.parse holds exactly is plain JSON, as JSON.parse gives it', () => {
  expect(jsonKeepingNumbers('{"a":[12,-3.25,9007199254740991],"b":1.0}')).toEqual({
    a: [12, -3.25, 9007199254740991],
    b: 1,
  });
  expect(roundTrip('{"b":1.0,"c":1e2}')).toBe('{"b":1,"c":100}');
  expect(stringifyKeepingNumbers({ a: [1, 'x'] }, 2)).toBe('{\n  "a": [\n    1,\n    "x"\n  ]\n}');
});

test('a kept number survives structuredClone and an indented write', () => {
  const config = structuredClone(jsonKeepingNumbers('{"hard":18446744073709551615}'));
  expect(stringifyKeepingNumbers(config, 2)).toBe('{\n  "hard": 18446744073709551615\n}');
});

test('not JSON: one line naming the document', () => {
  expect(() => parseJsonKeepingNumbers('{"a":18446744073709551615', 'config /b/config.json')).toThrow(UsageError);
  expect(() => parseJsonKeepingNumbers('{"a":18446744073709551615', 'config /b/config.json')).toThrow(
    /^config \/b\/config.json: not valid JSON \(/,
  );
});
