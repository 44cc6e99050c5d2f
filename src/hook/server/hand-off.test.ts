/** The front-end's hand-off: the variable it sets, and the command line the wrapper sends back. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../core/errors';
import { encodeCommandLine, handOffExit, handOffOf } from './hand-off';

test('OCIHOOKS_RUNTIME_RELAY=<fd>:<pid>[:<pidfd>]; anything else is refused, naming it', () => {
  expect(handOffOf({ OCIHOOKS_RUNTIME_RELAY: '5:1234' })).toEqual({ fd: 5, watched: 1234 });
  expect(handOffOf({ OCIHOOKS_RUNTIME_RELAY: '5:1234:6' })).toEqual({ fd: 5, watched: 1234, watchedFd: 6 });
  expect(handOffOf({ PATH: '/bin' })).toBeUndefined();
  for (const bad of ['5', '5:1234:', '5:1234:6:7', '5:x'])
    expect(() => handOffOf({ OCIHOOKS_RUNTIME_RELAY: bad })).toThrow(
      new UsageError(
        `OCIHOOKS_RUNTIME_RELAY=${bad}: expected <fd>:<pid>[:<pidfd>] (set by the ocihooks-runtime front-end or the hook launcher)`,
      ),
    );
});

test('a command line is four little-endian words (magic "OCR1", argc, envc, bytes), then path, argv and env, NUL after each', () => {
  const b = encodeCommandLine('/usr/sbin/runc', ['runc', 'create', ''], ['A=1']);
  expect([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)]).toEqual([
    0x3152434f,
    3,
    1,
    b.length - 16,
  ]);
  expect(b.subarray(0, 4).toString('latin1')).toBe('OCR1');
  expect(b.subarray(16).toString()).toBe('/usr/sbin/runc\0runc\0create\0\0A=1\0');
});

test('a wrapper that does not hand the call over sends its exit code: no arguments, the code in envc; once only', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-hand-off-')), 'answer');
  const h = { fd: fs.openSync(file, 'w'), watched: 1 };
  handOffExit(h, 2);
  handOffExit(h, 3); // answered already: nothing more, and no write to a closed fd
  const b = fs.readFileSync(file);
  expect([b.length, b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)]).toEqual([
    16, 0x3152434f, 0, 2, 0,
  ]);
  fs.rmSync(path.dirname(file), { recursive: true });
});
