/**
 * CDI container edits of the selected devices, merged and checked against the host: what both
 * GPU modes (createContainer plan, precreate config edit) start from.
 */
import type { DeviceAction } from '../core/actions';
import { UsageError } from '../core/errors';
import type { HostView } from '../engine/host';
import type { ResolvedDevice } from '../cdi/registry';
import type { CdiDeviceNode, CdiMount, ContainerEdits } from '../cdi/spec';

export interface GpuSelection {
  /** Names as requested ("all" stays "all"). */
  requested: string[];
  devices: ResolvedDevice[];
}

/** Spec-level edits once per spec, then each device's; nodes and mounts de-duplicated by container path. */
export function mergeEdits(devices: ResolvedDevice[]): ContainerEdits {
  const merged: ContainerEdits = { env: [], deviceNodes: [], mounts: [], hooks: [], additionalGids: [], netDevices: [] };
  const seenSpecs = new Set<string>();
  const nodes = new Map<string, CdiDeviceNode>();
  const mounts = new Map<string, CdiMount>();
  const add = (e: ContainerEdits) => {
    merged.env.push(...e.env);
    for (const n of e.deviceNodes) nodes.set(n.path, n);
    for (const m of e.mounts) mounts.set(m.containerPath, m);
    merged.hooks.push(...e.hooks);
    merged.additionalGids.push(...e.additionalGids);
    merged.netDevices.push(...e.netDevices);
    if (e.intelRdt) merged.intelRdt = e.intelRdt;
  };
  for (const d of devices) {
    if (!seenSpecs.has(d.spec.file + d.spec.kind)) {
      seenSpecs.add(d.spec.file + d.spec.kind);
      add(d.spec.edits);
    }
    add(d.device.edits);
  }
  merged.deviceNodes = [...nodes.values()];
  merged.mounts = [...mounts.values()];
  merged.additionalGids = [...new Set(merged.additionalGids)];
  return merged;
}

export interface ResolvedNode extends Omit<DeviceAction, 'action' | 'node'> {
  fileMode?: number;
  uid?: number;
  gid?: number;
  /** The host has no such node: it must be created (precreate: by the runtime; createContainer: mknod). */
  mknod?: boolean;
}

/** A spec's device node checked against the host node it names. */
export function resolveNode(n: CdiDeviceNode, host: HostView): ResolvedNode {
  const source = n.hostPath || n.path;
  const d0 = host.describe(source);
  // A node the host does not show here, fully described by the spec, is created with mknod.
  const d =
    d0.kind === 'missing' && (n.type === 'c' || n.type === 'b') && n.major !== undefined && n.minor !== undefined
      ? { kind: 'device' as const, type: n.type, major: n.major, minor: n.minor, created: true }
      : d0;
  if (d.kind !== 'device') throw new UsageError(`CDI device node ${n.path}: host node ${source} is not a character or block device (${'detail' in d ? d.detail : d.kind})`);
  if ((n.type === 'c' || n.type === 'b') && n.type !== d.type) throw new UsageError(`CDI device node ${n.path}: spec says type ${n.type}, ${source} is ${d.type}`);
  if ((n.major !== undefined && n.major !== d.major) || (n.minor !== undefined && n.minor !== d.minor)) {
    throw new UsageError(`CDI device node ${n.path}: spec says ${n.major}:${n.minor}, ${source} is ${d.major}:${d.minor}`);
  }
  return {
    source,
    destination: n.path,
    type: d.type,
    major: d.major,
    minor: d.minor,
    access: n.permissions || 'rwm',
    ...(n.fileMode !== undefined ? { fileMode: n.fileMode } : {}),
    ...(n.uid !== undefined ? { uid: n.uid } : {}),
    ...(n.gid !== undefined ? { gid: n.gid } : {}),
    ...('created' in d ? { mknod: true } : {}),
  };
}

/** Whether a CDI mount is a bind mount (the createContainer mode can make only those). */
export function isBindMount(m: CdiMount): boolean {
  return !m.type || m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}
