/**
 * A GPU's own DRM nodes, from sysfs: the entries of its device folder's drm/ (cardN, renderDN)
 * become /dev/dri/cardN and /dev/dri/renderDN — so a BMC's /dev/dri/card0 never goes to a GPU. The
 * udev links /dev/dri/by-path/pci-<address>-card|render are recreated in the container by a
 * create-symlinks hook, each kept only when it points at one of the GPU's nodes (nvidia-ctk's
 * by-path hook).
 */
import fs = require('node:fs');
import path = require('node:path');
import type { Host } from './driver-host';

/** /dev/dri/... paths of the DRM nodes in a sysfs device folder, cards first, in name order. */
export function drmNodesIn(host: Host, deviceDir: string): string[] {
  const names = host.list(path.join(deviceDir, 'drm'));
  for (const n of names.filter((x) => x.startsWith('controlD')))
    host.note(`skipped /dev/dri/${n}: control nodes are gone from current kernels`);
  return names.filter((n) => /^(card|renderD)\d+$/.test(n)).map((n) => `/dev/dri/${n}`);
}

/** create-symlinks --link arguments ("../card1::/dev/dri/by-path/pci-0000:3b:00.0-card") for the nodes given. */
export function byPathLinks(host: Host, bus: string, nodes: readonly string[]): string[] {
  const links: string[] = [];
  for (const kind of ['card', 'render']) {
    const link = `/dev/dri/by-path/pci-${bus}-${kind}`;
    let target: string;
    try {
      target = fs.readlinkSync(host.dev(link));
    } catch {
      continue;
    }
    const resolved = path.resolve(path.dirname(link), target);
    if (nodes.includes(resolved)) links.push(`${target}::${link}`);
    else host.note(`skipped ${host.dev(link)}: it points at ${target}, not at this GPU's nodes`);
  }
  return links;
}
