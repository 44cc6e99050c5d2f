/**
 * Container edits applied to a config.json: the cases of the CDI reference's container-edits_test.go
 * (TestApplyContainerEdits) and cache_test.go (TestInjectDevice), then edge cases its code decides.
 * The host is a table with the reference tests' facts: /dev/null is c 1:3 mode 0666, /dev/nil is absent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import type { Json } from '../core/json';
import { REFERENCE_HOOKS } from '../../test/support/cdi-reference';
import { tmpDir } from '../../test/support/e2e';
import { FILE, chr, fakeHost } from '../../test/support/offline';
import { CdiApplyError, applyContainerEdits, cleanPath } from './apply';
import { ContainerEdits, emptyEdits } from './edits';
import { injectionEdits, loadRegistry, resolveDevices } from './registry';

const host = fakeHost({
  '/dev/null': chr(1, 3, 0o666),
  '/etc/passwd': FILE,
  '/dev/fifo0': { kind: 'missing', detail: 'no such file or directory' },
});
const e = (o: Partial<ContainerEdits>): ContainerEdits => ({ ...emptyEdits(), ...o });
const nullDevice = { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666 };
const nullRule = { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' };
const hooks = REFERENCE_HOOKS;
const m = (n: number, dest: string, extra: object = {}) => ({
  source: `/some/host/path${n}`,
  destination: dest,
  ...extra,
});
const cm = (n: number, dest: string, extra: object = {}) => ({
  hostPath: `/some/host/path${n}`,
  containerPath: dest,
  ...extra,
});

describe('applying edits (TestApplyContainerEdits)', () => {
  test.each<[string, Json, ContainerEdits, Json]>([
    ['empty spec, empty edits', {}, emptyEdits(), {}],
    ['empty spec, env var', {}, e({ env: ['BAR=BARVALUE1'] }), { process: { env: ['BAR=BARVALUE1'] } }],
    [
      'empty spec, duplicate env vars use last value',
      {},
      e({ env: ['FOO=old', 'FOO=new'] }),
      { process: { env: ['FOO=new'] } },
    ],
    [
      'non-empty spec, env var with existing key is replaced',
      { process: { env: ['FOO=old', 'BAR=old'] } },
      e({ env: ['FOO=new'] }),
      { process: { env: ['FOO=new', 'BAR=old'] } },
    ],
    [
      'empty spec, device',
      {},
      e({ deviceNodes: [{ path: '/dev/null' }] }),
      { linux: { devices: [nullDevice], resources: { devices: [nullRule] } } },
    ],
    [
      'empty spec, device with explicitly empty permissions',
      {},
      e({ deviceNodes: [{ path: '/dev/nil', type: 'c', major: 1, minor: 3, permissions: 'none' }] }),
      {
        linux: {
          devices: [{ path: '/dev/nil', type: 'c', major: 1, minor: 3 }],
          resources: { devices: [{ ...nullRule, access: '' }] },
        },
      },
    ],
    [
      'empty spec, device with omitted permissions',
      {},
      e({ deviceNodes: [{ path: '/dev/nil', type: 'c', major: 1, minor: 3, permissions: '' }] }),
      { linux: { devices: [{ path: '/dev/nil', type: 'c', major: 1, minor: 3 }], resources: { devices: [nullRule] } } },
    ],
    [
      'empty spec, device, env var',
      {},
      e({ env: ['FOO=BAR'], deviceNodes: [{ path: '/dev/null', type: 'c' }] }),
      { process: { env: ['FOO=BAR'] }, linux: { devices: [nullDevice], resources: { devices: [nullRule] } } },
    ],
    [
      'empty spec, mount',
      {},
      e({ mounts: [{ hostPath: '/dev/host-vendorctl', containerPath: '/dev/cntr-vendorctl' }] }),
      { mounts: [{ source: '/dev/host-vendorctl', destination: '/dev/cntr-vendorctl' }] },
    ],
    [
      'empty spec, hooks',
      {},
      e({ hooks }),
      {
        hooks: {
          prestart: [{ path: '/usr/local/bin/prestart-vendor-hook', args: ['--verbose'], env: ['VENDOR_ENV1=value1'] }],
          createRuntime: [{ path: '/usr/local/bin/cr-vendor-hook', args: ['--debug'], env: ['VENDOR_ENV2=value2'] }],
          createContainer: [{ path: '/usr/local/bin/cc-vendor-hook', args: ['--create'], env: ['VENDOR_ENV3=value3'] }],
          startContainer: [{ path: '/usr/local/bin/sc-vendor-hook', args: ['--start'], env: ['VENDOR_ENV4=value4'] }],
          poststart: [{ path: '/usr/local/bin/poststart-vendor-hook', env: ['VENDOR_ENV5=value5'] }],
          poststop: [{ path: '/usr/local/bin/poststop-vendor-hook' }],
        },
      },
    ],
    [
      'empty spec, rdt',
      {},
      e({
        intelRdt: {
          closID: 'clos-1',
          l3CacheSchema: 'L3:0=ff;1=ff',
          memBwSchema: 'MB:0=50;1=50',
          schemata: ['L2:0=ffff'],
          enableMonitoring: true,
        },
      }),
      {
        linux: {
          intelRdt: {
            closID: 'clos-1',
            l3CacheSchema: 'L3:0=ff;1=ff',
            memBwSchema: 'MB:0=50;1=50',
            schemata: ['L2:0=ffff'],
            enableMonitoring: true,
          },
        },
      },
    ],
    [
      'non-empty spec, overriding rdt',
      {
        linux: {
          intelRdt: {
            closID: 'clos-1',
            l3CacheSchema: 'L3:0=ff',
            memBwSchema: 'MB:0=100',
            schemata: ['L2:0=ffff'],
            enableMonitoring: true,
          },
        },
      },
      e({ intelRdt: { closID: 'clos-2', l3CacheSchema: 'L3:0=f', enableMonitoring: false } }),
      { linux: { intelRdt: { closID: 'clos-2', l3CacheSchema: 'L3:0=f', enableMonitoring: false } } },
    ],
    [
      'empty spec, Linux net devices',
      {},
      e({
        netDevices: [
          { hostInterfaceName: 'eno1', name: 'netdev0' },
          { hostInterfaceName: 'eno2', name: 'netdev1' },
        ],
      }),
      { linux: { netDevices: { eno1: { name: 'netdev0' }, eno2: { name: 'netdev1' } } } },
    ],
    [
      'non-empty spec, overriding Linux net devices',
      { linux: { netDevices: { eno1: { name: 'netdev1' } } } },
      e({
        netDevices: [
          { hostInterfaceName: 'eno1', name: 'netdev2' },
          { hostInterfaceName: 'eno2', name: 'netdev1' },
        ],
      }),
      { linux: { netDevices: { eno1: { name: 'netdev2' }, eno2: { name: 'netdev1' } } } },
    ],
    [
      'additional GIDs are applied',
      {},
      e({ additionalGids: [4, 5, 6] }),
      { process: { user: { uid: 0, gid: 0, additionalGids: [4, 5, 6] } } },
    ],
    [
      'existing additional GIDs are not duplicated',
      { process: { user: { additionalGids: [4] } } },
      e({ additionalGids: [4, 5] }),
      { process: { user: { additionalGids: [4, 5] } } },
    ],
    [
      'duplicate GIDs are ignored',
      {},
      e({ additionalGids: [4, 5, 6, 5, 6, 4] }),
      { process: { user: { uid: 0, gid: 0, additionalGids: [4, 5, 6] } } },
    ],
    ['additional GID 0 is skipped', {}, e({ additionalGids: [0] }), {}],
    [
      'apply mount edits do not change the order of original mounts',
      { mounts: [m(1, '/dest/path/b'), m(2, '/dest/path/a')] },
      e({ mounts: [cm(3, '/dest/edit')] }),
      { mounts: [m(3, '/dest/edit'), m(1, '/dest/path/b'), m(2, '/dest/path/a')] },
    ],
    [
      'mount added by edit comes after existing ones of same number of path parts',
      { mounts: [m(1, '/dest/path/c'), m(2, '/dest/path/b')] },
      e({ mounts: [cm(3, '/dest/path/a')] }),
      { mounts: [m(1, '/dest/path/c'), m(2, '/dest/path/b'), m(3, '/dest/path/a')] },
    ],
    [
      'mount added to container with Linux user namespace and uid/gid mappings',
      {
        linux: {
          uidMappings: [{ containerID: 0, hostID: 1000, size: 999 }],
          gidMappings: [{ containerID: 0, hostID: 2000, size: 777 }],
          namespaces: [{ type: 'user', path: '/foo/bar' }],
        },
        mounts: [m(1, '/dest/path/c'), m(2, '/dest/path/b')],
      },
      e({
        mounts: [cm(3, '/dest/path/a', { type: 'bind' }), cm(4, '/dest/path/d', { type: 'bind', options: ['rbind'] })],
      }),
      {
        linux: {
          uidMappings: [{ containerID: 0, hostID: 1000, size: 999 }],
          gidMappings: [{ containerID: 0, hostID: 2000, size: 777 }],
          namespaces: [{ type: 'user', path: '/foo/bar' }],
        },
        mounts: [
          m(1, '/dest/path/c'),
          m(2, '/dest/path/b'),
          m(3, '/dest/path/a', { type: 'bind', options: ['idmap'] }),
          m(4, '/dest/path/d', { type: 'bind', options: ['rbind', 'ridmap'] }),
        ],
      },
    ],
    // Beyond the reference's table, from its code:
    [
      'permissions are copied as written',
      {},
      e({ deviceNodes: [{ path: '/dev/null', permissions: 'mwr' }] }),
      { linux: { devices: [nullDevice], resources: { devices: [{ ...nullRule, access: 'mwr' }] } } },
    ],
    [
      'a host node under another container path',
      {},
      e({ deviceNodes: [{ path: '/dev/foo', hostPath: '/dev/null' }] }),
      { linux: { devices: [{ ...nullDevice, path: '/dev/foo' }], resources: { devices: [nullRule] } } },
    ],
    [
      'a fully described fifo needs no host node, and gets no cgroup rule',
      {},
      e({ deviceNodes: [{ path: '/dev/fifo0', type: 'p' }] }),
      { linux: { devices: [{ path: '/dev/fifo0', type: 'p', major: 0, minor: 0 }] } },
    ],
    [
      'a minimal node keeps its numbers, the mode comes from the host',
      {},
      e({ deviceNodes: [{ path: '/dev/null', type: 'c', major: 5 }] }),
      {
        linux: {
          devices: [{ path: '/dev/null', type: 'c', major: 5, minor: 0, fileMode: 0o666 }],
          resources: { devices: [{ ...nullRule, major: 5, minor: 0 }] },
        },
      },
    ],
    [
      'owner from the process user, unless the node names one',
      { process: { user: { uid: 1000, gid: 1001 } } },
      e({ deviceNodes: [{ path: '/dev/null' }, { path: '/dev/zero0', hostPath: '/dev/null', uid: 0 }] }),
      {
        process: { user: { uid: 1000, gid: 1001 } },
        linux: {
          devices: [
            { ...nullDevice, uid: 1000, gid: 1001 },
            { ...nullDevice, path: '/dev/zero0', uid: 0, gid: 1001 },
          ],
          resources: { devices: [nullRule, nullRule] },
        },
      },
    ],
    [
      'an existing device of the same path goes to the end',
      { linux: { devices: [{ path: '/dev/null' }, { path: '/dev/b' }] } },
      e({ deviceNodes: [{ path: '/dev/null' }] }),
      { linux: { devices: [{ path: '/dev/b' }, nullDevice], resources: { devices: [nullRule] } } },
    ],
    [
      'a mount over an existing destination replaces it, then all mounts by depth',
      { mounts: [m(1, '/a/b/c'), m(2, '/x')] },
      e({ mounts: [cm(3, '/x/'), cm(4, '/x')] }),
      { mounts: [m(3, '/x/'), m(4, '/x'), m(1, '/a/b/c')] },
    ],
  ])('%s', (_name, config, edits, expected) => {
    const before = structuredClone(config);
    expect(applyContainerEdits(config, edits, host)).toEqual(expected);
    expect(config).toEqual(before);
  });

  test.each<[string, ContainerEdits, string]>([
    [
      'a missing host node without numbers',
      e({ deviceNodes: [{ path: '/dev/doesnotexist' }] }),
      'failed to stat CDI host device "/dev/doesnotexist": no such file or directory',
    ],
    [
      'a host path that is no device',
      e({ deviceNodes: [{ path: '/etc/passwd' }] }),
      'failed to stat CDI host device "/etc/passwd": not a device node',
    ],
    [
      'a type the host contradicts',
      e({ deviceNodes: [{ path: '/dev/null', type: 'b' }] }),
      'CDI device ("/dev/null", "/dev/null"), host type mismatch (b, c)',
    ],
    [
      '"u" without numbers on a host node',
      e({ deviceNodes: [{ path: '/dev/null', type: 'u' }] }),
      'CDI device ("/dev/null", "/dev/null"), host type mismatch (u, c)',
    ],
  ])('refused: %s', (_name, edits, message) => {
    expect(() => applyContainerEdits({}, edits, host)).toThrow(new CdiApplyError(message));
  });
});

describe('injecting devices (TestInjectDevice): a spec file in a CDI folder, devices resolved by name', () => {
  const vendor1 = (extraDevices = '') => `cdiVersion: "0.3.0"
kind:       "vendor1.com/device"
containerEdits:
  env:
  - VENDOR1_SPEC_VAR1=VAL1
devices:
  - name: "dev1"
    containerEdits:
      env:
      - "VENDOR1_VAR1=VAL1"
      deviceNodes:
      - path: "/dev/vendor1-dev1"
        type: b
        major: 10
        minor: 1
${extraDevices}`;
  const several = `cdiVersion: "0.3.0"
kind: "vendor1.com/device"
containerEdits:
  env: [VENDOR1_SPEC_VAR1=VAL1]
devices:
  - name: dev1
    containerEdits:
      env: [VENDOR1_DEV1=VAL1]
      deviceNodes: [{path: /dev/vendor1-dev1, type: b, major: 10, minor: 1}]
  - name: dev2
    containerEdits:
      env: [VENDOR1_DEV2=VAL2]
      deviceNodes: [{path: /dev/vendor1-dev2, type: b, major: 10, minor: 2}]
      hooks:
        - {hookName: prestart, path: /usr/local/bin/prestart-vendor-hook, args: [--verbose], env: [HOOK_ENV1=PRESTART_VAL1]}
        - {hookName: createRuntime, path: /usr/local/bin/cr-vendor-hook, args: [--debug], env: [HOOK_ENV1=CREATE_RUNTIME_VAL1]}
  - name: dev3
    containerEdits:
      env: [VENDOR1_DEV3=VAL3]
      deviceNodes: [{path: /dev/vendor1-dev3, type: b, major: 10, minor: 3}]
`;
  const inject = (yaml: string, config: Json, names: string[]) => {
    const dir = tmpDir('cdi-inject');
    fs.writeFileSync(path.join(dir, 'vendor1.yaml'), yaml);
    try {
      return applyContainerEdits(config, injectionEdits(resolveDevices(loadRegistry([dir]), names)), host);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  };
  const orig = {
    process: { env: ['ORIG_VAR1=VAL1', 'ORIG_VAR2=VAL2'] },
    linux: { devices: [{ path: '/dev/null' }, { path: '/dev/zero' }] },
  };
  const rule = (n: number) => ({ allow: true, type: 'b', major: 10, minor: n, access: 'rwm' });
  const node = (n: number) => ({ path: `/dev/vendor1-dev${n}`, type: 'b', major: 10, minor: n });

  test('empty OCI Spec, inject one device', () => {
    expect(inject(vendor1(), {}, ['vendor1.com/device=dev1'])).toEqual({
      process: { env: ['VENDOR1_SPEC_VAR1=VAL1', 'VENDOR1_VAR1=VAL1'] },
      linux: { devices: [node(1)], resources: { devices: [rule(1)] } },
    });
  });

  test('non-empty OCI Spec, inject one device', () => {
    expect(inject(vendor1(), orig, ['vendor1.com/device=dev1'])).toEqual({
      process: { env: ['ORIG_VAR1=VAL1', 'ORIG_VAR2=VAL2', 'VENDOR1_SPEC_VAR1=VAL1', 'VENDOR1_VAR1=VAL1'] },
      linux: { devices: [{ path: '/dev/null' }, { path: '/dev/zero' }, node(1)], resources: { devices: [rule(1)] } },
    });
  });

  test('non-empty OCI Spec, inject several devices, hooks', () => {
    expect(
      inject(several, orig, ['vendor1.com/device=dev1', 'vendor1.com/device=dev2', 'vendor1.com/device=dev3']),
    ).toEqual({
      process: {
        env: [
          'ORIG_VAR1=VAL1',
          'ORIG_VAR2=VAL2',
          'VENDOR1_SPEC_VAR1=VAL1',
          'VENDOR1_DEV1=VAL1',
          'VENDOR1_DEV2=VAL2',
          'VENDOR1_DEV3=VAL3',
        ],
      },
      hooks: {
        prestart: [
          { path: '/usr/local/bin/prestart-vendor-hook', args: ['--verbose'], env: ['HOOK_ENV1=PRESTART_VAL1'] },
        ],
        createRuntime: [
          { path: '/usr/local/bin/cr-vendor-hook', args: ['--debug'], env: ['HOOK_ENV1=CREATE_RUNTIME_VAL1'] },
        ],
      },
      linux: {
        devices: [{ path: '/dev/null' }, { path: '/dev/zero' }, node(1), node(2), node(3)],
        resources: { devices: [rule(1), rule(2), rule(3)] },
      },
    });
  });

  test('empty OCI Spec, non-existent device: refused, nothing applied', () => {
    expect(() => inject(vendor1(), {}, ['vendor1.com/device=dev2'])).toThrow(
      new UsageError('CDI device vendor1.com/device=dev2: unknown (vendor1.com/device has dev1)'),
    );
  });
});

test.each([
  ['/', '/'],
  ['/dest/edit', '/dest/edit'],
  ['/a/', '/a'],
  ['a/b', 'a/b'],
  ['', '.'],
  ['//a//./b/../c', '/a/c'],
  ['/..', '/'],
  ['../x', '../x'],
])("Go's filepath.Clean(%p) = %p", (p, clean) => {
  expect(cleanPath(p)).toBe(clean);
});

describe("edits the config already has (the engine's own CDI applied the device first) change nothing", () => {
  /** A config as containerd 1.7 with enable_cdi gives runc, /dev/accdev0 (from /dev/null) applied. */
  const applied = {
    process: { args: ['sh'], env: ['PATH=/usr/bin', 'ACC_VISIBLE=0'], user: { uid: 0, gid: 0, additionalGids: [44] } },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      { destination: '/opt/acc', source: '/some/host/path1', options: ['ro', 'bind'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec'] },
      { destination: '/etc/hosts', type: 'bind', source: '/var/lib/c/hosts', options: ['rbind', 'rprivate', 'rw'] },
    ],
    hooks: { createContainer: [{ path: '/usr/bin/acc-hook', args: ['acc-hook', 'setup'] }] },
    linux: {
      devices: [{ path: '/dev/accdev0', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        ],
      },
    },
  };
  const accEdits = e({
    env: ['ACC_VISIBLE=0'],
    deviceNodes: [{ path: '/dev/accdev0', hostPath: '/dev/null' }],
    mounts: [{ hostPath: '/some/host/path1', containerPath: '/opt/acc', options: ['ro', 'bind'] }],
    hooks: [{ hookName: 'createContainer', path: '/usr/bin/acc-hook', args: ['acc-hook', 'setup'] }],
    additionalGids: [44],
  });

  test('the whole device applied again: the config as it was (no second rule, no mount moved past /etc/hosts, no second hook)', () => {
    expect(applyContainerEdits(applied, accEdits, host)).toEqual(applied);
  });

  test.each<[string, Json, ContainerEdits, Json]>([
    [
      'the node there with another mode and owner: kept as the engine made it',
      { linux: { devices: [{ path: '/dev/accdev0', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5 }] } },
      e({ deviceNodes: [{ path: '/dev/accdev0', hostPath: '/dev/null' }] }),
      {
        linux: {
          devices: [{ path: '/dev/accdev0', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5 }],
          resources: { devices: [nullRule] },
        },
      },
    ],
    [
      'the node there with other numbers: replaced, as the reference does',
      { linux: { devices: [{ path: '/dev/accdev0', type: 'c', major: 1, minor: 5 }] } },
      e({ deviceNodes: [{ path: '/dev/accdev0', hostPath: '/dev/null' }] }),
      { linux: { devices: [{ ...nullDevice, path: '/dev/accdev0' }], resources: { devices: [nullRule] } } },
    ],
    [
      'a privileged container (allow a rwm): the node, no rule',
      { linux: { resources: { devices: [{ allow: true, access: 'rwm' }] } } },
      e({ deviceNodes: [{ path: '/dev/null' }] }),
      { linux: { devices: [nullDevice], resources: { devices: [{ allow: true, access: 'rwm' }] } } },
    ],
    [
      'allowed, then denied by a later rule: the rule again, at the end',
      { linux: { resources: { devices: [nullRule, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }] } } },
      e({ deviceNodes: [{ path: '/dev/null' }] }),
      {
        linux: {
          devices: [nullDevice],
          resources: { devices: [nullRule, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }, nullRule] },
        },
      },
    ],
    [
      'permissions "none" applied twice: its one empty rule',
      { linux: { devices: [nullDevice], resources: { devices: [{ ...nullRule, access: '' }] } } },
      e({ deviceNodes: [{ path: '/dev/null', permissions: 'none' }] }),
      { linux: { devices: [nullDevice], resources: { devices: [{ ...nullRule, access: '' }] } } },
    ],
    [
      'the same mount among others of its depth: it stays, nothing is re-sorted',
      { mounts: [m(1, '/a/b'), m(2, '/x/y'), m(3, '/c'), m(4, '/d/e')] },
      e({ mounts: [cm(2, '/x/y')] }),
      { mounts: [m(1, '/a/b'), m(2, '/x/y'), m(3, '/c'), m(4, '/d/e')] },
    ],
    [
      'the same destination with other options: replaced and sorted, as the reference does',
      { mounts: [m(1, '/a/b'), m(2, '/x/y'), m(3, '/c')] },
      e({ mounts: [cm(2, '/x/y', { options: ['ro'] })] }),
      { mounts: [m(3, '/c'), m(1, '/a/b'), m(2, '/x/y', { options: ['ro'] })] },
    ],
    [
      'the same hook: once; the same path with other args: added',
      { hooks: { createRuntime: [{ path: '/bin/h', args: ['h', '1'] }] } },
      e({
        hooks: [
          { hookName: 'createRuntime', path: '/bin/h', args: ['h', '1'] },
          { hookName: 'createRuntime', path: '/bin/h', args: ['h', '2'] },
        ],
      }),
      {
        hooks: {
          createRuntime: [
            { path: '/bin/h', args: ['h', '1'] },
            { path: '/bin/h', args: ['h', '2'] },
          ],
        },
      },
    ],
    [
      'a user namespace: the mount with idmap, as the engine wrote it, stays',
      {
        linux: { namespaces: [{ type: 'user' }] },
        mounts: [m(1, '/opt/x', { type: 'bind', options: ['bind', 'idmap'] }), m(2, '/etc/hosts')],
      },
      e({ mounts: [cm(1, '/opt/x', { type: 'bind', options: ['bind'] })] }),
      {
        linux: { namespaces: [{ type: 'user' }] },
        mounts: [m(1, '/opt/x', { type: 'bind', options: ['bind', 'idmap'] }), m(2, '/etc/hosts')],
      },
    ],
  ])('%s', (_name, config, edits, expected) => {
    expect(applyContainerEdits(config, edits, host)).toEqual(expected);
  });
});
