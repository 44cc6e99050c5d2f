/**
 * GPU planning from resolved CDI devices, in the two modes:
 *  - createContainer: a Plan (device nodes, mounts, cgroup rules, the spec's createContainer
 *    hooks) on the one apply path every hook shares; edits that need the runtime (env, gids,
 *    other hook stages, netDevices, intelRdt) are listed as deferred;
 *  - precreate: the edited config.json (everything, plus the vendor env variables).
 */
import { UsageError } from '../core/errors';
import type { Bundle } from '../engine/inputs';
import type { Location } from '../engine/location';
import { HostView, realHost } from '../mount/plan';
import { Action, DeviceAction, DeviceAllow, Plan, newPlan } from '../core/plan';
import type { OciState } from '../core/oci';
import type { ResolvedDevice } from '../cdi/registry';
import type { CdiDeviceNode, CdiHook, CdiMount, ContainerEdits } from '../cdi/spec';
import { vendorEnv } from './select';

export interface GpuSelection {
  /** Names as requested (vendor env is made from these: "all" stays "all"). */
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

function isBindMount(m: CdiMount): boolean {
  return !m.type || m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

export function planGpuCreateContainer(state: OciState, bundle: Bundle, location: Location, sel: GpuSelection, host: HostView = realHost): Plan {
  const edits = mergeEdits(sel.devices);
  const actions: Action[] = [];
  const deferred: string[] = [];
  const rules: DeviceAllow[] = [];
  for (const n of edits.deviceNodes.map((node) => resolveNode(node, host))) {
    const attrs = n.mknod || n.fileMode !== undefined || n.uid !== undefined || n.gid !== undefined;
    actions.push({
      action: 'device',
      source: n.source,
      destination: n.destination,
      type: n.type,
      major: n.major,
      minor: n.minor,
      access: n.access,
      ...(attrs ? { node: { fileMode: n.fileMode, uid: n.uid, gid: n.gid } } : {}),
    });
    rules.push({ type: n.type, major: n.major, minor: n.minor, access: n.access });
  }
  for (const m of edits.mounts) {
    if (!isBindMount(m)) {
      deferred.push(`mount ${m.containerPath} of type ${m.type}: needs precreate`);
      continue;
    }
    const d = host.describe(m.hostPath);
    if (d.kind === 'missing' || d.kind === 'other') throw new UsageError(`CDI mount ${m.containerPath}: host path ${m.hostPath}: ${d.detail}`);
    const readonly = (m.options ?? []).some((o) => o === 'ro' || o === 'readonly');
    actions.push({ action: 'bind', source: m.hostPath, destination: m.containerPath, kind: d.kind === 'directory' ? 'directory' : 'file', readonly });
  }
  if (rules.length) actions.push({ action: 'allow-devices', rules });
  for (const h of edits.hooks) {
    if (h.hookName !== 'createContainer') {
      deferred.push(`hook ${h.path} for stage ${h.hookName}: needs precreate`);
      continue;
    }
    actions.push({ action: 'run-hook', path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeoutMs: (h.timeout ?? 30) * 1000 });
  }
  for (const e of edits.env) deferred.push(`env ${e}: needs precreate`);
  for (const g of edits.additionalGids) deferred.push(`additional gid ${g}: needs precreate`);
  for (const nd of edits.netDevices) deferred.push(`net device ${nd.hostInterfaceName}: needs precreate`);
  if (edits.intelRdt) deferred.push('intelRdt: needs precreate');
  return newPlan('gpu', state, bundle, location, actions, deferred);
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function setEnv(env: string[], name: string, value: string): string[] {
  return [...env.filter((e) => !e.startsWith(`${name}=`)), `${name}=${value}`];
}

/** The precreate edit: returns a new config with every container edit and the vendor env applied. */
export function editConfigForPrecreate(config: Json, sel: GpuSelection, host: HostView = realHost): Json {
  const out: Json = structuredClone(config);
  const edits = mergeEdits(sel.devices);
  out.process ??= {};
  let env: string[] = out.process.env ?? [];
  for (const e of edits.env) {
    const eq = e.indexOf('=');
    env = setEnv(env, e.slice(0, eq), e.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(vendorEnv(sel.requested))) env = setEnv(env, k, v);
  out.process.env = env;

  out.linux ??= {};
  out.linux.resources ??= {};
  const devices: Json[] = (out.linux.devices ?? []).slice();
  const allow: Json[] = (out.linux.resources.devices ?? []).slice();
  for (const n of edits.deviceNodes.map((node) => resolveNode(node, host))) {
    const existing = devices.findIndex((d) => d.path === n.destination);
    const entry: Json = { path: n.destination, type: n.type, major: n.major, minor: n.minor };
    if (n.fileMode !== undefined) entry.fileMode = n.fileMode;
    if (n.uid !== undefined) entry.uid = n.uid;
    if (n.gid !== undefined) entry.gid = n.gid;
    if (existing >= 0) devices[existing] = entry;
    else devices.push(entry);
    allow.push({ allow: true, type: n.type, major: n.major, minor: n.minor, access: n.access });
  }
  out.linux.devices = devices;
  out.linux.resources.devices = allow;

  const mounts: Json[] = (out.mounts ?? []).filter((m: Json) => !edits.mounts.some((e) => e.containerPath === m.destination));
  for (const m of edits.mounts) {
    const type = m.type || 'bind';
    const options = m.options ?? (type === 'bind' ? ['rbind', 'nosuid'] : []);
    mounts.push({ destination: m.containerPath, source: m.hostPath, type, options });
  }
  out.mounts = mounts;

  if (edits.hooks.length) {
    out.hooks ??= {};
    for (const h of edits.hooks as CdiHook[]) {
      const entry: Json = { path: h.path };
      if (h.args) entry.args = h.args;
      if (h.env) entry.env = h.env;
      if (h.timeout !== undefined) entry.timeout = h.timeout;
      out.hooks[h.hookName] = [...(out.hooks[h.hookName] ?? []), entry];
    }
  }
  if (edits.additionalGids.length) {
    out.process.user ??= { uid: 0, gid: 0 };
    out.process.user.additionalGids = [...new Set([...(out.process.user.additionalGids ?? []), ...edits.additionalGids])];
  }
  if (edits.intelRdt) out.linux.intelRdt = { ...(out.linux.intelRdt ?? {}), ...edits.intelRdt };
  if (edits.netDevices.length) {
    out.linux.netDevices ??= {};
    for (const nd of edits.netDevices) out.linux.netDevices[nd.hostInterfaceName] = { name: nd.name };
  }
  return out;
}
