/**
 * Bad input: one clear line on stderr naming the field or file, exit 2, nothing done.
 * Runs the built programs as a runtime or a person would.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, makeBundle, makeBusyboxRootfs, requireBuilt, run, tmpDir } from '../support/e2e';

requireBuilt();
const dir = tmpDir('bad-input');
const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['true'] });
const noConfig = path.join(dir, 'no-config');
fs.mkdirSync(noConfig);
const badConfig = path.join(dir, 'bad-config');
fs.mkdirSync(badConfig);
fs.writeFileSync(path.join(badConfig, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 5 } }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

const state = (extra: object) => JSON.stringify({ ociVersion: '1.0.2', id: 'c1', pid: 0, bundle, ...extra });

describe.each(['ocihook-mount', 'ocihook-ldconfig'])('%s: bad input exits 2 with one line', (program) => {
  test.each([
    ['not JSON', () => ['--state-file', file('s1.json', '{oops')], /state file .*s1\.json: not valid JSON/],
    ['empty state', () => ['--state-file', file('s2.json', '')], /state file .*s2\.json: empty/],
    [
      'missing bundle',
      () => ['--state-file', file('s3.json', JSON.stringify({ ociVersion: '1.0.2', id: 'c1' }))],
      /s3\.json: bundle: expected string, got missing/,
    ],
    [
      'pid of the wrong type',
      () => ['--state-file', file('s4.json', state({ pid: 'seven' }))],
      /s4\.json: pid: expected number, got string/,
    ],
    ['negative pid', () => ['--state-file', file('s5.json', state({ pid: -3 }))], /s5\.json: pid: must be at least 0/],
    [
      'no such state file',
      () => ['--state-file', path.join(dir, 'absent.json')],
      /state file .*absent\.json: no such file/,
    ],
    [
      'bundle that does not exist',
      () => ['--state-file', file('s6.json', state({ bundle: '/nonexistent/bundle' }))],
      /bundle \/nonexistent\/bundle: no such directory/,
    ],
    [
      'bundle without config.json',
      () => ['--state-file', file('s7.json', state({ bundle: noConfig }))],
      /config .*no-config\/config\.json: no such file/,
    ],
    [
      'config with a wrong field',
      () => ['--state-file', file('s8.json', state({ bundle: badConfig }))],
      /config .*bad-config\/config\.json: root\.path: expected string, got number/,
    ],
    [
      'a pid that does not exist',
      () => ['--state-file', file('s9.json', state({ pid: 999999 }))],
      /state pid 999999: no such process/,
    ],
    ['an unknown option', () => ['--no-such-option'], /Unknown argument/],
    // yargs would read it as false: the hook would act where a dry run was asked for.
    ['a boolean with another value', () => ['--dry-run=yes'], /: --dry-run=yes: --dry-run takes true or false$/],
    [
      'a bad choice (yargs words it on three lines)',
      () => ['--log-level=bogus'],
      /: Invalid values: Argument: log-level, Given: "bogus", Choices: "fatal", .*"silent"$/,
    ],
    [
      'a place for the linker cache that is none',
      () => ['--linker-cache=image'],
      /: Invalid values: Argument: linker-cache, Given: "image", Choices: "auto", "root", "mount"$/,
    ],
    [
      'a single-valued option given twice',
      () => ['--log-file=/dev/null'],
      /: --log-file given 2 times, with different values \("-", "\/dev\/null"\): it takes one$/,
    ],
  ])('%s', (_name, args, message) => {
    const r = run(process.execPath, [BIN(program), '--log-file=-', ...args()]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${program}: `));
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('--help exits 0', () => {
    const r = run(process.execPath, [BIN(program), '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--state-file/);
  });
});

test('ocihook-mount: a --device that is not a device exits 2 naming it', () => {
  const r = run(process.execPath, [
    BIN('ocihook-mount'),
    '--log-file=-',
    '--device=/etc/passwd',
    '--state-file',
    file('d1.json', state({})),
  ]);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    "ocihook-mount: Invalid device request '/etc/passwd': /etc/passwd is not a character or block device (a file)\n",
  );
});

test('ocihook-mount: a grammar error is reported before the state is read', () => {
  const r = run(process.execPath, [BIN('ocihook-mount'), '--log-file=-', '--mount=type=bind,src=/a'], { input: '' });
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    "ocihook-mount: Invalid mount request 'type=bind,src=/a': no destination specified. Use either 'destination', 'dst' or 'target'.\n",
  );
});

test('ocihook-mount --dry-run on a fixture prints a JSON plan', () => {
  const r = run(process.execPath, [
    BIN('ocihook-mount'),
    '--log-file=-',
    '--mount=type=bind,src=/etc,dst=/host-etc,readonly',
    '--state-file',
    file('p.json', state({})),
    '--dry-run',
  ]);
  expect(r.status).toBe(0);
  const plan = JSON.parse(r.stdout);
  expect(plan.actions).toEqual([
    {
      action: 'bind',
      source: '/etc',
      destination: '/host-etc',
      kind: 'directory',
      readonly: true,
      user: { uid: 0, gid: 0 },
      ownFilesystems: true,
    },
  ]);
  expect(plan.container).toEqual({ id: 'c1', bundle, rootfs: path.join(dir, 'rootfs') });
});

test('a hook whose log file cannot be opened (a path under /proc) says so in one warning line and still does its work', () => {
  const r = run(
    process.execPath,
    [
      BIN('ocihook-mount'),
      '--log-file=/proc/no-such/hook.log',
      '--dry-run',
      '--state-file',
      file('log1.json', state({})),
    ],
    { timeoutMs: 20_000 },
  );
  expect(r.status).toBe(0);
  expect(r.stderr.trim().split('\n')).toEqual([
    expect.stringMatching(/^ocihook-mount: warning: log file \/proc\/no-such\/hook\.log: .*; logging disabled$/),
  ]);
  expect(JSON.parse(r.stdout).hook).toBe('mount');
});

test("errors keep their cause up to the top: the hook's log record of its failure carries the errno", () => {
  const log = path.join(dir, 'mount.log');
  const hook = BIN('ocihook-mount');
  const r = spawnSync(process.execPath, [hook, '--state-file', path.join(dir, 'no-state.json'), '--log-file', log], {
    encoding: 'utf8',
  });
  expect([r.status, r.stderr]).toEqual([
    2,
    `ocihook-mount: state file ${path.join(dir, 'no-state.json')}: no such file\n`,
  ]);
  const record = JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').pop() as string);
  expect([record.exitCode, record.code]).toEqual([2, 'ENOENT']);
});
