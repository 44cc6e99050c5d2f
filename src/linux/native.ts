/**
 * Typed access to the N-API addon (native/, its table in ocihooks.c). It is loaded lazily, from beside the
 * bundle (dist/native/ocihooks.node) or from the node-gyp build folder during tests, so that
 * a --help or a --dry-run never pays for it and planning stays testable without root.
 */
import path = require('node:path');

/** The constants the addon exports, each a number (native/ocihooks.c `constants`; a unit test keeps the lists equal). */
export const NATIVE_CONSTANTS = [
  'AT_FDCWD',
  'AT_EMPTY_PATH',
  'AT_RECURSIVE',
  'AT_SYMLINK_NOFOLLOW',
  'O_PATH',
  'O_CLOEXEC',
  'O_DIRECTORY',
  'O_NOFOLLOW',
  'O_CREAT',
  'O_EXCL',
  'O_RDONLY',
  'O_WRONLY',
  'O_RDWR',
  'O_TRUNC',
  'O_NONBLOCK',
  'LOCK_EX',
  'RESOLVE_IN_ROOT',
  'RESOLVE_NO_MAGICLINKS',
  'RESOLVE_NO_SYMLINKS',
  'RESOLVE_BENEATH',
  'RESOLVE_NO_XDEV',
  'OPEN_TREE_CLONE',
  'OPEN_TREE_CLOEXEC',
  'MOUNT_ATTR_RDONLY',
  'MOUNT_ATTR_NOSUID',
  'MOUNT_ATTR_NODEV',
  'MOUNT_ATTR_NOEXEC',
  'MOUNT_ATTR_NOSYMFOLLOW',
  'MOVE_MOUNT_F_EMPTY_PATH',
  'MOVE_MOUNT_T_EMPTY_PATH',
  'FSCONFIG_SET_FLAG',
  'FSCONFIG_SET_STRING',
  'FSCONFIG_CMD_CREATE',
  'FSOPEN_CLOEXEC',
  'FSMOUNT_CLOEXEC',
  'MS_BIND',
  'MS_REC',
  'MS_RDONLY',
  'MS_NOSUID',
  'MS_NODEV',
  'MS_NOEXEC',
  'MS_REMOUNT',
  'MS_PRIVATE',
  'MS_SLAVE',
  'MS_SHARED',
  'MS_UNBINDABLE',
  'MNT_DETACH',
  'UMOUNT_NOFOLLOW',
  'ENOENT',
  'EEXIST',
  'AT_REMOVEDIR',
  'S_IFMT',
  'S_IFCHR',
  'S_IFBLK',
  'S_IFDIR',
  'S_IFREG',
  'BPF_PROG_TYPE_CGROUP_DEVICE',
  'BPF_CGROUP_DEVICE',
  'BPF_F_ALLOW_MULTI',
  'BPF_F_ALLOW_OVERRIDE',
  'BPF_F_REPLACE',
] as const;
export type NativeConstants = Readonly<Record<(typeof NATIVE_CONSTANTS)[number], number>>;

/** A mount point the walk refused, as data (a failed syscall throws instead). */
export interface MountPointRefusal {
  reason: 'root' | 'not-directory' | 'wrong-kind' | 'vanished' | 'foreign';
  /** The path at fault, relative to the root, after the image's symlinks ("" for the root). */
  at: string;
  /** st_mode of what was found there (not-directory, wrong-kind). */
  mode: number;
  /** foreign: the mount the path at fault lies on (the id mountinfo shows), and its statfs f_type. */
  mountId: number;
  fsType: number;
}

/**
 * What the walk must respect besides staying in the root: with allowedMounts, a destination
 * only on those mounts (a directory by its own mount, anything else by its folder's, a missing
 * one by the folder it would be made in); with uid/gid, what it creates is theirs.
 */
export interface MountPointPolicy {
  allowedMounts?: number[];
  uid?: number;
  gid?: number;
}

/** One mount for the user-namespace helper (ids as the container's user namespace sees them). */
export interface UserNamespaceMount {
  source: string;
  /** Relative to the container's root. */
  destination: string;
  kind: number;
  readonly: boolean;
  /** The container's user: the source is looked up as them, what the walk creates is theirs. */
  uid?: number;
  gid?: number;
  groups?: number[];
  /** The destination only on the policy's allowedMounts. */
  ownFilesystems?: boolean;
}

/** Kinds of mount point, in the addon's numbering. */
export const MOUNT_POINT_KINDS = { file: 0, directory: 1, device: 2 } as const;

export interface Native {
  constants: NativeConstants;
  enterMountNamespace(ns: string | number): void;
  /** With noThrow, returns -errno on failure instead of throwing. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, noThrow?: boolean): number;
  openat(dirfd: number, path: string, flags: number, mode: number): number;
  mkdirat(dirfd: number, name: string, mode: number): void;
  mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void;
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void;
  fchmodat(dirfd: number, name: string, mode: number): void;
  symlinkat(target: string, dirfd: number, name: string): void;
  renameat(oldDirfd: number, oldName: string, newDirfd: number, newName: string): void;
  unlinkat(dirfd: number, name: string, flags: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  /** flock(2) (op: constants.LOCK_EX); blocks until the lock is had, released when the fd closes. */
  flock(fd: number, op: number): void;
  openTree(dirfd: number, path: string, flags: number): number;
  mountSetattr(
    dirfd: number,
    path: string,
    flags: number,
    attrSet: number,
    attrClr: number,
    propagation: number,
    label?: string,
  ): void;
  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number, label?: string): void;
  fsopen(fsname: string, flags: number): number;
  fsconfig(fd: number, cmd: number, key: string | null, value: string | null): void;
  fsmount(fd: number, flags: number, attrFlags: number): number;
  bpfProgQuery(targetFd: number, attachType: number, label?: string): { attachFlags: number; ids: number[] };
  bpfProgGetFdById(id: number): number;
  bpfProgInfo(progFd: number): { type: number; id: number; insns: Buffer };
  bpfProgLoad(progType: number, insns: Buffer, license: string): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  readlinkat(dirfd: number, path: string): string;
  isatty(fd: number): boolean;
  /** Whether fd has data, or its end, within ms (poll POLLIN). */
  pollIn(fd: number, ms: number): boolean;
  /**
   * The mount-point walk (src/linux/mount/mount-point.ts words its refusals). A failed syscall throws;
   * one that failed creating in a folder carries that folder's mountId and fsType.
   */
  mountPoint(rootFd: number, rel: string, kind: number, policy?: MountPointPolicy): number | MountPointRefusal;
  /** The same, with the mount point's path in the root (the image's symlinks followed). */
  mountPoint(
    rootFd: number,
    rel: string,
    kind: number,
    policy: MountPointPolicy | undefined,
    withPath: true,
  ): [fd: number, at: string] | MountPointRefusal;
  /** The mount an fd lies on (statx STATX_MNT_ID; 0 if the kernel has none) and its statfs f_type. */
  mountOf(fd: number): { id: number; fsType: number };
  /** mountOf's id alone (no statfs). */
  mountId(fd: number): number;
  /** st_mode and the device numbers of what a path names (symlinks followed). */
  stat(path: string): [mode: number, major: number, minor: number];
  /** The same of the path itself (a symlink is not followed). */
  lstat(path: string): [mode: number, major: number, minor: number];
  /** An O_PATH fd on a path looked up with the filesystem identity of uid/gid/groups (this thread only). */
  openAs(path: string, uid: number, gid: number, groups: number[]): number;
  /**
   * A detached clone of path (open_tree with flags), mount_setattr'd recursively (attrSet, propagation):
   * openTree and mountSetattr in one call. uid >= 0: looked up as openAs looks it up (a failed lookup
   * throws with syscall "open", or "open_tree" when the thread had that identity already).
   */
  cloneTree(
    path: string,
    flags: number,
    attrSet: number,
    propagation: number,
    uid: number,
    gid: number,
    groups: number[],
  ): number;
  /** close(2), without node:fs's cost. */
  close(fd: number): void;
  /**
   * Forked single-threaded helper for user-namespaced containers; one result line per op
   * ("ok <mount id>", or the failure). policy.allowedMounts applies to ops with ownFilesystems.
   */
  mountInUserNamespace(pid: number, ops: UserNamespaceMount[], policy?: MountPointPolicy): string[];
  /** Replaces this process; returns only by throwing. */
  execve(path: string, argv: string[], envp: string[]): never;
  /** Runs a program to its end (native/run.c); throws when it cannot be started. */
  run(
    path: string,
    argv: string[],
    envp: string[],
    input: Buffer | undefined,
    captureStdout: boolean,
    timeoutMs: number,
  ): RunResult;
  /** A listening unix socket at path, mode 0600 (native/relay.c). */
  relayListen(path: string): number;
  /**
   * The next hook a launcher asks the hook server to run, with the fds it handed over; null once
   * the process of pidfd has ended, or when none came for timeoutMs (native/relay.c).
   */
  relayNext(
    listenFd: number,
    pidfd: number,
    timeoutMs: number,
  ): {
    conn: number;
    fds: [number, number, number, number];
    path: string;
    argv: string[];
    env: string[];
    pid: number;
    uid: number;
  } | null;
  pidfdOpen(pid: number): number;
  /** /dev/null on fds 0, 1 and 2. */
  releaseStdio(): void;
  /** Whether the launcher on a request's connection has hung up (native/relay.c). */
  relayGone(conn: number): boolean;
}

/** How a program that run started ended: its exit status or the signal that killed it, and its output. */
export interface RunResult {
  status: number | null;
  signal: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Killed at the timeout. */
  timedOut: boolean;
}

let loaded: Native | undefined;

/** Where the addon may be: beside a bundle (dist/lib -> dist/native), or the node-gyp output in the tree. */
function candidates(): string[] {
  const here = __dirname;
  return [
    path.join(here, '..', 'native', 'ocihooks.node'),
    path.join(here, '..', '..', 'native', 'build', 'Release', 'ocihooks.node'),
  ];
}

export function native(): Native {
  if (loaded) return loaded;
  const errors: string[] = [];
  const causes: unknown[] = [];
  for (const file of candidates()) {
    try {
      // process.dlopen, not require: require resolves the path again (a realpath of each
      // component) and keeps a Module for it, ~0.5 ms of every hook's start; the binary is also
      // out of esbuild's sight this way.
      const m = { exports: {} as Native };
      process.dlopen(m, file);
      loaded = m.exports;
      return loaded;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
      causes.push(e);
    }
  }
  throw new Error(`cannot load the ocihooks native addon (run npm run build): ${errors.join('; ')}`, {
    cause: causes.length === 1 ? causes[0] : new AggregateError(causes),
  });
}
