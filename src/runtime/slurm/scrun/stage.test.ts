import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stageIn, stageInAnswer, stageOut } from './stage';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-scrun-stage-'));
  fs.mkdirSync(path.join(dir, 'bundle'));
  fs.mkdirSync(path.join(dir, 'spool'));
  fs.writeFileSync(
    path.join(dir, 'bundle/config.json'),
    JSON.stringify({ root: { path: 'rootfs' }, annotations: { a: 'b' }, linux: { cgroupsPath: '/x' } }),
  );
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const input = (userId: number) => ({
  id: 'c1',
  bundle: path.join(dir, 'bundle'),
  spoolDir: path.join(dir, 'spool'),
  configFile: path.join(dir, 'bundle/config.json'),
  jobId: 3,
  userId,
  groupId: userId,
});
const out = (bundle: string) => ({ ...input(1001), origBundle: path.join(dir, 'bundle'), bundle });

test("root's container: nothing written, nothing to tell scrun", () => {
  expect(stageIn(input(0))).toEqual({});
  expect(fs.readdirSync(path.join(dir, 'spool'))).toEqual([]);
  expect(stageInAnswer({})).toBe('');
});

test("a user's container: a rootless bundle of its own in the spool, then stage-out removes exactly it", () => {
  const own = path.join(dir, 'spool/ocihooks-bundle');
  expect(stageIn(input(1001))).toEqual({ bundle: own, root: path.join(dir, 'bundle/rootfs') });
  expect(fs.readdirSync(own)).toEqual(['config.json']);
  const written = JSON.parse(fs.readFileSync(path.join(own, 'config.json'), 'utf8'));
  expect(written.annotations).toEqual({ a: 'b' });
  expect(written.root).toEqual({ path: path.join(dir, 'bundle/rootfs') });
  expect(written.linux.uidMappings).toEqual([{ containerID: 0, hostID: 1001, size: 1 }]);
  expect(stageInAnswer(stageIn(input(1001)))).toBe(`bundle=${own}\nroot=${path.join(dir, 'bundle/rootfs')}\n`);
  // Another bundle (the original): nothing removed.
  expect(stageOut(out(path.join(dir, 'bundle')))).toBe(false);
  expect(fs.existsSync(own)).toBe(true);
  expect(stageOut(out(own))).toBe(true);
  expect(fs.readdirSync(path.join(dir, 'spool'))).toEqual([]);
  expect(fs.existsSync(path.join(dir, 'bundle/config.json'))).toBe(true);
});

test('stage-out refuses to remove a bundle folder holding anything else (and says which)', () => {
  stageIn(input(1001));
  const own = path.join(dir, 'spool/ocihooks-bundle');
  fs.writeFileSync(path.join(own, 'other'), 'x');
  expect(() => stageOut(out(own))).toThrow(`${own}: cannot remove the rootless bundle: ENOTEMPTY`);
  expect(fs.readdirSync(own)).toEqual(['other']);
});

test.each([
  ['an unreadable config', (c: string) => fs.rmSync(c), 'config /CONFIG: ENOENT'],
  ['a config that is not JSON', (c: string) => fs.writeFileSync(c, '{'), 'config /CONFIG: not valid JSON'],
  [
    'a config without root.path',
    (c: string) => fs.writeFileSync(c, '{"root":{}}'),
    'config /CONFIG: root.path: missing',
  ],
  [
    'a spool folder that is not there',
    () => fs.rmSync(path.join(dir, 'spool'), { recursive: true }),
    '--spool-dir /SPOOL: not a folder',
  ],
])('%s: one line naming it, nothing left in the spool', (_name, spoil, message) => {
  const config = path.join(dir, 'bundle/config.json');
  spoil(config);
  let error = '';
  try {
    stageIn(input(1001));
  } catch (e) {
    error = (e as Error).message.replace(config, '/CONFIG').replace(path.join(dir, 'spool'), '/SPOOL');
  }
  expect(error.startsWith(message)).toBe(true);
  expect(fs.existsSync(path.join(dir, 'spool')) ? fs.readdirSync(path.join(dir, 'spool')) : []).toEqual([]);
});
