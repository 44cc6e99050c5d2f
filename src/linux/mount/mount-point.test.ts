/**
 * The one mount-point walk (native/mount-point.c mount_point, the same code the user-namespace
 * helper runs), on real files as an ordinary user: a table of images, each with a destination
 * and what must come of it. After every case nothing outside the rootfs has changed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../../core/errors';
import { tmpDir } from '../../../test/support/e2e';
import { MountPointKind, ensureMountPoint, ensureMountPointAt } from './mount-point';
import { mountInfoById } from './mountinfo';
import { describeMountInfo, ownFilesystems } from './own-filesystems';
import { kindOfMode, openRootfs } from './rootfs';

type Outcome = { created: 'file' | 'directory' } | { found: string } | { refused: string };
interface Case {
  name: string;
  /** Lays out the image; `outside` is a folder beside the rootfs that must stay untouched. */
  image?: (root: string, outside: string) => void;
  destination: string;
  kind: MountPointKind;
  outcome: Outcome;
  /** Paths (relative to the rootfs) that must not exist afterwards: nothing made before a refusal. */
  absent?: string[];
  /** Where the mount point lands, relative to the rootfs, when that is not the destination (given `outside`). */
  at?: string | ((outside: string) => string);
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
  // An image's symlink that does not resolve is followed inside the rootfs and its target made
  // there, as runc and Sarus do; nothing outside the rootfs is touched (checked after each case).
  {
    name: 'a symlink to a host folder (absent in the image): its target is made inside',
    image: (r, o) => ln(o, `${r}/opt/data`),
    destination: '/opt/data/injected',
    kind: 'file',
    outcome: { created: 'file' },
    at: (o) => `${o}/injected`,
  },
  {
    name: 'a ../ symlink towards the host: ".." stops at the root, the target is made inside',
    image: (r, o) => ln(`../../../../../../..${o}`, `${r}/opt/up`),
    destination: '/opt/up/x',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: (o) => `${o}/x`,
  },
  {
    name: 'a dangling final symlink: its target is made',
    image: (r) => ln('/nonexistent/file', `${r}/opt/gone`),
    destination: '/opt/gone',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'nonexistent/file',
  },
  {
    name: 'a dangling symlink on the way: the folders of its target are made',
    image: (r) => ln('/nonexistent/dir', `${r}/opt/gone`),
    destination: '/opt/gone/x',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: 'nonexistent/dir/x',
  },
  {
    name: "a GPU image's egl_vendor.d link into a driver folder it lacks",
    image: (r) =>
      ln('../../../lib/x86_64-linux-gnu/nvidia/10_nvidia.json', `${r}/usr/share/glvnd/egl_vendor.d/10_nvidia.json`),
    destination: '/usr/share/glvnd/egl_vendor.d/10_nvidia.json',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'usr/lib/x86_64-linux-gnu/nvidia/10_nvidia.json',
  },
  {
    name: 'a dangling symlink to a dangling symlink',
    image: (r) => (ln('/opt/b', `${r}/opt/a`), ln('../var/made', `${r}/opt/b`)),
    destination: '/opt/a',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: 'var/made',
  },
  {
    name: 'a symlink loop',
    image: (r) => (ln('/opt/b', `${r}/opt/a`), ln('/opt/a', `${r}/opt/b`)),
    destination: '/opt/a/x',
    kind: 'file',
    outcome: { refused: 'openat2 opt/a: Too many levels of symbolic links (ELOOP)' },
  },
  {
    name: 'a final symlink into itself (a loop only the walk meets): 40 links at most',
    image: (r) => ln('/opt/l/x', `${r}/opt/l`),
    destination: '/opt/l',
    kind: 'file',
    outcome: { refused: 'readlinkat opt/l: Too many levels of symbolic links (ELOOP)' },
  },
  {
    name: 'a file where a folder is needed',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd/x',
    kind: 'file',
    outcome: { refused: 'destination /etc/passwd/x: /etc/passwd is a file, not a directory' },
  },
  {
    name: 'a file deeper where a folder is needed',
    image: (r) => file(`${r}/etc/passwd`),
    destination: '/etc/passwd/x/y',
    kind: 'file',
    outcome: { refused: 'destination /etc/passwd/x/y: /etc/passwd is a file, not a directory' },
  },
  {
    name: 'a file behind a symlink where a folder is needed: named where it is',
    image: (r) => (file(`${r}/etc/passwd`), ln('/etc/passwd', `${r}/opt/pw`)),
    destination: '/opt/pw/x',
    kind: 'file',
    outcome: { refused: 'destination /opt/pw/x: /etc/passwd is a file, not a directory' },
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
  // After the first missing component nothing can be a symlink: ".." is read lexically there,
  // as runc (securejoin) and Sarus read it, and what it cancels is never made.
  {
    name: 'a ".." after a folder that does not exist: the root, and nothing is made',
    destination: '/x/..',
    kind: 'directory',
    outcome: { refused: "destination /x/..: cannot mount over the container's root" },
    absent: ['x'],
  },
  {
    name: 'a ".." after folders that do not exist cancels the one before it',
    destination: '/opt/x/../y',
    kind: 'directory',
    outcome: { created: 'directory' },
    at: 'opt/y',
    absent: ['opt/x'],
  },
  {
    name: 'more ".." than missing folders climb on from the folder that exists, never above the root',
    image: (r) => fs.mkdirSync(`${r}/usr/lib`, { recursive: true }),
    destination: '/usr/lib/x/../../../../../etc/y',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'etc/y',
    absent: ['usr/lib/x'],
  },
  {
    name: 'a ".." after a missing folder, where a symlink of the image leads on',
    image: (r) => (fs.mkdirSync(`${r}/usr/lib64`, { recursive: true }), ln('usr/lib64', `${r}/lib64`)),
    destination: '/new/../lib64/x.so',
    kind: 'file',
    outcome: { created: 'file' },
    at: 'usr/lib64/x.so',
    absent: ['new'],
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
        else expect((error as { syscall?: string }).syscall).toBe(c.outcome.refused.split(' ')[0]);
      } else {
        const { fd, at: walked } = ensureMountPointAt(rootFd, c.destination, c.kind);
        const st = fs.fstatSync(fd);
        fs.closeSync(fd);
        const expected = 'created' in c.outcome ? c.outcome.created : c.outcome.found;
        expect(kindOfMode(st.mode)).toBe(expected);
        const at = typeof c.at === 'function' ? c.at(outside) : (c.at ?? c.destination);
        const landed = fs.statSync(path.join(root, at));
        expect([landed.dev, landed.ino]).toEqual([st.dev, st.ino]);
        // The path the walk reports is where it landed, in the root (what the hook unmounts on a rollback).
        expect(walked).toBe(path.join('/', at).slice(1));
        // The fd-only form finds the same.
        const again = ensureMountPoint(rootFd, c.destination, c.kind);
        const st2 = fs.fstatSync(again);
        fs.closeSync(again);
        expect([st2.dev, st2.ino]).toEqual([st.dev, st.ino]);
        if ('created' in c.outcome)
          expect(st.mode & 0o777).toBe(
            c.outcome.created === 'file' ? 0o644 & ~process.umask() : 0o755 & ~process.umask(),
          );
      }
      expect(tree(outside)).toEqual(['decoy:f']);
      for (const p of c.absent ?? []) expect(fs.existsSync(path.join(root, p))).toBe(false);
    } finally {
      fs.closeSync(rootFd);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

/**
 * The mount hook's rules (Sarus's): a destination only on the container's own filesystems, and
 * what the walk makes owned by the container's user. The host's own root stands in for a
 * container's where kernel filesystems are needed (procfs and sysfs are mounted there for any
 * user to read; nothing is created on them): its /dev is devtmpfs, not a tmpfs of its own, so
 * only the root's mount is "own".
 */
describe("the mount hook's rules", () => {
  const hostMountInfo = () => fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const describeMount = (id: number) => {
    const m = mountInfoById(hostMountInfo(), id);
    return m && describeMountInfo(m);
  };
  const OWN = "not on the container's own filesystems (its root, and its /dev tmpfs)";

  test.each<[string, string, MountPointKind, string]>([
    [
      'an existing procfs file (parent judged)',
      '/proc/sys/kernel/hostname',
      'file',
      `destination /proc/sys/kernel/hostname: /proc/sys/kernel is on the kernel's proc filesystem, ${OWN}`,
    ],
    [
      'a procfs folder (judged by its own mount)',
      '/proc/self/attr',
      'directory',
      `destination /proc/self/attr: /proc/self/attr is on the kernel's proc filesystem, ${OWN}`,
    ],
    [
      'a new path under /proc',
      '/proc/ocihooks-x',
      'file',
      `destination /proc/ocihooks-x: /proc is on the kernel's proc filesystem, ${OWN}`,
    ],
    [
      'a new folder path under /sys',
      '/sys/ocihooks/x',
      'directory',
      `destination /sys/ocihooks/x: /sys is on the kernel's sysfs filesystem, ${OWN}`,
    ],
    [
      'an existing sysfs folder',
      '/sys/kernel',
      'directory',
      `destination /sys/kernel: /sys/kernel is on the kernel's sysfs filesystem, ${OWN}`,
    ],
    [
      'a symlink on procfs is never followed: the procfs folder is named',
      '/proc/self/cwd/x',
      'directory',
      `destination /proc/self/cwd/x: /proc is on the kernel's proc filesystem, ${OWN}`,
    ],
  ])('%s: refused, nothing made', (_name, destination, kind, message) => {
    const rootFd = openRootfs('/');
    try {
      const allowedMounts = ownFilesystems(rootFd, hostMountInfo);
      expect(allowedMounts).toHaveLength(1);
      expect(() => ensureMountPoint(rootFd, destination, kind, { allowedMounts, describeMount })).toThrow(
        new ActionError(message),
      );
      expect(fs.existsSync(destination) && destination.includes('ocihooks')).toBe(false);
    } finally {
      fs.closeSync(rootFd);
    }
  });

  test('without a describer, the filesystem is named by its statfs type', () => {
    const rootFd = openRootfs('/');
    try {
      expect(() =>
        ensureMountPoint(rootFd, '/proc/x', 'file', { allowedMounts: ownFilesystems(rootFd, hostMountInfo) }),
      ).toThrow(`destination /proc/x: /proc is on proc, ${OWN}`);
    } finally {
      fs.closeSync(rootFd);
    }
  });

  test("on the root's own mount: made, owned by the container's user (as root; EPERM otherwise)", () => {
    const base = tmpDir('mount-point-owner');
    const root = path.join(base, 'rootfs');
    fs.mkdirSync(path.join(root, 'usr'), { recursive: true });
    fs.symlinkSync('/nonexistent/lib', path.join(root, 'usr', 'lib'));
    const rootFd = openRootfs(root);
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot ? { uid: 4242, gid: 4343 } : { uid: 4242, gid: 4343 };
    try {
      const allowedMounts = ownFilesystems(rootFd, hostMountInfo);
      const attempt = () => ensureMountPoint(rootFd, '/usr/lib/host/libx.so', 'file', { allowedMounts, owner });
      if (!asRoot) {
        expect(attempt).toThrow('fchownat nonexistent: Operation not permitted (EPERM)');
        return;
      }
      fs.closeSync(attempt());
      const owners = ['nonexistent', 'nonexistent/lib', 'nonexistent/lib/host', 'nonexistent/lib/host/libx.so'].map(
        (p) => {
          const st = fs.lstatSync(path.join(root, p));
          return `${p} ${st.uid}:${st.gid}`;
        },
      );
      expect(owners).toEqual([
        'nonexistent 4242:4343',
        'nonexistent/lib 4242:4343',
        'nonexistent/lib/host 4242:4343',
        'nonexistent/lib/host/libx.so 4242:4343',
      ]);
      // What was there before keeps its owner.
      expect(fs.lstatSync(path.join(root, 'usr')).uid).toBe(0);
      // A file made in a folder that exists (the walk's short way): owned the same.
      fs.mkdirSync(path.join(root, 'opt'));
      fs.closeSync(ensureMountPoint(rootFd, '/opt/liby.so', 'file', { allowedMounts, owner }));
      const made = fs.lstatSync(path.join(root, 'opt', 'liby.so'));
      expect(`${made.uid}:${made.gid} ${kindOfMode(made.mode)}`).toBe('4242:4343 file');
      // As the hook's own user: the kernel gave it that owner already.
      fs.closeSync(ensureMountPoint(rootFd, '/opt/libz.so', 'file', { allowedMounts, owner: { uid: 0, gid: 0 } }));
      const own = fs.lstatSync(path.join(root, 'opt', 'libz.so'));
      expect(`${own.uid}:${own.gid}`).toBe('0:0');
    } finally {
      fs.closeSync(rootFd);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
