/**
 * Sarus's mount rules (issue 27), case by case, for sarus-rules.test.ts: each case shapes an image
 * and the host, gives the mount hook's arguments and the container's config, and says what must
 * come of it in a real runc container — and what Sarus 1.7.0's own mount_hook did on the same case
 * (built from github:eth-cscs/sarus and run beside ours in runc on this machine; docs/sarus.md).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Ctx {
  /** The case's scratch folder (mode 0755) on the host. */
  dir: string;
  rootfs: string;
  /** A host folder with a file `data` ("host data\n") and a folder `sub`, readable by anyone. */
  src: string;
}

export interface Setup {
  /** The mount hook's --mount/--device arguments. */
  args: string[];
  /** config.json process.user. */
  user?: { uid: number; gid: number; additionalGids?: number[] };
  /** Host folders the engine binds in (config.json mounts): volumes. */
  volumes?: { source: string; destination: string }[];
  /** Fresh tmpfs the engine mounts at these container paths (config.json mounts). */
  tmpfs?: string[];
  /** The engine binds the host's /dev as the container's (instead of a tmpfs of its own). */
  hostDev?: boolean;
  /** The hook's environment (the hooks.d file's env). */
  hookEnv?: string[];
  env?: string[];
}

export type Outcome =
  /** The container starts; `check` runs inside and prints `stdout`. */
  | { exit: 0; check: string; stdout: string }
  /** The hook fails with exactly this line (without the program's name) and the exit code. */
  | { exit: 1 | 2; line: string | RegExp };

export interface RuleCase {
  name: string;
  /** The item: '1'..'5', 'keep', or 'sarus-test' (Sarus's own tests). */
  item: string;
  /** A rootfs with the host's glibc and a linker cache of its own (makeGlibcRootfs). */
  glibc?: boolean;
  setup: (c: Ctx) => Setup;
  expect: (c: Ctx) => Outcome;
  /** Host-side checks afterwards (the container is gone). */
  after?: (c: Ctx) => void;
  /** Undoes what setup did on the host (mounts), pass or fail. */
  cleanup?: (c: Ctx) => void;
  /** What Sarus 1.7.0's mount_hook did on this case, measured (its stderr, shortened). */
  sarus: string;
}

const OWN = "not on the container's own filesystems (its root, and its /dev tmpfs)";
const ln = (target: string, at: string) => {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at);
};
const bind = (src: string, dst: string, extra = '') => `--mount=type=bind,src=${src},dst=${dst}${extra}`;

/** The filesystem a host path lies on, as findmnt names it: type, source, and the path's folder within it. */
export function hostFilesystemOf(p: string): { fsType: string; source: string; folder: string } {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE,TARGET', '-T', p], { encoding: 'utf8' });
  const [fsType, source, target] = r.stdout.trim().split(/\s+/) as [string, string, string];
  return { fsType, source, folder: target === '/' ? p : p.slice(target.length) };
}

/** Whether this host has the cgroup v1 devices hierarchy (hybrid layout) rather than cgroup v2 only. */
export const CGROUP_V1_DEVICES = fs.existsSync('/sys/fs/cgroup/devices/devices.list');

export const cases: RuleCase[] = [
  // 1. Destinations only on the container's own filesystems.
  {
    name: 'a host file over a procfs entry (/proc/sys/kernel/hostname)',
    item: '1',
    setup: (c) => ({ args: [bind(`${c.src}/data`, '/proc/sys/kernel/hostname')] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src}/data -> /proc/sys/kernel/hostname: destination /proc/sys/kernel/hostname: /proc/sys/kernel is on the kernel's proc filesystem, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("/proc/sys/kernel/hostname") is not on a device allowed for mounts',
  },
  {
    name: 'a new path under /proc',
    item: '1',
    setup: (c) => ({ args: [bind(c.src, '/proc/ocihooks')] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /proc/ocihooks: destination /proc/ocihooks: /proc is on the kernel's proc filesystem, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("<rootfs>/proc") is not on a device allowed for mounts',
  },
  {
    name: 'a new path under /sys',
    item: '1',
    setup: (c) => ({ args: [bind(c.src, '/sys/ocihooks')] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /sys/ocihooks: destination /sys/ocihooks: /sys is on the kernel's sysfs filesystem, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("<rootfs>/sys") is not on a device allowed for mounts',
  },
  {
    name: 'a path on cgroupfs',
    item: '1',
    setup: (c) => ({
      args: [bind(c.src, CGROUP_V1_DEVICES ? '/sys/fs/cgroup/devices/ocihooks' : '/sys/fs/cgroup/ocihooks')],
    }),
    expect: (c) =>
      CGROUP_V1_DEVICES
        ? {
            exit: 1,
            line: `bind ${c.src} -> /sys/fs/cgroup/devices/ocihooks: destination /sys/fs/cgroup/devices/ocihooks: /sys/fs/cgroup/devices is on the kernel's cgroup filesystem, ${OWN}`,
          }
        : {
            exit: 1,
            line: `bind ${c.src} -> /sys/fs/cgroup/ocihooks: destination /sys/fs/cgroup/ocihooks: /sys/fs/cgroup is on the kernel's cgroup2 filesystem, ${OWN}`,
          },
    sarus: 'refused: Mount destination ("<rootfs>/sys/fs/cgroup/devices") is not on a device allowed for mounts',
  },
  {
    name: "an image's FI_PROVIDER_PATH=/proc/1/attr as <FI_PROVIDER_PATH>",
    item: '1',
    setup: (c) => ({ args: [bind(c.src, '<FI_PROVIDER_PATH>', ',readonly')], env: ['FI_PROVIDER_PATH=/proc/1/attr'] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /proc/1/attr (readonly): destination /proc/1/attr: /proc/1/attr is on the kernel's proc filesystem, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("/proc/1/attr") is not on a device allowed for mounts',
  },
  {
    name: 'a --device destination under /proc',
    item: '1',
    setup: () => ({ args: ['--device=/dev/null:/proc/devnull:rw'] }),
    expect: () => ({
      exit: 1,
      line: `device /dev/null -> /proc/devnull (c 1:3 rw): destination /proc/devnull: /proc is on the kernel's proc filesystem, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("<rootfs>/proc") is not on a device allowed for mounts',
  },
  {
    name: 'a new path in a volume: nothing is made in the host folder',
    item: '1',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'vol'));
      return {
        args: [bind(c.src, '/data/injected')],
        volumes: [{ source: path.join(c.dir, 'vol'), destination: '/data' }],
      };
    },
    expect: (c) => {
      const f = hostFilesystemOf(path.join(c.dir, 'vol'));
      return {
        exit: 1,
        line: `bind ${c.src} -> /data/injected: destination /data/injected: /data is on ${f.fsType} ${f.source} (its folder ${f.folder}) mounted into the container, ${OWN}`,
      };
    },
    after: (c) => expect(fs.readdirSync(path.join(c.dir, 'vol'))).toEqual([]),
    sarus:
      'mounted: made injected in the host folder, as root (the volume is on the device of /tmp, which Sarus allows)',
  },
  {
    name: 'an existing folder of a volume',
    item: '1',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'vol', 'there'), { recursive: true });
      return {
        args: [bind(c.src, '/data/there')],
        volumes: [{ source: path.join(c.dir, 'vol'), destination: '/data' }],
      };
    },
    expect: (c) => {
      const f = hostFilesystemOf(path.join(c.dir, 'vol'));
      return {
        exit: 1,
        line: `bind ${c.src} -> /data/there: destination /data/there: /data/there is on ${f.fsType} ${f.source} (its folder ${f.folder}) mounted into the container, ${OWN}`,
      };
    },
    sarus: 'mounted (the volume is on the device of /tmp, which Sarus allows)',
  },
  {
    name: "a new path in the container's /dev/shm (a tmpfs of its own, not /dev)",
    item: '1',
    setup: (c) => ({ args: [bind(c.src, '/dev/shm/injected')] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /dev/shm/injected: destination /dev/shm/injected: /dev/shm is on tmpfs shm mounted into the container, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("<rootfs>/dev/shm") is not on a device allowed for mounts',
  },
  {
    name: "the host's /dev bound over the container's (devtmpfs): nothing is made in it",
    item: '1',
    setup: () => ({ args: ['--device=/dev/null:/dev/ocihooks-null:rw'], hostDev: true }),
    expect: () => {
      const f = hostFilesystemOf('/dev');
      return {
        exit: 1,
        line: `device /dev/null -> /dev/ocihooks-null (c 1:3 rw): destination /dev/ocihooks-null: /dev is on ${f.fsType} ${f.source} mounted into the container, ${OWN}`,
      };
    },
    after: () => expect(fs.existsSync('/dev/ocihooks-null')).toBe(false),
    // Should the hook ever make it (an empty file, the mount point), the host's /dev loses it again.
    cleanup: () => {
      if (fs.lstatSync('/dev/ocihooks-null', { throwIfNoEntry: false })?.isFile()) fs.rmSync('/dev/ocihooks-null');
    },
    sarus: "mounted: made /dev/ocihooks-null in the host's /dev (the device of rootfs/dev is allowed)",
  },
  {
    name: "new paths in the container's /dev tmpfs and its rootfs are its own",
    item: '1',
    setup: (c) => ({ args: [bind(c.src, '/dev/infiniband/host'), bind(`${c.src}/data`, '/opt/new/data')] }),
    expect: () => ({ exit: 0, check: 'cat /dev/infiniband/host/data /opt/new/data', stdout: 'host data\nhost data\n' }),
    sarus: 'mounted',
  },
  // 2. The source, checked as the container's user.
  {
    name: 'a uid-1000 container does not get a folder it cannot reach',
    item: '2',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'private', 'secret'), { recursive: true, mode: 0o700 });
      fs.chmodSync(path.join(c.dir, 'private'), 0o700);
      return { args: [bind(`${c.dir}/private/secret`, '/opt/secret')], user: { uid: 1000, gid: 1000 } };
    },
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.dir}/private/secret -> /opt/secret: source ${c.dir}/private/secret: the container's user (uid 1000, gid 1000) cannot reach it (EACCES)`,
    }),
    sarus: 'refused: Failed to find real path for mount source: Permission denied',
  },
  {
    name: 'the same folder for root in the container',
    item: '2',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'private', 'secret'), { recursive: true, mode: 0o700 });
      fs.chmodSync(path.join(c.dir, 'private'), 0o700);
      fs.writeFileSync(path.join(c.dir, 'private', 'secret', 'x'), 'root only\n');
      return { args: [bind(`${c.dir}/private/secret`, '/opt/secret')] };
    },
    expect: () => ({ exit: 0, check: 'cat /opt/secret/x', stdout: 'root only\n' }),
    sarus: 'mounted',
  },
  {
    name: "a folder the user reaches through one of config.json's additionalGids",
    item: '2',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'group', 'shared'), { recursive: true });
      fs.writeFileSync(path.join(c.dir, 'group', 'shared', 'x'), 'group data\n');
      fs.chownSync(path.join(c.dir, 'group'), 0, 4242);
      fs.chmodSync(path.join(c.dir, 'group'), 0o750);
      return {
        args: [bind(`${c.dir}/group/shared`, '/opt/shared')],
        user: { uid: 1000, gid: 1000, additionalGids: [4242] },
      };
    },
    expect: () => ({ exit: 0, check: 'cat /opt/shared/x', stdout: 'group data\n' }),
    sarus: 'refused: Failed to find real path for mount source: Permission denied (it looks with uid and gid only)',
  },
  // 3. Image symlinks that do not resolve: followed inside the rootfs, the target made there.
  {
    name: "a GPU image's egl_vendor.d link into a driver folder it lacks",
    item: '3',
    setup: (c) => {
      ln(
        '../../../lib/x86_64-linux-gnu/nvidia/10_nvidia.json',
        `${c.rootfs}/usr/share/glvnd/egl_vendor.d/10_nvidia.json`,
      );
      return { args: [bind(`${c.src}/data`, '/usr/share/glvnd/egl_vendor.d/10_nvidia.json', ',readonly')] };
    },
    expect: () => ({
      exit: 0,
      check: 'cat /usr/share/glvnd/egl_vendor.d/10_nvidia.json /usr/lib/x86_64-linux-gnu/nvidia/10_nvidia.json',
      stdout: 'host data\nhost data\n',
    }),
    sarus: 'mounted (the target made in the rootfs)',
  },
  {
    name: 'an absolute link to a host folder the image lacks: made inside, the host untouched',
    item: '3',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'decoy'));
      ln(path.join(c.dir, 'decoy'), `${c.rootfs}/opt/data`);
      return { args: [bind(c.src, '/opt/data/injected')] };
    },
    expect: (c) => ({ exit: 0, check: `cat ${c.dir}/decoy/injected/data`, stdout: 'host data\n' }),
    after: (c) => expect(fs.readdirSync(path.join(c.dir, 'decoy'))).toEqual([]),
    sarus: 'mounted (the target made in the rootfs)',
  },
  {
    name: 'a ".." after a folder that does not exist is read lexically (nothing made for it)',
    item: '3',
    setup: (c) => ({ args: [bind(c.src, '/opt/x/../y')] }),
    expect: () => ({ exit: 0, check: 'ls /opt; cat /opt/y/data', stdout: 'y\nhost data\n' }),
    sarus: 'mounted at /opt/y; /opt/x not made',
  },
  {
    name: 'a link loop: refused',
    item: '3',
    setup: (c) => {
      ln('/opt/b', `${c.rootfs}/opt/a`);
      ln('/opt/a', `${c.rootfs}/opt/b`);
      return { args: [bind(c.src, '/opt/a/x')] };
    },
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /opt/a/x: readlinkat opt/a: Too many levels of symbolic links (ELOOP)`,
    }),
    sarus: 'crashed: signal: segmentation fault (realpathWithinRootfs follows links without a bound)',
  },
  // 4. A fifo as a source; mount points owned by the container's user.
  {
    name: 'a fifo as a bind source',
    item: '4',
    setup: (c) => {
      spawnSync('mkfifo', [path.join(c.dir, 'fifo')]);
      return { args: [bind(path.join(c.dir, 'fifo'), '/run/host.fifo')] };
    },
    expect: () => ({ exit: 0, check: 'test -p /run/host.fifo && echo fifo', stdout: 'fifo\n' }),
    sarus: 'mounted',
  },
  {
    name: "mount points and missing folders belong to the container's user",
    item: '4',
    setup: (c) => ({
      args: [
        bind(c.src, '/opt/new/deep/mnt'),
        bind(`${c.src}/data`, '/opt/new/file'),
        '--device=/dev/null:/dev/x/null:rw',
      ],
      user: { uid: 1000, gid: 1000 },
    }),
    expect: () => ({
      exit: 0,
      check: 'stat -c "%n %u:%g" /opt /opt/new /opt/new/deep /dev/x',
      stdout: '/opt 0:0\n/opt/new 1000:1000\n/opt/new/deep 1000:1000\n/dev/x 1000:1000\n',
    }),
    after: (c) =>
      expect(
        ['opt/new/deep/mnt', 'opt/new/file'].map((p) => {
          const st = fs.lstatSync(path.join(c.rootfs, p));
          return `${p} ${st.uid}:${st.gid}`;
        }),
      ).toEqual(['opt/new/deep/mnt 1000:1000', 'opt/new/file 1000:1000']),
    sarus: 'mounted; the same owners',
  },
  // 5. Errors that say what happened.
  {
    name: 'a destination under a read-only bind this hook just made',
    item: '5',
    setup: (c) => ({ args: [bind(c.src, '/ro', ',readonly'), bind(`${c.src}/data`, '/ro/new')] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src}/data -> /ro/new: destination /ro/new: /ro is on the read-only bind mount of ${c.src} that this hook made at /ro, ${OWN}`,
    }),
    sarus: 'refused: Failed to create file "<rootfs>/ro/new" (allowed as on the device of /tmp, then EROFS)',
  },
  {
    name: 'an access string with a repeated letter',
    item: '5',
    setup: () => ({ args: ['--device=/dev/null:/dev/n:rww'] }),
    expect: () => ({
      exit: 2,
      line: "Invalid device request '/dev/null:/dev/n:rww': access 'rww' repeats the letter 'w' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    }),
    sarus: "refused: Input string for device access 'rww' has repeated characters",
  },
  {
    name: 'an access string with an invalid letter',
    item: '5',
    setup: () => ({ args: ['--device=/dev/null:/dev/n:rx'] }),
    expect: () => ({
      exit: 2,
      line: "Invalid device request '/dev/null:/dev/n:rx': access 'rx' has an invalid letter 'x' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    }),
    sarus: "refused: Input string for device access 'rx' contains an invalid character",
  },
  // Sarus's own tests that need real mounts (src/libsarus/test/test_MountUtility.cpp,
  // test_Mount.cpp, test_DeviceMount.cpp), with the outcome they expect of Sarus.
  {
    name: 'test_MountUtility get_validated_mount_destination: on another filesystem mounted in the rootfs (Sarus throws)',
    item: 'sarus-test',
    setup: (c) => ({ args: [bind(c.src, '/otherDevice')], tmpfs: ['/otherDevice'] }),
    expect: (c) => ({
      exit: 1,
      line: `bind ${c.src} -> /otherDevice: destination /otherDevice: /otherDevice is on tmpfs tmpfs mounted into the container, ${OWN}`,
    }),
    sarus: 'refused: Mount destination ("/otherDevice") is not on a device allowed for mounts',
  },
  {
    name: 'test_MountUtility get_validated_mount_destination and test_Mount: a missing and an existing folder, a file',
    item: 'sarus-test',
    setup: (c) => {
      fs.mkdirSync(`${c.rootfs}/file_in_squashfs_image`);
      return {
        args: [
          bind(c.src, '/nonExistingMountPoint'),
          bind(c.src, '/file_in_squashfs_image'),
          bind(`${c.src}/data`, '/user_mounts_destination_file'),
        ],
      };
    },
    expect: () => ({
      exit: 0,
      check: 'ls /nonExistingMountPoint /file_in_squashfs_image; cat /user_mounts_destination_file',
      stdout: '/file_in_squashfs_image:\ndata\nsub\n\n/nonExistingMountPoint:\ndata\nsub\nhost data\n',
    }),
    sarus: 'mounted',
  },
  {
    name: 'test_MountUtility bindMount, bindMountReadOnly, bindMountRecursive: writable, read-only, submounts',
    item: 'sarus-test',
    setup: (c) => {
      fs.mkdirSync(path.join(c.dir, 'b'));
      fs.writeFileSync(path.join(c.dir, 'b', 'd.txt'), 'd\n');
      spawnSync('mount', ['--bind', path.join(c.dir, 'b'), path.join(c.src, 'sub')]);
      return { args: [bind(c.src, '/rw'), bind(c.src, '/ro', ',readonly')] };
    },
    expect: () => ({
      exit: 0,
      check:
        'touch /rw/file-successful-write-attempt && echo rw-ok; touch /ro/x 2>/dev/null || echo ro-refused; cat /rw/sub/d.txt /ro/sub/d.txt',
      stdout: 'rw-ok\nro-refused\nd\nd\n',
    }),
    after: (c) => expect(fs.existsSync(path.join(c.src, 'file-successful-write-attempt'))).toBe(true),
    cleanup: (c) => void spawnSync('umount', [path.join(c.src, 'sub')]),
    sarus: 'rw-ok, ro-refused, d, d',
  },
  {
    name: 'test_DeviceMount performMount: a character device 511:511 bound at /dev/sarusTestDevice0',
    item: 'sarus-test',
    setup: (c) => {
      spawnSync('mknod', [path.join(c.dir, 'sarusTestDevice0'), 'c', '511', '511']);
      return { args: [`--device=${c.dir}/sarusTestDevice0:/dev/sarusTestDevice0`] };
    },
    expect: () => ({
      exit: 0,
      check: 'stat -c "%F %t:%T" /dev/sarusTestDevice0',
      stdout: 'character special file 1ff:1ff\n',
    }),
    sarus: 'mounted',
  },
  // Kept differences.
  {
    name: 'readonly=false is refused',
    item: 'keep',
    setup: (c) => ({ args: [bind(c.src, '/opt/x', ',readonly=false')] }),
    expect: (c) => ({
      exit: 2,
      line: `Invalid mount request 'type=bind,src=${c.src},dst=/opt/x,readonly=false': 'readonly' takes no value (got 'false')`,
    }),
    sarus: 'mounted read-only, without a word (touch: Read-only file system)',
  },
  {
    name: "read-only keeps the source's nodev/noexec/nosuid, down to submounts",
    item: 'keep',
    setup: (c) => {
      const fsDir = path.join(c.dir, 'noexec');
      fs.mkdirSync(fsDir);
      spawnSync('mount', ['-t', 'tmpfs', '-o', 'nodev,noexec,nosuid,size=1m', 'ocihooks-noexec', fsDir]);
      fs.mkdirSync(path.join(fsDir, 'sub'));
      spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'ocihooks-sub', path.join(fsDir, 'sub')]);
      return { args: [bind(fsDir, '/opt/noexec', ',readonly')] };
    },
    expect: () => ({
      exit: 0,
      check: 'grep -E " /opt/noexec(/sub)? " /proc/self/mountinfo | cut -d" " -f5,6',
      stdout: '/opt/noexec ro,nosuid,nodev,noexec,relatime\n/opt/noexec/sub ro,nosuid,relatime\n',
    }),
    cleanup: (c) => {
      spawnSync('umount', [path.join(c.dir, 'noexec', 'sub')]);
      spawnSync('umount', [path.join(c.dir, 'noexec')]);
    },
    sarus: '/opt/noexec ro,nosuid (nodev and noexec dropped); /opt/noexec/sub rw: the submount stays writable',
  },
  {
    name: 'device access exactly as asked: r is read, not write (the cgroup rule in a private pid namespace)',
    item: 'keep',
    setup: () => ({ args: ['--device=/dev/loop-control:/dev/lc:r'] }),
    expect: () => ({
      exit: 0,
      check:
        'if true 2>/dev/null < /dev/lc; then echo r-ok; fi; if true 2>/dev/null > /dev/lc; then echo w-ok; else echo w-denied; fi',
      stdout: 'r-ok\nw-denied\n',
    }),
    sarus:
      'r-ok, w-ok: it writes "c 10:237 rw" (measured without a pid namespace; with one, runc hands it pid 1 and it whitelists the host init\'s cgroup)',
  },
  {
    name: '<FI_PROVIDER_PATH> in a source is refused (its value can come from the image)',
    item: 'keep',
    setup: () => ({ args: ['--mount=type=bind,src=<FI_PROVIDER_PATH>,dst=/x'], env: ['FI_PROVIDER_PATH=/etc'] }),
    expect: () => ({
      exit: 2,
      line: "Invalid mount request 'type=bind,src=<FI_PROVIDER_PATH>,dst=/x': <FI_PROVIDER_PATH> may only be used in the destination (its value can come from the image)",
    }),
    sarus: "mounted the host's /etc at /x (the image's FI_PROVIDER_PATH=/etc chose a host source)",
  },
  {
    name: "LDCONFIG_PATH: the container gets a fresh linker cache, the image's is never written",
    item: 'keep',
    glibc: true,
    setup: (c) => {
      fs.mkdirSync(`${c.rootfs}/opt/lib`, { recursive: true });
      fs.writeFileSync(`${c.rootfs}/etc/ld.so.conf.d/opt.conf`, '/opt/lib\n');
      const st = fs.statSync(`${c.rootfs}/etc/ld.so.cache`);
      fs.writeFileSync(path.join(c.dir, 'image-cache'), `${st.ino} ${st.mtimeMs}`);
      return {
        args: [bind(`${c.src}/data`, '/opt/host-data')],
        hookEnv: [`LDCONFIG_PATH=${['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p))}`],
      };
    },
    expect: () => ({
      exit: 0,
      check: 'grep -c " /etc/ld.so.cache " /proc/self/mountinfo',
      stdout: '1\n',
    }),
    after: (c) => {
      // Never written: the same file (inode) from the same moment (a rewrite by ldconfig renames a new one in).
      const st = fs.statSync(`${c.rootfs}/etc/ld.so.cache`);
      expect(`${st.ino} ${st.mtimeMs}`).toBe(fs.readFileSync(path.join(c.dir, 'image-cache'), 'utf8'));
    },
    sarus: "no cache mount (0); ran ldconfig -r <rootfs>: the image's /etc/ld.so.cache rewritten",
  },
  {
    name: '/ as a destination is refused',
    item: 'keep',
    setup: (c) => ({ args: [bind(c.src, '/')] }),
    // Refused when planning (a dry run says so too): the root spelt out is bad input.
    expect: (c) => ({
      exit: 2,
      line: `Invalid mount request 'type=bind,src=${c.src},dst=/': destination /: cannot mount over the container's root`,
    }),
    sarus: 'mounted over the root: runc then failed (error reopening /dev/null inside container)',
  },
];
