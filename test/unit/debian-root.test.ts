/** The Debian test root's pure parts (test/support/debian-root.ts): the archive, the dpkg status, the cache key. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debianMirror, installedPackages, rootKey } from '../support/debian-root';

test.each([
  [
    'a deb822 file: the first entry that is not the security archive',
    'debian.sources',
    'Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n\nTypes: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n',
    'http://mirror.example/debian',
  ],
  [
    'a one-line sources.list, options and all',
    'sources.list',
    '# deb http://old/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian bookworm main\n',
    'http://ftp.example/debian',
  ],
  ['only security', 'x.sources', 'URIs: http://deb.debian.org/debian-security\n', undefined],
  ['a local file archive', 'sources.list', 'deb file:/srv/repo ./\n', undefined],
])('the archive of %s', (_name, name, text, expected) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-mirror-'));
  try {
    fs.writeFileSync(path.join(dir, name), text);
    expect(debianMirror([path.join(dir, 'missing.list'), path.join(dir, name)])).toBe(expected);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('installed packages: only "install ok installed" ones, with their versions', () => {
  const status = [
    'Package: podman\nStatus: install ok installed\nVersion: 5.4.2+ds1-2+b2\nDepends: conmon',
    'Package: runc\nStatus: deinstall ok config-files\nVersion: 1.1.15+ds1-2+b4',
    'Package: munge\nStatus: install ok unpacked\nVersion: 0.5.16-1.1~deb13u1',
    'Package: slurm-client\nStatus: install ok installed\nVersion: 24.11.5-4+deb13u1',
  ].join('\n\n');
  expect(installedPackages(status)).toEqual({ podman: '5.4.2+ds1-2+b2', 'slurm-client': '24.11.5-4+deb13u1' });
});

test('the cache key: the suite and the set of packages, in any order', () => {
  const key = rootKey({ suite: 'trixie', packages: ['podman', 'runc'] });
  expect(key).toMatch(/^[0-9a-f]{16}$/);
  expect(rootKey({ suite: 'trixie', packages: ['runc', 'podman', 'runc'] })).toBe(key);
  expect(rootKey({ suite: 'trixie', packages: ['runc', 'podman', 'crun'] })).not.toBe(key);
  expect(rootKey({ suite: 'forky', packages: ['podman', 'runc'] })).not.toBe(key);
});
