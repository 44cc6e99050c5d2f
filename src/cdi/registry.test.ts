/**
 * The CDI registry: spec folders in order (a later folder wins), a broken file reported and skipped,
 * the same device twice in one folder a conflict, names resolved ("kind=all": every device of the kind).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type DecodedSpecs, loadRegistry, resolveDevices } from './registry';
import { UsageError } from '../core/errors';
import { tmpDir } from '../../test/support/e2e';

describe('CDI registry', () => {
  const spec = (name: string, extra: object = {}) =>
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'vendor.com/gpu',
      devices: [{ name, containerEdits: { env: [`FROM=${name}`] } }],
      ...extra,
    });

  test('a broken file is reported and skipped; the others load; YAML works', () => {
    const dir = tmpDir('cdi-broken');
    fs.writeFileSync(path.join(dir, 'a.json'), spec('a'));
    fs.writeFileSync(
      path.join(dir, 'b.json'),
      '{"cdiVersion": "0.6.0", "kind": "vendor.com/gpu", "devices": [{"name": "b", "containerEdits": {"deviceNodes": [{"path": "/dev/b", "major": "7"}]}}]}',
    );
    fs.writeFileSync(
      path.join(dir, 'c.yaml'),
      'cdiVersion: 0.6.0\nkind: other.com/net\ndevices:\n  - name: c\n    containerEdits:\n      env: ["X=1"]\n',
    );
    fs.writeFileSync(path.join(dir, 'd.json'), '{not json');
    fs.writeFileSync(path.join(dir, 'e.yaml'), '');
    fs.writeFileSync(path.join(dir, 'f.yml'), 'not: read');
    const reg = loadRegistry([dir]);
    expect([...reg.devices.keys()].sort()).toEqual(['other.com/net=c', 'vendor.com/gpu=a']);
    // Asking for a device of the refused spec names why it is not there.
    expect(() => resolveDevices(reg, ['vendor.com/gpu=b'])).toThrow(
      `CDI device vendor.com/gpu=b: unknown (vendor.com/gpu has a; skipped 3 specs: ${path.join(dir, 'b.json')}: devices.0.containerEdits.deviceNodes.0.major: expected number, got string)`,
    );
    expect(reg.problems).toEqual([
      `${path.join(dir, 'b.json')}: devices.0.containerEdits.deviceNodes.0.major: expected number, got string`,
      expect.stringMatching(new RegExp(`^${path.join(dir, 'd.json')}: \\(file\\): not valid JSON`)),
      `${path.join(dir, 'e.yaml')}: (file): no Spec data`,
    ]);
  });

  test('the same device in two files of one directory is a conflict; a later directory overrides', () => {
    const early = tmpDir('cdi-early');
    const late = tmpDir('cdi-late');
    fs.writeFileSync(path.join(early, '1.json'), spec('x'));
    fs.writeFileSync(path.join(early, '2.json'), spec('x'));
    const conflicted = loadRegistry([early]);
    expect(conflicted.problems).toEqual([
      `conflict: vendor.com/gpu=x is defined in ${path.join(early, '1.json')} and ${path.join(early, '2.json')}`,
    ]);
    expect(() => resolveDevices(conflicted, ['vendor.com/gpu=x'])).toThrow(UsageError);
    fs.writeFileSync(path.join(late, 'z.json'), spec('x', { containerEdits: { env: ['LATE=1'] } }));
    const overridden = loadRegistry([early, late]);
    expect(resolveDevices(overridden, ['vendor.com/gpu=x'])[0]?.spec.file).toBe(path.join(late, 'z.json'));
  });

  test('specs kept decoded and checked: kept once read, read back for that text as they were kept; a refused spec is not kept', () => {
    const dir = tmpDir('cdi-kept');
    const yaml =
      'cdiVersion: 0.6.0\nkind: vendor.com/gpu\ndevices:\n- name: y\n  containerEdits:\n    env: ["FROM=yaml"]\n';
    fs.writeFileSync(path.join(dir, 'a.yaml'), yaml);
    fs.writeFileSync(path.join(dir, 'b.json'), spec('j'));
    fs.writeFileSync(path.join(dir, 'c.json'), '{"cdiVersion": "0.6.0", "kind": "vendor.com/gpu", "devices": []}');
    const kept = new Map<string, unknown>();
    const asked: string[] = [];
    const decodedSpecs: DecodedSpecs = {
      get: (file, text) => (asked.push(path.basename(file)), kept.get(`${file}\n${text}`)),
      put: (file, text, spec) => kept.set(`${file}\n${text}`, JSON.parse(JSON.stringify(spec))),
    };
    const envOf = (reg: ReturnType<typeof loadRegistry>, q: string) => reg.devices.get(q)?.device.edits.env;
    // Read from the texts (go-yaml v2 reads the name y as YAML 1.1's true, the reference's
    // YAML-to-JSON step makes it "true"), and kept as read: the refused c.json is not.
    const first = loadRegistry([dir], decodedSpecs);
    expect([envOf(first, 'vendor.com/gpu=true'), envOf(first, 'vendor.com/gpu=j')]).toEqual([
      ['FROM=yaml'],
      ['FROM=j'],
    ]);
    expect(first.problems).toEqual([`${path.join(dir, 'c.json')}: devices: invalid spec, no devices`]);
    const aKey = `${path.join(dir, 'a.yaml')}\n${yaml}`;
    expect([...kept.keys()]).toEqual([aKey, `${path.join(dir, 'b.json')}\n${spec('j')}`]);
    expect(kept.get(aKey)).toEqual(first.specs[0]);
    // Read back as kept (reading the text would give FROM=yaml).
    const aKept = kept.get(aKey) as { devices: { edits: { env: string[] } }[] };
    aKept.devices[0]!.edits.env = ['KEPT=1'];
    expect(envOf(loadRegistry([dir], decodedSpecs), 'vendor.com/gpu=true')).toEqual(['KEPT=1']);
    // What is not a spec of this file is not used: the text is read again.
    for (const notKept of [{ ...aKept, file: '/etc/cdi/other.yaml' }, { kind: 'vendor.com/gpu' }, 'spec']) {
      kept.set(aKey, notKept);
      expect(envOf(loadRegistry([dir], decodedSpecs), 'vendor.com/gpu=true')).toEqual(['FROM=yaml']);
    }
    expect(asked.filter((f) => f === 'a.yaml')).toHaveLength(5);
  });

  test('unknown names and "all"', () => {
    const dir = tmpDir('cdi-all');
    fs.writeFileSync(
      path.join(dir, 'a.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'vendor.com/gpu',
        devices: ['g0', 'g1'].map((name) => ({ name, containerEdits: { env: [`G=${name}`] } })),
      }),
    );
    const reg = loadRegistry([dir]);
    expect(resolveDevices(reg, ['vendor.com/gpu=all']).map((d) => d.device.name)).toEqual(['g0', 'g1']);
    expect(() => resolveDevices(reg, ['vendor.com/gpu=g7'])).toThrow(
      'CDI device vendor.com/gpu=g7: unknown (vendor.com/gpu has g0, g1)',
    );
    expect(() => resolveDevices(reg, ['nvidia.com/gpu=0'])).toThrow(
      `CDI device nvidia.com/gpu=0: unknown (no spec for nvidia.com/gpu in ${dir})`,
    );
    expect(() => resolveDevices(reg, ['gpu0'])).toThrow(
      'CDI device "gpu0": not a fully-qualified name (vendor.com/class=name): unqualified device "gpu0", missing vendor',
    );
  });
});
