/**
 * The pure readings of `cdi generate`: the driver's procfs formats (nv-procfs.c, nv-caps.c as the
 * open kernel modules print them), KFD topology lines, PCI order and device names (nvidia-ctk's
 * namer.go table).
 */
import { parseKfdProperties } from './amd';
import { gpuNames, migNames } from './naming';
import { comparePci, parseDriverVersion, parseInformation } from './nvidia/gpus';
import { parseMigMinors } from './nvidia/mig';

test.each([
  [
    'open module',
    'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  595.45.04  Release Build  (dvs-builder@U22)  Thu Mar  5 2026\nGCC version:  gcc 12\n',
    '595.45.04',
  ],
  [
    'proprietary module',
    'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n',
    '550.54.14',
  ],
  ['two-part version', 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.82  Mon Jan 1\n', '470.82'],
])('driver version: %s', (_name, text, version) => {
  expect(parseDriverVersion(text, '/proc/driver/nvidia/version')).toBe(version);
});

test('a version file without a version names the file and the line', () => {
  expect(() => parseDriverVersion('NVRM version: unknown\n', '/p/version')).toThrow(
    '/p/version: no kernel module version in "NVRM version: unknown"',
  );
});

test('an information file: keys split at the first colon, values trimmed (Bus Location keeps its colons)', () => {
  const f = parseInformation(
    'Model: \t\t NVIDIA H100 80GB HBM3\nGPU UUID: \t GPU-1\nBus Location: \t 0000:3b:00.0\nDevice Minor: \t 3\nGPU Excluded:\t No\n',
  );
  expect(Object.fromEntries(f)).toEqual({
    Model: 'NVIDIA H100 80GB HBM3',
    'GPU UUID': 'GPU-1',
    'Bus Location': '0000:3b:00.0',
    'Device Minor': '3',
    'GPU Excluded': 'No',
  });
});

test('PCI order is numeric by domain, bus, device, function', () => {
  expect(['0001:00:00.0', '0000:c1:00.0', '0000:1b:00.1', '0000:1b:00.0', '0000:9a:00.0'].sort(comparePci)).toEqual([
    '0000:1b:00.0',
    '0000:1b:00.1',
    '0000:9a:00.0',
    '0000:c1:00.0',
    '0001:00:00.0',
  ]);
});

test('mig-minors: config, monitor and every GPU/GI/CI access entry; other lines ignored', () => {
  const m = parseMigMinors(
    'config 1\nmonitor 2\ngpu0/gi0/access 3\ngpu0/gi0/ci0/access 4\ngpu31/gi14/ci7/access 4334\nfabric-mgmt 0\nbroken line here\n',
  );
  expect(Object.fromEntries(m)).toEqual({
    config: 1,
    monitor: 2,
    'gpu0/gi0/access': 3,
    'gpu0/gi0/ci0/access': 4,
    'gpu31/gi14/ci7/access': 4334,
  });
});

test('KFD properties: "name value" lines, 64-bit values kept whole', () => {
  const p = parseKfdProperties(
    'cpu_cores_count 0\nlocation_id 1280\ndomain 0\ndrm_render_minor 128\nunique_id 16404946649897475633\n',
  );
  expect(p.get('drm_render_minor')).toBe(128n);
  expect(p.get('unique_id')).toBe(16404946649897475633n);
});

test.each([
  [['index'], 2, 'GPU-x', ['2'], ['2:1']],
  [['uuid'], 2, 'GPU-x', ['GPU-x'], ['2:1']],
  [['type-index'], 2, 'GPU-x', ['gpu2'], ['mig2:1']],
  [['index', 'uuid'], 0, undefined, ['0'], ['0:1']],
  [['uuid'], 0, undefined, ['0'], ['0:1']],
] as const)('names under %j (GPU %i, uuid %s): %j, MIG %j', (strategies, index, uuid, gpu, mig) => {
  expect(gpuNames(strategies, index, uuid)).toEqual(gpu);
  expect(migNames(strategies, index, 1)).toEqual(mig);
});
