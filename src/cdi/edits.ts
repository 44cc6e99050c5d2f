/**
 * Container edits — what a spec or a device adds to a container — checked as the reference's
 * ContainerEdits.Validate does, and combined as its Append does (concatenated, nothing
 * de-duplicated, the last intelRdt wins). Each problem names its field and the reference's reason.
 */
import { OCI_STAGES, OciStage } from '../core/oci';
import type { ListEdits } from './hooks-by-stage';
import type { EditsProblem } from './schema';

export type { EditsProblem } from './schema';

export interface CdiDeviceNode {
  path: string;
  hostPath?: string;
  type?: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  permissions?: string;
  uid?: number;
  gid?: number;
}

export interface CdiMount {
  hostPath: string;
  containerPath: string;
  options?: string[];
  type?: string;
}

export interface CdiHook {
  hookName: OciStage;
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  schemata?: string[];
  enableMonitoring?: boolean;
}

export interface NetDevice {
  hostInterfaceName: string;
  name: string;
}

export interface ContainerEdits {
  env: string[];
  deviceNodes: CdiDeviceNode[];
  mounts: CdiMount[];
  hooks: CdiHook[];
  additionalGids: number[];
  intelRdt?: IntelRdt;
  netDevices: NetDevice[];
}

const q = (s: string) => JSON.stringify(s);

export function emptyEdits(): ContainerEdits {
  return { env: [], deviceNodes: [], mounts: [], hooks: [], additionalGids: [], netDevices: [] };
}

/** An env entry the reference refuses: no "=", or "=" first. */
export function envProblem(entry: string): string | undefined {
  return entry.indexOf('=') <= 0 ? `invalid environment variable ${q(entry)}` : undefined;
}

export function permissionsValid(p: string): boolean {
  return p === '' || p === 'none' || /^[rwm]+$/.test(p);
}

function closIdValid(id: string): boolean {
  if (id === '/' || id === '') return true;
  return Buffer.byteLength(id) < 4096 && id !== '.' && id !== '..' && !id.includes('/') && !id.includes('\n');
}

/** The first problem of a set of edits (the reference's order), or undefined. `where` prefixes the field. */
export function editsProblem(e: ListEdits | null | undefined, where: string): EditsProblem | undefined {
  if (!e) return undefined;
  const at = (field: string, reason: string) => ({ field: `${where}.${field}`, reason });
  for (const [i, v] of (e.env ?? []).entries()) {
    const p = envProblem(v);
    if (p) return at(`env[${i}]`, `invalid container edits: ${p}`);
  }
  for (const [i, n] of (e.deviceNodes ?? []).entries()) {
    const path = n.path ?? '';
    if (path === '') return at(`deviceNodes[${i}].path`, 'invalid (empty) device path');
    if (!['', 'b', 'c', 'u', 'p'].includes(n.type ?? ''))
      return at(`deviceNodes[${i}].type`, `device ${q(path)}: invalid type ${q(n.type ?? '')}`);
    if (!permissionsValid(n.permissions ?? ''))
      return at(`deviceNodes[${i}].permissions`, `device ${q(path)}: invalid permissions ${q(n.permissions ?? '')}`);
  }
  for (const [i, h] of (e.hooks ?? []).entries()) {
    const name = h.hookName ?? '';
    const hook = e.hookFields?.[i] ?? `hooks[${i}]`;
    if (!(OCI_STAGES as readonly string[]).includes(name))
      return at(`${hook}.hookName`, `invalid hook name ${q(name)}`);
    if (!h.path) return at(`${hook}.path`, `invalid hook ${q(name)} with empty path`);
    for (const [j, v] of (h.env ?? []).entries()) {
      const p = envProblem(v);
      if (p) return at(`${hook}.env[${j}]`, `invalid hook ${q(name)}: ${p}`);
    }
  }
  for (const [i, m] of (e.mounts ?? []).entries()) {
    if (!m.hostPath) return at(`mounts[${i}].hostPath`, 'invalid mount, empty host path');
    if (!m.containerPath) return at(`mounts[${i}].containerPath`, 'invalid mount, empty container path');
  }
  if (e.intelRdt && !closIdValid(e.intelRdt.closID ?? '')) return at('intelRdt.closID', 'invalid ClosID');
  const hostToName = new Map<string, string>();
  const nameToHost = new Map<string, string>();
  for (const [i, d] of (e.netDevices ?? []).entries()) {
    const host = d.hostInterfaceName ?? '';
    const name = d.name ?? '';
    if (host === '')
      return at(`netDevices[${i}].hostInterfaceName`, 'invalid linux net device, empty HostInterfaceName');
    if (name === '') return at(`netDevices[${i}].name`, 'invalid linux net device, empty Name');
    const seen = hostToName.get(host);
    if (seen !== undefined)
      return at(
        `netDevices[${i}].hostInterfaceName`,
        `invalid linux net device, duplicate HostInterfaceName ${q(host)} with names ${q(name)} and ${q(seen)}`,
      );
    hostToName.set(host, name);
    const seenHost = nameToHost.get(name);
    if (seenHost !== undefined)
      return at(
        `netDevices[${i}].name`,
        `invalid linux net device, duplicate Name ${q(name)} with HostInterfaceName ${q(host)} and ${q(seenHost)}`,
      );
    nameToHost.set(name, host);
  }
  return undefined;
}

/** Whether a device's edits add nothing (the reference refuses such a device). */
export function editsEmpty(e: ListEdits | null | undefined): boolean {
  return (
    !e ||
    (!e.env?.length &&
      !e.deviceNodes?.length &&
      !e.hooks?.length &&
      !e.mounts?.length &&
      !e.additionalGids?.length &&
      e.intelRdt == null &&
      !e.netDevices?.length)
  );
}

/** Drops null and undefined fields (Go's zero values are absent ones). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** Checked raw edits as the project's ContainerEdits. */
export function normaliseEdits(e: ListEdits | null | undefined): ContainerEdits {
  if (!e) return emptyEdits();
  return {
    env: e.env ?? [],
    deviceNodes: (e.deviceNodes ?? []).map((n) => defined(n) as CdiDeviceNode),
    mounts: (e.mounts ?? []).map((m) => defined(m) as CdiMount),
    hooks: (e.hooks ?? []).map((h) => defined(h) as CdiHook),
    additionalGids: e.additionalGids ?? [],
    ...(e.intelRdt ? { intelRdt: defined(e.intelRdt) as IntelRdt } : {}),
    netDevices: (e.netDevices ?? []).map((d) => defined(d) as NetDevice),
  };
}

/** a then b, as the reference's Append: lists concatenated, b's intelRdt (if any) wins. */
export function appendEdits(a: ContainerEdits, b: ContainerEdits): ContainerEdits {
  const intelRdt = b.intelRdt ?? a.intelRdt;
  return {
    env: [...a.env, ...b.env],
    deviceNodes: [...a.deviceNodes, ...b.deviceNodes],
    mounts: [...a.mounts, ...b.mounts],
    hooks: [...a.hooks, ...b.hooks],
    additionalGids: [...a.additionalGids, ...b.additionalGids],
    ...(intelRdt ? { intelRdt } : {}),
    netDevices: [...a.netDevices, ...b.netDevices],
  };
}
