/** The runtime's --log as docker and containerd pass it, and the records written there. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runtimeLog, writeRuntimeLog } from './runtime-log';

test.each<[string, string[], ReturnType<typeof runtimeLog>]>([
  [
    'containerd',
    [
      '--root',
      '/run/containerd/runc/default',
      '--log',
      '/run/c/log.json',
      '--log-format',
      'json',
      'create',
      '--bundle',
      '/b',
      'c1',
    ],
    { file: '/run/c/log.json', format: 'json' },
  ],
  ['= forms', ['--log=/l', '--log-format=json', 'create'], { file: '/l', format: 'json' }],
  ['text by default', ['--log', '/l', 'delete', 'c1'], { file: '/l', format: 'text' }],
  ['no log', ['--root', '/r', 'state', 'c1'], undefined],
  ["the wrapper's own --log-file is not the runtime's", ['--log-file', '/w', '--', 'run', 'c1'], undefined],
])('%s', (_name, argv, expected) => {
  expect(runtimeLog(argv)).toEqual(expected);
});

test('a JSON record as runc writes one (level, msg, time), or its logrus text line; appended', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-rtlog-'));
  const file = path.join(dir, 'log.json');
  fs.writeFileSync(file, '{"level":"info","msg":"earlier"}\n');
  const now = new Date('2026-11-25T10:00:00.123Z');
  writeRuntimeLog({ file, format: 'json' }, 'ocihooks-runtime: /h/bad.json: unknown stage "x"', now);
  writeRuntimeLog({ file, format: 'text' }, 'ocihooks-runtime: "quoted"', now);
  expect(fs.readFileSync(file, 'utf8').split('\n')).toEqual([
    '{"level":"info","msg":"earlier"}',
    '{"level":"error","msg":"ocihooks-runtime: /h/bad.json: unknown stage \\"x\\"","time":"2026-11-25T10:00:00.123Z"}',
    'time="2026-11-25T10:00:00.123Z" level=error msg="ocihooks-runtime: \\"quoted\\""',
    '',
  ]);
  writeRuntimeLog({ file: path.join(dir, 'no/such/dir/log.json'), format: 'json' }, 'x', now);
  fs.rmSync(dir, { recursive: true });
});
