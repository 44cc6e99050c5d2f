/** The config edit for a Slurm step: its GPU requests replace every CDI request the bundle brought. */
import type { Json } from '../../core/json';
import { SLURM_GPU_ANNOTATION } from './gpus';

const CDI_PREFIX = 'cdi.k8s.io/';

export function allocationOnly(config: Json, devices: string[]): void {
  const kept = Object.entries((config.annotations as Record<string, string> | undefined) ?? {}).filter(([k]) => !k.startsWith(CDI_PREFIX));
  config.annotations = Object.fromEntries([...kept, ...(devices.length ? [[SLURM_GPU_ANNOTATION, devices.join(',')]] : [])]);
}
