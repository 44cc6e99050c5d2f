/**
 * Device names, as nvidia-ctk's --device-name-strategy gives them (pkg/nvcdi/namer.go): index "0"
 * and "0:1" for a MIG device, type-index "gpu0" and "mig0:1", uuid the GPU's UUID. A MIG device's
 * UUID is known only to NVML, which this generator does not use: under uuid alone a MIG device is
 * named by index, with a note.
 */
export const NAME_STRATEGIES = ['index', 'uuid', 'type-index'] as const;
export type NameStrategy = (typeof NAME_STRATEGIES)[number];

/** Names of a whole GPU; uuid only where the GPU has one. */
export function gpuNames(strategies: readonly NameStrategy[], index: number, uuid: string | undefined): string[] {
  const names = strategies.flatMap((s) =>
    s === 'index' ? [String(index)] : s === 'type-index' ? [`gpu${index}`] : uuid ? [uuid] : [],
  );
  return names.length ? names : [String(index)];
}

/** Names of a MIG device (uuid has none here). */
export function migNames(strategies: readonly NameStrategy[], gpu: number, mig: number): string[] {
  const names = strategies.flatMap((s) =>
    s === 'index' ? [`${gpu}:${mig}`] : s === 'type-index' ? [`mig${gpu}:${mig}`] : [],
  );
  return names.length ? names : [`${gpu}:${mig}`];
}
