/**
 * What a config already has of a spec's edits (present.ts): each question as a table, the config
 * as an engine's own CDI leaves it (containerd 1.7, podman 5, docker 26 wrote these shapes).
 */
import {
  deviceAllowed,
  hasAdditionalGid,
  hasAllowRule,
  hasBindMount,
  hasDeviceNode,
  hasEnv,
  hasHook,
  hasMountEntry,
} from './present';

const DENY_ALL = { allow: false, access: 'rwm' };
const withRules = (...devices: object[]) => ({ linux: { resources: { devices } } });

describe('deviceAllowed: the last rule naming the device and the letter decides', () => {
  test.each<[string, object, string, boolean]>([
    ['no rules', {}, 'rwm', false],
    ['deny all only', withRules(DENY_ALL), 'rwm', false],
    [
      'deny all, then the exact rule',
      withRules(DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }),
      'rwm',
      true,
    ],
    [
      'the exact rule with fewer letters',
      withRules(DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }),
      'rwm',
      false,
    ],
    [
      'fewer letters asked than given',
      withRules(DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }),
      'rw',
      true,
    ],
    [
      'a block rule for a char device',
      withRules(DENY_ALL, { allow: true, type: 'b', major: 1, minor: 3, access: 'rwm' }),
      'rwm',
      false,
    ],
    ['another minor', withRules(DENY_ALL, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }), 'rwm', false],
    ['privileged: allow a, no numbers', withRules({ allow: true, access: 'rwm' }), 'rwm', true],
    [
      'type a, major -1 (any)',
      withRules(DENY_ALL, { allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }),
      'rwm',
      true,
    ],
    [
      'a major wildcard of the class',
      withRules(DENY_ALL, { allow: true, type: 'c', major: 1, access: 'rwm' }),
      'rwm',
      true,
    ],
    [
      'allowed, then denied later',
      withRules(
        DENY_ALL,
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
      ),
      'rwm',
      false,
    ],
    [
      'allowed, then another letter denied later',
      withRules(
        DENY_ALL,
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
        { allow: false, type: 'c', major: 1, minor: 3, access: 'm' },
      ),
      'rw',
      true,
    ],
    [
      'a rule without access allows nothing',
      withRules(DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3 }),
      'rwm',
      false,
    ],
  ])('%s', (_name, config, access, expected) => {
    expect(deviceAllowed(config, 'c', 1, 3, access)).toBe(expected);
  });
});

test.each<[string, object, boolean]>([
  ['same', { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, true],
  ['a deny', { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }, false],
  ['other letters', { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, false],
])('hasAllowRule: %s', (_name, rule, expected) => {
  expect(hasAllowRule(withRules(rule), 'c', 1, 3, 'rwm')).toBe(expected);
});

describe('hasDeviceNode: the same path, type and numbers; mode and owner aside', () => {
  const config = {
    linux: {
      devices: [
        { path: '/dev/accdev0', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 0, gid: 0 },
        { path: '/dev/fifo', type: 'p' },
      ],
    },
  };
  test.each<[string, { path: string; type: string; major: number; minor: number }, boolean]>([
    ['same', { path: '/dev/accdev0', type: 'c', major: 1, minor: 3 }, true],
    ['an uncleaned path', { path: '/dev//accdev0/', type: 'c', major: 1, minor: 3 }, true],
    ['other numbers', { path: '/dev/accdev0', type: 'c', major: 1, minor: 5 }, false],
    ['other type', { path: '/dev/accdev0', type: 'b', major: 1, minor: 3 }, false],
    ['other path', { path: '/dev/accdev1', type: 'c', major: 1, minor: 3 }, false],
    ['a fifo: no numbers', { path: '/dev/fifo', type: 'p', major: 0, minor: 0 }, true],
  ])('%s', (_name, node, expected) => {
    expect(hasDeviceNode(config, node)).toBe(expected);
  });
  test('a config without linux.devices has none', () => {
    expect(hasDeviceNode({}, { path: '/dev/accdev0', type: 'c', major: 1, minor: 3 })).toBe(false);
  });
});

describe('mounts', () => {
  const config = {
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/usr/bin/tool', source: '/opt/tool', options: ['ro', 'nosuid', 'nodev', 'bind'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rw'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
    ],
  };
  test.each<[string, object, boolean]>([
    [
      'the same entry',
      { destination: '/usr/bin/tool', source: '/opt/tool', options: ['ro', 'nosuid', 'nodev', 'bind'] },
      true,
    ],
    [
      'options in another order',
      { destination: '/usr/bin/tool', source: '/opt/tool', options: ['nosuid', 'ro', 'nodev', 'bind'] },
      false,
    ],
    [
      'a type where there was none',
      { destination: '/usr/bin/tool', type: 'bind', source: '/opt/tool', options: ['ro', 'nosuid', 'nodev', 'bind'] },
      false,
    ],
    ['a tmpfs', { destination: '/scratch/', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }, true],
    ['another source', { destination: '/scratch', type: 'tmpfs', source: 'shm', options: ['size=1m'] }, false],
  ])('hasMountEntry: %s', (_name, entry, expected) => {
    expect(hasMountEntry(config, entry as never)).toBe(expected);
  });
  test.each<[string, string, string, boolean, boolean]>([
    ['read-only bind, no type', '/opt/tool', '/usr/bin/tool', true, true],
    ['asked read-write, is read-only', '/opt/tool', '/usr/bin/tool', false, false],
    ['type bind with rbind', '/srv/data', '/data', false, true],
    ['asked read-only, is read-write', '/srv/data', '/data', true, false],
    ['another source', '/srv/other', '/data', false, false],
    ['not a bind mount', 'tmpfs', '/scratch', false, false],
    ['proc is no bind mount', 'proc', '/proc', false, false],
  ])('hasBindMount: %s', (_name, source, destination, readonly, expected) => {
    expect(hasBindMount(config, source, destination, readonly)).toBe(expected);
  });
});

describe('hooks, env, gids', () => {
  const config = {
    process: { env: ['PATH=/usr/bin', 'NVIDIA_VISIBLE_DEVICES=void'], user: { uid: 0, gid: 0, additionalGids: [44] } },
    hooks: {
      createContainer: [
        { path: '/opt/ocihooks/bin/ocihook-ldconfig', args: ['ocihook-ldconfig', '--folder=/usr/lib'] },
      ],
      createRuntime: [{ path: '/bin/hook', timeout: 5 }],
    },
  };
  test.each<[string, object, boolean]>([
    [
      'the same createContainer hook',
      {
        hookName: 'createContainer',
        path: '/opt/ocihooks/bin/ocihook-ldconfig',
        args: ['ocihook-ldconfig', '--folder=/usr/lib'],
      },
      true,
    ],
    [
      'other args',
      { hookName: 'createContainer', path: '/opt/ocihooks/bin/ocihook-ldconfig', args: ['ocihook-ldconfig'] },
      false,
    ],
    [
      'another stage',
      {
        hookName: 'startContainer',
        path: '/opt/ocihooks/bin/ocihook-ldconfig',
        args: ['ocihook-ldconfig', '--folder=/usr/lib'],
      },
      false,
    ],
    ['the same timeout', { hookName: 'createRuntime', path: '/bin/hook', timeout: 5 }, true],
    ['another timeout', { hookName: 'createRuntime', path: '/bin/hook', timeout: 6 }, false],
    [
      'an env list where there was none',
      { hookName: 'createRuntime', path: '/bin/hook', timeout: 5, env: ['A=1'] },
      false,
    ],
  ])('hasHook: %s', (_name, hook, expected) => {
    expect(hasHook(config, hook as never)).toBe(expected);
  });
  test('hasEnv: the exact entry only', () => {
    expect([
      hasEnv(config, 'NVIDIA_VISIBLE_DEVICES=void'),
      hasEnv(config, 'NVIDIA_VISIBLE_DEVICES=all'),
      hasEnv({}, 'A=1'),
    ]).toEqual([true, false, false]);
  });
  test('hasAdditionalGid', () => {
    expect([hasAdditionalGid(config, 44), hasAdditionalGid(config, 45), hasAdditionalGid({}, 44)]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
