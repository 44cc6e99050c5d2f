import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodedCache } from './decoded-cache';

const root = process.geteuid?.() === 0;
const asRoot = root ? test : test.skip;

let base: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-decoded-'));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

/** An input file of `text`, and the folder (not made yet) its decoded form is kept in. */
function setUp(text = 'a: 1\n') {
  const input = path.join(base, 'spec.yaml');
  fs.writeFileSync(input, text);
  return { input, dir: path.join(base, 'kept') };
}
const entryOf = (dir: string, input: string) => path.join(dir, `${encodeURIComponent(input)}.json`);

test('a process that is not root keeps nothing', () => {
  expect(decodedCache(path.join(base, 'kept')) === undefined).toBe(!root);
});

asRoot('kept for exactly the text it was decoded from, in a folder and an entry of root only', () => {
  const { input, dir } = setUp();
  const cache = decodedCache(dir)!;
  expect(cache.get(input, 'a: 1\n')).toBeUndefined();
  cache.put(input, 'a: 1\n', { a: 1 });
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  const st = fs.statSync(entryOf(dir, input));
  expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
  // A new cache (the next run) reads it back; any other text, or another file, gets nothing.
  const next = decodedCache(dir)!;
  expect(next.get(input, 'a: 1\n')).toEqual({ a: 1 });
  expect(next.get(input, 'a: 1\n# a comment\n')).toBeUndefined();
  expect(next.get(path.join(base, 'other.yaml'), 'a: 1\n')).toBeUndefined();
  // A relative name of the same file is the same entry.
  const cwd = process.cwd();
  try {
    process.chdir(base);
    expect(next.get('spec.yaml', 'a: 1\n')).toEqual({ a: 1 });
  } finally {
    process.chdir(cwd);
  }
});

asRoot("another build's entry, or one that is not an entry, is not used", () => {
  const { input, dir } = setUp();
  decodedCache(dir)!.put(input, 'a: 1\n', { a: 1 });
  const entry = entryOf(dir, input);
  const written = JSON.parse(fs.readFileSync(entry, 'utf8'));
  expect(written).toEqual({ build: 'source', file: input, text: 'a: 1\n', decoded: { a: 1 } });
  for (const other of [JSON.stringify({ ...written, build: 'abc123' }), JSON.stringify({ ...written, text: 1 }), '{']) {
    fs.writeFileSync(entry, other);
    expect(decodedCache(dir)!.get(input, 'a: 1\n')).toBeUndefined();
  }
});

asRoot.each([
  ['the folder writable by its group', (dir: string) => fs.chmodSync(dir, 0o770), true],
  ["the folder not root's", (dir: string) => fs.chownSync(dir, 12345, 0), true],
  ['the entry writable by others', (_dir: string, entry: string) => fs.chmodSync(entry, 0o602), false],
  ["the entry not root's", (_dir: string, entry: string) => fs.chownSync(entry, 12345, 0), false],
])('%s: not read, not written, told once', (_what, spoil, folderRefused) => {
  const { input, dir } = setUp();
  decodedCache(dir)!.put(input, 'a: 1\n', { a: 1 });
  const entry = entryOf(dir, input);
  spoil(dir, entry);
  const warnings: string[] = [];
  const cache = decodedCache(dir, { warn: (m) => warnings.push(m) })!;
  expect(cache.get(input, 'a: 1\n')).toBeUndefined();
  expect(cache.get(input, 'a: 1\n')).toBeUndefined();
  cache.put(input, 'a: 1\n', { a: 2 });
  expect(warnings).toEqual([
    `${folderRefused ? dir : entry}: not root's, or writable by others than root; decoding without it`,
  ]);
  if (folderRefused) expect(JSON.parse(fs.readFileSync(entry, 'utf8')).decoded).toEqual({ a: 1 });
});

asRoot('a folder path through a file: nothing read or written, told once, nothing thrown', () => {
  const { input } = setUp();
  const dir = path.join(input, 'kept'); // input is a file
  const warnings: string[] = [];
  const cache = decodedCache(dir, { warn: (m) => warnings.push(m) })!;
  expect(cache.get(input, 'a: 1\n')).toBeUndefined();
  cache.put(input, 'a: 1\n', { a: 1 });
  expect(warnings).toEqual([`${dir}: ENOTDIR: not a directory, lstat '${dir}'; decoding without it`]);
});

asRoot('an entry that is a symbolic link is not followed', () => {
  const { input, dir } = setUp();
  fs.mkdirSync(dir, { mode: 0o700 });
  const elsewhere = path.join(base, 'elsewhere.json');
  fs.writeFileSync(elsewhere, JSON.stringify({ build: 'source', file: input, text: 'a: 1\n', decoded: { a: 9 } }), {
    mode: 0o600,
  });
  fs.symlinkSync(elsewhere, entryOf(dir, input));
  expect(decodedCache(dir)!.get(input, 'a: 1\n')).toBeUndefined();
});

asRoot('read-only (a dry run) writes nothing; writing takes away the entries of inputs that are gone', () => {
  const { input, dir } = setUp();
  decodedCache(dir, { readOnly: true })!.put(input, 'a: 1\n', { a: 1 });
  expect(fs.existsSync(dir)).toBe(false);
  const gone = path.join(base, 'gone.yaml');
  fs.writeFileSync(gone, 'b: 2\n');
  const cache = decodedCache(dir)!;
  cache.put(gone, 'b: 2\n', { b: 2 });
  fs.rmSync(gone);
  fs.writeFileSync(path.join(dir, 'unrelated'), '');
  cache.put(input, 'a: 1\n', { a: 1 });
  expect(fs.readdirSync(dir).sort()).toEqual([path.basename(entryOf(dir, input)), 'unrelated'].sort());
});
