/**
 * A CDI spec file, validated as the reference validates one (pkg/cdi spec.go, device.go): the
 * decoded shape (schema.ts), the version (version.ts), the kind's names (name.ts), the spec's
 * edits, each device (name, non-empty edits, edits), unique device names, at least one device.
 * A refusal is a CdiSpecError: "<file>: <field>: <the reference's reason>". Hooks written by stage
 * (hooks-by-stage.ts) are read, with a warning in the spec's `warnings`.
 */
import * as z from 'zod/mini';
import { goFieldNames, problemOf } from '../core/json';
import { ContainerEdits, editsEmpty, editsProblem, normaliseEdits } from './edits';
import { ListEdits, hooksAsList } from './hooks-by-stage';
import { classProblem, deviceNameProblem, parseQualifier, vendorProblem } from './name';
import { SPEC_STRUCT, cdiSpecSchema } from './schema';
import { CdiVersion, checkVersion } from './version';

export type { CdiDeviceNode, CdiHook, CdiMount, ContainerEdits } from './edits';
export { CDI_VERSIONS } from './version';

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
  annotations: Record<string, string>;
  edits: ContainerEdits;
  devices: CdiDevice[];
  /** What was read although the reference refuses it (one line each, field first): `ocihooks doctor` and the GPU hook's log say it. */
  warnings?: string[];
}

/** A problem in one spec file: "file: field: reason". */
export class CdiSpecError extends Error {
  override readonly name = 'CdiSpecError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field}: ${reason}`, options);
  }
}

/** Validates a parsed document as a CDI spec; throws CdiSpecError naming the field. */
export function validateCdiSpec(doc: unknown, file: string): CdiSpec {
  const canonical = goFieldNames(doc, SPEC_STRUCT);
  const r = z.safeParse(cdiSpecSchema(), canonical);
  if (!r.success) {
    const p = problemOf(r.error.issues[0] as { path: PropertyKey[]; code: string }, canonical);
    throw new CdiSpecError(file, p.field, p.reason);
  }
  const raw = r.data;
  const fail = (field: string, reason: string): never => {
    throw new CdiSpecError(file, field, reason);
  };
  const warnings: string[] = [];
  const listed = (e: Parameters<typeof hooksAsList>[0], where: string): ListEdits | null | undefined => {
    const r = hooksAsList(e, where);
    if (r.problem) fail(r.problem.field, r.problem.reason);
    if (r.byStage) warnings.push(r.byStage);
    return r.edits;
  };
  const specEdits = listed(raw.containerEdits, 'containerEdits');
  const deviceEdits = (raw.devices ?? []).map((d, i) => listed(d.containerEdits, `devices[${i}].containerEdits`));
  const version = checkVersion(raw);
  if (!('version' in version)) fail(version.field, version.reason);
  const kind = raw.kind ?? '';
  const { vendor, class: cls } = parseQualifier(kind);
  const kindProblem = vendorProblem(vendor) ?? classProblem(cls);
  if (kindProblem) fail('kind', kindProblem);
  const specProblem = editsProblem(specEdits, 'containerEdits');
  if (specProblem) fail(specProblem.field, specProblem.reason);
  const seen = new Set<string>();
  const devices = raw.devices ?? [];
  devices.forEach((d, i) => {
    const name = d.name ?? '';
    const nameProblem = deviceNameProblem(name);
    if (nameProblem) fail(`devices[${i}].name`, nameProblem);
    if (editsEmpty(deviceEdits[i])) fail(`devices[${i}].containerEdits`, 'invalid device, empty device edits');
    const p = editsProblem(deviceEdits[i], `devices[${i}].containerEdits`);
    if (p) fail(p.field, `invalid device ${JSON.stringify(name)}: ${p.reason}`);
    if (seen.has(name)) fail(`devices[${i}].name`, `invalid spec, multiple device ${JSON.stringify(name)}`);
    seen.add(name);
  });
  if (devices.length === 0) fail('devices', 'invalid spec, no devices');
  return {
    file,
    cdiVersion: (version as { version: CdiVersion }).version,
    vendor,
    class: cls,
    kind,
    annotations: raw.annotations ?? {},
    edits: normaliseEdits(specEdits),
    devices: devices.map((d, i) => ({ name: d.name as string, edits: normaliseEdits(deviceEdits[i]) })),
    ...(warnings.length ? { warnings } : {}),
  };
}
