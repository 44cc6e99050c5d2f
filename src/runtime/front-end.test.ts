/**
 * The installed front-end (native/runtime-front-end.c) and the wrapper read a command line the
 * same way: for each line the front-end either hands it to the wrapper or execs the same runtime
 * with the same arguments the wrapper would; the wrapper's decision is computed from its own
 * parsers (options.ts, args.ts, config-file.ts). Calls the wrapper would refuse go to the wrapper.
 * Then the built program for real: made for an installation, it execs the runtime or the wrapper.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FRONT_END } from '../../test/support/front-end';
import { frontEndFor, launcherOf } from '../admin/front-end';
import { parseRuntimeArgs } from './args';
import { readRuntimeConfig } from './config-file';
import { parseWrapperOptions, resolveRuntime } from './options';
import { withPerUserRoot } from './per-user-root';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-frontend-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const config = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const installed = config('installed.json', JSON.stringify({ runtime: 'crun', hooksDirs: ['/h'] }, null, 2) + '\n');
const absolute = config('absolute.json', JSON.stringify({ runtime: '/usr/sbin/runc' }, null, 2) + '\n');
const noRuntime = config('none.json', JSON.stringify({ hooksDirs: ['/h'] }, null, 2) + '\n');
const oneLine = config('one-line.json', JSON.stringify({ runtime: 'crun' }));
const broken = config('broken.json', '{"runtime": ');
// Laid out by hand: spacing, a last field without a comma and no final newline, "runtime" as a
// value elsewhere, an empty value, a value the front-end will not read.
const spaced = config('spaced.json', '{\n\t "hooksDirs" : ["/h"],\n   "runtime"   :   "crun"   \n}');
const mentioned = config(
  'mentioned.json',
  JSON.stringify({ annotations: { what: '"runtime"' }, runtime: 'crun' }, null, 2) + '\n',
);
const mentionedOnly = config(
  'mentioned-only.json',
  JSON.stringify({ annotations: { k: 'the "runtime" key' } }, null, 2) + '\n',
);
const empty = config('empty-runtime.json', '{\n  "runtime": ""\n}\n');
// Users' runtime roots: c1 in 1000's, "shared" in 1001's and 1000's (1000 wins), 7's for %U twice, a non-numeric folder.
const users = path.join(dir, 'users');
for (const p of ['1000/runc/c1', '1001/runc/shared', '1000/runc/shared', '7/x/7/c1', 'nobody/runc/c9', '0/runc'])
  fs.mkdirSync(path.join(users, p), { recursive: true });
const escaped = config('escaped.json', '{\n  "runtime": "/usr/sbin/r\\u0075nc"\n}\n');
// Larger than the front-end reads (64 KiB): valid JSON that names crun on its first line.
const huge = config(
  'huge.json',
  `{\n  "runtime": "crun",\n  "hooksDirs": [${Array.from({ length: 7000 }, (_, i) => `"/h/${i}"`).join(', ')}]\n}\n`,
);

/** What the wrapper does with argv: runs its own code ("wrapper") or becomes the runtime. */
function wrapperDecision(argv: string[], env: NodeJS.ProcessEnv): string {
  try {
    const o = parseWrapperOptions(argv, readRuntimeConfig(env));
    if (o.answer) return 'wrapper'; // runs the wrapper's own code
    const cmd = parseRuntimeArgs(o.runtimeArgs, '/');
    if (cmd.subcommand === 'create' || cmd.subcommand === 'run') return 'wrapper';
    const args = o.rootPerUser !== undefined ? withPerUserRoot(o.rootPerUser, o.runtimeArgs, cmd) : o.runtimeArgs;
    return `exec ${resolveRuntime(o.runtime)}${args.map((a) => ` [${a}]`).join('')}`;
  } catch {
    return 'wrapper'; // an error: the wrapper reports it
  }
}

const ROWS: [string, string[], string?][] = [
  ['pass-through after --', ['--', 'state', 'c1']],
  [
    'containerd delete, no options of ours',
    ['--root', '/run/containerd/runc/k8s.io/x', '--log', '/run/x/log.json', '--log-format', 'json', 'delete', 'c1'],
  ],
  [
    'containerd create',
    ['--root', '/r', '--log', '/l', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/pid', 'c1'],
  ],
  ['run', ['--hooks-dir', '/h', '--', 'run', '-b', '/b', 'c1']],
  [
    'crun by name, = forms',
    ['--runtime=crun', '--hooks-dir=/h', '--annotation=k=v', '--log-file=/l', '--', 'kill', 'c1', 'KILL'],
  ],
  ['runtime by path', ['--runtime', '/usr/sbin/runc', '--', 'list']],
  ['a relative runtime path is refused', ['--runtime', 'bin/runc', '--', 'state', 'c1']],
  ['an unknown runtime is refused', ['--runtime', 'no-such-runtime', '--', 'state', 'c1']],
  ['a misspelt option before --', ['--hook-dir', '/h', '--', 'state', 'c1']],
  ['a bad annotation', ['--annotation', 'novalue', '--', 'state', 'c1']],
  ['an empty annotation key', ['--annotation==v', '--', 'state', 'c1']],
  ['an option without its value', ['--runtime']],
  ['--ocihooks-version', ['--ocihooks-version']],
  // --root-per-user (Slurm 22.05's end-of-step calls, as root here): the roots under `users`.
  [
    '--root-per-user: the user whose root holds the container',
    ['--root-per-user', `${users}/%U/runc`, '--', 'state', 'c1'],
  ],
  [
    '--root-per-user=, no --, kill: the smallest such uid',
    ['--root-per-user=' + `${users}/%U/runc`, 'kill', 'shared', 'SIGTERM'],
  ],
  [
    '--root-per-user, delete --force: nobody holds it (uid 0)',
    ['--root-per-user', `${users}/%U/runc`, '--', 'delete', '--force', 'c9'],
  ],
  ['--root-per-user, an id with a slash', ['--root-per-user', `${users}/%U/runc`, '--', 'state', 'a/b']],
  ['--root-per-user, %U twice', ['--root-per-user', `${users}/%U/x/%U`, '--', 'state', 'c1']],
  ['--root-per-user, no folder holds the uids', ['--root-per-user', `${dir}/no-users/%U/runc`, '--', 'state', 'c1']],
  [
    "--root-per-user and the runtime's --root",
    ['--root-per-user', `${users}/%U/runc`, '--', '--root', '/r', 'state', 'c1'],
  ],
  ['--root-per-user, relative', ['--root-per-user', 'run/%U/runc', '--', 'state', 'c1']],
  ['--root-per-user, %U inside a name', ['--root-per-user', '/run/user-%U/runc', '--', 'state', 'c1']],
  ['--root-per-user, another %', ['--root-per-user', `${users}/%U/%n`, '--', 'state', 'c1']],
  [
    '--root-per-user, create (the wrapper)',
    ['--root-per-user', `${users}/%U/runc`, '--', 'create', '--bundle', '/b', 'c1'],
  ],
  ['--root-per-user, no subcommand', ['--root-per-user', `${users}/%U/runc`, '--', '--version']],
  ['--root-per-user without its value', ['--root-per-user']],
  ['no subcommand', ['--version']],
  ['exec with its own options', ['--', '--root', '/r', 'exec', '--tty', 'c1', 'sh', '-c', 'echo run']],
  ['boolean globals before the subcommand', ['--debug', '--systemd-cgroup', 'pause', 'c1']],
  ['the config file names the runtime', ['--', 'state', 'c1'], installed],
  ['the config file names a path', ['state', 'c1'], absolute],
  ['the config file names none', ['state', 'c1'], noRuntime],
  ['--runtime wins over the file', ['--runtime', 'runc', '--', 'state', 'c1'], installed],
  ['a broken config file', ['state', 'c1'], broken],
  ['spacing, no comma, no final newline', ['state', 'c1'], spaced],
  ['"runtime" also inside a value', ['state', 'c1'], mentioned],
  ['"runtime" only inside a value', ['state', 'c1'], mentionedOnly],
  ['an empty runtime', ['state', 'c1'], empty],
  ['a named config file that is not there', ['state', 'c1'], path.join(dir, 'nope.json')],
  ['an empty --runtime=', ['--runtime=', '--', 'state', 'c1']],
  ['--runtime .. (a folder, not a program)', ['--runtime', '..', '--', 'state', 'c1']],
  ['--runtime naming a folder in the program folders', ['--runtime', 'X11', '--', 'state', 'c1']],
  ['an empty --runtime value', ['--runtime', '', '--', 'state', 'c1'], installed],
  ['an empty argument as the subcommand', ['--root', '/r', '', 'c1']],
  ['--bundle= after create (an engine-style create goes to the wrapper)', ['create', '--bundle=/b', 'c1'], installed],
];

// Every row has three entries: a two-entry row would make jest pass `done` as the third argument.
test.each(ROWS.map(([name, argv, configFile]) => [name, argv, configFile ?? ''] as const))(
  '%s',
  (_name, argv, configFile) => {
    const env = {
      PATH: '/usr/bin:/bin',
      OCIHOOKS_FRONTEND_TRACE: '1',
      ...(configFile ? { OCIHOOKS_RUNTIME_CONFIG: configFile } : {}),
    };
    const frontEnd = spawnSync(FRONT_END, argv, { env, encoding: 'utf8' });
    expect(frontEnd.stderr).toBe('');
    expect(frontEnd.stdout.trim()).toBe(wrapperDecision(argv, env));
  },
);

test.each([
  ['not laid out one field per line', oneLine, 'exec /usr/bin/crun [state] [c1]'],
  ['a runtime written with a JSON escape', escaped, 'exec /usr/sbin/runc [state] [c1]'],
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
  // The wrapper stand-in says how it was called; a real installation has the node launcher there.
  const launcher = config('launcher.sh', '#!/bin/sh\necho "wrapper as $0:" "$@"\n');
  fs.chmodSync(launcher, 0o755);
  const installed = path.join(dir, 'ocihooks-runtime');
  fs.writeFileSync(installed, frontEndFor(built, FRONT_END, launcher), { mode: 0o755 });
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
});
