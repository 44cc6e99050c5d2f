/**
 * CDI spec validation: the cases of the reference's spec_test.go (TestNewSpec, TestReadSpec,
 * TestRequiredVersion) and specs-go/version_test.go (TestMinimumRequiredVersion,
 * TestValidateVersion), then edge cases its code decides. A refusal names the field.
 */
import { CdiSpecError, validateCdiSpec } from './spec';
import { CDI_VERSIONS, minimumRequiredVersion } from './version';
import type { RawSpec } from './schema';

const dev = (name: string, env: string) => ({ name, containerEdits: { env: [env] } });
const good = (extra: object = {}) => ({
  cdiVersion: '0.3.0',
  kind: 'vendor.com/device',
  devices: [dev('dev1', 'FOO=BAR')],
  ...extra,
});

function refusal(doc: unknown): string | undefined {
  try {
    validateCdiSpec(doc, 'spec.yaml');
    return undefined;
  } catch (e) {
    if (!(e instanceof CdiSpecError)) throw e;
    return `${e.field}: ${e.reason}`;
  }
}

describe('specs (TestNewSpec, TestReadSpec, TestWriteSpec, TestGetters)', () => {
  test.each<[string, unknown, string | undefined]>([
    ['unparsable: an unknown field', { xyzzy: 'garbled' }, '(top level): unknown field "xyzzy"'],
    [
      'invalid, missing CDI version',
      { kind: 'vendor.com/device', devices: [dev('dev1', 'FOO=BAR')] },
      'cdiVersion: invalid version ""',
    ],
    ['invalid, invalid CDI version', good({ cdiVersion: '0.0.0' }), 'cdiVersion: invalid version "0.0.0"'],
    [
      'invalid, missing vendor/class',
      { cdiVersion: '0.3.0', devices: [dev('dev1', 'FOO=BAR')] },
      'kind: invalid vendor. empty name',
    ],
    [
      'invalid, invalid vendor',
      good({ kind: 'vendor.com-/device' }),
      'kind: invalid vendor. "vendor.com-", should end with a letter or digit',
    ],
    [
      'invalid, invalid class',
      good({ kind: 'vendor.com/device=' }),
      'kind: invalid class. "device=", should end with a letter or digit',
    ],
    [
      'invalid, missing required edits',
      good({ devices: [{ name: 'dev1' }] }),
      'devices[0].containerEdits: invalid device, empty device edits',
    ],
    [
      'invalid, conflicting devices',
      good({ devices: [dev('dev1', 'FOO=BAR'), dev('dev2', 'BAR=FOO'), dev('dev1', 'SPACE=BAR')] }),
      'devices[2].name: invalid spec, multiple device "dev1"',
    ],
    ['valid', good({ devices: [dev('dev1', 'FOO=BAR'), dev('dev2', 'BAR=FOO'), dev('dev3', 'SPACE=BAR')] }), undefined],
    ['invalid, empty cdiVersion', good({ cdiVersion: '' }), 'cdiVersion: invalid version ""'],
    [
      'invalid, spec edits and no devices',
      { cdiVersion: '0.3.0', kind: 'vendor.com/device', containerEdits: { env: ['FOO=BAR'] } },
      'devices: invalid spec, no devices',
    ],
    [
      'valid, a tmpfs mount at 0.4.0',
      {
        cdiVersion: '0.4.0',
        kind: 'vendor.com/device',
        devices: [
          {
            name: 'dev1',
            containerEdits: {
              mounts: [
                {
                  hostPath: 'tmpfs',
                  containerPath: '/usr/local/container',
                  type: 'tmpfs',
                  options: ['ro', 'mode=755', 'size=65536k'],
                },
              ],
              env: ['FOO=BAR'],
            },
          },
        ],
      },
      undefined,
    ],
    // Beyond the reference's tables, from its code:
    ['a kind without "/"', good({ kind: 'vendor1.comdevice' }), 'kind: invalid vendor. empty name'],
    [
      'a kind with two "/"',
      good({ kind: 'vendor.com/a/b' }),
      'kind: invalid class. invalid character \'/\' in name "a/b"',
    ],
    [
      'a class starting with a digit',
      good({ kind: 'vendor.com/1gpu' }),
      'kind: invalid class. "1gpu", should start with letter',
    ],
    [
      'field names in any case (Go decodes them so)',
      {
        CDIVersion: '0.3.0',
        Kind: 'vendor.com/device',
        Devices: [{ Name: 'dev1', ContainerEdits: { Env: ['FOO=BAR'] } }],
      },
      undefined,
    ],
    [
      'an unknown field in a device node',
      good({ devices: [{ name: 'd', containerEdits: { deviceNodes: [{ path: '/dev/x', mode: 1 }] } }] }),
      'devices.0.containerEdits.deviceNodes.0: unknown field "mode"',
    ],
    [
      'hooks neither a list nor an object of lists',
      good({ containerEdits: { hooks: 'createContainer' } }),
      'containerEdits.hooks: expected a list of hooks (or an object of hook lists keyed by stage)',
    ],
    ['null is an absent value', good({ annotations: null, containerEdits: { env: null } }), undefined],
    [
      'a negative uid',
      good({ devices: [{ name: 'd', containerEdits: { deviceNodes: [{ path: '/dev/x', uid: -1 }] } }] }),
      'devices.0.containerEdits.deviceNodes.0.uid: must be at least 0',
    ],
    [
      'annotations are not checked beyond their version',
      { ...good({ cdiVersion: '0.6.0' }), annotations: { 'not a k8s key!': 'x' } },
      undefined,
    ],
    [
      'an edit problem names the device',
      good({ devices: [{ name: 'dev1', containerEdits: { env: ['=BAR'] } }] }),
      'devices[0].containerEdits.env[0]: invalid device "dev1": invalid container edits: invalid environment variable "=BAR"',
    ],
    [
      'spec-level edits are checked first',
      good({
        containerEdits: { deviceNodes: [{ path: '' }] },
        devices: [{ name: 'bad name', containerEdits: { env: ['A=1'] } }],
      }),
      'containerEdits.deviceNodes[0].path: invalid (empty) device path',
    ],
  ])('%s', (_name, doc, expected) => {
    expect(refusal(doc)).toEqual(expected);
  });
});

describe('versions', () => {
  const withEdits = (containerEdits: object) => good({ cdiVersion: '1.1.0', containerEdits });
  const withDevice = (device: object) =>
    good({ cdiVersion: '1.1.0', devices: [{ name: 'device0', containerEdits: { env: ['FOO=bar'] }, ...device }] });
  test.each<[string, object, string]>([
    ['empty spec returns lowest version', good({ cdiVersion: '1.1.0' }), '0.3.0'],
    [
      'hostPath set returns version 0.5.0',
      withEdits({ deviceNodes: [{ path: '/a', hostPath: '/host/path/set' }] }),
      '0.5.0',
    ],
    [
      'hostPath equal to Path required v0.5.0',
      withEdits({ deviceNodes: [{ hostPath: '/some/path', path: '/some/path' }] }),
      '0.5.0',
    ],
    [
      'mount type set returns version 0.4.0',
      withEdits({ mounts: [{ hostPath: '/a', containerPath: '/b', type: 'bind' }] }),
      '0.4.0',
    ],
    [
      'newest required version is selected',
      {
        ...withEdits({
          deviceNodes: [{ path: '/a', hostPath: '/host/path/set' }],
          mounts: [{ hostPath: '/a', containerPath: '/b', type: 'bind' }],
        }),
        annotations: { key: 'value' },
      },
      '0.6.0',
    ],
    ['device with name starting with digit requires v0.5.0', withDevice({ name: '0' }), '0.5.0'],
    ['device with name starting with letter requires minimum version', withDevice({}), '0.3.0'],
    ['spec annotations require v0.6.0', { ...good({ cdiVersion: '1.1.0' }), annotations: { key: 'value' } }, '0.6.0'],
    ['device annotations require v0.6.0', withDevice({ annotations: { key: 'value' } }), '0.6.0'],
    ['dotted name (class) label require v0.6.0', good({ cdiVersion: '1.1.0', kind: 'vendor.com/class.sub' }), '0.6.0'],
    ['IntelRdt requires v0.7.0', withEdits({ intelRdt: { closID: 'foo' } }), '0.7.0'],
    ['IntelRdt (on devices) requires v0.7.0', withDevice({ containerEdits: { intelRdt: { closID: 'foo' } } }), '0.7.0'],
    ['additionalGIDs in spec require v0.7.0', withEdits({ additionalGids: [5] }), '0.7.0'],
    ['additionalGIDs in device require v0.7.0', withDevice({ containerEdits: { additionalGids: [5] } }), '0.7.0'],
    ['global edit RDT schemata requires v1.1.0', withEdits({ intelRdt: { schemata: ['foo'] } }), '1.1.0'],
    ['global edit RDT monitoring requires v1.1.0', withEdits({ intelRdt: { enableMonitoring: true } }), '1.1.0'],
    [
      'device edit RDT schemata requires v1.1.0',
      withDevice({ containerEdits: { intelRdt: { schemata: ['foo'] } } }),
      '1.1.0',
    ],
    [
      'device edit RDT monitoring requires v1.1.0',
      withDevice({ containerEdits: { intelRdt: { enableMonitoring: true } } }),
      '1.1.0',
    ],
    ['v0.7.0 Intel RDT, empty', withEdits({ intelRdt: {} }), '0.7.0'],
    ['v1.1.0 Intel RDT schemata, empty list', withEdits({ intelRdt: { schemata: [] } }), '1.1.0'],
    ['v1.1.0 network device', withEdits({ netDevices: [{ hostInterfaceName: 'eno1', name: 'n0' }] }), '1.1.0'],
    ['additional gid 0 still needs v0.7.0', withEdits({ additionalGids: [0] }), '0.7.0'],
    ['empty annotations need nothing', { ...good({ cdiVersion: '1.1.0' }), annotations: {} }, '0.3.0'],
  ])('%s (TestRequiredVersion, TestMinimumRequiredVersion)', (_name, doc, version) => {
    expect(minimumRequiredVersion(doc as RawSpec).version).toBe(version);
    expect(refusal(doc)).toBeUndefined();
  });

  test.each<[string, string, object, string | undefined]>([
    ['current version', '1.1.0', {}, undefined],
    ['optional v prefix', 'v1.1.0', {}, undefined],
    ['earliest supported version', '0.3.0', {}, undefined],
    [
      'known but unsupported v0.1.0',
      '0.1.0',
      {},
      'cdiVersion: the spec version must be at least v0.3.0 (the file says 0.1.0)',
    ],
    [
      'known but unsupported v0.2.0',
      'v0.2.0',
      {},
      'cdiVersion: the spec version must be at least v0.3.0 (the file says v0.2.0)',
    ],
    ['unknown version', '1.2.0', {}, 'cdiVersion: invalid version "1.2.0"'],
    ['malformed version', 'not-a-version', {}, 'cdiVersion: invalid version "not-a-version"'],
    [
      'version too old for feature',
      '0.6.0',
      { containerEdits: { additionalGids: [1] } },
      'containerEdits.additionalGids: the spec version must be at least v0.7.0 (the file says 0.6.0)',
    ],
    ['minimum version for feature', '0.7.0', { containerEdits: { additionalGids: [1] } }, undefined],
    ['newer version for feature', '1.1.0', { containerEdits: { additionalGids: [1] } }, undefined],
    ['invalid 2.0.0', '2.0.0', {}, 'cdiVersion: invalid version "2.0.0"'],
    ['two v', 'vv0.3.0', {}, 'cdiVersion: invalid version "vv0.3.0"'],
    ['a capital V', 'V0.3.0', {}, 'cdiVersion: invalid version "V0.3.0"'],
    ['no patch level', '0.3', {}, 'cdiVersion: invalid version "0.3"'],
    [
      'a dot in the class at 0.5.0',
      '0.5.0',
      { kind: 'vendor.com/class.sub' },
      'kind: the spec version must be at least v0.6.0 (the file says 0.5.0)',
    ],
    [
      'a device name with a digit at 0.3.0',
      '0.3.0',
      { devices: [dev('0dev', 'A=1')] },
      'devices[0].name: the spec version must be at least v0.5.0 (the file says 0.3.0)',
    ],
    [
      'the version is checked before the edits',
      '0.3.0',
      { containerEdits: { netDevices: [{ hostInterfaceName: '', name: '' }] } },
      'containerEdits.netDevices: the spec version must be at least v1.1.0 (the file says 0.3.0)',
    ],
  ])('%s (TestValidateVersion)', (_name, cdiVersion, extra, expected) => {
    expect(refusal(good({ ...extra, cdiVersion }))).toEqual(expected);
  });

  test('every supported version accepts a minimal spec', () => {
    for (const v of CDI_VERSIONS) expect(refusal(good({ cdiVersion: v }))).toBeUndefined();
  });
});

describe("hooks by stage (zlayer's form): read as the CDI list, with a warning", () => {
  const byStage = (hooks: object, where: 'spec' | 'device' = 'spec') =>
    good(
      where === 'spec'
        ? { containerEdits: { hooks } }
        : { devices: [{ name: 'dev1', containerEdits: { env: ['FOO=BAR'], hooks } }] },
    );

  test('each key a stage, keys then lists in order; the spec says it is not the CDI form', () => {
    const spec = validateCdiSpec(
      byStage({
        createContainer: [{ path: '/usr/bin/a', args: ['a', 'prestart'] }, { path: '/usr/bin/b' }],
        poststop: [{ path: '/usr/bin/c', env: ['X=1'], timeout: 5 }],
      }),
      'spec.json',
    );
    expect(spec.edits.hooks).toEqual([
      { hookName: 'createContainer', path: '/usr/bin/a', args: ['a', 'prestart'] },
      { hookName: 'createContainer', path: '/usr/bin/b' },
      { hookName: 'poststop', path: '/usr/bin/c', env: ['X=1'], timeout: 5 },
    ]);
    expect(spec.warnings).toEqual([
      "containerEdits.hooks: an object of hook lists keyed by stage (zlayer's form), not the CDI form (a list of hooks, each with hookName); read as that list, but the CDI reference refuses this spec",
    ]);
    const device = validateCdiSpec(byStage({ createContainer: [{ path: '/usr/bin/a' }] }, 'device'), 'spec.json');
    expect(device.devices[0]?.edits.hooks).toEqual([{ hookName: 'createContainer', path: '/usr/bin/a' }]);
    expect(device.warnings).toEqual([
      expect.stringMatching(/^devices\[0\]\.containerEdits\.hooks: an object of hook lists/),
    ]);
    expect(validateCdiSpec(good({ containerEdits: { hooks: [] } }), 'spec.json').warnings).toBeUndefined();
  });

  test.each<[string, object, string]>([
    [
      'a key that is no stage',
      { prestrat: [{ path: '/x' }] },
      'containerEdits.hooks.prestrat: invalid hook name "prestrat"',
    ],
    [
      'a hook without a path, named where it was written',
      { createContainer: [{ path: '/x' }, { args: ['y'] }] },
      'containerEdits.hooks.createContainer[1].path: invalid hook "createContainer" with empty path',
    ],
    [
      'a bad env entry',
      { poststart: [{ path: '/x', env: ['=1'] }] },
      'containerEdits.hooks.poststart[0].env[0]: invalid hook "poststart": invalid environment variable "=1"',
    ],
    [
      'hookName in a hook of this form (the key is its stage)',
      { createContainer: [{ hookName: 'createContainer', path: '/x' }] },
      'containerEdits.hooks.createContainer.0: unknown field "hookName"',
    ],
  ])('%s is refused', (_name, hooks, expected) => {
    expect(refusal(byStage(hooks))).toBe(expected);
  });

  test('an empty object of stages adds nothing: a device with only that has empty edits', () => {
    expect(refusal(byStage({}, 'device'))).toBeUndefined();
    expect(refusal(good({ devices: [{ name: 'dev1', containerEdits: { hooks: { createContainer: [] } } }] }))).toBe(
      'devices[0].containerEdits: invalid device, empty device edits',
    );
  });
});
