/**
 * The OCI inputs every hook reads — the runtime state and the bundle's config.json — as zod
 * schemas (the single source of their types), and the OCI hook stages.
 * Objects are loose: runtimes add fields we do not read, and rejecting them would break hooks.
 */
import * as z from 'zod/mini';
import './json'; // zod's settings (no generated code) before any schema parses

/** The hook stages of the OCI runtime spec, in the order a container goes through them. */
export const OCI_STAGES = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
] as const;
export type OciStage = (typeof OCI_STAGES)[number];

/** OCI runtime state, as runtimes pass it on a hook's stdin. crun passes pid 0; some omit it. */
export const ociStateSchema = z.looseObject({
  ociVersion: z.string(),
  id: z.string().check(z.minLength(1)),
  status: z.optional(z.string()),
  pid: z.optional(z.int().check(z.minimum(0))),
  bundle: z.string().check(z.minLength(1)),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type OciState = z.infer<typeof ociStateSchema>;

const idMappingSchema = z.looseObject({
  containerID: z.int().check(z.minimum(0)),
  hostID: z.int().check(z.minimum(0)),
  size: z.int().check(z.minimum(1)),
});
export type IdMapping = z.infer<typeof idMappingSchema>;

const deviceRuleSchema = z.looseObject({
  allow: z.boolean(),
  type: z.optional(z.enum(['a', 'c', 'b'])),
  major: z.optional(z.nullable(z.int())),
  minor: z.optional(z.nullable(z.int())),
  access: z.optional(z.string()),
});
export type DeviceRule = z.infer<typeof deviceRuleSchema>;

const mountSchema = z.looseObject({
  destination: z.string(),
  source: z.optional(z.string()),
  type: z.optional(z.string()),
  options: z.optional(z.array(z.string())),
});

/** A hook of a stage in config.json (runtime-spec config.md, POSIX-platform hooks). */
export const ociHookSchema = z.looseObject({
  path: z.string(),
  args: z.optional(z.array(z.string())),
  env: z.optional(z.array(z.string())),
  timeout: z.optional(z.int()),
});
export type OciStageHook = z.infer<typeof ociHookSchema>;

/** The part of config.json the hooks use. */
export const ociConfigSchema = z.looseObject({
  ociVersion: z.optional(z.string()),
  root: z.looseObject({ path: z.string().check(z.minLength(1)), readonly: z.optional(z.boolean()) }),
  process: z.optional(
    z.looseObject({
      env: z.optional(z.array(z.string())),
      args: z.optional(z.array(z.string())),
      user: z.optional(
        z.looseObject({
          uid: z.int().check(z.minimum(0)),
          gid: z.int().check(z.minimum(0)),
          additionalGids: z.optional(z.array(z.int().check(z.minimum(0)))),
        }),
      ),
    }),
  ),
  mounts: z.optional(z.array(mountSchema)),
  annotations: z.optional(z.record(z.string(), z.string())),
  hooks: z.optional(z.record(z.string(), z.optional(z.array(ociHookSchema)))),
  linux: z.optional(
    z.looseObject({
      namespaces: z.optional(z.array(z.looseObject({ type: z.string(), path: z.optional(z.string()) }))),
      uidMappings: z.optional(z.array(idMappingSchema)),
      gidMappings: z.optional(z.array(idMappingSchema)),
      resources: z.optional(z.looseObject({ devices: z.optional(z.array(deviceRuleSchema)) })),
      cgroupsPath: z.optional(z.string()),
      rootfsPropagation: z.optional(
        z.enum(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable', '']),
      ),
    }),
  ),
});
export type OciConfig = z.infer<typeof ociConfigSchema>;

/** A container's bundle as the hooks read it. */
export interface Bundle {
  /** Absolute bundle directory, as the state gave it. */
  dir: string;
  configPath: string;
  config: OciConfig;
  /** Absolute rootfs path (config root.path resolved against the bundle). */
  rootfs: string;
}
