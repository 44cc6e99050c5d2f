/**
 * The installed front-end (native/front-end/) decides each shared case as
 * src/wrapper/testdata/front-end-cases.json says (the wrapper's side: wrapper-decision.test.ts);
 * where the two may differ (config files the front-end does not read, which it hands to the
 * wrapper) they are shown side by side. Then the built program for real: made for an
 * installation, it execs the runtime or the wrapper.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FRONT_END, frontEndCaseEnv, frontEndCases, wrapperDecision } from '../../test/support/front-end';
import { HOOK_LAUNCHER, frontEndFor, launcherOf } from '../admin/launcher-field';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-frontend-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const config = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const noRuntime = config('none.json', JSON.stringify({ hooksDirs: ['/h'] }, null, 2) + '\n');
const escaped = config('escaped.json', '{\n  "runtime": "/usr/sbin/r\\u0075nc"\n}\n');
// A key only a decoding reads as "runtime".
const escapedKey = config('escaped-key.json', '{\n  "\\u0072untime": "crun"\n}\n');
// JSON.parse keeps the last.
const twice = config('twice.json', '{\n  "runtime": "crun",\n  "runtime": "runc"\n}\n');
// Larger than the front-end reads (64 KiB): valid JSON that names crun on its first line.
const huge = config(
  'huge.json',
  `{\n  "runtime": "crun",\n  "hooksDirs": [${Array.from({ length: 7000 }, (_, i) => `"/h/${i}"`).join(', ')}]\n}\n`,
);

test.each(frontEndCases(fs.mkdtempSync(path.join(dir, 'cases-'))).map((c) => [c.name, c] as const))(
  '%s',
  (_name, c) => {
    const frontEnd = spawnSync(FRONT_END, c.argv, { env: frontEndCaseEnv(c), encoding: 'utf8' });
    expect([frontEnd.stdout.trim(), frontEnd.stderr]).toEqual([c.decision, '']);
  },
);

test.each([
  ['a runtime written with a JSON escape', escaped, 'exec /usr/sbin/runc [state] [c1]'],
  ['its "runtime" key written with a JSON escape', escapedKey, 'exec /usr/bin/crun [state] [c1]'],
  ['"runtime" twice', twice, 'exec /usr/sbin/runc [state] [c1]'],
  ['larger than 64 KiB', huge, 'exec /usr/bin/crun [state] [c1]'],
])(
  'a config file %s goes to the wrapper (which reads any JSON and then execs the runtime)',
  (_name, file, decision) => {
    if (file === huge) expect(fs.statSync(huge).size).toBeGreaterThan(65536);
    const env = { PATH: '/usr/bin:/bin', OCIHOOKS_FRONTEND_TRACE: '1', OCIHOOKS_RUNTIME_CONFIG: file };
    expect(spawnSync(FRONT_END, ['state', 'c1'], { env, encoding: 'utf8' }).stdout.trim()).toBe('wrapper');
    expect(wrapperDecision(['state', 'c1'], env)).toBe(decision);
  },
);

describe('the built front-end, made for an installation', () => {
  const built = fs.readFileSync(FRONT_END);
  // The wrapper stand-in says how it was called and, started for a create or run (the hand-off,
  // src/hook/server/hand-off.ts), answers as the wrapper does: with the runtime's command line when
  // WRAPPER_ANSWER names one, else with its exit code. A real installation has the node launcher there.
  /** The front-end made for an installation whose wrapper is `script` (written as `name`). */
  const installedWith = (name: string, script: string) => {
    const file = config(name, script);
    fs.chmodSync(file, 0o755);
    const installedAs = path.join(dir, `ocihooks-runtime-${name}`);
    fs.writeFileSync(installedAs, frontEndFor(built, FRONT_END, file), { mode: 0o755 });
    return { file, installedAs };
  };
  const standIn = (name: string, answer?: { path: string; argv: string[]; env: string[] }) =>
    installedWith(
      name,
      `#!${process.execPath}
const fs = require('node:fs');
fs.writeSync(1, 'wrapper as ' + __filename + ': ' + process.argv.slice(2).join(' ') + '\\n');
const relay = process.env.OCIHOOKS_RUNTIME_RELAY;
if (relay) {
  const answer = ${JSON.stringify(answer ?? null)};
  const words = (a, b, c, d) => { const h = Buffer.alloc(16); [a, b, c, d].forEach((w, i) => h.writeUInt32LE(w, 4 * i)); return h; };
  const strings = answer ? Buffer.from([answer.path, ...answer.argv, ...answer.env].map((x) => x + '\\0').join('')) : Buffer.alloc(0);
  const head = answer ? words(0x3152434f, answer.argv.length, answer.env.length, strings.length) : words(0x3152434f, 0, 0, 0);
  fs.writeSync(Number(relay.split(':')[0]), Buffer.concat([head, strings]));
}
`,
    );
  const { file: launcher, installedAs: installed } = standIn('launcher.js');
  const run = (program: string, argv: string[]) =>
    spawnSync(program, argv, {
      env: {
        PATH: '/usr/bin:/bin',
        OCIHOOKS_RUNTIME_CONFIG: noRuntime,
        OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'),
      },
      encoding: 'utf8',
    });

  test('a pass-through call becomes the runtime, with the arguments after ours', () => {
    const r = run(installed, ['--runtime', '/bin/echo', '--', 'state', 'c1 two words']);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'state c1 two words\n', '']);
  });
  test('create becomes the wrapper, with every argument', () => {
    const r = run(installed, ['--root', '/r', 'create', '--bundle', '/b', 'c1']);
    expect([r.status, r.stdout, r.stderr]).toEqual([
      0,
      `wrapper as ${launcher}: --root /r create --bundle /b c1\n`,
      '',
    ]);
  });
  test("create and run: the runtime's command line the wrapper sends back is what the front-end becomes, its environment exactly that", () => {
    const { installedAs } = standIn('answering.js', {
      path: '/usr/bin/env',
      argv: ['env', '-0'],
      env: ['A=1', 'EMPTY='],
    });
    for (const sub of ['create', 'run']) {
      const r = run(installedAs, [sub, '--bundle', '/b', 'c1']);
      expect([r.status, r.stdout, r.stderr]).toEqual([
        0,
        `wrapper as ${path.join(dir, 'answering.js')}: ${sub} --bundle /b c1\nA=1\0EMPTY=\0`,
        '',
      ]);
    }
  });
  test('the wrapper gets no fd of the engine past stdio but the hand-off pipe', () => {
    // Files as fds 3, 4 and 9 of the front-end, as an engine passes --preserve-fds or a sync pipe to
    // runc: below the hand-off pipe's fds and above them.
    const { installedAs } = installedWith(
      'lister.sh',
      '#!/bin/sh\nfor f in /proc/$$/fd/*; do readlink "$f"; done\n{ printf OCR1; head -c 12 /dev/zero; } >&${OCIHOOKS_RUNTIME_RELAY%%:*}\n',
    );
    const given = ['given-3', 'given-4', 'given-9'].map((f) => config(f, ''));
    const fds = given.map((f) => fs.openSync(f, 'r'));
    const r = spawnSync(installedAs, ['create', 'c1'], {
      env: {
        PATH: '/usr/bin:/bin',
        OCIHOOKS_RUNTIME_CONFIG: noRuntime,
        OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'),
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe', fds[0], fds[1], 'ignore', 'ignore', 'ignore', 'ignore', fds[2]],
    });
    for (const fd of fds) fs.closeSync(fd);
    const open = r.stdout.trim().split('\n');
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(open.some((l) => l.startsWith('pipe:'))).toBe(true); // the hand-off's, at least
    expect(open.filter((l) => given.includes(l))).toEqual([]);
  });
  test('the wrapper holds a pidfd of the front-end (the runtime to be), opened before the wrapper started', () => {
    const { installedAs } = installedWith(
      'pidfd-lister.sh',
      '#!/bin/sh\nfd=${OCIHOOKS_RUNTIME_RELAY##*:}\nreadlink /proc/$$/fd/$fd\ngrep "^Pid:" /proc/$$/fdinfo/$fd\n' +
        '{ printf OCR1; head -c 12 /dev/zero; } >&${OCIHOOKS_RUNTIME_RELAY%%:*}\n',
    );
    const r = run(installedAs, ['create', 'c1']);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `anon_inode:[pidfd]\nPid:\t${r.pid}\n`, '']);
  });
  describe('the environment the wrapper is started with', () => {
    const { installedAs } = installedWith(
      'env-lister.sh',
      "#!/bin/sh\nenv | grep -E '^OCIHOOKS_(RUNTIME_RELAY|RUNTIME_EARLY|PRECREATE_KEY|ASIDE_)' | cut -c1-80 | sort\n" +
        '[ -z "$OCIHOOKS_RUNTIME_RELAY" ] || { printf OCR1; head -c 12 /dev/zero; } >&${OCIHOOKS_RUNTIME_RELAY%%:*}\n',
    );
    const runWith = (argv: string[], extra: Record<string, string>) =>
      spawnSync(installedAs, argv, {
        env: {
          PATH: '/usr/bin:/bin',
          OCIHOOKS_RUNTIME_CONFIG: noRuntime,
          OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'),
          ...extra,
        },
        encoding: 'utf8',
      });
    // Only the front-end sets these, beside a hand-off it made: from an engine, a forgery (the
    // wrapper, as root, would serve and then remove a socket of its choosing).
    const forged = {
      OCIHOOKS_RUNTIME_RELAY: '99:1',
      OCIHOOKS_RUNTIME_EARLY: '98:1:/tmp/not-a-server.sock',
      OCIHOOKS_PRECREATE_KEY: 'forged',
    };
    test('create (the wrapper apart): its own hand-off alone', () => {
      const r = runWith(['create', 'c1'], forged);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(/^OCIHOOKS_RUNTIME_RELAY=\d+:\d+(:\d+)?\n$/);
    });
    test('the plain hand-off: none of them', () => {
      const r = runWith(['--runtime', path.join(dir, 'no-such-runc'), '--', 'state', 'c1'], {
        ...forged,
        NODE_OPTIONS: '--require=/x',
      });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, 'OCIHOOKS_ASIDE_NODE_OPTIONS=--require=/x\n', '']);
    });
    const tooMany = Object.fromEntries(Array.from({ length: 8200 }, (_, i) => [`V${i}`, '1']));
    const tooLarge = { NODE_A: 'x'.repeat(60000), NODE_OPTIONS: `--require=/${'x'.repeat(10000)}` };
    test.each([
      [
        'create, more variables than it passes on',
        ['create', 'c1'],
        tooMany,
        'the environment holds more than 8191 variables, the most this installation starts Node with',
      ],
      [
        'create, NODE_* past the room to set them aside',
        ['create', 'c1'],
        tooLarge,
        'its NODE_* variables need more than the 64 KiB this installation sets aside for Node',
      ],
      [
        'the plain hand-off, more variables',
        ['--runtime', path.join(dir, 'no-such-runc'), '--', 'state', 'c1'],
        tooMany,
        'the environment holds more than 8191 variables, the most this installation starts Node with',
      ],
    ])('%s: one line naming the limit, exit 2, no wrapper', (_name, argv, extra, limit) => {
      const r = runWith(argv, extra);
      expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `ocihooks-runtime: not started: ${limit}\n`]);
    });
  });
  test('a wrapper that ends without an answer: one line, exit 1', () => {
    const { installedAs } = installedWith('silent.sh', '#!/bin/sh\nexit 3\n');
    expect(run(installedAs, ['create', 'c1'])).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'ocihooks-runtime: the wrapper ended without an answer\n',
    });
  });
  test('a runtime that cannot be run goes to the wrapper, which reports it', () => {
    const r = run(installed, ['--runtime', path.join(dir, 'no-such-runc'), '--', 'state', 'c1']);
    expect(r.stdout).toBe(`wrapper as ${launcher}: --runtime ${path.join(dir, 'no-such-runc')} -- state c1\n`);
  });
  test('the launcher gone: one line naming it, exit 127', () => {
    const gone = path.join(dir, 'ocihooks-runtime-gone');
    fs.writeFileSync(gone, frontEndFor(built, FRONT_END, path.join(dir, 'no-such-launcher')), { mode: 0o755 });
    const r = run(gone, ['create', 'c1']);
    expect([r.status, r.stdout, r.stderr]).toEqual([
      127,
      '',
      `ocihooks-runtime: ${path.join(dir, 'no-such-launcher')}: not found (reinstall with \`ocihooks install\`)\n`,
    ]);
  });
  test.each([
    [
      'json',
      ['--log-format', 'json'],
      (line: string, message: string) => {
        const record = JSON.parse(line);
        expect(record).toEqual({
          level: 'error',
          msg: message,
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        });
        return record.time as string;
      },
    ],
    [
      "text (runc's default)",
      [],
      (line: string, message: string) => {
        const m = /^time="([^"]+)" level=error msg=(".*")$/.exec(line);
        expect(m && JSON.parse(m[2] as string)).toBe(message);
        return (m as RegExpExecArray)[1] as string;
      },
    ],
  ])(
    "its own failure also goes to the runtime's --log, as runc writes a record (%s), where docker and containerd read it",
    (_name, format, check) => {
      const gone = path.join(dir, 'ocihooks-runtime-gone-log');
      const launcherPath = path.join(dir, 'no-such "launcher"\t');
      fs.writeFileSync(gone, frontEndFor(built, FRONT_END, launcherPath), { mode: 0o755 });
      const log = path.join(dir, `runtime-${format.length}.log`);
      fs.writeFileSync(log, '{"level":"info","msg":"before"}\n');
      const before = Date.now();
      const r = run(gone, ['--root', '/r', '--log', log, ...format, 'create', '--bundle', '/b', 'c1']);
      const message = `ocihooks-runtime: ${launcherPath}: not found (reinstall with \`ocihooks install\`)`;
      expect([r.status, r.stderr]).toEqual([127, `${message}\n`]);
      const lines = fs.readFileSync(log, 'utf8').split('\n');
      expect(lines.length).toBe(3); // the earlier record kept, one added, the final newline
      const time = Date.parse(check(lines[1] as string, message));
      expect(time).toBeGreaterThanOrEqual(before - 1000);
      expect(time).toBeLessThanOrEqual(Date.now() + 1000);
    },
  );

  test('not made for an installation: one line, exit 2', () => {
    const r = run(FRONT_END, ['create', 'c1']);
    expect([r.status, r.stdout, r.stderr]).toEqual([
      2,
      '',
      'ocihooks-runtime: this front-end knows no wrapper to run (install it with `ocihooks install`)\n',
    ]);
  });
});

describe("frontEndFor and launcherOf: the wrapper path in the front-end's field", () => {
  const field = (rest: string) =>
    Buffer.concat([Buffer.from(`ocihooks-runtime-launcher=${rest}`), Buffer.alloc(4096 - 26 - rest.length)]);
  const program = Buffer.concat([Buffer.from('head'), field('@unset@'), Buffer.from('tail')]);
  test('the path after the tag, then zeros to the end of the field; the rest untouched; read back', () => {
    const out = frontEndFor(program, 'f', '/p/libexec/ocihooks-runtime');
    expect(out.length).toBe(program.length);
    expect(out.subarray(0, 4).toString()).toBe('head');
    expect(
      out
        .subarray(4, 4 + 4096)
        .toString()
        .replace(/\0+$/, ''),
    ).toBe('ocihooks-runtime-launcher=/p/libexec/ocihooks-runtime');
    expect(out.subarray(4 + 4096).toString()).toBe('tail');
    expect(launcherOf(out)).toBe('/p/libexec/ocihooks-runtime');
    expect(launcherOf(program)).toBeUndefined(); // as built: "@unset@"
  });
  test('the built program: unset, then made for an installation', () => {
    const built = fs.readFileSync(FRONT_END);
    expect(launcherOf(built)).toBeUndefined();
    expect(launcherOf(frontEndFor(built, FRONT_END, '/opt/x/libexec/ocihooks-runtime'))).toBe(
      '/opt/x/libexec/ocihooks-runtime',
    );
  });
  test.each([
    [
      'no field',
      Buffer.from('an ordinary program'),
      '/p',
      'f: not the ocihooks-runtime front-end (its launcher field is missing); rebuild with npm run build',
    ],
    [
      'the field twice',
      Buffer.concat([program, program]),
      '/p',
      'f: not the ocihooks-runtime front-end (its launcher field is there twice); rebuild with npm run build',
    ],
    [
      'a relative wrapper path',
      program,
      'libexec/ocihooks-runtime',
      "libexec/ocihooks-runtime: the wrapper's path must be absolute",
    ],
    [
      'a wrapper path too long',
      program,
      `/${'x'.repeat(4069)}`,
      `/${'x'.repeat(4069)}: the wrapper's path is longer than the front-end can hold (4069 bytes)`,
    ],
  ])('%s: refused', (_name, bytes, launcher, message) =>
    expect(() => frontEndFor(bytes, 'f', launcher)).toThrow(message),
  );
  test('the longest path that fits', () =>
    expect(launcherOf(frontEndFor(program, 'f', `/${'x'.repeat(4068)}`))).toBe(`/${'x'.repeat(4068)}`));
  test("the hook launcher's field with the mark of one process per hook in front of the path: written, read back", () => {
    const hookField = Buffer.concat([Buffer.from('ocihooks-hook-launcher=@unset@'), Buffer.alloc(4096 - 30)]);
    const out = frontEndFor(hookField, 'f', '/p/libexec/ocihook-mount', HOOK_LAUNCHER, 'separate:');
    expect(out.toString().replace(/\0+$/, '')).toBe('ocihooks-hook-launcher=separate:/p/libexec/ocihook-mount');
    expect(launcherOf(out, HOOK_LAUNCHER)).toBe('/p/libexec/ocihook-mount');
    // The mark takes room from the path: 4096 - the tag - the mark - the ending zero.
    expect(() => frontEndFor(hookField, 'f', `/${'x'.repeat(4063)}`, HOOK_LAUNCHER, 'separate:')).toThrow(
      `/${'x'.repeat(4063)}: the hook program's path is longer than the hook launcher can hold (4063 bytes)`,
    );
  });
});
