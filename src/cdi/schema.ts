/**
 * CDI spec files as zod schemas (the single source of their raw types). Hooks are accepted in the
 * CDI list form and in an OCI-style object keyed by stage; spec.ts normalises them.
 */
import * as z from 'zod/mini';
import '../core/json'; // zod's settings (no generated code) before any schema parses

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
export type RawSpec = z.infer<typeof cdiSpecSchema>;
export type RawEdits = z.infer<typeof editsSchema>;
