/** User namespaces, as /proc shows them. */
import fs = require('node:fs');

/** Whether a process (or this one) runs in a user namespace other than the host's. */
export function inUserNamespace(pid: number | 'self'): boolean {
  // The initial user namespace maps every id to itself; any other has a narrower uid_map. (Its
  // ns/user link cannot be compared with /proc/1's: an unprivileged reader may not read that one.)
  try {
    return fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
  } catch {
    return false;
  }
}

/** Whether a process shares this one's user namespace. */
export function sameUserNamespace(pid: number): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/user`) === fs.readlinkSync('/proc/self/ns/user');
  } catch {
    return false;
  }
}

/**
 * The uid this process has one user namespace up (the host's, unless namespaces nest): a hook
 * that runtimes start inside a user namespace (rootless runc under Slurm, rootless podman) sees
 * uid 0 but writes files as the user who owns the namespace.
 */
export function outerUid(uid = process.getuid?.() ?? 0, uidMap?: string): number {
  let map: string;
  try {
    map = uidMap ?? fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return uid;
  }
  return mapId(uid, map) ?? uid;
}

/** An id through a uid_map or gid_map ("inside outside count" lines); undefined when unmapped. */
export function mapId(id: number, map: string): number | undefined {
  for (const line of map.trim().split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number) as [number, number, number];
    if (id >= inside && id < inside + count) return outside + (id - inside);
  }
  return undefined;
}

/** What a user namespace's uid and gid are one namespace up ("uid 100999, gid 100999"), from /proc/<pid>. */
export function outsideIds(uid: number, gid: number, pid: number | 'self'): string | undefined {
  try {
    const u = mapId(uid, fs.readFileSync(`/proc/${pid}/uid_map`, 'utf8'));
    const g = mapId(gid, fs.readFileSync(`/proc/${pid}/gid_map`, 'utf8'));
    return `uid ${u ?? 'unmapped'}, gid ${g ?? 'unmapped'}`;
  } catch {
    return undefined;
  }
}
