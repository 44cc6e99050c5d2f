/**
 * One run of applyPlan: the location it acts in, the fds it holds, the mount namespace it joined
 * and the mounts it made — so that every step can reach the rootfs, and a failure can undo.
 */
import fs = require('node:fs');
import { ActionError, messageOf } from '../../core/errors';
import type { BindAction, DeviceAction, RunHookAction } from '../../core/actions';
import type { Location, Plan } from '../../core/plan';
import { MountPointOptions } from '../../linux/mount/mount-point';
import { mountInfoById } from '../../linux/mount/mountinfo';
import { native } from '../../linux/native';
import { describeMountInfo, ownFilesystems } from '../../linux/mount/own-filesystems';
import { openRootfs } from '../../linux/mount/rootfs';
import type { Logger } from '../log';

export interface ApplyOptions {
  log: Logger;
  /** Skip the device cgroup step (diagnostics: shows that the cgroup rule is what grants access). */
  skipCgroup?: boolean;
  /** The state JSON, given on stdin to hooks the plan runs (CDI createContainer hooks). */
  stateJson?: string;
  /**
   * Runs a CDI spec's hook in this process instead of starting it, when the hook is this very
   * program (see gpu/nvidia-hook/in-process.ts); returns false to have it started as usual.
   */
  runHookInProcess?: (a: RunHookAction) => boolean;
}

export interface Applied {
  /** Paths (in the namespace where they were mounted) of the mounts made, in order. */
  mounted: string[];
  cgroup?: string;
  /** Returns to the hook's original mount namespace, if it joined one; idempotent. */
  leave(): void;
}

export type ResolvedLocation = Exclude<Location, { kind: 'unresolved' }>;

/** A mount this run made: its mount id, the action, and where it is (in the namespace it was made in). */
export interface MadeMount {
  id: number;
  action: BindAction | DeviceAction;
}

/** A mount this run made, in words: "the read-only bind mount of /src that this hook made at /dst". */
export function describeMade(m: MadeMount): string {
  const ro = m.action.action === 'bind' && m.action.readonly ? 'read-only ' : '';
  return `the ${ro}bind mount of ${m.action.source} that this hook made at ${m.action.destination}`;
}

/** Names a mount by id: one this run made, else its mountinfo record (read from `mountInfo`, only on a refusal). */
export function mountDescriber(
  made: readonly MadeMount[],
  mountInfo: () => string,
): (id: number) => string | undefined {
  return (id) => {
    const mine = made.find((m) => m.id === id);
    if (mine) return describeMade(mine);
    try {
      const m = mountInfoById(mountInfo(), id);
      return m && describeMountInfo(m);
    } catch {
      return undefined;
    }
  };
}

/** The walk's options for a mount action: the mount hook's rules when the action carries them. */
export function mountPointOptionsFor(
  a: BindAction | DeviceAction,
  ownMounts: () => number[],
  describeMount: (id: number) => string | undefined,
): MountPointOptions {
  return {
    ...(a.ownFilesystems ? { allowedMounts: ownMounts() } : {}),
    ...(a.user ? { owner: { uid: a.user.uid, gid: a.user.gid } } : {}),
    describeMount,
  };
}

/**
 * Opens the container rootfs for reading, from the hook's own namespace (before any join). An
 * unresolved location (--dry-run only) reads the rootfs directory itself; reads resolve in root.
 */
export function openContainerRoot(location: Location): number {
  if (location.kind === 'join' && location.pivoted) return openRootfs(`/proc/${location.pid}/root`);
  return openRootfs(location.rootfs);
}

/** Where the mount namespace and cgroup of the container can be read from. */
export function containerPid(location: ResolvedLocation): number | 'self' {
  return location.kind === 'inside' ? 'self' : location.pid;
}

/**
 * Runs one step of an action; a failure names the action: "<action>: <why>" (the action in words
 * or, where there are a thousand of them, a function that words it only on a failure).
 */
export function step<T>(action: string | (() => string), fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const what = typeof action === 'string' ? action : action();
    throw new ActionError(`${what}: ${messageOf(e)}`, { cause: e });
  }
}

export class ApplyRun implements Applied {
  readonly mounted: string[] = [];
  /** The mounts of bind and device actions this run made, by mount id (refusals name them). */
  readonly made: MadeMount[] = [];
  cgroup?: string;
  private readonly fds: number[] = [];
  private originalNs?: number;
  private root?: number;
  private own?: number[];
  private rootPath?: string;
  private readonly walkOptions = new Map<string, MountPointOptions>();
  /** /proc of the host, opened before entering (names mount points by their fd). */
  readonly hostProc: number;

  constructor(
    readonly plan: Plan,
    readonly location: ResolvedLocation,
    readonly opts: ApplyOptions,
  ) {
    const c = native().constants;
    this.hostProc = this.keep(native().openat(c.AT_FDCWD, '/proc', c.O_PATH | c.O_DIRECTORY | c.O_CLOEXEC, 0));
  }

  /** An fd closed when the run ends. */
  keep(fd: number): number {
    this.fds.push(fd);
    return fd;
  }

  /** The container's rootfs, as seen where the mounts are made (valid after enter()). */
  get rootFd(): number {
    if (this.root === undefined) throw new Error('apply: rootfs used before entering the container');
    return this.root;
  }

  /** The mount table of the namespace this thread is in now (through the host's /proc kept from before). */
  mountInfo(): string {
    const c = native().constants;
    const fd = native().openat(this.hostProc, 'thread-self/mountinfo', c.O_RDONLY | c.O_CLOEXEC, 0);
    try {
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The container's own filesystems (mount ids), found once, after enter(). */
  ownMounts(): number[] {
    this.own ??= ownFilesystems(this.rootFd, () => this.mountInfo());
    return this.own;
  }

  /** The walk's options for a mount action of this run (the same for actions with the same rules and user). */
  mountPointOptions(a: BindAction | DeviceAction): MountPointOptions {
    const key = `${a.ownFilesystems ? 'own' : ''}:${a.user ? `${a.user.uid}:${a.user.gid}` : ''}`;
    let o = this.walkOptions.get(key);
    if (o === undefined) {
      o = mountPointOptionsFor(
        a,
        () => this.ownMounts(),
        mountDescriber(this.made, () => this.mountInfo()),
      );
      this.walkOptions.set(key, o);
    }
    return o;
  }

  /** Where a path in the container's rootfs is, as seen here (the rootfs's own path, read once, and the path). */
  inRoot(at: string): string {
    this.rootPath ??= native().readlinkat(this.hostProc, `self/fd/${this.rootFd}`);
    return this.rootPath === '/' ? `/${at}` : `${this.rootPath}/${at}`;
  }

  /**
   * Moves into the container's mount namespace when the location says so. A pivoted container's
   * root is reachable only through /proc/<pid>/root, from here; before pivot_root the rootfs
   * path is opened in the joined namespace, where its mounts are.
   */
  enter(): void {
    const loc = this.location;
    const c = native().constants;
    if (loc.kind === 'join' && loc.pivoted) this.root = this.keep(openContainerRoot(loc));
    if (loc.kind === 'join') {
      this.originalNs = native().openat(c.AT_FDCWD, '/proc/self/ns/mnt', c.O_RDONLY | c.O_CLOEXEC, 0);
      step(`join the mount namespace of pid ${loc.pid}`, () => native().enterMountNamespace(`/proc/${loc.pid}/ns/mnt`));
    }
    this.root ??= this.keep(openRootfs(loc.rootfs));
  }

  /**
   * Back into the container's mount namespace after leave(): a step that ran a host program from
   * the hook's own namespace (a pivoted container has no host binaries) and mounts its result.
   */
  rejoin(): void {
    const loc = this.location;
    if (loc.kind !== 'join' || this.originalNs !== undefined) return;
    const c = native().constants;
    this.originalNs = native().openat(c.AT_FDCWD, '/proc/self/ns/mnt', c.O_RDONLY | c.O_CLOEXEC, 0);
    step(`join the mount namespace of pid ${loc.pid} again`, () =>
      native().enterMountNamespace(`/proc/${loc.pid}/ns/mnt`),
    );
  }

  leave(): void {
    if (this.originalNs === undefined) return;
    native().enterMountNamespace(this.originalNs);
    fs.closeSync(this.originalNs);
    this.originalNs = undefined;
  }

  /** After a failure: unmounts what this run mounted, in reverse order, and goes home. */
  rollback(): void {
    const n = native();
    for (const where of [...this.mounted].reverse()) {
      try {
        n.umount2(where, n.constants.MNT_DETACH | n.constants.UMOUNT_NOFOLLOW);
        this.opts.log.info({ at: where }, 'rolled back');
      } catch (e) {
        this.opts.log.error({ at: where, err: messageOf(e) }, 'rollback failed: the container keeps this mount');
      }
    }
    try {
      this.leave();
    } catch (e) {
      this.opts.log.error({ err: messageOf(e) }, 'could not return to the original mount namespace');
    }
  }

  closeFds(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}
