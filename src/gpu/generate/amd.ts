/**
 * AMD GPUs as amd-ctk finds them (ROCm/container-toolkit internal/amdgpu, read at 192fe8e9), from
 * sysfs only: the amdgpu driver's PCI devices (/sys/module/amdgpu/drivers/pci:amdgpu/<pci>) in
 * PCI order, then the partition devices (/sys/devices/platform/amdgpu_xcp_N, and the older
 * amdgpu_xcp.N amd-ctk misses); each with the cardN and renderDN of its drm/ folder, kept only when
 * the render minor is a drm_render_minor of the KFD topology (the kernel makes seven spare
 * partition devices per MI300 that KFD does not list); partitions follow their GPU in render-minor
 * order. Each device gets its card, its render node and /dev/kfd, with the host's modes and groups.
 */
import path = require('node:path');
import { ActionError } from '../../core/errors';
import type { Host, HostNode } from './driver-host';
import { NameStrategy, gpuNames } from './naming';
import type { GeneratedDevice } from './spec-doc';

interface KfdNode {
  /** The GPU's PCI address without its function (partitions differ only there): "0000:05:00". */
  parent: string;
  uniqueId?: bigint;
}

/** "drm_render_minor 128" lines of one properties file. */
export function parseKfdProperties(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out.set(m[1] as string, BigInt(m[2] as string));
  }
  return out;
}

/** render minor → its KFD node, for the GPU nodes (drm_render_minor > 0; CPUs have 0). */
export function readKfdTopology(host: Host): Map<number, KfdNode> {
  const dir = host.sys('class/kfd/kfd/topology/nodes');
  const out = new Map<number, KfdNode>();
  for (const n of host.list(dir)) {
    const props = parseKfdProperties(host.text(path.join(dir, n, 'properties')) ?? '');
    const minor = Number(props.get('drm_render_minor') ?? 0n);
    const location = props.get('location_id');
    const domain = props.get('domain');
    if (minor <= 0 || location === undefined || domain === undefined) continue;
    const hex = (v: bigint, w: number) => v.toString(16).padStart(w, '0');
    out.set(minor, {
      parent: `${hex(domain, 4)}:${hex((location >> 8n) & 0xffn, 2)}:${hex((location >> 3n) & 0x1fn, 2)}`,
      ...(props.get('unique_id') ? { uniqueId: props.get('unique_id') as bigint } : {}),
    });
  }
  return out;
}

interface AmdDevice {
  card: string;
  render: string;
  renderMinor: number;
  kfd: KfdNode;
}

function devicesOf(host: Host, kfd: Map<number, KfdNode>): AmdDevice[] {
  const pciDir = host.sys('module/amdgpu/drivers/pci:amdgpu');
  const platformDir = host.sys('devices/platform');
  const dirs = [
    ...host
      .list(pciDir)
      .filter((n) => /^[0-9a-f]{4}:/i.test(n))
      .map((n) => path.join(pciDir, n)),
    ...host
      .list(platformDir)
      .filter((n) => /^amdgpu_xcp[_.]\d+$/.test(n))
      .map((n) => path.join(platformDir, n)),
  ];
  const groups = new Map<string, AmdDevice[]>();
  for (const dir of dirs) {
    const drm = host.list(path.join(dir, 'drm'));
    const card = drm.find((n) => /^card\d+$/.test(n));
    const render = drm.find((n) => /^renderD\d+$/.test(n));
    const renderMinor = render ? Number(render.slice(7)) : 0;
    const node = kfd.get(renderMinor);
    if (!card || !render || !node) continue;
    const group = groups.get(node.parent) ?? [];
    group.push({ card: `/dev/dri/${card}`, render: `/dev/dri/${render}`, renderMinor, kfd: node });
    groups.set(node.parent, group);
  }
  return [...groups.values()].flatMap((g) => g.sort((a, b) => a.renderMinor - b.renderMinor));
}

/** amd-ctk's UUID form: 0x and the KFD unique_id in upper-case hex. */
const amdUuid = (id: bigint) => `0x${id.toString(16).toUpperCase()}`;

export function amdGpuDevices(host: Host, strategies: readonly NameStrategy[]): GeneratedDevice[] {
  if (!host.exists(host.sys('module/amdgpu/drivers')))
    throw new ActionError(`no AMD driver is loaded: ${host.sys('module/amdgpu/drivers')} is not there`);
  const kfdTopology = readKfdTopology(host);
  if (kfdTopology.size === 0)
    throw new ActionError(`${host.sys('class/kfd/kfd/topology/nodes')}: no GPU node (is amdgpu's KFD up?)`);
  const devices = devicesOf(host, kfdTopology);
  if (devices.length === 0)
    throw new ActionError(`${host.sys('module/amdgpu/drivers/pci:amdgpu')}: no GPU whose render node KFD lists`);
  const kfd = host.requiredNode('/dev/kfd', 'the AMD compute interface every GPU container needs');
  const ids = devices.map((d) => d.kfd.uniqueId);
  return devices.map((d, i) => {
    const uuid =
      d.kfd.uniqueId !== undefined && ids.filter((x) => x === d.kfd.uniqueId).length === 1
        ? amdUuid(d.kfd.uniqueId)
        : undefined;
    if (strategies.includes('uuid') && !uuid)
      host.note(`AMD device ${i} (${d.render}) has no unique_id of its own in the KFD topology: no uuid name`);
    const nodes: HostNode[] = [
      host.requiredNode(d.card, `AMD device ${i}`),
      host.requiredNode(d.render, `AMD device ${i}`),
      kfd,
    ];
    return { names: gpuNames(strategies, i, uuid), parts: { nodes } };
  });
}
