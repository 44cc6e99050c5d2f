/** The config edit for a Slurm step: its GPU requests replace every CDI request the bundle brought. */
import { CDI_ANNOTATION_PREFIX } from '../../cdi/name';
import type { Json } from '../../core/json';
import { SLURM_GPU_ANNOTATION } from './gpus';

export function allocationOnly(config: Json, devices: string[]): void {
  const kept = Object.entries((config.annotations as Record<string, string> | undefined) ?? {}).filter(
    ([k]) => !k.startsWith(CDI_ANNOTATION_PREFIX),
  );
  config.annotations = Object.fromEntries([
    ...kept,
    ...(devices.length ? [[SLURM_GPU_ANNOTATION, devices.join(',')]] : []),
  ]);
}
