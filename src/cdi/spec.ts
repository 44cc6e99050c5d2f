/**
 * A CDI spec file, validated: the zod schema (schema.ts), the cdiVersion its content needs
 * (version.ts), and the rules zod cannot say — names, absolute paths, hook stages — with every
 * problem reported as "file: field: reason".
 */
import * as z from 'zod/mini';
import { problemOf } from '../core/json';
import { OCI_STAGES } from '../core/oci';
import { checkKind, checkDeviceName } from './name';
import { CdiDeviceNode, CdiHook, CdiMount, RawEdits, cdiSpecSchema } from './schema';
import { CDI_VERSIONS, CdiVersion, requiredVersion, versionAtLeast } from './version';

export type { CdiDeviceNode, CdiHook, CdiMount } from './schema';
export { CDI_VERSIONS } from './version';

export interface ContainerEdits {
  env: string[];
  deviceNodes: CdiDeviceNode[];
  mounts: CdiMount[];
  hooks: CdiHook[];
  additionalGids: number[];
  intelRdt?: RawEdits['intelRdt'];
  netDevices: { hostInterfaceName: string; name: string }[];
}

export interface CdiDevice {
  name: string;
  edits: ContainerEdits;
}

export interface CdiSpec {
  file: string;
  cdiVersion: CdiVersion;
  vendor: string;
  class: string;
  kind: string;
  edits: ContainerEdits;
  devices: CdiDevice[];
}

/** A problem in one spec file: "file: field: reason". */
export class CdiSpecError extends Error {
  override readonly name = 'CdiSpecError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
  }
}

function normaliseEdits(e: RawEdits | undefined, file: string, where: string): ContainerEdits {
  let hooks: CdiHook[] = [];
  if (Array.isArray(e?.hooks)) hooks = e.hooks;
  else if (e?.hooks) {
    for (const [stage, list] of Object.entries(e.hooks)) {
      if (!(OCI_STAGES as readonly string[]).includes(stage)) throw new CdiSpecError(file, `${where}.hooks.${stage}`, `unknown hook stage (expected one of ${OCI_STAGES.join(', ')})`);
      for (const h of list) hooks.push({ hookName: stage, ...h });
    }
  }
  for (const [i, h] of hooks.entries()) {
    if (!(OCI_STAGES as readonly string[]).includes(h.hookName)) throw new CdiSpecError(file, `${where}.hooks[${i}].hookName`, `unknown hook stage ${JSON.stringify(h.hookName)}`);
    if (!h.path.startsWith('/')) throw new CdiSpecError(file, `${where}.hooks[${i}].path`, 'must be absolute');
  }
  for (const [i, n] of (e?.deviceNodes ?? []).entries()) {
    if (!n.path.startsWith('/')) throw new CdiSpecError(file, `${where}.deviceNodes[${i}].path`, 'must be an absolute container path');
    if (n.hostPath && !n.hostPath.startsWith('/')) throw new CdiSpecError(file, `${where}.deviceNodes[${i}].hostPath`, 'must be absolute');
    if (n.permissions !== undefined && !/^[rwm]{1,3}$/.test(n.permissions)) throw new CdiSpecError(file, `${where}.deviceNodes[${i}].permissions`, `${JSON.stringify(n.permissions)} is not a subset of "rwm"`);
  }
  for (const [i, m] of (e?.mounts ?? []).entries()) {
    if (!m.containerPath.startsWith('/')) throw new CdiSpecError(file, `${where}.mounts[${i}].containerPath`, 'must be an absolute container path');
    if (!m.hostPath.startsWith('/')) throw new CdiSpecError(file, `${where}.mounts[${i}].hostPath`, 'must be absolute');
  }
  for (const env of e?.env ?? []) if (!/^[^=]+=/.test(env)) throw new CdiSpecError(file, `${where}.env`, `${JSON.stringify(env)} is not NAME=value`);
  return {
    env: e?.env ?? [],
    deviceNodes: e?.deviceNodes ?? [],
    mounts: e?.mounts ?? [],
    hooks,
    additionalGids: e?.additionalGids ?? [],
    ...(e?.intelRdt ? { intelRdt: e.intelRdt } : {}),
    netDevices: e?.netDevices ?? [],
  };
}

/** Validates a parsed document as a CDI spec; throws CdiSpecError naming the field. */
export function validateCdiSpec(doc: unknown, file: string): CdiSpec {
  const r = z.safeParse(cdiSpecSchema, doc);
  if (!r.success) {
    const p = problemOf(r.error.issues[0] as { path: PropertyKey[]; code: string }, doc);
    throw new CdiSpecError(file, p.field, p.reason);
  }
  const raw = r.data;
  if (!(CDI_VERSIONS as readonly string[]).includes(raw.cdiVersion)) {
    throw new CdiSpecError(file, 'cdiVersion', `${JSON.stringify(raw.cdiVersion)} is not a supported version (${CDI_VERSIONS.join(', ')})`);
  }
  const kind = checkKind(raw.kind);
  if (kind.problem !== undefined) throw new CdiSpecError(file, 'kind', kind.problem);
  const seen = new Set<string>();
  raw.devices.forEach((d, i) => {
    const problem = checkDeviceName(d.name);
    if (problem) throw new CdiSpecError(file, `devices[${i}].name`, problem);
    if (seen.has(d.name)) throw new CdiSpecError(file, `devices[${i}].name`, `${JSON.stringify(d.name)} is defined twice`);
    seen.add(d.name);
  });
  const need = requiredVersion(raw);
  if (!versionAtLeast(raw.cdiVersion, need.version)) {
    throw new CdiSpecError(file, need.field, `needs cdiVersion ${need.version} or later (the file says ${raw.cdiVersion})`);
  }
  return {
    file,
    cdiVersion: raw.cdiVersion as CdiVersion,
    vendor: kind.vendor,
    class: kind.class,
    kind: raw.kind,
    edits: normaliseEdits(raw.containerEdits, file, 'containerEdits'),
    devices: raw.devices.map((d, i) => ({ name: d.name, edits: normaliseEdits(d.containerEdits, file, `devices[${i}].containerEdits`) })),
  };
}
