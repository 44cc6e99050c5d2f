/**
 * Container edits: the cases of the CDI reference's container-edits_test.go (TestValidateContainerEdits,
 * TestAppend) and device_test.go (TestDeviceValidate), as tables.
 */
import { REFERENCE_HOOKS } from '../../test/support/cdi-reference';
import type { ListEdits } from './hooks-by-stage';
import { ContainerEdits, appendEdits, editsProblem, emptyEdits, normaliseEdits } from './edits';
import { validateCdiSpec } from './spec';

const hooks = REFERENCE_HOOKS;

describe('ContainerEdits validation (TestValidateContainerEdits)', () => {
  test.each<[string, ListEdits | null, string | undefined]>([
    ['valid, empty edits', null, undefined],
    ['valid, env var', { env: ['BAR=BARVALUE1'] }, undefined],
    ['invalid env, empty var', { env: [''] }, 'env[0]: invalid container edits: invalid environment variable ""'],
    [
      'invalid env, no var name',
      { env: ['=foo'] },
      'env[0]: invalid container edits: invalid environment variable "=foo"',
    ],
    [
      'invalid env, no assignment',
      { env: ['FOOBAR'] },
      'env[0]: invalid container edits: invalid environment variable "FOOBAR"',
    ],
    ['valid device, path only', { deviceNodes: [{ path: '/dev/null' }] }, undefined],
    ['valid device, path+type', { deviceNodes: [{ path: '/dev/null', type: 'c' }] }, undefined],
    [
      'valid device, path+type+permissions',
      { deviceNodes: [{ path: '/dev/null', type: 'b', permissions: 'rwm' }] },
      undefined,
    ],
    ['invalid device, empty path', { deviceNodes: [{ path: '' }] }, 'deviceNodes[0].path: invalid (empty) device path'],
    [
      'invalid device, wrong type',
      { deviceNodes: [{ path: '/dev/vendorctl', type: 'f' }] },
      'deviceNodes[0].type: device "/dev/vendorctl": invalid type "f"',
    ],
    [
      'invalid device, wrong permissions',
      { deviceNodes: [{ path: '/dev/vendorctl', type: 'b', permissions: 'to land' }] },
      'deviceNodes[0].permissions: device "/dev/vendorctl": invalid permissions "to land"',
    ],
    [
      'valid device, with NoPermissions',
      { deviceNodes: [{ path: '/dev/vendorctl', type: 'b', permissions: 'none' }] },
      undefined,
    ],
    ['valid mount', { mounts: [{ hostPath: '/dev/vendorctl', containerPath: '/dev/vendorctl' }] }, undefined],
    [
      'invalid mount, empty host path',
      { mounts: [{ hostPath: '', containerPath: '/dev/vendorctl' }] },
      'mounts[0].hostPath: invalid mount, empty host path',
    ],
    [
      'invalid mount, empty container path',
      { mounts: [{ hostPath: '/dev/vendorctl', containerPath: '' }] },
      'mounts[0].containerPath: invalid mount, empty container path',
    ],
    ['valid hooks', { hooks }, undefined],
    [
      'invalid hook, empty path',
      { hooks: [{ hookName: 'prestart', path: '' }] },
      'hooks[0].path: invalid hook "prestart" with empty path',
    ],
    [
      'invalid hook, wrong hook name',
      {
        hooks: [
          {
            hookName: 'misCreateRuntime',
            path: '/usr/local/bin/cr-vendor-hook',
            args: ['--debug'],
            env: ['VENDOR_ENV2=value2'],
          },
        ],
      },
      'hooks[0].hookName: invalid hook name "misCreateRuntime"',
    ],
    [
      'invalid hook, wrong env',
      {
        hooks: [{ hookName: 'poststart', path: '/usr/local/bin/cr-vendor-hook', args: ['--debug'], env: ['=value2'] }],
      },
      'hooks[0].env[0]: invalid hook "poststart": invalid environment variable "=value2"',
    ],
    ['valid rdt config', { intelRdt: { closID: 'foo.bar' } }, undefined],
    ['valid rdt config, root clos', { intelRdt: { closID: '/' } }, undefined],
    [
      'invalid rdt config, invalid closID (slash)',
      { intelRdt: { closID: 'foo/bar' } },
      'intelRdt.closID: invalid ClosID',
    ],
    ['invalid rdt config, invalid closID (dot)', { intelRdt: { closID: '.' } }, 'intelRdt.closID: invalid ClosID'],
    [
      'invalid rdt config, invalid closID (double dot)',
      { intelRdt: { closID: '..' } },
      'intelRdt.closID: invalid ClosID',
    ],
    [
      'invalid rdt config, invalid closID (newline)',
      { intelRdt: { closID: 'foo\nbar' } },
      'intelRdt.closID: invalid ClosID',
    ],
    ['valid Linux net device', { netDevices: [{ hostInterfaceName: 'eno1', name: 'netdev0' }] }, undefined],
    [
      'invalid Linux net device, empty host interface name',
      { netDevices: [{ hostInterfaceName: '', name: 'netdev0' }] },
      'netDevices[0].hostInterfaceName: invalid linux net device, empty HostInterfaceName',
    ],
    [
      'invalid Linux net device, empty container interface name',
      { netDevices: [{ hostInterfaceName: 'eno1', name: '' }] },
      'netDevices[0].name: invalid linux net device, empty Name',
    ],
    // Beyond the reference's table, from its code:
    ['env values it accepts', { env: ['A=', 'A=B=C', ' =x', 'a b=c'] }, undefined],
    [
      'device types and permissions it accepts',
      { deviceNodes: ['', 'b', 'c', 'u', 'p'].map((type) => ({ path: '/dev/x', type, permissions: 'mwrr' })) },
      undefined,
    ],
    [
      'a type in capitals',
      { deviceNodes: [{ path: '/dev/x', type: 'C' }] },
      'deviceNodes[0].type: device "/dev/x": invalid type "C"',
    ],
    [
      'permissions NONE',
      { deviceNodes: [{ path: '/dev/x', permissions: 'NONE' }] },
      'deviceNodes[0].permissions: device "/dev/x": invalid permissions "NONE"',
    ],
    [
      'relative paths are not checked',
      {
        deviceNodes: [{ path: 'dev/x' }],
        mounts: [{ hostPath: 'tmpfs', containerPath: 'run/x', type: 'tmpfs' }],
        hooks: [{ hookName: 'poststop', path: 'hook' }],
      },
      undefined,
    ],
    ['a closID of 4096 bytes', { intelRdt: { closID: 'x'.repeat(4096) } }, 'intelRdt.closID: invalid ClosID'],
    [
      'a host interface twice',
      {
        netDevices: [
          { hostInterfaceName: 'eno1', name: 'n0' },
          { hostInterfaceName: 'eno1', name: 'n1' },
        ],
      },
      'netDevices[1].hostInterfaceName: invalid linux net device, duplicate HostInterfaceName "eno1" with names "n1" and "n0"',
    ],
    [
      'a name twice',
      {
        netDevices: [
          { hostInterfaceName: 'eno1', name: 'n0' },
          { hostInterfaceName: 'eno2', name: 'n0' },
        ],
      },
      'netDevices[1].name: invalid linux net device, duplicate Name "n0" with HostInterfaceName "eno2" and "eno1"',
    ],
    ['gid 0 and duplicate gids are valid', { additionalGids: [0, 5, 5] }, undefined],
  ])('%s', (_name, edits, problem) => {
    const p = editsProblem(edits, 'e');
    expect(p && `${p.field.slice(2)}: ${p.reason}`).toEqual(problem);
  });
});

describe('combining edits (TestAppend)', () => {
  const e = (o: Partial<ContainerEdits>): ContainerEdits => ({ ...emptyEdits(), ...o });
  const dn = (path: string) => ({ path });
  test.each<[string, ContainerEdits, ContainerEdits[], ContainerEdits]>([
    ['merge nothing into nothing', emptyEdits(), [emptyEdits()], emptyEdits()],
    ['merge non-empty into empty', emptyEdits(), [e({ env: ['var1=val1'] })], e({ env: ['var1=val1'] })],
    ['merge empty into non-empty', e({ env: ['var1=val1'] }), [emptyEdits()], e({ env: ['var1=val1'] })],
    [
      'merge multiple into non-empty',
      e({ env: ['var0=val0'] }),
      [
        e({
          env: ['var1=val1'],
          deviceNodes: [dn('/dev/dev1')],
          intelRdt: { closID: 'clos-1', l3CacheSchema: 'L3:0=ff', schemata: ['L2: 0xFFFF'] },
        }),
        e({ env: ['var2=val2', 'var3=val3'], deviceNodes: [dn('/dev/dev2'), dn('/dev/dev3')] }),
        e({ env: ['var4=val4'], deviceNodes: [dn('/dev/dev4')], intelRdt: { closID: 'clos-2' } }),
      ],
      e({
        env: ['var0=val0', 'var1=val1', 'var2=val2', 'var3=val3', 'var4=val4'],
        deviceNodes: ['/dev/dev1', '/dev/dev2', '/dev/dev3', '/dev/dev4'].map(dn),
        intelRdt: { closID: 'clos-2' },
      }),
    ],
    [
      'merge additional GIDs does not deduplicate',
      e({ additionalGids: [5] }),
      [e({ additionalGids: [0] }), e({ additionalGids: [5] }), e({ additionalGids: [6, 7, 6] })],
      e({ additionalGids: [5, 0, 5, 6, 7, 6] }),
    ],
  ])('%s', (_name, dst, srcs, expected) => {
    expect(srcs.reduce(appendEdits, dst)).toEqual(expected);
  });

  test('normalised raw edits drop null fields', () => {
    expect(normaliseEdits({ env: null, deviceNodes: [{ path: '/dev/x', hostPath: null, uid: 0 }] })).toEqual(
      e({ deviceNodes: [{ path: '/dev/x', uid: 0 }] }),
    );
  });
});

describe('devices (TestDeviceValidate)', () => {
  const spec = (device: object) => ({ cdiVersion: '0.3.0', kind: 'vendor.com/device', devices: [device] });
  test.each<[string, object, string | undefined]>([
    ['valid name, valid edits', { name: 'dev', containerEdits: { env: ['FOO=BAR'] } }, undefined],
    [
      'valid name, invalid edits',
      { name: 'dev', containerEdits: { env: ['=BAR'] } },
      'f.yaml: devices[0].containerEdits.env[0]: invalid device "dev": invalid container edits: invalid environment variable "=BAR"',
    ],
    [
      'invalid name, valid edits',
      { name: 'a dev ice', containerEdits: { env: ['FOO=BAR'] } },
      'f.yaml: devices[0].name: invalid character \' \' in device name "a dev ice"',
    ],
    [
      'empty edits',
      { name: 'dev', containerEdits: {} },
      'f.yaml: devices[0].containerEdits: invalid device, empty device edits',
    ],
    ['no edits at all', { name: 'dev' }, 'f.yaml: devices[0].containerEdits: invalid device, empty device edits'],
    [
      'gid 0 alone is an edit',
      { name: 'dev', containerEdits: { additionalGids: [0] } },
      'f.yaml: devices[0].containerEdits.additionalGids: the spec version must be at least v0.7.0 (the file says 0.3.0)',
    ],
  ])('%s', (_name, device, message) => {
    if (message === undefined) expect(() => validateCdiSpec(spec(device), 'f.yaml')).not.toThrow();
    else expect(() => validateCdiSpec(spec(device), 'f.yaml')).toThrow(message);
  });
});
