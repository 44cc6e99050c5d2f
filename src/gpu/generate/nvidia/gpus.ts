/**
 * The NVIDIA driver and its GPUs from procfs (no NVML): the kernel module's version from
 * /proc/driver/nvidia/version, each GPU from /proc/driver/nvidia/gpus/<pci>/information.
 * The index is the GPU's place in PCI bus order — NVML's order on the hosts NVIDIA documents, and
 * what nvidia-ctk itself uses where it has no NVML — not the device minor. A GPU the driver
 * excluded is not counted; a "DGX Display" is skipped but keeps its index, as NVML's does.
 */
import { ActionError } from '../../../core/errors';
import type { Host } from '../driver-host';

export interface NvidiaGpu {
  /** Index in PCI bus order. */
  index: number;
  /** PCI address, 0000:3b:00.0. */
  bus: string;
  model: string;
  /** Absent until the driver has cached it (the information file then has no "GPU UUID" line). */
  uuid?: string;
  /** Device minor: /dev/nvidia<minor>, and the gpu<minor> of capabilities. */
  minor: number;
}

/** "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  595.45.04  Release Build ..." → "595.45.04" */
export function parseDriverVersion(text: string, file: string): string {
  const first = text.split('\n')[0] ?? '';
  const version = first.split(/\s+/).find((t) => /^\d+\.\d+(\.\d+)?$/.test(t));
  if (!version) throw new ActionError(`${file}: no kernel module version in ${JSON.stringify(first)}`);
  return version;
}

/** "Key: \t value" lines, split at the first colon, as the driver writes them. */
export function parseInformation(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return fields;
}

export function readDriverVersion(host: Host): string {
  const file = host.proc('driver/nvidia/version');
  const text = host.text(file);
  if (text === undefined) throw new ActionError(`no NVIDIA driver is loaded: ${file} is not there`);
  return parseDriverVersion(text, file);
}

/** PCI addresses as numbers: 0000:3b:00.0 sorts by domain, bus, device, function. */
function pciKey(bus: string): number[] {
  return bus.split(/[:.]/).map((p) => parseInt(p, 16));
}

export function comparePci(a: string, b: string): number {
  const x = pciKey(a);
  const y = pciKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export function readGpus(host: Host): NvidiaGpu[] {
  const dir = host.proc('driver/nvidia/gpus');
  const gpus: NvidiaGpu[] = [];
  let index = 0;
  for (const bus of host.list(dir).sort(comparePci)) {
    const file = `${dir}/${bus}/information`;
    const fields = parseInformation(host.text(file) ?? '');
    const minor = Number(fields.get('Device Minor'));
    if (fields.get('Device Minor') === undefined || !Number.isInteger(minor))
      throw new ActionError(`${file}: no "Device Minor" line`);
    if (fields.get('GPU Excluded') === 'Yes') {
      host.note(`skipped GPU ${bus}: the driver excluded it (${file})`);
      continue;
    }
    const model = fields.get('Model') ?? 'unknown';
    if (model === 'DGX Display' || model === 'NVIDIA DGX Display') {
      host.note(`skipped GPU ${bus}: a ${model} is not a compute GPU (it keeps index ${index}, as in NVML)`);
      index++;
      continue;
    }
    const uuid = fields.get('GPU UUID');
    if (!uuid) host.note(`GPU ${bus} has no "GPU UUID" in ${file} yet (the driver has not read it): no uuid name`);
    gpus.push({ index: index++, bus, model, minor, ...(uuid ? { uuid } : {}) });
  }
  if (gpus.length === 0) throw new ActionError(`${dir}: no GPU`);
  return gpus;
}
