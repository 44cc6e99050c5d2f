/**
 * The three NVIDIA specs `ocihooks cdi generate` writes (nvidia-ctk's modes, read from procfs):
 *  - gpu (modes auto, proc): a device per whole GPU (its /dev/nvidia<minor> and its own DRM
 *    nodes, the by-path links) and per MIG device (the parent's /dev/nvidia<minor> and its own
 *    two capability nodes — never another instance's, never config/monitor), a MIG-enabled GPU
 *    having no whole-GPU device; shared: the control nodes, the driver's files, the hooks;
 *  - management: one device "all" with every NVIDIA node, for monitoring containers;
 *  - imex: a device per /dev/nvidia-caps-imex-channels/channel<N>, named N.
 */
import { ActionError } from '../../../core/errors';
import { byPathLinks, drmNodesIn } from '../drm';
import type { Host, HostNode } from '../driver-host';
import { NameStrategy, gpuNames, migNames } from '../naming';
import type { CommonParts, GeneratedDevice } from '../spec-doc';
import { configMounts, firmwareMounts, ipcMounts, libraryMounts, utilityMounts } from './files';
import { NvidiaGpu, readDriverVersion, readGpus } from './gpus';
import { driverHooks, hook } from './hooks';
import { findDriverLibraries } from './libraries';
import { migMinorsReader, readMigDevices } from './mig';

export interface NvidiaInput {
  host: Host;
  strategies: readonly NameStrategy[];
  gpuHook: string;
  librarySearchPaths: readonly string[];
}

export interface Generated {
  annotations: Record<string, string>;
  devices: GeneratedDevice[];
  common: CommonParts;
}

const VOID = 'NVIDIA_VISIBLE_DEVICES=void';
const CONTROL_NODES = ['/dev/nvidia-modeset', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidiactl'];
const IMEX_DIR = '/dev/nvidia-caps-imex-channels';

const present = (nodes: (HostNode | undefined)[]) => nodes.filter((n): n is HostNode => n !== undefined);

/** The driver's files and hooks every container of the spec gets. */
function driverParts(i: NvidiaInput, version: string, management: boolean): Omit<CommonParts, 'nodes'> {
  const libs = findDriverLibraries(i.host, version, i.librarySearchPaths);
  return {
    env: [VOID],
    mounts: [
      ...libraryMounts(i.host, libs.files),
      ...(management ? [] : configMounts(i.host)),
      ...firmwareMounts(i.host, version),
      ...utilityMounts(i.host),
      ...ipcMounts(i.host),
    ],
    hooks: driverHooks(i.host, { gpuHook: i.gpuHook, version, files: libs.files, folders: libs.folders, management }),
  };
}

function wholeGpu(i: NvidiaInput, gpu: NvidiaGpu): GeneratedDevice {
  const { host } = i;
  const main = host.requiredNode(`/dev/nvidia${gpu.minor}`, `GPU ${gpu.bus}, device minor ${gpu.minor}`);
  const drm = drmNodesIn(host, host.sys(`bus/pci/devices/${gpu.bus}`));
  if (drm.length === 0) host.note(`GPU ${gpu.bus}: no DRM nodes (nvidia-drm not loaded?)`);
  const drmNodes = present(drm.map((p) => host.node(p, `DRM node of GPU ${gpu.bus}`)));
  const links = byPathLinks(
    host,
    gpu.bus,
    drmNodes.map((n) => n.node.path),
  );
  return {
    names: gpuNames(i.strategies, gpu.index, gpu.uuid),
    parts: {
      nodes: [main, ...drmNodes],
      ...(links.length ? { hooks: [hook(i.gpuHook, 'create-symlinks', ...links.flatMap((l) => ['--link', l]))] } : {}),
    },
  };
}

export function nvidiaGpuSpec(i: NvidiaInput): Generated {
  const { host } = i;
  const version = readDriverVersion(host);
  const minors = migMinorsReader(host);
  const devices: GeneratedDevice[] = [];
  let migs = 0;
  for (const gpu of readGpus(host)) {
    const mig = readMigDevices(host, gpu, minors);
    if (!mig) {
      devices.push(wholeGpu(i, gpu));
      continue;
    }
    const main = host.requiredNode(`/dev/nvidia${gpu.minor}`, `GPU ${gpu.bus}, device minor ${gpu.minor}`);
    for (const m of mig) {
      const what = `MIG device ${gpu.index}:${m.index} (GPU ${gpu.bus} GI ${m.gi} CI ${m.ci})`;
      devices.push({
        names: migNames(i.strategies, gpu.index, m.index),
        parts: { nodes: [main, host.requiredNode(m.giCap, what), host.requiredNode(m.ciCap, what)] },
      });
    }
    migs += mig.length;
  }
  if (migs && i.strategies.includes('uuid'))
    host.note('MIG devices have no uuid name: their UUIDs are known only to NVML');
  const channels = host.list(host.dev(IMEX_DIR)).filter((n) => /^channel\d+$/.test(n)).length;
  if (channels) host.note(`${channels} IMEX channel(s) in ${host.dev(IMEX_DIR)}: --mode imex writes their spec`);
  return {
    annotations: { 'ocihooks/driver-version': version },
    devices,
    common: {
      ...driverParts(i, version, false),
      nodes: present(CONTROL_NODES.map((p) => host.node(p, 'control node'))),
    },
  };
}

/** Every NVIDIA node but NVSwitch, NVLink and GPUDirect Storage ones (nvidia-ctk's management.go). */
export function nvidiaManagementSpec(i: NvidiaInput): Generated {
  const { host } = i;
  const version = readDriverVersion(host);
  const names = [
    ...host
      .list(host.dev('/dev'))
      .filter((n) => n.startsWith('nvidia') && !/^nvidia-(fs|nvswitch|nvlink)/.test(n))
      .map((n) => `/dev/${n}`),
    ...host
      .list(host.dev('/dev/nvidia-caps'))
      .filter((n) => n.startsWith('nvidia-cap'))
      .map((n) => `/dev/nvidia-caps/${n}`),
    ...host
      .list(host.dev(IMEX_DIR))
      .filter((n) => n.startsWith('channel'))
      .map((n) => `${IMEX_DIR}/${n}`),
  ];
  const nodes = present(names.map((p) => host.node(p)));
  if (nodes.length === 0) throw new ActionError(`no NVIDIA device nodes under ${host.dev('/dev')}`);
  return {
    annotations: { 'ocihooks/driver-version': version },
    devices: [{ names: ['all'], parts: { nodes } }],
    common: { ...driverParts(i, version, true), nodes: [] },
  };
}

export function imexSpec(i: NvidiaInput): Generated {
  const { host } = i;
  const channels = host
    .list(host.dev(IMEX_DIR))
    .filter((n) => /^channel\d+$/.test(n))
    .map((n) => Number(n.slice(7)))
    .sort((a, b) => a - b);
  if (channels.length === 0)
    throw new ActionError(
      `no IMEX channels in ${host.dev(IMEX_DIR)} (the driver makes channel0 only with NVreg_CreateImexChannel0=1; others are made by the admin)`,
    );
  const devices = channels.map((c) => ({
    names: [String(c)],
    parts: { nodes: [host.requiredNode(`${IMEX_DIR}/channel${c}`, `IMEX channel ${c}`)] },
  }));
  return { annotations: {}, devices, common: { env: [VOID], nodes: [], mounts: [] } };
}
