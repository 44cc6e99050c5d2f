/**
 * `ocihooks cdi generate`: which GPUs (--vendor), which spec (--mode), under which kind, named how;
 * the spec built from the host's kernel and driver files and validated. Notes say what was
 * skipped and why; a missing driver, GPU or required node is an ActionError naming the file.
 */
import { ActionError, UsageError } from '../../core/errors';
import { classProblem, vendorProblem } from '../../cdi/name';
import { amdGpuDevices } from './amd';
import { Host, HostRoots } from './driver-host';
import type { NameStrategy } from './naming';
import { Generated, imexSpec, nvidiaGpuSpec, nvidiaManagementSpec } from './nvidia/spec';
import { GeneratedSpec, buildSpec } from './spec-doc';

export const MODES = ['auto', 'proc', 'management', 'imex'] as const;
export type Mode = (typeof MODES)[number];

export interface GenerateOptions {
  /** auto, nvidia, amd, or a CDI vendor name for the kind (nvidia.com, management.nvidia.com, amd.com, ...). */
  vendor: string;
  class?: string;
  mode: Mode;
  strategies?: NameStrategy[];
  roots: HostRoots;
  librarySearchPaths: string[];
  /** The ocihook-gpu the spec's hooks call. */
  gpuHook: string;
}

export type GpuVendor = 'nvidia' | 'amd';

/** Which drivers are loaded: NVIDIA's procfs folder, amdgpu's module folder. */
export function loadedVendors(host: Host): GpuVendor[] {
  return [
    ...(host.exists(host.proc('driver/nvidia')) ? ['nvidia' as const] : []),
    ...(host.exists(host.sys('module/amdgpu/drivers')) ? ['amd' as const] : []),
  ];
}

function hardwareOf(host: Host, vendor: string): GpuVendor {
  if (vendor === 'nvidia' || vendor.endsWith('nvidia.com')) return 'nvidia';
  if (vendor === 'amd' || vendor.endsWith('amd.com')) return 'amd';
  if (vendor !== 'auto' && !vendor.includes('.'))
    throw new UsageError(
      `--vendor: expected auto, nvidia, amd or a vendor name such as nvidia.com, got ${JSON.stringify(vendor)}`,
    );
  const loaded = loadedVendors(host);
  if (loaded.length === 2)
    throw new UsageError(
      '--vendor: both the NVIDIA and the AMD drivers are loaded here: say --vendor nvidia or --vendor amd',
    );
  if (loaded.length === 0)
    throw new ActionError(
      `no GPU driver is loaded: neither ${host.proc('driver/nvidia')} (NVIDIA) nor ${host.sys('module/amdgpu/drivers')} (AMD) is there`,
    );
  return loaded[0] as GpuVendor;
}

export function generateSpec(o: GenerateOptions): GeneratedSpec & { notes: string[] } {
  const host = new Host(o.roots);
  const hardware = hardwareOf(host, o.vendor);
  if (hardware === 'amd' && (o.mode === 'management' || o.mode === 'imex'))
    throw new UsageError(`--mode ${o.mode}: a mode of NVIDIA GPUs; AMD GPUs have auto and proc`);
  const kindVendor = o.vendor.includes('.')
    ? o.vendor
    : hardware === 'amd'
      ? 'amd.com'
      : o.mode === 'management'
        ? 'management.nvidia.com'
        : 'nvidia.com';
  const cls = o.class ?? (o.mode === 'imex' ? 'imex-channel' : 'gpu');
  const problem = vendorProblem(kindVendor) ?? classProblem(cls);
  if (problem) throw new UsageError(`--vendor/--class: ${problem}`);
  const strategies = o.strategies?.length
    ? o.strategies
    : hardware === 'amd'
      ? (['index'] as NameStrategy[])
      : (['index', 'uuid'] as NameStrategy[]);
  let g: Generated;
  if (hardware === 'amd')
    g = { annotations: {}, devices: amdGpuDevices(host, strategies), common: { env: [], nodes: [], mounts: [] } };
  else {
    const input = { host, strategies, gpuHook: o.gpuHook, librarySearchPaths: o.librarySearchPaths };
    g =
      o.mode === 'management'
        ? nvidiaManagementSpec(input)
        : o.mode === 'imex'
          ? imexSpec(input)
          : nvidiaGpuSpec(input);
  }
  return { ...buildSpec(`${kindVendor}/${cls}`, g.annotations, g.devices, g.common), notes: host.notes };
}
