/** The hooks' log records: pino's line format (level numbers, key order), written at once. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINE_PID, LINE_TIME, Logger } from './json-lines';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-json-lines-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

function written(level: ConstructorParameters<typeof Logger>[0], use: (log: Logger) => void): string[] {
  const file = path.join(dir, `${Math.random()}.log`);
  const fd = fs.openSync(file, 'a');
  use(new Logger(level, fd, { hook: 'ocihook-mount', pid: 7 }));
  fs.closeSync(fd);
  // The time is the one field a test cannot know: each line's is checked for its form, then left out.
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      expect(l).toMatch(/^\{"level":\d+,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",/);
      return l.replace(/"time":"[^"]+",/, '');
    });
}

test("pino's numbers and order: level, time, the bindings, the fields, msg", () => {
  expect(
    written('info', (log) => {
      log.info({ container: 'c1', actions: ['bind /a -> /a'] }, 'applied');
      log.warn('a message alone');
      log.error({ exitCode: 2 }, 'bad');
      log.child({ container: 'c2' }).child({ specHook: 'update-ldcache' }).info({ n: 1 }, 'inside');
    }),
  ).toEqual([
    '{"level":30,"hook":"ocihook-mount","pid":7,"container":"c1","actions":["bind /a -> /a"],"msg":"applied"}',
    '{"level":40,"hook":"ocihook-mount","pid":7,"msg":"a message alone"}',
    '{"level":50,"hook":"ocihook-mount","pid":7,"exitCode":2,"msg":"bad"}',
    '{"level":30,"hook":"ocihook-mount","pid":7,"container":"c2","specHook":"update-ldcache","n":1,"msg":"inside"}',
  ]);
});

test('records below the level are not written; debug and trace when asked', () => {
  const all = (log: Logger) => {
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.fatal('f');
  };
  expect(written('warn', all)).toEqual(['{"level":60,"hook":"ocihook-mount","pid":7,"msg":"f"}']);
  expect(written('trace', all).map((l) => JSON.parse(l).level)).toEqual([10, 20, 30, 60]);
  expect(written('silent', all)).toEqual([]);
});

describe('a tapped logger: each record also as the line another process writes for it', () => {
  const tapped = (use: (log: Logger) => void) => {
    const lines: (string | undefined)[] = [];
    const file = written('info', (log) => use(log.tapped((l) => lines.push(l))));
    return { file, lines };
  };

  test('the time and the pid marked, all else as written; records below the level not handed over', () => {
    const { file, lines } = tapped((log) => {
      log.info({ devices: ['nvidia.com/gpu=0'] }, 'precreate');
      log.debug('not written');
      log.child({ container: 'c' }).info({ hook: '/usr/bin/h', args: ['h', '--x'] }, 'left out');
    });
    expect(lines).toEqual([
      `{"level":30,"time":"${LINE_TIME}","hook":"ocihook-mount","pid":${LINE_PID},"devices":["nvidia.com/gpu=0"],"msg":"precreate"}\n`,
      `{"level":30,"time":"${LINE_TIME}","hook":"/usr/bin/h","pid":${LINE_PID},"container":"c","args":["h","--x"],"msg":"left out"}\n`,
    ]);
    // What the other process writes with its own time and pid is the record's line.
    expect(lines.map((l) => l!.replace(LINE_TIME, 'T').replace(LINE_PID, '7'))).toEqual(
      file.map((l) => l.replace('"level":30,', '"level":30,"time":"T",') + '\n'),
    );
  });

  test.each([
    ['a field named pid', { pid: 3 }],
    ['a field named time', { time: '2026-01-01T00:00:00.000Z' }],
    ['a text holding the escape of a marker', { note: '\\u0001' }],
    ['a text holding a marker', { note: '\u0002' }],
  ])('%s: no line (undefined)', (_name, fields) => {
    expect(tapped((log) => log.info(fields, 'm')).lines).toEqual([undefined]);
  });
});
