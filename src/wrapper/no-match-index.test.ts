/**
 * The no-match index: when the wrapper writes it, and when the installed front-end
 * (native/front-end/) trusts it to send create/run straight to the runtime.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FRONT_END } from '../../test/support/front-end';
import type { HookFile, HooksRead } from '../hooksd/read';
import type { When } from '../hooksd/schema';
import {
  type IndexCall,
  appliesWithoutAnnotations,
  indexText,
  noMatchIndexFile,
  updateNoMatchIndex,
  writeIndex,
} from './no-match-index';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-index-'));
afterAll(() => fs.rmSync(base, { recursive: true }));

const hook = (name: string, when: Omit<When, 'or'>, or = false): HookFile => ({
  file: `/h/${name}.json`,
  name: `${name}.json`,
  status: 'ok',
  def: { version: '1.0.0', hook: { path: '/bin/true' }, when: { ...when, or }, stages: ['createContainer'] },
});
const read = (hooks: HookFile[], refusal?: string): HooksRead => ({
  hooks,
  skipped: [],
  files: hooks,
  ...(refusal ? { refusal } : {}),
});

describe('which hooks.d entries can apply to a container without annotations', () => {
  test.each<[string, Omit<When, 'or'>, boolean]>([
    ['an annotation condition', { annotations: { '^a$': '.' } }, false],
    ['always', { always: true }, true],
    ['always: false', { always: false }, false],
    ['hasBindMounts', { hasBindMounts: true }, true],
    ['hasBindMounts and an annotation (both needed)', { hasBindMounts: true, annotations: { a: '.' } }, false],
    ['commands (a command match decides alone)', { commands: ['sh'], annotations: { a: '.' } }, true],
    ['no condition at all (never applies)', {}, false],
  ])('%s', (_name, when, expected) => expect(appliesWithoutAnnotations({ ...when, or: false })).toBe(expected));
  test('a 0.1.0 file (or): hasBindMounts alone is enough', () =>
    expect(appliesWithoutAnnotations({ hasBindMounts: true, annotations: { a: '.' }, or: true })).toBe(true));
});

describe('the wrapper writes the index only for an engine-style call with nothing that could match', () => {
  const call = (over: Partial<Parameters<typeof updateNoMatchIndex>[0]> = {}) => ({
    optionsOnLine: false,
    configFile: '/etc/ocihooks/runtime.json',
    annotations: {},
    inSlurmStep: false,
    dirs: ['/h'],
    read: read([hook('gpu', { annotations: { '^cdi': '.' } })]),
    readAt: Date.now() - 5000,
    ...over,
  });
  const file = path.join(base, 'writer', 'index');

  test('written, dated 50 ms before the folders were read', () => {
    const c = call();
    fs.rmSync(file, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateNoMatchIndex(c, file)).toBe('written');
    expect(fs.readFileSync(file, 'utf8')).toBe(indexText('/etc/ocihooks/runtime.json', ['/h']));
    expect(Math.abs(fs.statSync(file).mtimeMs - (c.readAt - 50))).toBeLessThan(2);
  });
  test.each([
    [
      'a hook that always applies',
      { read: read([hook('gpu', { annotations: { '^cdi': '.' } }), hook('all', { always: true })]) },
    ],
    ['annotations from the config file', { annotations: { 'com.hooks.slurm.activate': 'true' } }],
    ['a Slurm step', { inSlurmStep: true }],
    ['hooks.d podman refuses', { read: read([], 'bad.json: broken') }],
    [
      // It applies once its program is there, which changes nothing the index covers.
      'a file podman skips for its missing program',
      {
        read: {
          ...read([hook('gpu', { annotations: { '^cdi': '.' } })]),
          skipped: [{ file: '/h/s.json', name: 's.json', status: 'missing-hook', error: 'stat: gone' } as HookFile],
        },
      },
    ],
  ] as [string, Partial<IndexCall>][])('removed after %s', (_name, over) => {
    fs.rmSync(file, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateNoMatchIndex(call(), file)).toBe('written');
    expect(updateNoMatchIndex(call(over), file)).toBe('removed');
    expect(fs.existsSync(file)).toBe(false);
  });
  test('a relative OCIHOOKS_RUNTIME_INDEX: no index at all', () => {
    expect(noMatchIndexFile({ OCIHOOKS_RUNTIME_INDEX: 'runtime-index' })).toBeUndefined();
    expect(noMatchIndexFile({ OCIHOOKS_RUNTIME_INDEX: '/var/run/x' })).toBe('/var/run/x');
    expect(noMatchIndexFile({})).toBe('/run/ocihooks/runtime-index');
  });

  test.each([
    ['options on the line', { optionsOnLine: true }],
    ['no config file', { configFile: undefined }],
  ] as const)('left as it is with %s', (_name, over) => {
    fs.rmSync(file, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateNoMatchIndex(call(), file)).toBe('written');
    expect(updateNoMatchIndex({ ...call(), ...over }, file)).toBe('left');
    expect(fs.existsSync(file)).toBe(true);
  });
});

describe('the front-end sends create/run straight to the runtime only while the index holds', () => {
  const dir = path.join(base, 'front');
  const hooksDir = path.join(dir, 'hooks.d');
  const config = path.join(dir, 'runtime.json');
  const index = path.join(dir, 'index');
  const bundle = path.join(dir, 'bundle');
  const past = (p: string, secondsAgo: number) =>
    fs.utimesSync(p, new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  /**
   * Dates the index now, between two pauses: every file written before is older than it and every
   * change after is newer, by more than a tick of the kernel's coarse clock that dates files.
   * (Modification times alone cannot set that order: a status change is always dated now.)
   */
  function reindex(): void {
    pause(25);
    fs.utimesSync(index, new Date(), new Date());
    pause(25);
  }
  /** A fresh layout: config and hooks.d, then the index, a bundle without annotations. */
  function layout(): void {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(hooksDir, { recursive: true });
    fs.mkdirSync(bundle);
    fs.writeFileSync(path.join(hooksDir, 'gpu.json'), '{}');
    fs.writeFileSync(config, JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir] }, null, 2) + '\n');
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({ ociVersion: '1.0.2', process: { args: ['true'] } }),
    );
    fs.writeFileSync(index, indexText(config, [hooksDir, path.join(dir, 'not-there')]));
    reindex();
  }
  const decide = (args = ['create', '--bundle', bundle, 'c1'], cwd = dir) =>
    spawnSync(FRONT_END, args, {
      env: {
        PATH: '/usr/bin:/bin',
        OCIHOOKS_FRONTEND_TRACE: '1',
        OCIHOOKS_RUNTIME_CONFIG: config,
        OCIHOOKS_RUNTIME_INDEX: index,
      },
      encoding: 'utf8',
      cwd,
    }).stdout.trim();
  const straight = (args = ['create', '--bundle', bundle, 'c1']) =>
    `exec /usr/sbin/runc${args.map((a) => ` [${a}]`).join('')}`;

  test.each([
    ['create --bundle', ['create', '--bundle', bundle, 'c1'], dir],
    ['run -b, relative to the current folder', ['run', '-b', 'bundle', 'c1'], dir],
    ['create with the bundle as the current folder', ['--root', '/r', 'create', 'c1'], bundle],
  ])('the index holds: %s goes straight to runc', (_name, args, cwd) => {
    layout();
    expect(decide(args, cwd)).toBe(straight(args));
  });

  test.each([
    ['"annotations" as a value', '{"ociVersion": "1.0.2", "process": {"args": ["echo", "annotations"]}}'],
    ['"annotations" as a key below the top', '{"ociVersion": "1.0.2", "linux": {"annotations": {}}}'],
    // Go's encoder writes <, > and & as \u escapes.
    ['escapes', '{"ociVersion": "1.0.2", "process": {"env": ["A=\\u003c\\u0026\\n\\"\\\\\\/"]}}'],
    ['numbers and literals', '{"ociVersion": "1.0.2", "x": [-0.5e+3, 0, 1E-2, 10, true, false, null]}'],
  ])("the index holds with %s in the bundle's config.json: straight to runc", (_name, text) => {
    layout();
    expect(JSON.parse(text)).toBeTruthy(); // JSON as the wrapper reads it
    fs.writeFileSync(path.join(bundle, 'config.json'), text);
    expect(decide()).toBe(straight());
  });

  test('the wrapper keeps an unchanged index the front-end trusts; after a change it writes it anew', () => {
    layout();
    const dirs = [hooksDir, path.join(dir, 'not-there')];
    const text = indexText(config, dirs);
    const dated = fs.statSync(index).mtimeMs;
    expect(writeIndex(index, text, Date.now(), config, dirs)).toBe('kept');
    expect(fs.statSync(index).mtimeMs).toBe(dated);
    expect(decide()).toBe(straight());
    // A hooks.d file changed: the front-end finds the index stale, and the wrapper does not keep it.
    fs.writeFileSync(path.join(hooksDir, 'gpu.json'), '{ }');
    pause(80);
    expect(decide()).toBe('wrapper');
    const readAt = Date.now();
    expect(writeIndex(index, text, readAt, config, dirs)).toBe('written');
    expect(Math.abs(fs.statSync(index).mtimeMs - (readAt - 50))).toBeLessThan(2);
    expect(decide()).toBe(straight());
    expect(writeIndex(index, text, Date.now(), config, dirs)).toBe('kept');
    // Another text (another folder list, say): written, whatever the dates.
    expect(writeIndex(index, indexText(config, [hooksDir]), Date.now(), config, dirs)).toBe('written');
  });

  test('a relative OCIHOOKS_RUNTIME_INDEX is no index, even where it names the right file', () => {
    layout();
    const env = {
      PATH: '/usr/bin:/bin',
      OCIHOOKS_FRONTEND_TRACE: '1',
      OCIHOOKS_RUNTIME_CONFIG: config,
      OCIHOOKS_RUNTIME_INDEX: path.basename(index),
    };
    expect(
      spawnSync(FRONT_END, ['create', '--bundle', bundle, 'c1'], {
        env,
        encoding: 'utf8',
        cwd: path.dirname(index),
      }).stdout.trim(),
    ).toBe('wrapper');
    expect(decide()).toBe(straight()); // the same index, named absolutely
  });

  /** `command` run by a shell whose process name is `name`, as slurmstepd runs RunTimeRun through sh -c; its output. */
  const underShell = (name: string, command: string) => {
    const shell = path.join(dir, name);
    fs.copyFileSync('/bin/sh', shell);
    fs.chmodSync(shell, 0o755);
    const env = {
      PATH: '/usr/bin:/bin',
      OCIHOOKS_FRONTEND_TRACE: '1',
      OCIHOOKS_RUNTIME_CONFIG: config,
      OCIHOOKS_RUNTIME_INDEX: index,
    };
    return spawnSync(shell, ['-c', command], { env, encoding: 'utf8', cwd: dir }).stdout.trim();
  };

  test('under a process named slurmstepd (a Slurm step gets its GPUs from the wrapper): the wrapper decides', () => {
    layout();
    const viaParent = (name: string) => underShell(name, `${FRONT_END} create --bundle ${bundle} c1; true`);
    expect(viaParent('notslurm')).toBe(straight());
    expect(viaParent('slurmstepd')).toBe('wrapper');
  });

  test('a hooks folder that is a link: trusted while it points where it did, not once pointed at an older folder', () => {
    layout();
    fs.renameSync(hooksDir, `${hooksDir}.a`);
    fs.symlinkSync(`${hooksDir}.a`, hooksDir);
    const older = `${hooksDir}.b`;
    fs.mkdirSync(older);
    fs.writeFileSync(path.join(older, 'z.json'), '{}');
    past(path.join(older, 'z.json'), 60);
    past(older, 60);
    reindex();
    expect(decide()).toBe(straight());
    fs.rmSync(hooksDir);
    fs.symlinkSync(older, hooksDir); // every file it reaches now is older than the index; the link is not
    pause(80);
    expect(decide()).toBe('wrapper');
    // The wrapper sees the change too: the same text written anew, not kept.
    const dirs = [hooksDir, path.join(dir, 'not-there')];
    expect(writeIndex(index, indexText(config, dirs), Date.now(), config, dirs)).toBe('written');
    expect(decide()).toBe(straight());
  });

  test.each<[string, () => void]>([
    ['writable by its group', () => fs.chmodSync(index, 0o664)],
    ['owned by another user (as root)', () => (process.getuid?.() === 0 ? fs.chownSync(index, 4242, 0) : undefined)],
  ])('an index %s is not trusted', (_name, change) => {
    layout();
    expect(decide()).toBe(straight());
    change();
    reindex();
    expect(decide()).toBe(process.getuid?.() === 0 || _name.startsWith('writable') ? 'wrapper' : straight());
  });

  test('slurmstepd six processes up, as far as the wrapper looks (src/wrapper/slurm/step.ts): the wrapper decides', () => {
    layout();
    // Five shells between them, each waiting for the next (`; true`: no shell execs its last command).
    let command = `${FRONT_END} create --bundle ${bundle} c1; true`;
    for (let level = 1; level <= 5; level++) {
      const script = path.join(dir, `level${level}`);
      fs.writeFileSync(script, `#!/bin/sh\n${command}\n`, { mode: 0o755 });
      command = `${script}; true`;
    }
    expect(underShell('slurmstepd', command)).toBe('wrapper');
  });

  // Every row has three entries: a two-entry row would make jest pass `done` as the third argument.
  test.each<[string, () => void, string[] | null]>([
    ['a hooks.d file edited after the index', () => fs.writeFileSync(path.join(hooksDir, 'gpu.json'), '{"x":1}'), null],
    ['a hooks.d file added', () => fs.writeFileSync(path.join(hooksDir, 'new.json'), '{}'), null],
    [
      // podman reads it too (a dot file made before the index, written in place after it).
      'a hooks.d dot file edited after the index',
      () => {
        fs.writeFileSync(path.join(hooksDir, '.dot.json'), '{}');
        past(path.join(hooksDir, '.dot.json'), 60);
        past(hooksDir, 60);
        reindex();
        fs.writeFileSync(path.join(hooksDir, '.dot.json'), '{"x":1}');
      },
      null,
    ],
    ['a hooks.d file removed', () => fs.rmSync(path.join(hooksDir, 'gpu.json')), null],
    ['a listed folder made', () => fs.mkdirSync(path.join(dir, 'not-there')), null],
    ['the config file edited', () => fs.appendFileSync(config, ' '), null],
    [
      'a hooks.d file restored with its old modification time (cp -p, touch -d)',
      () => {
        fs.writeFileSync(path.join(hooksDir, 'gpu.json'), '{"x":1}');
        past(path.join(hooksDir, 'gpu.json'), 60);
      },
      null,
    ],
    ['a hooks.d file made unreadable', () => fs.chmodSync(path.join(hooksDir, 'gpu.json'), 0o000), null],
    [
      'the config file restored with its old modification time',
      () => {
        fs.appendFileSync(config, ' ');
        past(config, 60);
      },
      null,
    ],
    [
      'the config file gives annotations',
      () => {
        fs.writeFileSync(
          config,
          JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], annotations: { a: 'b' } }, null, 2) + '\n',
        );
        reindex();
      },
      null,
    ],
    [
      'the index is for another config file',
      () => {
        fs.writeFileSync(index, indexText('/etc/ocihooks/runtime.json', [hooksDir]));
        reindex();
      },
      null,
    ],
    [
      'an index in another format',
      () => {
        fs.writeFileSync(index, 'something else\n');
        reindex();
      },
      null,
    ],
    ['no index', () => fs.rmSync(index), null],
    [
      'the bundle has annotations',
      () =>
        fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations: {} })),
      null,
    ],
    ['the bundle has no config.json', () => fs.rmSync(path.join(bundle, 'config.json')), null],
    [
      "the bundle's config.json is a folder",
      () => {
        fs.rmSync(path.join(bundle, 'config.json'));
        fs.mkdirSync(path.join(bundle, 'config.json'));
      },
      null,
    ],
    [
      // JSON.parse reads it as "annotations".
      'an annotations key written with a JSON escape',
      () => fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "\\u0061nnotations": {}}'),
      null,
    ],
    [
      'a config.json that is not JSON (a literal JSON does not have)',
      () => fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "x": tru}'),
      null,
    ],
    ...['01', '1.', '.5', '-', '1e', '+1', '0x1'].map((n): [string, () => void, null] => [
      `a number JSON does not write (${n})`,
      () => fs.writeFileSync(path.join(bundle, 'config.json'), `{"ociVersion": "1.0.2", "x": ${n}}`),
      null,
    ]),
    [
      'an escape JSON does not have',
      () => fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": "1.0.2", "x": "\\x41"}'),
      null,
    ],
    [
      'a config.json larger than the front-end reads (4 MiB)',
      () => fs.writeFileSync(path.join(bundle, 'config.json'), `{"pad": "${'x'.repeat(4 << 20)}"}`),
      null,
    ],
    [
      'annotations deep in a large config.json',
      () => fs.writeFileSync(path.join(bundle, 'config.json'), `{"pad": "${'x'.repeat(200000)}", "annotations": {}}`),
      null,
    ],
    [
      'options of the wrapper on the line',
      () => undefined,
      ['--hooks-dir', hooksDir, '--', 'create', '--bundle', bundle, 'c1'],
    ],
  ])('%s: the wrapper decides', (_name, change, args) => {
    layout();
    expect(decide()).toBe(straight()); // holds before the change
    change();
    expect(decide(args ?? undefined)).toBe('wrapper');
  });
});
