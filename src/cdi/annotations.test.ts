/**
 * cdi.k8s.io/* annotation values, entry by entry. Which values the reference refuses is what its
 * ParseAnnotations (pkg/cdi annotations.go: split at ",", parser.IsQualifiedName on each entry,
 * parser.go from container-device-interface v1.1.0 as NVIDIA's toolkit vendors it) said for each
 * row, run on the peer; the reasons after the last ": " are its ParseQualifiedName errors.
 */
import { UsageError } from '../core/errors';
import { annotationDevices } from './annotations';

const K = 'cdi.k8s.io/gpus';

test.each<[string, string[] | string]>([
  ['vendor.com/gpu=a,vendor.com/gpu=b', ['vendor.com/gpu=a', 'vendor.com/gpu=b']],
  ['vendor.com/gpu=a,vendor.com/gpu=a', ['vendor.com/gpu=a', 'vendor.com/gpu=a']], // given once later (select.ts)
  ['vendor.com/gpu=all', ['vendor.com/gpu=all']],
  ['vendor.com/gpu=0:1', ['vendor.com/gpu=0:1']],
  [
    'nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c',
    ['nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c'],
  ],
  [
    'vendor.com/gpu=a, vendor.com/gpu=b',
    `annotation ${K}="vendor.com/gpu=a, vendor.com/gpu=b": entry " vendor.com/gpu=b" is not a CDI device name (vendor.com/class=name, no blanks): invalid device " vendor.com/gpu=b": invalid vendor. " vendor.com", should start with letter`,
  ],
  [
    'vendor.com/gpu=a ,vendor.com/gpu=b',
    `annotation ${K}="vendor.com/gpu=a ,vendor.com/gpu=b": entry "vendor.com/gpu=a " is not a CDI device name (vendor.com/class=name, no blanks): invalid device "vendor.com/gpu=a ": invalid name "a ", should end with a letter or digit`,
  ],
  [
    'vendor.com/gpu=a\n',
    `annotation ${K}="vendor.com/gpu=a\\n": entry "vendor.com/gpu=a\\n" is not a CDI device name (vendor.com/class=name, no blanks): invalid device "vendor.com/gpu=a\\n": invalid name "a\\n", should end with a letter or digit`,
  ],
  ['vendor.com/gpu=a,', `annotation ${K}="vendor.com/gpu=a,": entry 2 of 2 is empty (a comma too many)`],
  [',vendor.com/gpu=a', `annotation ${K}=",vendor.com/gpu=a": entry 1 of 2 is empty (a comma too many)`],
  [
    'vendor.com/gpu=a,,vendor.com/gpu=b',
    `annotation ${K}="vendor.com/gpu=a,,vendor.com/gpu=b": entry 2 of 3 is empty (a comma too many)`,
  ],
  ['', `annotation ${K}="": the value is empty, no CDI device is named`],
  [
    'gpu0',
    `annotation ${K}="gpu0": entry "gpu0" is not a CDI device name (vendor.com/class=name): unqualified device "gpu0", missing vendor`,
  ],
  [
    'vendor.com/gpu=a;vendor.com/gpu=b',
    `annotation ${K}="vendor.com/gpu=a;vendor.com/gpu=b": entry "vendor.com/gpu=a;vendor.com/gpu=b" is not a CDI device name (vendor.com/class=name): invalid device "vendor.com/gpu=a;vendor.com/gpu=b": invalid character ';' in device name "a;vendor.com/gpu=b"`,
  ],
])('%j', (value, expected) => {
  if (typeof expected === 'string') expect(() => annotationDevices({ [K]: value })).toThrow(new UsageError(expected));
  else expect(annotationDevices({ [K]: value })).toEqual(expected);
});

test('only cdi.k8s.io/ keys; every one is read, in order; one bad entry anywhere refuses', () => {
  const good = { 'cdi.k8s.io/a': 'vendor.com/gpu=1', 'other.io/x': ' , ', 'cdi.k8s.io/b': 'vendor.com/gpu=2' };
  expect(annotationDevices(good)).toEqual(['vendor.com/gpu=1', 'vendor.com/gpu=2']);
  expect(() => annotationDevices({ ...good, 'cdi.k8s.io/c': 'vendor.com/gpu=3,' })).toThrow(
    'annotation cdi.k8s.io/c="vendor.com/gpu=3,": entry 2 of 2 is empty (a comma too many)',
  );
});
