/**
 * CDI validation for every cdiVersion from 0.3.0 to 1.1.0: each version-gated field is accepted
 * at its version and refused one version earlier, names are checked, hooks are normalised, one
 * broken file is skipped and reported, and duplicate devices are a conflict.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CDI_VERSIONS, CdiSpecError, validateCdiSpec } from './spec';
import { loadRegistry, resolveDevices } from './registry';
import { UsageError } from '../core/errors';
import { tmpDir } from '../../test/support/e2e';

const base = (version: string, extra: object = {}, device: object = {}) => ({
  cdiVersion: version,
  kind: 'vendor.com/gpu',
  devices: [{ name: 'dev0', containerEdits: { deviceNodes: [{ path: '/dev/x' }] }, ...device }],
  ...extra,
});

const gated: [string, string, (v: string) => object, string][] = [
  ['mount type', '0.4.0', (v) => base(v, { containerEdits: { mounts: [{ hostPath: '/a', containerPath: '/b', type: 'bind' }] } }), 'containerEdits.mounts[0].type'],
  ['device node hostPath', '0.5.0', (v) => base(v, {}, { containerEdits: { deviceNodes: [{ path: '/dev/x', hostPath: '/dev/y' }] } }), 'devices[0].containerEdits.deviceNodes[0].hostPath'],
  ['device name starting with a digit', '0.5.0', (v) => base(v, {}, { name: '0' }), 'devices[0].name'],
  ['spec annotations', '0.6.0', (v) => base(v, { annotations: { a: 'b' } }), 'annotations'],
  ['device annotations', '0.6.0', (v) => base(v, {}, { annotations: { a: 'b' } }), 'devices[0].annotations'],
  ['a dot in the class', '0.6.0', (v) => ({ ...base(v), kind: 'vendor.com/gpu.v2' }), 'kind'],
  ['intelRdt', '0.7.0', (v) => base(v, { containerEdits: { intelRdt: { closID: 'x' } } }), 'containerEdits.intelRdt'],
  ['additionalGids', '0.7.0', (v) => base(v, {}, { containerEdits: { additionalGids: [44] } }), 'devices[0].containerEdits.additionalGids'],
  ['netDevices', '1.1.0', (v) => base(v, { containerEdits: { netDevices: [{ hostInterfaceName: 'eth1', name: 'net1' }] } }), 'containerEdits.netDevices'],
];

describe('CDI spec validation', () => {
  test.each(CDI_VERSIONS.map((v) => [v]))('a minimal spec is valid at %s', (v) => {
    expect(validateCdiSpec(base(v), 'f.json').devices[0]?.name).toBe('dev0');
  });

  test.each(gated)('%s needs %s', (_name, version, make, field) => {
    const at = CDI_VERSIONS.indexOf(version as (typeof CDI_VERSIONS)[number]);
    for (const v of CDI_VERSIONS.slice(at)) expect(() => validateCdiSpec(make(v), 'f.json')).not.toThrow();
    const earlier = CDI_VERSIONS[at - 1] as string;
    expect(() => validateCdiSpec(make(earlier), 'f.json')).toThrow(new CdiSpecError('f.json', field, `needs cdiVersion ${version} or later (the file says ${earlier})`));
  });

  test.each([
    [{ ...base('0.6.0'), cdiVersion: '0.2.0' }, 'cdiVersion', /"0\.2\.0" is not a supported version/],
    [{ ...base('0.6.0'), kind: 'gpu' }, 'kind', /"gpu" is not "vendor\/class"/],
    [{ ...base('0.6.0'), kind: 'vendor.com/gpu/x' }, 'kind', /not "vendor\/class"/],
    [{ ...base('0.6.0'), kind: '1vendor/gpu' }, 'kind', /vendor "1vendor"/],
    [base('0.6.0', {}, { name: 'bad name' }), 'devices[0].name', /letters, digits/],
    [{ ...base('0.6.0'), devices: [{ name: 'a', containerEdits: {} }, { name: 'a', containerEdits: {} }] }, 'devices[1].name', /defined twice/],
    [base('0.6.0', {}, { containerEdits: { deviceNodes: [{ path: 'dev/x' }] } }), 'devices[0].containerEdits.deviceNodes[0].path', /absolute/],
    [base('0.6.0', {}, { containerEdits: { deviceNodes: [{ path: '/dev/x', permissions: 'rwx' }] } }), 'devices[0].containerEdits.deviceNodes[0].permissions', /not a subset/],
    [base('0.6.0', {}, { containerEdits: { deviceNodes: [{ path: '/dev/x', major: -1 }] } }), 'devices.0.containerEdits.deviceNodes.0.major', /at least 0/],
    [base('0.6.0', { containerEdits: { env: ['NOEQUALS'] } }), 'containerEdits.env', /not NAME=value/],
    [base('0.6.0', { containerEdits: { hooks: [{ hookName: 'preStart', path: '/bin/x' }] } }), 'containerEdits.hooks[0].hookName', /unknown hook stage/],
    [base('0.6.0', { containerEdits: { hooks: { bogus: [{ path: '/bin/x' }] } } }), 'containerEdits.hooks.bogus', /unknown hook stage/],
    [{ cdiVersion: '0.6.0', kind: 'v.com/c' }, 'devices', /expected array, got missing/],
  ])('rejects %#', (doc, field, reason) => {
    try {
      validateCdiSpec(doc, 'f.json');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(CdiSpecError);
      expect((e as CdiSpecError).field).toBe(field);
      expect((e as CdiSpecError).reason).toMatch(reason);
    }
  });

  test('hooks in OCI-style object form are normalised to the CDI list form', () => {
    const spec = validateCdiSpec(base('0.6.0', { containerEdits: { hooks: { createContainer: [{ path: '/bin/hook', args: ['hook', 'x'] }], poststop: [{ path: '/bin/p' }] } } }), 'f.json');
    expect(spec.edits.hooks).toEqual([
      { hookName: 'createContainer', path: '/bin/hook', args: ['hook', 'x'] },
      { hookName: 'poststop', path: '/bin/p' },
    ]);
  });
});

describe('CDI registry', () => {
  const spec = (name: string, extra: object = {}) => JSON.stringify({ cdiVersion: '0.6.0', kind: 'vendor.com/gpu', devices: [{ name, containerEdits: { env: [`FROM=${name}`] } }], ...extra });

  test('a broken file is reported and skipped; the others load; YAML works', () => {
    const dir = tmpDir('cdi-broken');
    fs.writeFileSync(path.join(dir, 'a.json'), spec('a'));
    fs.writeFileSync(path.join(dir, 'b.json'), '{"cdiVersion": "0.6.0", "kind": "vendor.com/gpu", "devices": [{"name": "b", "containerEdits": {"deviceNodes": [{"path": 7}]}}]}');
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'cdiVersion: 0.6.0\nkind: other.com/net\ndevices:\n  - name: c\n    containerEdits:\n      env: ["X=1"]\n');
    fs.writeFileSync(path.join(dir, 'd.json'), '{not json');
    const reg = loadRegistry([dir]);
    expect([...reg.devices.keys()].sort()).toEqual(['other.com/net=c', 'vendor.com/gpu=a']);
    expect(reg.problems).toEqual([
      `${path.join(dir, 'b.json')}: devices.0.containerEdits.deviceNodes.0.path: expected string, got number`,
      expect.stringMatching(new RegExp(`^${path.join(dir, 'd.json')}: \\(file\\): not valid JSON`)),
    ]);
  });

  test('the same device in two files of one directory is a conflict; a later directory overrides', () => {
    const early = tmpDir('cdi-early');
    const late = tmpDir('cdi-late');
    fs.writeFileSync(path.join(early, '1.json'), spec('x'));
    fs.writeFileSync(path.join(early, '2.json'), spec('x'));
    const conflicted = loadRegistry([early]);
    expect(conflicted.problems).toEqual([`conflict: vendor.com/gpu=x is defined in ${path.join(early, '1.json')} and ${path.join(early, '2.json')}`]);
    expect(() => resolveDevices(conflicted, ['vendor.com/gpu=x'])).toThrow(UsageError);
    fs.writeFileSync(path.join(late, 'z.json'), spec('x', { containerEdits: { env: ['LATE=1'] } }));
    const overridden = loadRegistry([early, late]);
    expect(resolveDevices(overridden, ['vendor.com/gpu=x'])[0]?.spec.file).toBe(path.join(late, 'z.json'));
  });

  test('unknown names and "all"', () => {
    const dir = tmpDir('cdi-all');
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ cdiVersion: '0.6.0', kind: 'vendor.com/gpu', devices: [{ name: 'g0', containerEdits: {} }, { name: 'g1', containerEdits: {} }] }));
    const reg = loadRegistry([dir]);
    expect(resolveDevices(reg, ['vendor.com/gpu=all']).map((d) => d.device.name)).toEqual(['g0', 'g1']);
    expect(() => resolveDevices(reg, ['vendor.com/gpu=g7'])).toThrow('CDI device vendor.com/gpu=g7: unknown (vendor.com/gpu has g0, g1)');
    expect(() => resolveDevices(reg, ['nvidia.com/gpu=0'])).toThrow('CDI device nvidia.com/gpu=0: unknown (no spec for nvidia.com/gpu)');
    expect(() => resolveDevices(reg, ['gpu0'])).toThrow('not a fully-qualified name');
  });
});
