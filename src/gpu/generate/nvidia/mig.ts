/**
 * MIG devices from procfs (go-nvlib's nvcaps, now the toolkit's internal/nvcaps): a GPU is in MIG
 * mode with instances when /proc/driver/nvidia/capabilities/gpu<minor>/mig/ holds gi<G> folders
 * (the mig folder itself is always there); each gi<G>/ci<C>/access is one MIG device. Its two
 * capability nodes are /dev/nvidia-caps/nvidia-cap<M>, M read from /proc/driver/nvidia-caps/mig-minors
 * ("gpu0/gi1/access 12" lines). The MIG index is NVML's; procfs has no such number, so instances
 * are numbered in (GI, CI) order, nvidia-smi's order. MIG enabled with no instance looks like MIG
 * off from procfs: such a GPU is given as a whole GPU (noted).
 */
import { ActionError } from '../../../core/errors';
import type { Host } from '../driver-host';
import type { NvidiaGpu } from './gpus';

export interface MigDevice {
  gpu: NvidiaGpu;
  /** Index among the GPU's MIG devices, in (GI, CI) order. */
  index: number;
  gi: number;
  ci: number;
  /** /dev/nvidia-caps/nvidia-cap<M> of the GPU instance and of the compute instance. */
  giCap: string;
  ciCap: string;
}

/** "config 1", "monitor 2", "gpu0/gi0/access 3", "gpu0/gi0/ci0/access 4": name → minor. */
export function parseMigMinors(text: string): Map<string, number> {
  const minors = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(' ');
    if (parts.length !== 2) continue;
    const minor = Number(parts[1]);
    if (Number.isInteger(minor) && /^(config|monitor|gpu\d+\/gi\d+(\/ci\d+)?\/access)$/.test(parts[0] as string))
      minors.set(parts[0] as string, minor);
  }
  return minors;
}

const numbered = (names: string[], prefix: string) =>
  names
    .filter((n) => new RegExp(`^${prefix}\\d+$`).test(n))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);

/** The GPU's MIG devices; undefined when it has no GPU instance (a whole GPU). */
export function readMigDevices(host: Host, gpu: NvidiaGpu, minors: () => Map<string, number>): MigDevice[] | undefined {
  const mig = host.proc(`driver/nvidia/capabilities/gpu${gpu.minor}/mig`);
  const gis = numbered(host.list(mig), 'gi');
  if (gis.length === 0) return undefined;
  const devices: MigDevice[] = [];
  for (const gi of gis) {
    const cis = numbered(host.list(`${mig}/gi${gi}`), 'ci').filter((ci) =>
      host.exists(`${mig}/gi${gi}/ci${ci}/access`),
    );
    if (cis.length === 0) host.note(`GPU ${gpu.bus}: GPU instance ${gi} has no compute instance: no MIG device`);
    for (const ci of cis) {
      const cap = (key: string) => {
        const minor = minors().get(key);
        if (minor === undefined)
          throw new ActionError(`${host.proc('driver/nvidia-caps/mig-minors')}: no "${key}" line for GPU ${gpu.bus}`);
        return `/dev/nvidia-caps/nvidia-cap${minor}`;
      };
      devices.push({
        gpu,
        index: devices.length,
        gi,
        ci,
        giCap: cap(`gpu${gpu.minor}/gi${gi}/access`),
        ciCap: cap(`gpu${gpu.minor}/gi${gi}/ci${ci}/access`),
      });
    }
  }
  return devices;
}

/** The mig-minors table, read once and only when some GPU is in MIG mode. */
export function migMinorsReader(host: Host): () => Map<string, number> {
  let table: Map<string, number> | undefined;
  return () => {
    if (table) return table;
    const file = host.proc('driver/nvidia-caps/mig-minors');
    const text = host.text(file);
    if (text === undefined)
      throw new ActionError(`${file}: not there, but a GPU is in MIG mode (is nvidia-caps loaded?)`);
    table = parseMigMinors(text);
    return table;
  };
}
