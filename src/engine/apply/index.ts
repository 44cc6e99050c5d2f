/**
 * Executes a plan through the native addon. Order, and why:
 *  1. In the hook's own namespace: clone each source as a detached mount tree (open_tree),
 *     make it nosuid (+ read-only for every submount) and set its propagation — before it is
 *     visible anywhere, so a read-only mount is never writable for an instant. Find the
 *     container's device cgroup while /proc still shows the host.
 *  2. Enter the container's mount namespace if the location says so.
 *  3. For each mount: resolve (and create) the mount point inside the rootfs with openat2
 *     RESOLVE_IN_ROOT, then move_mount the detached tree onto that fd. No path is re-resolved
 *     between the check and the mount.
 *  4. Whitelist devices in the cgroup.
 *  5. Refresh the linker cache: write the drop-in through the rootfs fd, then run the host
 *     ldconfig against a path that shows the container's mounts (after a join into a running
 *     container: back in the hook's own namespace, through /proc/<pid>/root).
 * Any failure unmounts what this run mounted, in reverse order, and is reported with its action.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ActionError, errorCode, messageOf } from '../../core/errors';
import { runTrusted } from '../../linux/exec';
import { DeviceCgroup, allowDevices, deviceCgroupOfPid } from '../../linux/cgroups/device-cgroup';
import type { Location } from '../location';
import { native } from '../../linux/native';
import { Action, BindAction, DeviceAction, DeviceAllow, LdconfigAction, Plan, RunHookAction, describeAction } from '../../core/plan';
import { splitDev } from '../../mount/plan';
import { ensureMountPoint, openRootfs, pathComponents } from '../../linux/rootfs';
import { existingFolders, noGlibcReason, readContainerCache, runLdconfig, summariseCache, writeDropIn } from '../../linux/ldconfig';
import type { Logger } from '../log';

export interface ApplyOptions {
  log: Logger;
  /** Skip the device cgroup step (diagnostics: shows that the cgroup rule is what grants access). */
  skipCgroup?: boolean;
  /** The state JSON, given on stdin to hooks the plan runs (CDI createContainer hooks). */
  stateJson?: string;
}

type MountAction = BindAction | DeviceAction;

function propagationFlag(p: Plan['propagation']): number {
  const c = native().constants;
  return { private: c.MS_PRIVATE, slave: c.MS_SLAVE, shared: c.MS_SHARED, unbindable: c.MS_UNBINDABLE }[p] as number;
}

function fail(action: Action | string, e: unknown): ActionError {
  const what = typeof action === 'string' ? action : describeAction(action);
  return new ActionError(`${what}: ${messageOf(e)}`);
}

/**
 * Opens the container rootfs for reading, from the hook's own namespace (before any join). An
 * unresolved location (--dry-run only) reads the rootfs directory itself; reads resolve in root.
 */
export function openContainerRoot(location: Location): number {
  if (location.kind === 'join' && location.pivoted) return openRootfs(`/proc/${location.pid}/root`);
  return openRootfs(location.rootfs);
}

/** Whether the container (or, inside it, this hook) runs in a user namespace other than the host's. */
export function inUserNamespace(pid: number | 'self'): boolean {
  // The initial user namespace maps every id to itself; any other has a narrower uid_map. (Its
  // ns/user link cannot be compared with /proc/1's: an unprivileged reader may not read that one.)
  try {
    return fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
  } catch {
    return false;
  }
}

function sameUserNamespace(pid: number): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/user`) === fs.readlinkSync('/proc/self/ns/user');
  } catch {
    return false;
  }
}

/** A device bound into a user-namespaced container must be one this user may open as asked. */
function checkDeviceReachable(a: DeviceAction): void {
  const mode = (a.access.includes('r') ? fs.constants.R_OK : 0) | (a.access.includes('w') ? fs.constants.W_OK : 0);
  try {
    fs.accessSync(a.source, mode || fs.constants.F_OK);
  } catch (e) {
    throw new ActionError(`device ${a.source}: cannot be opened for "${a.access}" by this user (${errorCode(e)}); a user-namespaced container can only get devices its user may open`);
  }
}

/** Where the mount namespace and cgroup of the container can be read from. */
function containerPid(location: Location): number | 'self' {
  if (location.kind === 'unresolved') throw new ActionError(location.reason);
  return location.kind === 'inside' ? 'self' : location.pid;
}

export interface Applied {
  /** Paths (in the namespace where they were mounted) of the mounts made, in order. */
  mounted: string[];
  cgroup?: string;
  /** Returns to the hook's original mount namespace, if it joined one; idempotent. */
  leave(): void;
}

const USERNS_CGROUP_SKIPPED = 'device cgroup step skipped: the container has its own user namespace, and whitelisting devices needs privilege on the host';

/** errno number -> name, for results that come back from the forked helper as numbers. */
function errnoName(errno: number): string {
  return Object.entries(os.constants.errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

/**
 * A container in a user namespace other than ours, joined by hand: this multithreaded process
 * cannot enter it, so a forked single-threaded helper of the addon does the mounts (see
 * native/ocihooks.c mountInUserNamespace); mount points it creates belong to the container's
 * mapped root. What the helper cannot do here (device cgroup, ldconfig, spec hooks) is refused
 * or skipped with a reason, never silently dropped.
 */
function applyInUserNamespace(plan: Plan, pid: number, opts: ApplyOptions): Applied {
  const mounts = plan.actions.filter((a): a is MountAction => a.action === 'bind' || (a.action === 'device' && a.node === undefined));
  const other = plan.actions.find((a) => a.action === 'ldconfig' || a.action === 'run-hook' || (a.action === 'device' && a.node !== undefined));
  if (other) throw new ActionError(`${describeAction(other)}: not possible by hand in a container with its own user namespace; run the hook as a createContainer hook`);
  for (const a of mounts) if (a.action === 'device') checkDeviceReachable(a);
  if (plan.actions.some((a) => a.action === 'allow-devices')) opts.log.warn(USERNS_CGROUP_SKIPPED);
  const results = native().mountInUserNamespace(
    pid,
    mounts.map((a) => ({ source: a.source, destination: pathComponents(a.destination).join('/'), directory: a.action === 'bind' && a.kind === 'directory', readonly: a.action === 'bind' && a.readonly })),
  );
  const done = results.filter((r) => r === 'ok').length;
  const failure = results.find((r) => r.startsWith('err '));
  if (failure || done !== mounts.length) {
    const [, errno, syscall, ...where] = (failure ?? 'err 0 helper (no result)').split(' ');
    const what = mounts[done] ? describeAction(mounts[done] as Action) : 'join the container';
    const name = errnoName(Number(errno));
    const reason = name === 'EACCES' || name === 'EPERM' ? `${syscall} ${where.join(' ')}: permission denied for this user (${name})` : `${syscall} ${where.join(' ')}: ${name}`;
    throw new ActionError(`${what}: ${reason}${done ? `; the ${done} mount(s) before it stay in the container` : ''}`);
  }
  opts.log.info({ mounts: done, pid }, 'mounted through the user-namespace helper');
  return { mounted: [], leave() {} };
}

export function applyPlan(plan: Plan, opts: ApplyOptions): Applied {
  if (plan.location.kind === 'join' && inUserNamespace(plan.location.pid) && !sameUserNamespace(plan.location.pid)) {
    return applyInUserNamespace(plan, plan.location.pid, opts);
  }
  const n = native();
  const c = n.constants;
  const mounts = plan.actions.filter((a): a is MountAction => a.action === 'bind' || (a.action === 'device' && a.node === undefined));
  const nodes = plan.actions.filter((a): a is DeviceAction => a.action === 'device' && a.node !== undefined);
  const rules: DeviceAllow[] = plan.actions.flatMap((a) => (a.action === 'allow-devices' ? a.rules : []));
  const loc = plan.location;
  if (loc.kind === 'unresolved') throw new ActionError(loc.reason);
  const fds: number[] = [];
  const keep = (fd: number) => (fds.push(fd), fd);
  const mounted: string[] = [];
  let originalNs: number | undefined;
  const applied: Applied = {
    mounted,
    leave() {
      if (originalNs !== undefined) {
        n.enterMountNamespace(originalNs);
        fs.closeSync(originalNs);
        originalNs = undefined;
      }
    },
  };

  try {
    // 1. Detached trees and cgroup, from the hook's own namespace. A tree must be cloned where
    // its source is visible: before a join, all of them up front; when already inside, each just
    // before it is attached (a thousand detached trees held open slow every path lookup ~4x).
    const prepare = (a: MountAction): number => {
      const recursive = a.action === 'bind' ? (c.AT_RECURSIVE as number) : 0;
      const fd = n.openTree(c.AT_FDCWD as number, a.source, (c.OPEN_TREE_CLONE as number) | (c.OPEN_TREE_CLOEXEC as number) | recursive);
      try {
        const attrs = (c.MOUNT_ATTR_NOSUID as number) | (a.action === 'bind' && a.readonly ? (c.MOUNT_ATTR_RDONLY as number) : 0);
        n.mountSetattr(fd, '', (c.AT_EMPTY_PATH as number) | (c.AT_RECURSIVE as number), attrs, 0, propagationFlag(plan.propagation), a.source);
        return fd;
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
    };
    const trees: number[] = [];
    if (loc.kind === 'join') {
      for (const a of mounts) {
        try {
          trees.push(keep(prepare(a)));
        } catch (e) {
          throw fail(a, e);
        }
      }
    }
    // In a user namespace (rootless podman, runc --rootless, scrun) the host's device cgroup is
    // out of reach: bind only nodes this user may open, and say that the cgroup step is skipped.
    // Only a plan with devices needs to know (one read of uid_map, not on every hook's start).
    const devices = mounts.filter((a): a is DeviceAction => a.action === 'device');
    const userns = (devices.length > 0 || rules.length > 0) && inUserNamespace(containerPid(loc));
    if (userns) devices.forEach(checkDeviceReachable);
    let cgroup: DeviceCgroup | undefined;
    if (rules.length > 0 && userns) opts.log.warn({ rules }, USERNS_CGROUP_SKIPPED);
    else if (rules.length > 0 && !opts.skipCgroup) cgroup = deviceCgroupOfPid(containerPid(loc));
    const hostProc = keep(n.openat(c.AT_FDCWD as number, '/proc', (c.O_PATH as number) | (c.O_DIRECTORY as number) | (c.O_CLOEXEC as number), 0));

    // 2. Enter.
    // A pivoted container's root is reachable only through /proc/<pid>/root, from here; before
    // pivot_root the rootfs path is opened in the joined namespace, where its mounts are.
    let rootFd = loc.kind === 'join' && loc.pivoted ? keep(openContainerRoot(loc)) : undefined;
    if (loc.kind === 'join') {
      originalNs = n.openat(c.AT_FDCWD as number, '/proc/self/ns/mnt', (c.O_RDONLY as number) | (c.O_CLOEXEC as number), 0);
      try {
        n.enterMountNamespace(`/proc/${loc.pid}/ns/mnt`);
      } catch (e) {
        throw fail(`join the mount namespace of pid ${loc.pid}`, e);
      }
    }
    rootFd ??= keep(openRootfs(loc.rootfs));

    // 3. Mount points and moves.
    mounts.forEach((a, i) => {
      let tree: number | undefined;
      let target: number | undefined;
      try {
        tree = trees[i] ?? prepare(a);
        target = ensureMountPoint(rootFd, a.destination, a.action === 'device' ? 'device' : a.kind);
        const where = n.readlinkat(hostProc, `self/fd/${target}`);
        n.moveMount(tree, '', target, '', (c.MOVE_MOUNT_F_EMPTY_PATH as number) | (c.MOVE_MOUNT_T_EMPTY_PATH as number), where);
        mounted.push(where);
        opts.log.debug({ action: a, at: where }, 'mounted');
      } catch (e) {
        throw fail(a, e);
      } finally {
        if (target !== undefined) fs.closeSync(target);
        if (tree !== undefined && trees[i] === undefined) fs.closeSync(tree);
      }
    });

    for (const a of nodes) {
      try {
        createDeviceNode(rootFd, a);
      } catch (e) {
        throw fail(a, e);
      }
    }

    // 4. Device cgroup.
    if (cgroup) {
      try {
        applied.cgroup = allowDevices(cgroup, rules);
        opts.log.info(applied.cgroup);
      } catch (e) {
        throw fail(plan.actions.find((a) => a.action === 'allow-devices') as Action, e);
      }
    } else if (rules.length > 0 && opts.skipCgroup) {
      opts.log.warn({ rules }, 'device cgroup step skipped (--skip-cgroup)');
    }

    // 5. Linker cache.
    for (const a of plan.actions) {
      if (a.action !== 'ldconfig') continue;
      try {
        refreshLinkerCache(a, rootFd, loc, applied, opts.log);
      } catch (e) {
        throw fail(a, e);
      }
    }
    // 6. Hooks from CDI specs, from the hook's own namespace, with the state on stdin.
    const hooks = plan.actions.filter((a): a is RunHookAction => a.action === 'run-hook');
    if (hooks.length) applied.leave();
    for (const a of hooks) {
      try {
        runSpecHook(a, opts.stateJson ?? '');
      } catch (e) {
        throw fail(a, e);
      }
    }
    return applied;
  } catch (e) {
    rollback(mounted, opts.log);
    try {
      applied.leave();
    } catch (leaveError) {
      opts.log.error({ err: messageOf(leaveError) }, 'could not return to the original mount namespace');
    }
    throw e instanceof ActionError ? e : new ActionError(messageOf(e));
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** mknod inside the rootfs (parent resolved in root), with the spec's mode and owner. */
function createDeviceNode(rootFd: number, a: DeviceAction): void {
  const n = native();
  const c = n.constants;
  const parts = pathComponents(a.destination);
  const name = parts.pop() as string;
  const parentFd = ensureMountPoint(rootFd, '/' + parts.join('/'), 'directory');
  try {
    const mode = a.node?.fileMode ?? 0o666;
    try {
      n.mknodat(parentFd, name, (a.type === 'c' ? (c.S_IFCHR as number) : (c.S_IFBLK as number)) | (mode & 0o7777), a.major, a.minor);
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw e;
      const existing = n.openat(parentFd, name, (c.O_PATH as number) | (c.O_NOFOLLOW as number) | (c.O_CLOEXEC as number), 0);
      try {
        const st = fs.fstatSync(existing, { bigint: true });
        const dev = splitDev(st.rdev);
        const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
        if (type !== a.type || dev.major !== a.major || dev.minor !== a.minor) throw new ActionError(`${a.destination} exists in the container and is not ${a.type} ${a.major}:${a.minor}`);
      } finally {
        fs.closeSync(existing);
      }
    }
    n.fchmodat(parentFd, name, mode & 0o7777); // mknod's mode went through the umask
    if (a.node?.uid !== undefined || a.node?.gid !== undefined) n.fchownat(parentFd, name, a.node?.uid ?? -1, a.node?.gid ?? -1, c.AT_SYMLINK_NOFOLLOW as number);
  } finally {
    fs.closeSync(parentFd);
  }
}

function runSpecHook(a: RunHookAction, stateJson: string): void {
  runTrusted(a.path, { argv0: a.args[0], args: a.args.slice(1), env: a.env, input: stateJson, timeoutMs: a.timeoutMs });
}

function refreshLinkerCache(a: LdconfigAction, rootFd: number, loc: Location, applied: Applied, log: Logger): void {
  const skip = noGlibcReason(rootFd);
  if (skip) {
    log.info({ reason: skip }, 'linker cache left untouched');
    return;
  }
  const { present, missing } = existingFolders(rootFd, a.folders);
  if (missing.length) log.warn({ missing }, 'folders not in the container, left out of the drop-in');
  if (a.folders.length) writeDropIn(rootFd, present);
  let childRoot = loc.rootfs;
  if (loc.kind === 'join' && loc.pivoted) {
    applied.leave();
    childRoot = `/proc/${loc.pid}/root`;
  }
  runLdconfig(a.ldconfig, childRoot, a.timeoutMs);
  const cache = readContainerCache(rootFd);
  if (cache) log.info(summariseCache(cache, present), 'linker cache refreshed');
}

function rollback(mounted: string[], log: Logger): void {
  const n = native();
  const c = n.constants;
  for (const where of [...mounted].reverse()) {
    try {
      n.umount2(where, (c.MNT_DETACH as number) | (c.UMOUNT_NOFOLLOW as number));
      log.info({ at: where }, 'rolled back');
    } catch (e) {
      log.error({ at: where, err: messageOf(e) }, 'rollback failed: the container keeps this mount');
    }
  }
}
