/** Running trusted host programs: only the scrubbed environment, a hard timeout, stderr in the error. */
import { failureOf } from '../../test/support/offline';
import { ActionError } from '../core/errors';
import { SCRUBBED_ENV, runTrusted } from './exec';
import { native } from './native';

describe('runTrusted', () => {
  test('the program sees only the scrubbed environment plus what the hook entry names', () => {
    process.env.OCIHOOKS_TEST_LEAK = 'leaked';
    const out = runTrusted('/usr/bin/env', {
      args: [],
      env: ['EXTRA=1', 'BROKEN'],
      timeoutMs: 5000,
      captureStdout: true,
    }).toString();
    delete process.env.OCIHOOKS_TEST_LEAK;
    expect(out.trim().split('\n').sort()).toEqual(
      [...Object.entries(SCRUBBED_ENV).map(([k, v]) => `${k}=${v}`), 'EXTRA=1'].sort(),
    );
  });

  test('argv0 and stdin reach the program', () => {
    expect(
      runTrusted('/bin/sh', {
        argv0: 'hook-name',
        args: ['-c', 'echo "$0"; cat'],
        input: 'state',
        timeoutMs: 5000,
        captureStdout: true,
      }).toString(),
    ).toBe('hook-name\nstate');
  });

  test('a program that exits without reading its stdin is judged by its exit status', () => {
    const input = 'x'.repeat(4 << 20); // more than a pipe holds: the write fails with EPIPE
    expect(() => runTrusted('/bin/true', { args: [], input, timeoutMs: 5000 })).not.toThrow();
    expect(failureOf(() => runTrusted('/bin/false', { args: [], input, timeoutMs: 5000 }))).toEqual([
      ActionError,
      'exit 1',
    ]);
  });

  test('a failure carries the last stderr lines; a hang is killed at the timeout', () => {
    expect(
      failureOf(() => runTrusted('/bin/sh', { args: ['-c', 'echo one >&2; echo two >&2; exit 3'], timeoutMs: 5000 })),
    ).toEqual([ActionError, 'exit 3: one | two']);
    expect(failureOf(() => runTrusted('/bin/sleep', { args: ['5'], timeoutMs: 200 }))).toEqual([
      ActionError,
      'killed after 200 ms timeout',
    ]);
    expect(() => runTrusted('/nonexistent/prog', { args: [], timeoutMs: 1000 })).toThrow(/ENOENT/);
  });

  test('the program gets stdio only, and every signal at its default', () => {
    const n = native();
    const leaky = n.openat(n.constants.AT_FDCWD, '/', n.constants.O_RDONLY | n.constants.O_DIRECTORY, 0); // no O_CLOEXEC
    try {
      const out = runTrusted('/bin/sh', {
        args: [
          '-c',
          `test -e /proc/self/fd/${leaky} && echo "fd ${leaky} open"; grep -E '^Sig(Ign|Blk)' /proc/self/status`,
        ],
        timeoutMs: 5000,
        captureStdout: true,
      }).toString();
      expect(out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
    } finally {
      require('node:fs').closeSync(leaky);
    }
  });
});
