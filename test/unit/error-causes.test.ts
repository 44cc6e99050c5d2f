/**
 * Errors keep their cause: a system error wrapped into the one-line message a user sees is still
 * there, errno and stack, for whoever handles it at the top (causeCode walks the chain as Go's
 * errors.Is does; containers/common tests os.ErrNotExist through its wrapping the same way). The
 * very top, a hook's log record of its failure, is in test/e2e/bad-input.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError, UsageError, causeCode, exitCodeOf } from '../../src/core/errors';
import { loadBundle, readState } from '../../src/hook/inputs';
import { runLdconfig } from '../../src/linux/ldconfig/host-ldconfig';
import { readRuntimeConfig } from '../../src/wrapper/config-file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-causes-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

test.each([
  ['no cause', new Error('x'), undefined],
  ['an errno', Object.assign(new Error('x'), { code: 'ENOENT' }), 'ENOENT'],
  [
    'two wrappings deep',
    new UsageError('a', { cause: new ActionError('b', { cause: Object.assign(new Error('c'), { code: 'EACCES' }) }) }),
    'EACCES',
  ],
  ['the nearest code wins', Object.assign(new Error('a', { cause: { code: 'ENOENT' } }), { code: 'EEXIST' }), 'EEXIST'],
  ['a cause that is no object', new Error('a', { cause: 'ENOENT' }), undefined],
] as const)('causeCode: %s', (_name, e, code) => expect(causeCode(e)).toBe(code));

test('a runtime config named but missing: bad input, and still an ENOENT', () => {
  const e = thrown(() => readRuntimeConfig({ OCIHOOKS_RUNTIME_CONFIG: path.join(dir, 'nope.json') }));
  expect([e instanceof UsageError, exitCodeOf(e), causeCode(e)]).toEqual([true, 2, 'ENOENT']);
});

test('a state file that is a folder: EISDIR under the one line', () => {
  const e = thrown(() => readState(dir, () => ''));
  expect([(e as Error).message, causeCode(e)]).toEqual([`state file ${dir}: is a directory`, 'EISDIR']);
});

test('a bundle that is not there: ENOENT', () => {
  const e = thrown(() =>
    loadBundle({ ociVersion: '1.0.2', id: 'c', status: 'creating', bundle: path.join(dir, 'gone') }),
  );
  expect([(e as Error).message, causeCode(e)]).toEqual([
    `bundle ${path.join(dir, 'gone')}: no such directory`,
    'ENOENT',
  ]);
});

test('an ldconfig that cannot be run (no execute bit, even for root): EACCES', () => {
  const ldconfig = path.join(dir, 'ldconfig');
  fs.writeFileSync(ldconfig, '#!/bin/sh\n', { mode: 0o644 });
  const e = thrown(() => runLdconfig(ldconfig, dir, '/etc/ld.so.conf', '/etc/ld.so.cache', 1000));
  expect([e instanceof ActionError, causeCode(e)]).toEqual([true, 'EACCES']);
});
