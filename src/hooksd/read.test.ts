/**
 * Reading hooks.d folders as podman 4.3 does: the cases of containers/common v0.50.1
 * pkg/hooks/read_test.go, hooks_test.go and 1.0.0/hook_test.go (Validate), then the folder
 * verdicts measured on podman itself (which failing file decides, masking, order).
 */
import { failureOf } from '../../test/support/offline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../test/support/e2e';
import { matchHooks } from './match';
import type { HookPathCheck } from './prestart';
import { HookFile, readHookFile, readHooksDirs } from './read';
import { MatchError } from './when';

const SH = '/bin/sh';
const good = (extra: object = {}) =>
  JSON.stringify({ version: '1.0.0', hook: { path: SH }, when: { always: true }, stages: ['prestart'], ...extra });

function folder(files: Record<string, string | null>): string {
  const dir = tmpDir('hooksd');
  for (const [name, content] of Object.entries(files)) {
    if (content === null) fs.symlinkSync('/nonexistent', path.join(dir, name));
    else if (content === 'DIR') fs.mkdirSync(path.join(dir, name));
    else fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('one file (read_test.go, 1.0.0/hook_test.go)', () => {
  const one = (content: string) =>
    readHookFile(path.join(folder({ 'hook.json': content }), 'hook.json'), 'stat') as HookFile;
  test.each<[string, string, HookFile['status'], string | undefined]>([
    ['TestGoodFile', good(), 'ok', undefined],
    [
      'TestBadFile',
      '{"version": "1.0.0", "hook": "not-a-string"}',
      'error',
      '1.0.0: hook: expected object, got string',
    ],
    [
      'TestNoHookPath',
      JSON.stringify({ version: '1.0.0', hook: {}, when: { always: true }, stages: ['prestart'] }),
      'error',
      'missing required property: hook.path',
    ],
    [
      'TestUnknownHookPath',
      good({ hook: { path: 'does/not/exist' } }),
      'missing-hook',
      'stat does/not/exist: no such file or directory',
    ],
    [
      'TestHookExecutableDoesNotExit',
      good({ hook: { path: '/does/not/exist' } }),
      'missing-hook',
      'stat /does/not/exist: no such file or directory',
    ],
    [
      'a hook path under a file',
      good({ hook: { path: '/etc/passwd/x' } }),
      'error',
      'stat /etc/passwd/x: not a directory',
    ],
    [
      'TestNoStages',
      JSON.stringify({ version: '1.0.0', hook: { path: SH } }),
      'error',
      'missing required property: stages',
    ],
    ['TestInvalidStage', good({ stages: ['does-not-exist'] }), 'error', 'unknown stage "does-not-exist"'],
    [
      'TestExtensionStage (podman: precreate, poststop)',
      good({ stages: ['prestart', 'precreate', 'poststop'] }),
      'ok',
      undefined,
    ],
    [
      'TestInvalidAnnotationKey',
      good({ when: { annotations: { '[': 'a' } } }),
      'error',
      'invalid annotation key "[": error parsing regexp: missing closing ]: `[`',
    ],
    [
      'TestInvalidAnnotationValue',
      good({ when: { annotations: { a: '[' } } }),
      'error',
      'invalid annotation value "[": error parsing regexp: missing closing ]: `[`',
    ],
    [
      'TestInvalidCommand',
      good({ when: { commands: ['['] } }),
      'error',
      'invalid command "[": error parsing regexp: missing closing ]: `[`',
    ],
    [
      'Go syntax is valid: (?i), [[:alpha:]], (?P<n>), \\z',
      good({ when: { commands: ['(?i)^[[:alpha:]]+(?P<n>x)?\\z'] } }),
      'ok',
      undefined,
    ],
    [
      'JavaScript-only syntax is not: a back-reference',
      good({ when: { commands: ['(a)\\1'] } }),
      'error',
      'invalid command "(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1`',
    ],
    [
      'no args and an empty when are valid (podman runs the one, never matches the other)',
      JSON.stringify({ version: '1.0.0', hook: { path: SH }, when: {}, stages: ['prestart'] }),
      'ok',
      undefined,
    ],
  ])('%s', (_name, content, status, reason) => {
    const f = one(content);
    expect(f.status).toBe(status);
    expect(f.error?.replace(/^parsing hook "[^"]*": /, '')).toEqual(reason);
  });

  test.each<[HookPathCheck | undefined, string, HookFile['status'], string]>([
    // containers/common v0.59+ (podman 5.1+) checks with faccessat(2): the same verdicts, its own words.
    ['faccessat', '/does/not/exist', 'missing-hook', 'faccessat /does/not/exist: no such file or directory'],
    ['faccessat', '/etc/passwd/x', 'error', 'faccessat /etc/passwd/x: not a directory'],
    ['stat', '/etc/passwd/x', 'error', 'stat /etc/passwd/x: not a directory'],
    // Told nothing: the newest podman's words.
    [undefined, '/etc/passwd/x', 'error', 'faccessat /etc/passwd/x: not a directory'],
  ])('a hook path podman %s cannot look at: %s', (check, hookPath, status, error) => {
    const file = path.join(folder({ 'hook.json': good({ hook: { path: hookPath } }) }), 'hook.json');
    expect(readHookFile(file, check)).toMatchObject({ status, error });
    expect(readHooksDirs([path.dirname(file)], check)).toMatchObject(
      status === 'error' ? { refusal: `${file}: ${error}` } : { skipped: [{ error }] },
    );
  });

  test('TestUnknownPath: a file that is not there is passed over', () => {
    expect(readHookFile('/does/not/exist.json')).toBeUndefined();
  });
});

describe('folders (read_test.go, hooks_test.go)', () => {
  test('TestGoodDir: README is passed over, a.json loads', () => {
    const r = readHooksDirs([folder({ README: 'not a hook', 'a.json': good() })]);
    expect(r.hooks.map((h) => h.name)).toEqual(['a.json']);
    expect(r.refusal).toBeUndefined();
  });

  test('TestUnknownDir: a folder that is not there is passed over', () => {
    expect(readHooksDirs(['/does/not/exist'])).toEqual({ hooks: [], skipped: [], files: [] });
  });

  test('TestBadDir / TestBadNew: an unknown version refuses', () => {
    const dir = folder({ 'a.json': '{"version": "-1"}' });
    const file = path.join(dir, 'a.json');
    expect(readHooksDirs([dir]).refusal).toBe(
      `${file}: parsing hook ${JSON.stringify(file)}: unrecognized hook version: "-1"`,
    );
  });

  test.each([
    ['prestart', 'v0.50.1', 'prestart'],
    ['createRuntime', 'v0.62.2', 'createRuntime'],
  ] as const)(
    'TestGoodNew (%s: %s): case-insensitive order, each hook in its stages',
    (prestartAs, _version, first) => {
      const hook = (timeout: number, stages: string[]) =>
        JSON.stringify({ version: '1.0.0', hook: { path: SH, timeout }, when: { always: true }, stages });
      const r = readHooksDirs([
        folder({
          '01-my-hook.json': hook(1, ['prestart', 'poststart', 'poststop']),
          '01-UPPERCASE.json': hook(2, ['prestart']),
          '02-another-hook.json': hook(3, ['prestart']),
        }),
      ]);
      const m = matchHooks(r.hooks, { annotations: {}, hasBindMounts: false }, prestartAs);
      expect(
        Object.fromEntries(Object.entries(m).map(([stage, hooks]) => [stage, hooks.map((h) => h.hook.timeout)])),
      ).toEqual({ [first]: [1, 2, 3], poststart: [1], poststop: [1] });
    },
  );

  test('TestBrokenMatch: a command condition on a process without args refuses, naming the file', () => {
    const r = readHooksDirs([folder({ 'a.json': good({ when: { commands: ['^/bin/sh$'] } }) })]);
    expect(
      failureOf(() =>
        matchHooks(r.hooks, { annotations: {}, process: { args: [] }, hasBindMounts: false }, 'createRuntime'),
      ),
    ).toEqual([MatchError, 'matching hook "a.json": process.args must have at least one entry']);
  });

  test('the first failing file decides: a missing hook path first drops every error of its folder', () => {
    const r = readHooksDirs([
      folder({ 'a.json': good({ hook: { path: '/nonexist' } }), 'b.json': '{', 'c.json': good() }),
    ]);
    expect([r.refusal, r.hooks.map((h) => h.name), r.skipped.map((h) => h.name)]).toEqual([
      undefined,
      ['c.json'],
      ['a.json', 'b.json'],
    ]);
  });

  test('the first failing file decides: a broken file first refuses, whatever comes after', () => {
    const dir = folder({ 'a.json': '{', 'b.json': good({ hook: { path: '/nonexist' } }), 'c.json': good() });
    expect(readHooksDirs([dir], 'stat').refusal).toMatch(
      new RegExp(
        `^${path.join(dir, 'a.json')}: parsing hook .*; ${path.join(dir, 'b.json')}: stat /nonexist: no such file or directory$`,
      ),
    );
  });

  test('a later folder masks a same-name file only with a valid one; the order is global, by lower-cased name', () => {
    const d1 = folder({
      'x.json': good({ stages: ['poststart'] }),
      'y.json': good({ stages: ['poststart'] }),
      'B.json': good(),
    });
    const d2 = folder({
      'x.json': good({ stages: ['prestart'] }),
      'y.json': good({ hook: { path: '/nonexist' } }),
      'a.json': good(),
    });
    const r = readHooksDirs([d1, d2]);
    expect(
      r.hooks.map((h) => `${path.basename(path.dirname(h.file)) === path.basename(d1) ? 'd1' : 'd2'}/${h.name}`),
    ).toEqual(['d2/a.json', 'd1/B.json', 'd2/x.json', 'd1/y.json']);
  });

  test('a folder that is a file, or a folder named .json, refuses; a dangling .json link is passed over', () => {
    const file = path.join(tmpDir('hooksd'), 'plain');
    fs.writeFileSync(file, '');
    expect(readHooksDirs([file]).refusal).toBe(`readdirent ${file}: not a directory`);
    const dir = folder({ 'x.json': 'DIR', 'gone.json': null, 'ok.json': good() });
    expect(readHooksDirs([dir]).refusal).toBe(
      `${path.join(dir, 'x.json')}: read ${path.join(dir, 'x.json')}: is a directory`,
    );
    expect(readHooksDirs([folder({ 'gone.json': null, 'ok.json': good() })]).hooks.map((h) => h.name)).toEqual([
      'ok.json',
    ]);
  });

  test('a refusing folder stops the reading: later folders are not read', () => {
    const r = readHooksDirs([folder({ 'a.json': '{' }), folder({ 'b.json': good() })]);
    expect(r.refusal).toBeDefined();
    expect(r.files.map((f) => f.name)).toEqual(['a.json']);
  });
});
