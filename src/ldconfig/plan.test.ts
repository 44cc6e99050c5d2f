/** The ldconfig hook's planner, offline. */
import { UsageError } from '../core/errors';
import { expectGolden, fakeContainer } from '../../test/support/offline';
import { checkLdconfigHookArgs, planLdconfigHook } from './plan';

describe('ldconfig hook plans', () => {
  test('a host ldconfig and two folders (golden)', () => {
    expectGolden(
      __filename,
      'plan-folders',
      planLdconfigHook(fakeContainer(), {
        ldconfig: '/sbin/ldconfig',
        folders: ['/usr/lib/x86_64-linux-gnu/slurm', '/opt/lib'],
        timeoutSeconds: 2.5,
      }),
    );
  });

  test.each<[string, Parameters<typeof planLdconfigHook>[1], string]>([
    [
      'no host ldconfig',
      { ldconfig: undefined, folders: [], timeoutSeconds: 10 },
      'no host ldconfig at /sbin/ldconfig or /usr/sbin/ldconfig: pass --ldconfig-path',
    ],
    [
      'relative ldconfig',
      { ldconfig: 'sbin/ldconfig', folders: [], timeoutSeconds: 10 },
      '--ldconfig-path "sbin/ldconfig": must be an absolute path on the host',
    ],
    [
      'ldconfig that is a folder',
      { ldconfig: '/etc', folders: [], timeoutSeconds: 10 },
      '--ldconfig-path /etc: not an executable file',
    ],
  ])('refused: %s', (_name, args, message) => {
    expect(() => planLdconfigHook(fakeContainer(), args)).toThrow(new UsageError(message));
  });

  test.each<[string, Parameters<typeof checkLdconfigHookArgs>[0], string]>([
    [
      'relative folder',
      { ldconfig: '/sbin/ldconfig', folders: ['lib'], timeoutSeconds: 10 },
      '--folder "lib": must be an absolute container path',
    ],
    [
      'zero timeout',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: 0 },
      '--timeout 0: must be a number of seconds from 0.001 to 86400',
    ],
    [
      'NaN timeout (yargs reads --timeout=abc so)',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: NaN },
      '--timeout: not a number of seconds',
    ],
    // The runner's timer takes whole milliseconds: each of these would kill ldconfig at once.
    [
      'under a millisecond',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: 0.0001 },
      '--timeout 0.0001: must be a number of seconds from 0.001 to 86400',
    ],
    [
      'Infinity',
      { ldconfig: '/sbin/ldconfig', folders: [], timeoutSeconds: Infinity },
      '--timeout Infinity: must be a number of seconds from 0.001 to 86400',
    ],
  ])('argument refused before the state is read: %s', (_name, args, message) => {
    expect(() => checkLdconfigHookArgs(args)).toThrow(new UsageError(message));
  });
});
