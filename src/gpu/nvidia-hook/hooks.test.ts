/** The nvidia-cdi-hook subcommands' flags and plans, offline (a fake container; no root). */
import { UsageError } from '../../core/errors';
import type { PlanContext } from '../../hook/container-hook';
import { fakeContainer } from '../../../test/support/offline';
import { applicationProfile } from './commands/update-application-profile';
import { paramsWithoutModification } from './commands/disable-device-node-modification';
import { NVIDIA_HOOKS } from '.';

const p = (): PlanContext => ({
  ...fakeContainer(),
  withRoot: () => {
    throw new Error('no rootfs offline');
  },
});
const plan = (name: string, args: Record<string, unknown>) => NVIDIA_HOOKS[name]!.plan(p(), args).actions;
const check = (name: string, args: Record<string, unknown>) => NVIDIA_HOOKS[name]!.check(args);

test('the six subcommands of nvidia-cdi-hook', () => {
  expect(Object.keys(NVIDIA_HOOKS).sort()).toEqual([
    'chmod',
    'create-symlinks',
    'disable-device-node-modification',
    'enable-cuda-compat',
    'update-application-profile',
    'update-ldcache',
  ]);
});

describe('create-symlinks', () => {
  test('links in order, a repeated one once, "," splits values as urfave/cli does', () => {
    expect(
      plan('create-symlinks', {
        link: [
          'libcuda.so.1::/usr/lib/libcuda.so,../card1::/dev/dri/by-path/pci-0000:01:00.0-card',
          'libcuda.so.1::/usr/lib/libcuda.so',
        ],
      }),
    ).toEqual([
      { action: 'symlink', target: 'libcuda.so.1', link: '/usr/lib/libcuda.so' },
      { action: 'symlink', target: '../card1', link: '/dev/dri/by-path/pci-0000:01:00.0-card' },
    ]);
  });
  test.each([
    [['a'], '--link "a": invalid symlink specification a'],
    [['a::b::c'], '--link "a::b::c": invalid symlink specification a::b::c'],
    [['a::'], '--link "a::": the link path is empty'],
  ])('%j is refused', (link, message) => {
    expect(() => check('create-symlinks', { link })).toThrow(new UsageError(message));
  });
});

describe('chmod', () => {
  test('a mode for each path', () => {
    expect(plan('chmod', { mode: '0755', path: ['/dev/dri', '/dev/nvidia-caps'] })).toEqual([
      { action: 'chmod', path: '/dev/dri', mode: 0o755 },
      { action: 'chmod', path: '/dev/nvidia-caps', mode: 0o755 },
    ]);
  });
  test.each([
    [{ mode: ' ', path: ['/x'] }, '--mode: a non-empty mode must be specified'],
    [{ mode: '0o755', path: ['/x'] }, '--mode "0o755": failed to parse mode as octal'],
    [{ mode: '755', path: ['/x', ' '] }, '--path: paths must not be empty'],
    [{ mode: '40000000000', path: ['/x'] }, '--mode "40000000000": failed to parse mode as octal'], // beyond Go's ParseUint(s, 8, 32)
  ])('%j is refused', (args, message) => {
    expect(() => check('chmod', args)).toThrow(new UsageError(message));
  });
  test.each([
    ['0', 0o0],
    ['777', 0o777],
    ['0700', 0o700],
  ])('--mode %s is set', (mode, value) => {
    expect(plan('chmod', { mode, path: ['/x'] })).toEqual([{ action: 'chmod', path: '/x', mode: value }]);
  });
  // NVIDIA's hook passes fs.FileMode(ParseUint(mode, 8, 32)) to os.Chmod, whose setuid, setgid and
  // sticky come from other bits than 04000/02000/01000: run as it does (Go 1.19 here), each of these
  // left a 0600 file at the mode its message names, without those bits and without an error.
  test.each([
    [
      '4755',
      "the setuid bit is not set by nvidia-cdi-hook (NVIDIA's drops it without a word): give the permission bits only, 755",
    ],
    [
      '2755',
      "the setgid bit is not set by nvidia-cdi-hook (NVIDIA's drops it without a word): give the permission bits only, 755",
    ],
    [
      '1777',
      "the sticky bit is not set by nvidia-cdi-hook (NVIDIA's drops it without a word): give the permission bits only, 777",
    ],
    [
      '06755',
      "the setuid and setgid bits are not set by nvidia-cdi-hook (NVIDIA's drops them without a word): give the permission bits only, 755",
    ],
    [
      '7777',
      "the setuid and setgid and sticky bits are not set by nvidia-cdi-hook (NVIDIA's drops them without a word): give the permission bits only, 777",
    ],
    ['100755', "not permission bits (at most 777); NVIDIA's hook would set 755"],
  ])('--mode %s is refused', (mode, message) => {
    expect(() => check('chmod', { mode, path: ['/x'] })).toThrow(new UsageError(`--mode "${mode}": ${message}`));
  });
});

describe('update-ldcache', () => {
  test('the one ldconfig action, folders once', () => {
    expect(
      plan('update-ldcache', {
        'ldconfig-path': '/sbin/ldconfig',
        folder: ['/usr/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/vdpau,/usr/lib/x86_64-linux-gnu'],
      }),
    ).toEqual([
      {
        action: 'ldconfig',
        ldconfig: '/sbin/ldconfig',
        folders: ['/usr/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/vdpau'],
        systemFolders: {
          debianLike: ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib'],
          other: ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/libx32', '/usr/libx32'],
        },
        timeoutMs: 10000,
        cache: 'auto',
      },
    ]);
  });
  test('an empty ldconfig path, a relative folder', () => {
    expect(() => check('update-ldcache', { 'ldconfig-path': '', folder: [] })).toThrow(
      new UsageError('--ldconfig-path: ldconfig-path must be specified'),
    );
    expect(() => check('update-ldcache', { 'ldconfig-path': '/sbin/ldconfig', folder: ['lib'] })).toThrow(
      new UsageError('--folder "lib": must be an absolute container path'),
    );
  });
});

test('enable-cuda-compat without a version has nothing to do (no state is read)', () => {
  expect(check('enable-cuda-compat', {})).toBe('no --host-driver-version or --host-cuda-version');
  expect(check('enable-cuda-compat', { 'host-driver-version': '580.65.06' })).toBeUndefined();
});

test.each<[string, string | undefined]>([
  [
    'ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 1\nDeviceFileUID: 0\n',
    'ResmanDebugLevel: 4294967295\nModifyDeviceFiles: 0\nDeviceFileUID: 0\n',
  ],
  ['ModifyDeviceFiles: 0\n', undefined],
  ['ModifyDeviceFiles: 11\n', undefined],
  [' ModifyDeviceFiles: 1\n', undefined],
  ['DeviceFileUID: 0', undefined],
  ['ModifyDeviceFiles: 1', 'ModifyDeviceFiles: 0\n'],
])('params %j -> %j', (text, expected) => {
  expect(paramsWithoutModification(text)).toBe(expected);
});

test.each([
  [1n, '0x1'],
  [1n << 8n, '0x100'],
  [(1n << 15n) | 1n, '0x8001'],
  [1n << 63n, '0x8000000000000000'],
])('application profile mask %p', (mask, hex) => {
  expect(applicationProfile(mask)).toBe(
    `{"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",${hex}]}],"rules":[{"pattern":[],"profile":"_container_"}]}`,
  );
});
