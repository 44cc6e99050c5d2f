/**
 * YAML specs read as the CDI reference reads them. Every expected value below is what the
 * reference gave for the same document: pkg/cdi's ParseSpec — sigs.k8s.io/yaml v1.4.0
 * UnmarshalStrict (its goyaml.v2 fork, yaml.go convertToJSONableObject) into specs-go v1.1.0's
 * Spec, the copies vendored by NVIDIA/nvidia-container-toolkit at d34b3046758c — built and run
 * on each row (the peer build is not part of this repository). The rules behind them: goyaml.v2
 * resolve.go (YAML 1.1 ints and bools, no base 60, y/n are bools) and the conversion of a number
 * or bool to a string where the Go field is a string.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CdiSpecError, validateCdiSpec } from '../spec';
import { parseSpecText } from '../registry';
import { formatFloat32, readGoYaml, writeGoYaml } from './yaml';

/** The specs `ocihooks cdi generate` writes for the fake hosts of test/e2e/cdi-generate.test.ts. */
const GOLDENS = path.join(__dirname, '..', '..', '..', 'test', 'e2e', 'testdata');

const read = (text: string, file = 'spec.yaml') => validateCdiSpec(parseSpecText(text, file), file);
const refused = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof CdiSpecError) return `${e.field}: ${e.reason}`;
    throw e;
  }
};
const or = <T>(f: () => T): T | 'refused' => (refused(f) === undefined ? f() : 'refused');

/** One scalar where the spec has a string (an annotation value), an int64 (minor) and a uint32 (fileMode). */
const asString = (s: string) =>
  or(
    () =>
      read(
        `cdiVersion: 0.6.0\nkind: vendor.com/x\nannotations:\n  a: ${s}\ndevices:\n- name: d\n  containerEdits:\n    env: [A=b]\n`,
      ).annotations.a,
  );
const node = (field: string, s: string) =>
  read(
    `cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices:\n- name: d\n  containerEdits:\n    deviceNodes:\n    - path: /dev/x\n      ${field}: ${s}\n`,
  ).devices[0]!.edits.deviceNodes[0]!;

describe('the YAML 1.1 scalar table: what the reference reads for each scalar', () => {
  test.each<[string, string | 'refused', number | 'refused', number | undefined | 'refused']>([
    // scalar, as a string, as an int64 (minor), as a uint32 (fileMode)
    ['0', '0', 0, 0],
    ['00', '0', 0, 0],
    ['010', '8', 8, 8], // octal: minor 010 is device 8, not 10
    ['08', '8', 8, 8], // not octal, so a float (8)
    ['0x1F', '31', 31, 31],
    ['-0x10', '-16', -16, 'refused'],
    ['0o17', '15', 15, 15],
    ['0b101', '5', 5, 5],
    ['1_000', '1000', 1000, 1000],
    ['0x_1F', '31', 31, 31],
    ['_1', '_1', 'refused', 'refused'],
    ['+1', '1', 1, 1],
    ['-0', '0', 0, 0],
    ['1.5', '1.5', 'refused', 'refused'],
    ['1.0', '1', 1, 1],
    ['1e3', '1000', 1000, 1000],
    ['1e6', '1e+06', 1000000, 1000000], // a float where a string is: Go's float32 %g
    ['1e-5', '1e-05', 'refused', 'refused'],
    ['0.0001', '0.0001', 'refused', 'refused'],
    ['3.14159265358979', '3.1415927', 'refused', 'refused'],
    ['16777217.0', '1.6777216e+07', 16777217, 16777217],
    ['.5', '0.5', 'refused', 'refused'],
    ['.e3', '.e3', 'refused', 'refused'],
    ['1e400', '1e400', 'refused', 'refused'],
    ['0:1', '0:1', 'refused', 'refused'], // no base 60: a MIG device name stays a name
    ['1:20', '1:20', 'refused', 'refused'],
    ['190:20:30', '190:20:30', 'refused', 'refused'],
    ['on', 'true', 'refused', 'refused'],
    ['off', 'false', 'refused', 'refused'],
    ['ON', 'true', 'refused', 'refused'],
    ['oN', 'oN', 'refused', 'refused'],
    ['yes', 'true', 'refused', 'refused'],
    ['no', 'false', 'refused', 'refused'],
    ['y', 'true', 'refused', 'refused'], // go-yaml v2 keeps y and n as bools
    ['n', 'false', 'refused', 'refused'],
    ['Y', 'true', 'refused', 'refused'],
    ['true', 'true', 'refused', 'refused'],
    ['True', 'true', 'refused', 'refused'],
    ['tRUE', 'tRUE', 'refused', 'refused'],
    ['false', 'false', 'refused', 'refused'],
    ['~', '', 0, undefined],
    ['null', '', 0, undefined],
    ['', '', 0, undefined],
    ['"0"', '0', 'refused', 'refused'],
    ["'010'", '010', 'refused', 'refused'],
    ['!!str 010', '010', 'refused', 'refused'],
    ['!!int "12"', '12', 12, 12],
    ['!!float 5', '5', 5, 5],
    ['!!bool yes', 'true', 'refused', 'refused'],
    ['! 5', '5', 'refused', 'refused'],
    ['!!int abc', 'refused', 'refused', 'refused'],
    ['!!binary aGVsbG8=', 'hello', 'refused', 'refused'],
    ['2001-12-14', '2001-12-14', 'refused', 'refused'],
    ['.inf', '+Inf', 'refused', 'refused'],
    ['-.inf', '-Inf', 'refused', 'refused'],
    ['.nan', 'NaN', 'refused', 'refused'],
    ['12345678901234567890', '12345678901234567890', 'refused', 'refused'],
    ['18446744073709551616', '1.8446744e+19', 'refused', 'refused'],
    ['-9223372036854775809', '-9.223372e+18', 'refused', 'refused'],
    ['0755', '493', 493, 493],
    ['0644', '420', 420, 420], // fileMode 0644 is 0o644, not 644 (0o1204, the sticky bit)
    ['644', '644', 644, 644],
    ['4294967296', '4294967296', 4294967296, 'refused'],
    ['-5', '-5', -5, 'refused'],
    ['0x1p3', '0x1p3', 'refused', 'refused'],
    ['Infinity', 'Infinity', 'refused', 'refused'],
    ['"on"', 'on', 'refused', 'refused'],
  ])('%j: string %j, int64 %j, uint32 %j', (scalar, str, int64, uint32) => {
    expect(asString(scalar)).toEqual(str);
    expect(or(() => node('minor', scalar).minor ?? 0)).toEqual(int64);
    expect(or(() => node('fileMode', scalar).fileMode)).toEqual(uint32);
  });

  test('a bool field: YAML 1.1 bools, no strings', () => {
    const monitoring = (s: string) =>
      or(
        () =>
          read(
            `cdiVersion: 1.1.0\nkind: vendor.com/x\ndevices:\n- name: d\n  containerEdits:\n    intelRdt:\n      enableMonitoring: ${s}\n`,
          ).devices[0]!.edits.intelRdt?.enableMonitoring ?? false,
      );
    expect(['yes', 'on', 'y', 'Y', '!!bool yes', 'true', 'n', 'off', '~', 'oN', '"on"'].map(monitoring)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      'refused',
      'refused',
    ]);
  });

  test('keys: numbers and bools are spelled as JSON strings; a null or list key, or a key twice, refuses the spec', () => {
    const keys = (s: string) =>
      or(() =>
        Object.keys(
          read(
            `cdiVersion: 0.6.0\nkind: vendor.com/x\nannotations:\n  ${s}: v\ndevices:\n- name: d\n  containerEdits:\n    env: [A=b]\n`,
          ).annotations,
        ),
      );
    expect(['0', '010', '1.5', '1e6', '0:1', 'on', 'yes', 'y', '"0"', '.inf'].map(keys)).toEqual([
      ['0'],
      ['8'],
      ['1.5'],
      ['1e+06'],
      ['0:1'],
      ['true'],
      ['true'],
      ['true'],
      ['0'],
      ['.inf'],
    ]);
    expect(['~', '12345678901234567890', '[a]'].map(keys)).toEqual(['refused', 'refused', 'refused']);
    const twice = (a: string, b: string) =>
      refused(() => read(`cdiVersion: 0.6.0\nkind: vendor.com/x\nannotations:\n  ${a}: x\n  ${b}: y\ndevices: []\n`));
    expect(twice('1', '01')).toBe('(file): not valid YAML: line 5: key "1" already set in map');
    expect(twice('yes', 'on')).toBe('(file): not valid YAML: line 5: key "true" already set in map');
  });

  test('null list entries and map values are the empty string Go leaves there', () => {
    const spec = read(
      'cdiVersion: 0.6.0\nkind: vendor.com/x\nannotations:\n  a: ~\ndevices:\n- name: d\n  containerEdits:\n    env: [A=b]\n',
      'spec.yaml',
    );
    expect(spec.annotations).toEqual({ a: '' });
    expect(
      refused(() =>
        read('cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices:\n- name: d\n  containerEdits:\n    env: [~]\n'),
      ),
    ).toBe(
      'devices[0].containerEdits.env[0]: invalid device "d": invalid container edits: invalid environment variable ""',
    );
  });

  test('merge keys, aliases, the first document only; a float JSON cannot hold refuses the spec', () => {
    const merged = read(
      'cdiVersion: 0.6.0\nkind: vendor.com/x\nannotations:\n  <<: [{a: x}, {b: y}]\ndevices:\n- &d {name: d, containerEdits: {env: [A=b]}}\n---\nkind: other.com/y\n',
    );
    expect(merged.annotations).toEqual({ a: 'x', b: 'true' });
    expect(merged.kind).toBe('vendor.com/x');
    expect(
      refused(() =>
        read(
          'cdiVersion: 0.6.0\nkind: vendor.com/x\ndevices:\n- &d {name: d, containerEdits: {env: [A=b]}}\n- <<: *d\n  name: e\n',
        ),
      ),
    ).toBe('(file): not valid YAML: line 6: key "name" already set in map');
    expect(refused(() => read('cdiVersion: 0.6.0\nkind: *k\ndevices: []\n'))).toBe(
      "(file): not valid YAML: unknown anchor 'k' referenced",
    );
    expect(refused(() => read('cdiVersion: 0.6.0\nkind: vendor.com/x\nfoo: .nan\ndevices: []\n'))).toBe(
      'foo: json: unsupported value: NaN',
    );
  });

  test('field names in any case; of two spellings of one field the one json.Marshal writes last wins', () => {
    const kind = (text: string) =>
      read(`cdiVersion: 0.6.0\n${text}devices:\n- name: d\n  containerEdits:\n    env: [A=b]\n`).kind;
    expect(kind('kind: vendor.com/c\nKind: vendor.com/d\n')).toBe('vendor.com/c');
    expect(kind('Kind: vendor.com/c\nkind: vendor.com/d\n')).toBe('vendor.com/d');
  });

  test('JSON specs: a number or bool where a string is, as the reference reads a .json file (through the same YAML path)', () => {
    const spec = read(
      '{"cdiVersion": "0.6.0", "kind": "vendor.com/x", "annotations": {"a": 1.5, "b": true}, "devices": [{"name": 0, "containerEdits": {"env": ["A=b"]}}]}',
      'spec.json',
    );
    expect([spec.devices[0]!.name, spec.annotations]).toEqual(['0', { a: '1.5', b: 'true' }]);
  });

  test('no document, or a null one: no Spec data', () => {
    expect(['', '# only a comment\n', '---\n', '~\n'].map(readGoYaml)).toEqual([null, null, null, null]);
  });
});

test.each([
  [8, '8'],
  [0.1, '0.1'],
  [1e6, '1e+06'],
  [123456.0, '123456'],
  [1234567.0, '1.234567e+06'],
  [0.0001, '0.0001'],
  [0.00001, '1e-05'],
  [-2.5, '-2.5'],
  [-0, '-0'],
  [3.4028235e38, '3.4028235e+38'],
  [1e39, '+Inf'],
  [1.5e-45, '1e-45'],
])('formatFloat32(%p) is Go FormatFloat(v, g, -1, 32): %s', (v, s) => {
  expect(formatFloat32(v)).toBe(s);
});

describe('writing YAML the reference reads back as written (ocihooks cdi generate --format yaml)', () => {
  const tricky = [
    '0o17',
    '0O17',
    '1e3',
    'y',
    '08',
    '0:1',
    '.5',
    '~',
    '',
    'on',
    '2001-12-14',
    'plain',
    '<<',
    'yes please',
  ];
  test('strings go-yaml would resolve to something else are quoted; the reference read this text back unchanged', () => {
    const text = writeGoYaml({ a: Object.fromEntries(tricky.map((t, i) => [`k${i}`, t])) });
    expect(text.split('\n').slice(1, -1)).toEqual([
      '  k0: "0o17"', // YAML 1.1 as the yaml package writes it leaves these two plain: go-yaml reads 15
      '  k1: "0O17"',
      '  k2: "1e3"',
      '  k3: "y"',
      '  k4: "08"',
      '  k5: "0:1"',
      '  k6: ".5"',
      '  k7: "~"',
      '  k8: ""',
      '  k9: "on"',
      '  k10: "2001-12-14"',
      '  k11: plain',
      '  k12: <<',
      '  k13: yes please',
    ]);
  });

  test.each(fs.readdirSync(GOLDENS).filter((f) => f.endsWith('.json')))(
    'the golden %s reads back the same as YAML',
    (f) => {
      const json = fs.readFileSync(path.join(GOLDENS, f), 'utf8');
      expect(parseSpecText(writeGoYaml(JSON.parse(json)), 'spec.yaml')).toEqual(parseSpecText(json, 'spec.json'));
    },
  );
});
