import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../core/errors';
import { parseRuntimeArgs } from './runtime-args';
import { checkRootPattern, rootForCall } from './per-user-root';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-peruser-'));
afterAll(() => fs.rmSync(base, { recursive: true }));
const pattern = path.join(base, 'run', 'user', '%U', 'runc');
// Two users' roots; user 1001 has container c1 (runc: one folder per container).
for (const uid of [1001, 1002]) fs.mkdirSync(path.join(base, 'run', 'user', String(uid), 'runc'), { recursive: true });
fs.mkdirSync(path.join(base, 'run', 'user', '1001', 'runc', 'c1'));
fs.mkdirSync(path.join(base, 'run', 'user', 'not-a-uid'));
const bundle = path.join(base, 'bundle');
fs.mkdirSync(bundle);
const at = (uid: number) => path.join(base, 'run', 'user', String(uid), 'runc');
const call = (args: string[], uid: number) => rootForCall(pattern, args, parseRuntimeArgs(args, '/'), uid);

test.each([
  ['the user running it (RunTimeRun as the job user)', ['run', '-b', bundle, 'c9'], 1002, at(1002)],
  [
    'root, create: the owner of the bundle folder',
    ['create', '--bundle', bundle, 'c9'],
    0,
    at(fs.statSync(bundle).uid),
  ],
  ['root, state: the user whose root holds the container', ['state', 'c1'], 0, at(1001)],
  ['root, kill -a with a signal', ['kill', '-a', 'c1', 'KILL'], 0, at(1001)],
  ['root, delete --force', ['--log', '/x', 'delete', '--force', 'c1'], 0, at(1001)],
  ['root, a container nobody has: uid 0 (the runtime says it does not exist)', ['state', 'c2'], 0, at(0)],
  ['root, an id with a slash is never looked up', ['state', '../1001/runc/c1'], 0, at(0)],
  ['root, a bundle that is not there', ['run', '-b', path.join(base, 'nope'), 'c9'], 0, at(0)],
] as const)('%s', (_name, args, uid, expected) => {
  expect(call([...args], uid)).toBe(expected);
});

test.each(['run/user/%U', '/run/user/%U%U', '/run/user/u%U', '/run/user/1001', '/run/%u/%U'])(
  'a bad pattern is refused, naming it: %s',
  (p) => {
    expect(() => checkRootPattern(p)).toThrow(UsageError);
    expect(() => checkRootPattern(p)).toThrow(`--root-per-user ${JSON.stringify(p)}`);
  },
);
