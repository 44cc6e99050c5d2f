/**
 * CDI spec files as zod schemas: the shape of specs-go's types, decoded as the reference decodes
 * them (sigs.k8s.io/yaml UnmarshalStrict into Go structs): unknown fields are refused, field names
 * match case-insensitively (SPEC_STRUCT), null is an absent value, uid/gid/fileMode are uint32.
 * Where a field is a string, go-json.ts has already made a YAML number or bool one, as the
 * reference's YAML-to-JSON step does.
 */
import * as z from 'zod/mini';
import '../core/json'; // zod's settings (no generated code) before any schema parses
import type { GoStruct } from '../core/json';

/**
 * The schemas, built at their first use: zod builds each schema object with its traits (~0.4 ms of
 * a hook's start for these), and a GPU hook whose specs were all kept decoded and checked
 * (hook/decoded-cache.ts) uses none of them.
 */
function buildSchemas() {
  const uint32 = z.int().check(z.minimum(0), z.maximum(4294967295));
  const int64 = z.int();
  const opt = <T extends z.ZodMiniType>(t: T) => z.optional(z.nullable(t));
  // Leaves built once and shared (zod builds every schema object with its traits).
  const optString = opt(z.string());
  const strings = opt(z.array(z.string()));
  const optUint32 = opt(uint32);
  const optInt64 = opt(int64);

  const hookFields = { path: optString, args: strings, env: strings, timeout: opt(z.int()) };
  const hookSchema = z.strictObject({ hookName: optString, ...hookFields });

  /**
   * Hooks are a list, each naming its stage (hookName). zlayer writes them as an object of lists
   * keyed by stage, without hookName, as config.json has them: read too (hooks-by-stage.ts), with a
   * warning, though the reference refuses such a spec.
   */
  const hooksSchema = z.union([z.array(hookSchema), z.record(z.string(), z.array(z.strictObject(hookFields)))], {
    error: 'expected a list of hooks (or an object of hook lists keyed by stage)',
  });

  const deviceNodeSchema = z.strictObject({
    path: optString,
    hostPath: optString,
    type: optString,
    major: optInt64,
    minor: optInt64,
    fileMode: optUint32,
    permissions: optString,
    uid: optUint32,
    gid: optUint32,
  });

  const mountSchema = z.strictObject({
    hostPath: optString,
    containerPath: optString,
    options: strings,
    type: optString,
  });

  const intelRdtSchema = z.strictObject({
    closID: optString,
    l3CacheSchema: optString,
    memBwSchema: optString,
    schemata: strings,
    enableMonitoring: opt(z.boolean()),
  });

  const netDeviceSchema = z.strictObject({ hostInterfaceName: optString, name: optString });

  const editsSchema = z.strictObject({
    env: strings,
    deviceNodes: opt(z.array(deviceNodeSchema)),
    netDevices: opt(z.array(netDeviceSchema)),
    hooks: opt(hooksSchema),
    mounts: opt(z.array(mountSchema)),
    intelRdt: opt(intelRdtSchema),
    additionalGids: opt(z.array(uint32)),
  });

  const annotations = opt(z.record(z.string(), z.string()));

  const cdiSpecSchema = z.strictObject({
    cdiVersion: optString,
    kind: optString,
    annotations,
    devices: opt(z.array(z.strictObject({ name: optString, annotations, containerEdits: opt(editsSchema) }))),
    containerEdits: opt(editsSchema),
  });
  return { cdiSpecSchema, editsSchema, intelRdtSchema, hookSchema };
}
let built: ReturnType<typeof buildSchemas> | undefined;
/** The CDI spec's schema (and its parts' types below). */
export const cdiSpecSchema = () => (built ??= buildSchemas()).cdiSpecSchema;
type Built = ReturnType<typeof buildSchemas>;
export type RawSpec = z.infer<Built['cdiSpecSchema']>;
export type RawEdits = z.infer<Built['editsSchema']>;
export type RawIntelRdt = z.infer<Built['intelRdtSchema']>;
export type RawHook = z.infer<Built['hookSchema']>;

const hook: GoStruct = { fields: ['hookName', 'path', 'args', 'env', 'timeout'] };
const edits: GoStruct = {
  fields: ['env', 'deviceNodes', 'netDevices', 'hooks', 'mounts', 'intelRdt', 'additionalGids'],
  children: {
    deviceNodes: [{ fields: ['path', 'hostPath', 'type', 'major', 'minor', 'fileMode', 'permissions', 'uid', 'gid'] }],
    netDevices: [{ fields: ['hostInterfaceName', 'name'] }],
    hooks: [hook],
    mounts: [{ fields: ['hostPath', 'containerPath', 'options', 'type'] }],
    intelRdt: { fields: ['closID', 'l3CacheSchema', 'memBwSchema', 'schemata', 'enableMonitoring'] },
  },
};
/** specs-go's structs, for Go's case-insensitive field names. */
export const SPEC_STRUCT: GoStruct = {
  fields: ['cdiVersion', 'kind', 'annotations', 'devices', 'containerEdits'],
  children: {
    devices: [{ fields: ['name', 'annotations', 'containerEdits'], children: { containerEdits: edits } }],
    containerEdits: edits,
  },
};

/** What is wrong with the edits of a spec: the field, and why. */
export interface EditsProblem {
  field: string;
  reason: string;
}
