/**
 * CDI spec files, cdiVersion 0.3.0 to 1.1.0: zod schemas (the single source of the types) plus
 * the rules zod cannot say — names, and which cdiVersion a field needs:
 *   0.4.0 mounts[].type · 0.5.0 deviceNodes[].hostPath, device names starting with a digit ·
 *   0.6.0 annotations, "." in the class · 0.7.0 intelRdt, additionalGids · 1.1.0 netDevices.
 * Hooks are accepted in the CDI list form and in an OCI-style object keyed by stage, and are
 * normalised to the list form.
 */
import * as z from 'zod/mini';
import { describeIssue } from '../core/oci';

export const CDI_VERSIONS = ['0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '1.0.0', '1.1.0'] as const;
export type CdiVersion = (typeof CDI_VERSIONS)[number];
const OCI_STAGES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

const hookSchema = z.looseObject({
  hookName: z.string().check(z.minLength(1)),
  path: z.string().check(z.minLength(1)),
  args: z.optional(z.array(z.string())),
  env: z.optional(z.array(z.string())),
  timeout: z.optional(z.int().check(z.minimum(1))),
});
export type CdiHook = z.infer<typeof hookSchema>;

const ociHookSchema = z.looseObject({
  path: z.string().check(z.minLength(1)),
  args: z.optional(z.array(z.string())),
  env: z.optional(z.array(z.string())),
  timeout: z.optional(z.int().check(z.minimum(1))),
});

const deviceNodeSchema = z.looseObject({
  path: z.string().check(z.minLength(1)),
  hostPath: z.optional(z.string()),
  type: z.optional(z.enum(['c', 'b', 'u', 'p', ''])),
  major: z.optional(z.int().check(z.minimum(0))),
  minor: z.optional(z.int().check(z.minimum(0))),
  fileMode: z.optional(z.int().check(z.minimum(0))),
  permissions: z.optional(z.string()),
  uid: z.optional(z.int().check(z.minimum(0))),
  gid: z.optional(z.int().check(z.minimum(0))),
});
export type CdiDeviceNode = z.infer<typeof deviceNodeSchema>;

const mountSchema = z.looseObject({
  hostPath: z.string().check(z.minLength(1)),
  containerPath: z.string().check(z.minLength(1)),
  options: z.optional(z.array(z.string())),
  type: z.optional(z.string()),
});
export type CdiMount = z.infer<typeof mountSchema>;

const editsSchema = z.looseObject({
  env: z.optional(z.array(z.string())),
  deviceNodes: z.optional(z.array(deviceNodeSchema)),
  mounts: z.optional(z.array(mountSchema)),
  hooks: z.optional(z.union([z.array(hookSchema), z.record(z.string(), z.array(ociHookSchema))])),
  additionalGids: z.optional(z.array(z.int().check(z.minimum(0)))),
  intelRdt: z.optional(z.looseObject({ closID: z.optional(z.string()), l3CacheSchema: z.optional(z.string()), memBwSchema: z.optional(z.string()) })),
  netDevices: z.optional(z.array(z.looseObject({ hostInterfaceName: z.string(), name: z.string() }))),
});

export const cdiSpecSchema = z.looseObject({
  cdiVersion: z.string(),
  kind: z.string(),
  annotations: z.optional(z.record(z.string(), z.string())),
  devices: z.array(
    z.looseObject({
      name: z.string(),
      annotations: z.optional(z.record(z.string(), z.string())),
      containerEdits: z.optional(editsSchema),
    }),
  ),
  containerEdits: z.optional(editsSchema),
});
type RawSpec = z.infer<typeof cdiSpecSchema>;
type RawEdits = z.infer<typeof editsSchema>;

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

const NAME_CHARS = /^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/;
const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/;

function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

function normaliseEdits(e: RawEdits | undefined, file: string, where: string): ContainerEdits {
  let hooks: CdiHook[] = [];
  if (Array.isArray(e?.hooks)) hooks = e.hooks;
  else if (e?.hooks) {
    for (const [stage, list] of Object.entries(e.hooks)) {
      if (!OCI_STAGES.includes(stage)) throw new CdiSpecError(file, `${where}.hooks.${stage}`, `unknown hook stage (expected one of ${OCI_STAGES.join(', ')})`);
      for (const h of list) hooks.push({ hookName: stage, ...h });
    }
  }
  for (const [i, h] of hooks.entries()) {
    if (!OCI_STAGES.includes(h.hookName)) throw new CdiSpecError(file, `${where}.hooks[${i}].hookName`, `unknown hook stage ${JSON.stringify(h.hookName)}`);
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

/** The minimum cdiVersion the spec's content needs, with the field that needs it. */
export function requiredVersion(raw: RawSpec): { version: string; field: string } {
  let need = { version: '0.3.0', field: '' };
  const bump = (version: string, field: string) => {
    if (!versionAtLeast(need.version, version)) need = { version, field };
  };
  const all: [string, RawEdits | undefined][] = [['containerEdits', raw.containerEdits], ...raw.devices.map((d, i) => [`devices[${i}].containerEdits`, d.containerEdits] as [string, RawEdits | undefined])];
  for (const [where, e] of all) {
    if (e?.netDevices?.length) bump('1.1.0', `${where}.netDevices`);
    if (e?.intelRdt) bump('0.7.0', `${where}.intelRdt`);
    if (e?.additionalGids?.length) bump('0.7.0', `${where}.additionalGids`);
    (e?.deviceNodes ?? []).forEach((n, i) => n.hostPath && bump('0.5.0', `${where}.deviceNodes[${i}].hostPath`));
    (e?.mounts ?? []).forEach((m, i) => m.type && bump('0.4.0', `${where}.mounts[${i}].type`));
  }
  if (raw.annotations && Object.keys(raw.annotations).length) bump('0.6.0', 'annotations');
  raw.devices.forEach((d, i) => {
    if (d.annotations && Object.keys(d.annotations).length) bump('0.6.0', `devices[${i}].annotations`);
    if (/^[0-9]/.test(d.name)) bump('0.5.0', `devices[${i}].name`);
  });
  const cls = raw.kind.split('/')[1] ?? '';
  if (cls.includes('.')) bump('0.6.0', 'kind');
  return need;
}

/** Validates a parsed document as a CDI spec; throws CdiSpecError naming the field. */
export function validateCdiSpec(doc: unknown, file: string): CdiSpec {
  const r = z.safeParse(cdiSpecSchema, doc);
  if (!r.success) {
    const issue = r.error.issues[0] as { path: PropertyKey[]; code: string };
    const line = describeIssue(issue, doc);
    const colon = line.indexOf(': ');
    throw new CdiSpecError(file, line.slice(0, colon), line.slice(colon + 2));
  }
  const raw = r.data;
  if (!(CDI_VERSIONS as readonly string[]).includes(raw.cdiVersion)) {
    throw new CdiSpecError(file, 'cdiVersion', `${JSON.stringify(raw.cdiVersion)} is not a supported version (${CDI_VERSIONS.join(', ')})`);
  }
  const [vendor, cls, extra] = raw.kind.split('/');
  if (extra !== undefined || !vendor || !cls) throw new CdiSpecError(file, 'kind', `${JSON.stringify(raw.kind)} is not "vendor/class"`);
  if (!NAME_CHARS.test(vendor) || !/^[A-Za-z]/.test(vendor)) throw new CdiSpecError(file, 'kind', `vendor ${JSON.stringify(vendor)}: letters, digits, "-", "_", "." only, starting with a letter and ending with a letter or digit`);
  if (!NAME_CHARS.test(cls)) throw new CdiSpecError(file, 'kind', `class ${JSON.stringify(cls)}: letters, digits, "-", "_", "." only, starting and ending with a letter or digit`);
  const seen = new Set<string>();
  raw.devices.forEach((d, i) => {
    if (!DEVICE_NAME.test(d.name)) throw new CdiSpecError(file, `devices[${i}].name`, `${JSON.stringify(d.name)}: letters, digits, "-", "_", ".", ":" only, starting and ending with a letter or digit`);
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
    vendor,
    class: cls,
    kind: raw.kind,
    edits: normaliseEdits(raw.containerEdits, file, 'containerEdits'),
    devices: raw.devices.map((d, i) => ({ name: d.name, edits: normaliseEdits(d.containerEdits, file, `devices[${i}].containerEdits`) })),
  };
}
