/** The real host view: what a planner learns of a host path (kinds, a device's numbers, why not). */
import { execFileSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { tmpDir } from '../../test/support/e2e';
import { realHost } from './real-host';

describe('realHost.describe', () => {
  let dir = '';
  beforeAll(() => {
    dir = tmpDir('real-host');
    fs.mkdirSync(path.join(dir, 'folder'));
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    fs.symlinkSync('file', path.join(dir, 'link-to-file'));
    fs.symlinkSync('loop', path.join(dir, 'loop'));
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['a folder', 'folder', { kind: 'directory' }],
    ['a file', 'file', { kind: 'file' }],
    ['a symlink, followed', 'link-to-file', { kind: 'file' }],
    ['a fifo', 'fifo', { kind: 'fifo' }],
    ['/dev/null, with its numbers', '/dev/null', { kind: 'device', type: 'c', major: 1, minor: 3 }],
    ['a missing path', 'missing', { kind: 'missing', detail: 'no such file or directory' }],
  ])('%s', (_name, rel, expected) => {
    expect(realHost.describe(path.resolve(dir, rel))).toEqual(expected);
  });

  test('a symlink loop: the kernel says why', () => {
    const p = path.join(dir, 'loop');
    expect(realHost.describe(p)).toEqual({
      kind: 'missing',
      detail: `stat ${p}: Too many levels of symbolic links (ELOOP)`,
    });
  });
});

describe('realHost.lstatNode', () => {
  let dir = '';
  beforeAll(() => {
    dir = tmpDir('real-host-nodes');
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    fs.symlinkSync('/dev/null', path.join(dir, 'link-to-null'));
    execFileSync('mkfifo', ['-m', '0640', path.join(dir, 'fifo')]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['/dev/null: its type, numbers and mode', '/dev/null', { type: 'c', major: 1, minor: 3, mode: 0o666 }],
    ['a fifo', 'fifo', { type: 'p', major: 0, minor: 0, mode: 0o640 }],
    ['a file', 'file', { error: 'not a device node' }],
    ['a symlink to a device is not followed', 'link-to-null', { error: 'not a device node' }],
    ['a missing path', 'missing', { error: 'no such file or directory' }],
  ])('%s', (_name, rel, expected) => {
    expect(realHost.lstatNode(path.resolve(dir, rel))).toEqual(expected);
  });
});
