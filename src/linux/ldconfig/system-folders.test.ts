/**
 * The image's system folders: the table per architecture (x64 and arm64 as NVIDIA's
 * internal/ldconfig lists them), and the Debian-like test read through the rootfs fd.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../../test/support/e2e';
import { openRootfs } from '../mount/rootfs';
import { imageSystemFolders, isDebianLike } from './system-folders';

describe('imageSystemFolders', () => {
  test.each<[string, string[], string[]]>([
    // nvidia-container-toolkit 1.20 debianSystemSearchPaths / nonDebianSystemSearchPaths (amd64, arm64).
    // The x64 row is also what its nvidia-cdi-hook, built from source, wrote to zz-nvcr-*.conf in a
    // Debian-like and a Rocky-like image under runc (docs/linker-cache.md, "Side by side").
    [
      'x64',
      ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib'],
      ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/libx32', '/usr/libx32'],
    ],
    [
      'arm64',
      ['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib', '/usr/lib'],
      ['/lib', '/usr/lib', '/lib64', '/usr/lib64'],
    ],
    // Beyond NVIDIA's two: glibc's ldconfig adds lib64 on 64-bit architectures, no multiarch tuple known here.
    ['ppc64', ['/lib', '/usr/lib'], ['/lib', '/usr/lib', '/lib64', '/usr/lib64']],
    ['s390x', ['/lib', '/usr/lib'], ['/lib', '/usr/lib', '/lib64', '/usr/lib64']],
    ['ia32', ['/lib', '/usr/lib'], ['/lib', '/usr/lib']],
    ['arm', ['/lib', '/usr/lib'], ['/lib', '/usr/lib']],
  ])('%s', (arch, debianLike, other) => {
    expect(imageSystemFolders(arch)).toEqual({ debianLike, other });
  });
});

describe('isDebianLike', () => {
  function rootfs(layout: (r: string) => void): number {
    const r = path.join(tmpDir('sysdirs'), 'rootfs');
    fs.mkdirSync(path.join(r, 'etc'), { recursive: true });
    layout(r);
    return openRootfs(r);
  }

  test.each<[string, (r: string) => void, boolean]>([
    ['a file /etc/debian_version', (r) => fs.writeFileSync(path.join(r, 'etc/debian_version'), '12.11\n'), true],
    [
      'no /etc/debian_version (Rocky: /etc/redhat-release)',
      (r) => fs.writeFileSync(path.join(r, 'etc/redhat-release'), 'Rocky Linux release 9.4\n'),
      false,
    ],
    ['a folder /etc/debian_version', (r) => fs.mkdirSync(path.join(r, 'etc/debian_version')), false],
    [
      'an absolute symlink, resolved in the rootfs',
      (r) => {
        fs.mkdirSync(path.join(r, 'usr/share/distro'), { recursive: true });
        fs.writeFileSync(path.join(r, 'usr/share/distro/debian_version'), 'trixie/sid\n');
        fs.symlinkSync('/usr/share/distro/debian_version', path.join(r, 'etc/debian_version'));
      },
      true,
    ],
    // /etc/debian_version exists on the host running the tests: a link to it must not count.
    [
      'a symlink to a path only the host has',
      (r) => fs.symlinkSync('/etc/hostname', path.join(r, 'etc/debian_version')),
      false,
    ],
  ])('%s', (_name, layout, expected) => {
    const fd = rootfs(layout);
    try {
      expect(isDebianLike(fd)).toBe(expected);
    } finally {
      fs.closeSync(fd);
    }
  });
});
