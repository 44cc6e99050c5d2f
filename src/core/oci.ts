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

// Leaves shared by the schemas below: every hook builds these schemas at start-up, and zod builds
// each schema object (a check makes a copy) with its own traits; shared, they are built once.
const str = z.string();
const optionalString = z.optional(str);
const optionalStrings = z.optional(z.array(str));
const nonEmptyString = z.string().check(z.minLength(1));
const nonNegativeInt = z.int().check(z.minimum(0));
const optionalAnnotations = z.optional(z.record(str, str));

/** OCI runtime state, as runtimes pass it on a hook's stdin. crun passes pid 0; some omit it. */
export const ociStateSchema = z.looseObject({
  ociVersion: str,
  id: nonEmptyString,
  status: optionalString,
  pid: z.optional(nonNegativeInt),
  bundle: nonEmptyString,
  annotations: optionalAnnotations,
});
export type OciState = z.infer<typeof ociStateSchema>;

const idMappingSchema = z.looseObject({
  containerID: nonNegativeInt,
  hostID: nonNegativeInt,
  size: z.int().check(z.minimum(1)),
});
export type IdMapping = z.infer<typeof idMappingSchema>;

const nullableInt = z.optional(z.nullable(z.int()));
const deviceRuleSchema = z.looseObject({
  allow: z.boolean(),
  type: z.optional(z.enum(['a', 'c', 'b'])),
  major: nullableInt,
  minor: nullableInt,
  access: optionalString,
});
export type DeviceRule = z.infer<typeof deviceRuleSchema>;

const mountSchema = z.looseObject({
  destination: str,
  source: optionalString,
  type: optionalString,
  options: optionalStrings,
});

/** A hook of a stage in config.json (runtime-spec config.md, POSIX-platform hooks). */
export const ociHookSchema = z.looseObject({
  path: str,
  args: optionalStrings,
  env: optionalStrings,
  timeout: z.optional(z.int()),
});
export type OciStageHook = z.infer<typeof ociHookSchema>;

const idMappingsSchema = z.optional(z.array(idMappingSchema));

/** The part of config.json the hooks use. */
export const ociConfigSchema = z.looseObject({
  ociVersion: optionalString,
  root: z.looseObject({ path: nonEmptyString, readonly: z.optional(z.boolean()) }),
  process: z.optional(
    z.looseObject({
      env: optionalStrings,
      args: optionalStrings,
      user: z.optional(
        z.looseObject({
          uid: nonNegativeInt,
          gid: nonNegativeInt,
          additionalGids: z.optional(z.array(nonNegativeInt)),
        }),
      ),
    }),
  ),
  mounts: z.optional(z.array(mountSchema)),
  annotations: optionalAnnotations,
  hooks: z.optional(z.record(str, z.optional(z.array(ociHookSchema)))),
  linux: z.optional(
    z.looseObject({
      namespaces: z.optional(z.array(z.looseObject({ type: str, path: optionalString }))),
      // The GPU precreate filter edits the list (cdi/apply.ts): entries are objects with a path.
      devices: z.optional(z.array(z.looseObject({ path: str }))),
      uidMappings: idMappingsSchema,
      gidMappings: idMappingsSchema,
      resources: z.optional(z.looseObject({ devices: z.optional(z.array(deviceRuleSchema)) })),
      cgroupsPath: optionalString,
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
