/**
 * One run of applyPlan: the location it acts in, the fds it holds, the mount namespace it joined
 * and the mounts it made — so that every step can reach the rootfs, and a failure can undo.
 */
import * as fs from 'node:fs';
import { ActionError, messageOf } from '../../core/errors';
import type { RunHookAction } from '../../core/actions';
import type { Location, Plan } from '../../core/plan';
import { native } from '../../linux/native';
import { openRootfs } from '../../linux/rootfs';
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

/** Runs one step of an action; a failure names the action: "<action>: <why>". */
export function step<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new ActionError(`${action}: ${messageOf(e)}`, { cause: e });
  }
}

export class ApplyRun implements Applied {
  readonly mounted: string[] = [];
  cgroup?: string;
  private readonly fds: number[] = [];
  private originalNs?: number;
  private root?: number;
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
