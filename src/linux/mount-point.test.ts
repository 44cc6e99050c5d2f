/**
 * The one mount-point walk (native/ocihooks.c mount_point, the same code the user-namespace
 * helper runs), on real files as an ordinary user: a table of images, each with a destination
 * and what must come of it. After every case nothing outside the rootfs has changed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../core/errors';
import { tmpDir } from '../../test/support/e2e';
import { MountPointKind, ensureMountPoint } from './mount-point';
import { kindOfMode, openRootfs } from './rootfs';

type Outcome = { created: 'file' | 'directory' } | { found: string } | { refused: string };
interface Case {
  name: string;
  /** Lays out the image; `outside` is a folder beside the rootfs that must stay untouched. */
  image?: (root: string, outside: string) => void;
  destination: string;
  kind: MountPointKind;
  outcome: Outcome;
  /** Where the mount point lands, relative to the rootfs, when that is not the destination. */
  at?: string;
}

const ln = (target: string, p: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.symlinkSync(target, p);
};
const file = (p: string) => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, 'x');
};

const CASES: Case[] = [
  {
    name: 'a missing file, its parents too',
    destination: '/usr/lib/host/lib.so',
    kind: 'file',
    outcome: { created: 'file' },
  },
  { name: 'a missing directory', destination: '/opt/host', kind: 'directory', outcome: { created: 'directory' } },
  {
    name: 'a missing device node: a file to bind on',
    destination: '/dev/infiniband/uverbs0',
    kind: 'device',
    outcome: { created: 'file' },
  },
  {
    name: 'an existing file',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd',
    kind: 'file',
    outcome: { found: 'file' },
  },
  {
    name: 'an existing directory',
    image: (r) => fs.mkdirSync(`${r}/etc`),
    destination: '/etc',
    kind: 'directory',
    outcome: { found: 'directory' },
  },
  {
    name: 'an existing file for a device',
    image: (r) => file(`${r}/dev/null`),
    destination: '/dev/null',
    kind: 'device',
    outcome: { found: 'file' },
  },
  {
    name: '"." and "//" in the path',
    destination: '/./opt//a/./b',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: 'opt/a/b',
  },
  {
    name: '".." stays in the rootfs',
    destination: '/../../opt/up',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: 'opt/up',
  },
  {
    name: 'a relative symlink inside the image is followed',
    image: (r) => (fs.mkdirSync(`${r}/usr/lib`, { recursive: true }), ln('usr/lib', `${r}/lib`)),
    destination: '/lib/x.so',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'usr/lib/x.so',
  },
  {
    name: 'an absolute symlink resolves in the rootfs',
    image: (r) => (fs.mkdirSync(`${r}/usr/lib64`, { recursive: true }), ln('/usr/lib64', `${r}/lib64`)),
    destination: '/lib64/x.so',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'usr/lib64/x.so',
  },
  {
    name: 'a symlink to a host folder (absent in the image)',
    image: (r, o) => ln(o, `${r}/opt/data`),
    destination: '/opt/data/injected',
    kind: 'file',
    outcome: {
      refused: 'destination /opt/data/injected: /opt/data is a symlink that does not resolve inside the rootfs',
    },
  },
  {
    name: 'a ../ symlink to the host',
    image: (r, o) => ln(`../../../../../../..${o}`, `${r}/opt/up`),
    destination: '/opt/up/x',
    kind: 'directory',
    outcome: { refused: 'destination /opt/up/x: /opt/up is a symlink that does not resolve inside the rootfs' },
  },
  {
    name: 'a dangling final symlink',
    image: (r) => ln('/nonexistent/file', `${r}/opt/gone`),
    destination: '/opt/gone',
    kind: 'file',
    outcome: { refused: 'destination /opt/gone: /opt/gone is a symlink that does not resolve inside the rootfs' },
  },
  {
    name: 'a symlink loop',
    image: (r) => (ln('/opt/b', `${r}/opt/a`), ln('/opt/a', `${r}/opt/b`)),
    destination: '/opt/a/x',
    kind: 'file',
    outcome: { refused: 'openat2 opt/a/x: Too many levels of symbolic links (ELOOP)' },
  },
  {
    name: 'a file where a folder is needed',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd/x',
    kind: 'file',
    outcome: { refused: 'openat2 etc/passwd/x: Not a directory (ENOTDIR)' },
  },
  {
    name: 'a file deeper where a folder is needed',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd/x/y',
    kind: 'file',
    outcome: { refused: 'openat2 etc/passwd/x/y: Not a directory (ENOTDIR)' },
  },
  {
    name: 'a directory source onto an existing file',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd',
    kind: 'directory',
    outcome: { refused: 'destination /etc/passwd: exists as a file in the container, the source needs a directory' },
  },
  {
    name: 'a file source onto an existing directory',
    image: (r) => fs.mkdirSync(`${r}/etc`),
    destination: '/etc',
    kind: 'file',
    outcome: { refused: 'destination /etc: exists as a directory in the container, the source needs a file' },
  },
  {
    name: 'a device onto a directory',
    image: (r) => fs.mkdirSync(`${r}/dev/nvidia0`, { recursive: true }),
    destination: '/dev/nvidia0',
    kind: 'device',
    outcome: {
      refused:
        'destination /dev/nvidia0: exists as a directory in the container, the source needs a file or device node',
    },
  },
  {
    name: 'a fifo',
    image: (r) => (fs.mkdirSync(`${r}/opt`), spawnSync('mkfifo', [`${r}/opt/fifo`])),
    destination: '/opt/fifo',
    kind: 'file',
    outcome: { refused: 'destination /opt/fifo: exists as a fifo in the container, the source needs a file' },
  },
  {
    name: 'the root itself',
    destination: '/',
    kind: 'directory',
    outcome: { refused: "destination /: cannot mount over the container's root" },
  },
  {
    name: 'a ".." that would have to be created',
    destination: '/x/..',
    kind: 'directory',
    outcome: { refused: 'destination /x/..: cannot create ".."' },
  },
  {
    name: 'a path back to the root',
    image: (r) => fs.mkdirSync(`${r}/x`),
    destination: '/x/..',
    kind: 'directory',
    outcome: { refused: "destination /x/..: cannot mount over the container's root" },
  },
  {
    name: 'a symlink to the root',
    image: (r) => ln('/', `${r}/top`),
    destination: '/top',
    kind: 'directory',
    outcome: { refused: "destination /top: cannot mount over the container's root" },
  },
];

function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => `${path.relative(dir, path.join(e.parentPath, e.name))}:${e.isDirectory() ? 'd' : 'f'}`)
    .sort();
}

describe('mount points', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const base = tmpDir('mount-point');
    const root = path.join(base, 'rootfs');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'decoy'), 'host');
    c.image?.(root, outside);
    const rootFd = openRootfs(root);
    try {
      if ('refused' in c.outcome) {
        let error: unknown;
        try {
          fs.closeSync(ensureMountPoint(rootFd, c.destination, c.kind));
        } catch (e) {
          error = e;
        }
        expect((error as Error | undefined)?.message).toBe(c.outcome.refused);
        // The walk's own refusals are ActionErrors; a failed syscall is the addon's error (code, syscall, path).
        if (c.outcome.refused.startsWith('destination')) expect(error).toBeInstanceOf(ActionError);
        else expect((error as { syscall?: string }).syscall).toBe('openat2');
      } else {
        const fd = ensureMountPoint(rootFd, c.destination, c.kind);
        const st = fs.fstatSync(fd);
        fs.closeSync(fd);
        const expected = 'created' in c.outcome ? c.outcome.created : c.outcome.found;
        expect(kindOfMode(st.mode)).toBe(expected);
        const landed = fs.statSync(path.join(root, c.at ?? c.destination));
        expect([landed.dev, landed.ino]).toEqual([st.dev, st.ino]);
        if ('created' in c.outcome)
          expect(st.mode & 0o777).toBe(
            c.outcome.created === 'file' ? 0o644 & ~process.umask() : 0o755 & ~process.umask(),
          );
      }
      expect(tree(outside)).toEqual(['decoy:f']);
    } finally {
      fs.closeSync(rootFd);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
