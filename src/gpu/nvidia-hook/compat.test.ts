/**
 * enable-cuda-compat's decision (NVIDIA's cudacompat_test.go cases) and the ELF note reader on
 * libraries built here (gcc, objcopy): offline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../../test/support/e2e';
import { buildLibcuda } from '../../../test/support/fake-driver-libs';
import { readCudaCompatNote } from './elf-note';
import { CompatInputs, climbsOutOfRoot, useCompat } from './commands/enable-cuda-compat';
import { parseVersion } from './version';

const v = (s: string) => parseVersion(s);
const note = (cudaVersion: string, drivers: number[]) => ({ cudaVersion, drivers });

describe('use the compat libraries?', () => {
  test.each<[string, CompatInputs, boolean]>([
    [
      'note: older host driver of a listed major',
      { hostDriver: v('570.211.01'), hostCudaGiven: false, compat: v('575.57.08'), note: note('12.9', [570, 575]) },
      true,
    ],
    [
      'note: older host driver of the same major',
      { hostDriver: v('575.10.10'), hostCudaGiven: false, compat: v('575.57.08'), note: note('12.9', [570, 575]) },
      true,
    ],
    [
      'note: the same version',
      { hostDriver: v('575.57.08'), hostCudaGiven: false, compat: v('575.57.08'), note: note('12.9', [570, 575]) },
      false,
    ],
    [
      'note: a newer host driver',
      { hostDriver: v('575.99.99'), hostCudaGiven: false, compat: v('575.57.08'), note: note('12.9', [570, 575]) },
      false,
    ],
    [
      'note: a host major not listed',
      { hostDriver: v('590.10.10'), hostCudaGiven: false, compat: v('575.57.08'), note: note('12.9', [570, 575]) },
      false,
    ],
    [
      'note, CUDA versions only: older host',
      { hostCuda: v('12.8'), hostCudaGiven: true, compat: v('575.57.08'), note: note('12.9', [575]) },
      true,
    ],
    [
      'note, CUDA versions only: equal',
      { hostCuda: v('12.9'), hostCudaGiven: true, compat: v('575.57.08'), note: note('12.9', [575]) },
      false,
    ],
    [
      'note, CUDA versions only: newer host',
      { hostCuda: v('12.10'), hostCudaGiven: true, compat: v('575.57.08'), note: note('12.9', [575]) },
      false,
    ],
    [
      'no note: host major below the compat major',
      { hostDriver: v('99.0.0'), hostCudaGiven: false, compat: v('222.0.0') },
      true,
    ],
    ['no note: the same major', { hostDriver: v('575.1.1'), hostCudaGiven: false, compat: v('575.57.08') }, false],
    [
      'no note: a host CUDA version was given',
      { hostDriver: v('570.0.0'), hostCuda: v('12.4'), hostCudaGiven: true, compat: v('575.57.08') },
      false,
    ],
    ['no note: no usable host driver version', { hostCudaGiven: false, compat: v('575.57.08') }, false],
  ])('%s', (_name, inputs, expected) => {
    expect(useCompat(inputs)).toBe(expected);
  });
});

describe('versions', () => {
  test.each([
    ['575.57.08', { major: 575, minor: 57, patch: 8 }],
    ['12.8', { major: 12, minor: 8, patch: 0 }],
    ['v12', { major: 12, minor: 0, patch: 0 }],
    ['570.211.01-beta', { major: 570, minor: 211, patch: 1 }],
    ['*', undefined],
    ['', undefined],
  ])('%p', (text, expected) => {
    expect(parseVersion(text)).toEqual(expected);
  });
});

describe('the ELF note', () => {
  const dir = tmpDir('elf-note');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const read = (file: string) => {
    const fd = fs.openSync(file, 'r');
    try {
      return readCudaCompatNote(fd);
    } finally {
      fs.closeSync(fd);
    }
  };

  test('a library with the note', () => {
    expect(
      read(buildLibcuda(path.join(dir, 'with/libcuda.so.575.57.08'), 'libcuda.so.1', note('12.9', [570, 575]))),
    ).toEqual({ cudaVersion: '12.9', drivers: [570, 575] });
  });

  test('a library without it, and a file that is no ELF', () => {
    expect(read(buildLibcuda(path.join(dir, 'without/libcuda.so.575.57.08'), 'libcuda.so.1'))).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'text'), 'not an ELF file at all, but long enough to have a header.....');
    expect(read(path.join(dir, 'text'))).toBeUndefined();
  });
});

test.each<[string[], string, boolean]>([
  [['usr', 'local', 'cuda'], '../../../../etc', true],
  [['usr', 'local', 'cuda'], '../../../etc', false],
  [['usr', 'local', 'cuda'], 'compat-12.4', false],
  [['usr', 'local', 'cuda'], '/etc/alternatives/compat', false],
  [[], '..', true],
])('in /%j, a symlink to %p climbs out of the root: %p', (parts, target, climbs) => {
  expect(climbsOutOfRoot(parts, target)).toBe(climbs);
});
