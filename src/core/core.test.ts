/** Plain data: plans, actions, env lists, errors. */
import { describeAction } from './actions';
import { keyValueArgs, envList } from './env';
import { UsageError, errorCode, exitCodeOf, failureLine } from './errors';
import { propagationOf } from './plan';

test.each([
  [undefined, 'private'],
  ['', 'private'],
  ['rprivate', 'private'],
  ['slave', 'slave'],
  ['rslave', 'slave'],
  ['shared', 'shared'],
  ['rshared', 'shared'],
  ['unbindable', 'unbindable'],
  ['runbindable', 'unbindable'],
])('rootfsPropagation %p -> %p', (given, expected) => {
  expect(propagationOf(given)).toBe(expected);
});

test('one line per action', () => {
  expect(describeAction({ action: 'bind', source: '/a', destination: '/b', kind: 'file', readonly: true })).toBe(
    'bind /a -> /b (readonly)',
  );
  expect(
    describeAction({
      action: 'device',
      source: '/dev/x',
      destination: '/dev/y',
      type: 'c',
      major: 1,
      minor: 2,
      access: 'rw',
    }),
  ).toBe('device /dev/x -> /dev/y (c 1:2 rw)');
  expect(
    describeAction({
      action: 'allow-devices',
      rules: [
        { type: 'c', major: 1, minor: '*', access: 'r' },
        { type: 'a', major: '*', minor: '*', access: 'm' },
      ],
    }),
  ).toBe('allow devices c 1:* r, a *:* m');
  expect(
    describeAction({
      action: 'ldconfig',
      ldconfig: '/sbin/ldconfig',
      folders: ['/opt/lib'],
      systemFolders: { debianLike: ['/lib'], other: ['/lib64'] },
      timeoutMs: 1,
      cache: 'auto',
    }),
  ).toBe('ldconfig /sbin/ldconfig with /opt/lib');
  expect(describeAction({ action: 'run-hook', path: '/bin/hook', args: ['hook', '--x'], env: [], timeoutMs: 1 })).toBe(
    'run hook /bin/hook --x',
  );
});

test('env lists: later wins, entries without "=" are ignored', () => {
  expect([...envList(['A=1', 'B', '=x', 'A=2', 'C=a=b'])]).toEqual([
    ['A', '2'],
    ['C', 'a=b'],
  ]);
});

test('KEY=VALUE arguments', () => {
  expect(keyValueArgs(['a=1', 'b=', 'a=x=y'], '--annotation')).toEqual({ a: 'x=y', b: '' });
  expect(() => keyValueArgs(['=1'], '--annotation')).toThrow(new UsageError('--annotation "=1": expected KEY=VALUE'));
  // A key like any other, not the object's prototype.
  const proto = keyValueArgs(['__proto__=x'], '--annotation');
  expect([Object.keys(proto), JSON.stringify({ ...proto }), Object.getPrototypeOf(proto)]).toEqual([
    ['__proto__'],
    '{"__proto__":"x"}',
    Object.prototype,
  ]);
});

test('errors: exit codes, the stderr line, errno names from any realm', () => {
  expect(exitCodeOf(new UsageError('x'))).toBe(2);
  expect(exitCodeOf(new Error('x'))).toBe(1);
  // One line whatever the message holds: yargs words a bad choice on three lines.
  expect(failureLine('ocihook-mount', new Error('first\nsecond'))).toBe('ocihook-mount: first second\n');
  expect(failureLine('ocihooks', new Error('Invalid values:\n  Argument: x, Given: "y"\n'))).toBe(
    'ocihooks: Invalid values: Argument: x, Given: "y"\n',
  );
  expect(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
  expect(errorCode({ code: 'EPIPE' })).toBe('EPIPE');
  expect(errorCode('ENOENT')).toBeUndefined();
});
