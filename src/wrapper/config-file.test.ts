/** The runtime config file: its fields, how arguments override it, and every way it can be wrong. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { readRuntimeConfig } from './config-file';
import { parseWrapperOptions } from './command-line/options';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-rtconf-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};

test('a full file is read; arguments override it, annotations key by key', () => {
  const f = file(
    'full.json',
    JSON.stringify({
      runtime: 'crun',
      hooksDirs: ['/etc/h'],
      annotations: { 'com.hooks.slurm.activate': 'true', a: '1' },
      logFile: '/var/log/w.log',
      cdiSpecDirs: ['/etc/cdi-node'],
      prestartAs: 'prestart',
    }),
  );
  const config = readRuntimeConfig({ OCIHOOKS_RUNTIME_CONFIG: f });
  expect(config).toEqual({
    runtime: 'crun',
    hooksDirs: ['/etc/h'],
    annotations: { 'com.hooks.slurm.activate': 'true', a: '1' },
    logFile: '/var/log/w.log',
    cdiSpecDirs: ['/etc/cdi-node'],
    prestartAs: 'prestart',
    file: f,
  });
  expect(parseWrapperOptions(['--root', '/r', 'state', 'c1'], config)).toEqual({
    runtime: 'crun',
    hooksDirs: ['/etc/h'],
    annotations: { 'com.hooks.slurm.activate': 'true', a: '1' },
    logFile: '/var/log/w.log',
    cdiSpecDirs: ['/etc/cdi-node'],
    prestartAs: 'prestart',
    runtimeArgs: ['--root', '/r', 'state', 'c1'],
  });
  expect(
    parseWrapperOptions(
      [
        '--runtime',
        'runc',
        '--hooks-dir',
        '/x',
        '--annotation',
        'a=2',
        '--log-file',
        '/l',
        '--cdi-spec-dir',
        '/c',
        '--prestart-as',
        'createRuntime',
        '--',
        'run',
        'c1',
      ],
      config,
    ),
  ).toEqual({
    runtime: 'runc',
    hooksDirs: ['/x'],
    annotations: { 'com.hooks.slurm.activate': 'true', a: '2' },
    logFile: '/l',
    cdiSpecDirs: ['/c'],
    prestartAs: 'createRuntime',
    runtimeArgs: ['run', 'c1'],
  });
});

test('the default file, when absent, is no settings', () => {
  expect(readRuntimeConfig({})).toEqual(fs.existsSync('/etc/ocihooks/runtime.json') ? expect.any(Object) : {});
});

test.each([
  ['a named file that is not there', null, /^runtime config .*nope\.json \(OCIHOOKS_RUNTIME_CONFIG\): ENOENT/],
  ['not JSON', '{"runtime": ', /^runtime config .*: not valid JSON/],
  ['a misspelt field', '{"hooksDir": ["/h"]}', /^runtime config .*: .*hooksDir/],
  ['a field of the wrong type', '{"hooksDirs": "/h"}', /^runtime config .*: hooksDirs: expected array/],
  ['an empty runtime', '{"runtime": ""}', /^runtime config .*: runtime: /],
  ['a prestartAs it does not know', '{"prestartAs": "podman4"}', /^runtime config .*: prestartAs: /],
])('%s is exit 2 naming the file and field', (_name, text, message) => {
  const f = text === null ? path.join(dir, 'nope.json') : file(`${_name.replace(/\W+/g, '-')}.json`, text);
  let err: unknown;
  try {
    readRuntimeConfig({ OCIHOOKS_RUNTIME_CONFIG: f });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  expect((err as Error).message).toMatch(message);
});
