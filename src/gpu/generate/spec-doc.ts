/**
 * A generated spec as a document: devices under each of their names, sorted by name as nvidia-ctk
 * sorts them, an "all" device that unites every device's edits, the groups of nodes not open to
 * everyone as additionalGids, and the lowest cdiVersion the content needs. The document is
 * validated with the project's CDI validation before anyone writes it.
 */
import type { CdiHook, CdiMount, CdiSpec } from '../../cdi/spec';
import { validateCdiSpec } from '../../cdi/spec';
import type { RawSpec } from '../../cdi/schema';
import { minimumRequiredVersion } from '../../cdi/version';
import type { HostNode } from './driver-host';

export interface DeviceParts {
  nodes: HostNode[];
  hooks?: CdiHook[];
}

export interface GeneratedDevice {
  names: string[];
  parts: DeviceParts;
}

export interface CommonParts extends DeviceParts {
  env: string[];
  mounts: CdiMount[];
}

export interface GeneratedSpec {
  doc: Record<string, unknown>;
  spec: CdiSpec;
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(key(t)) && seen.add(key(t)));
}

function edits(parts: DeviceParts, extra: { env?: string[]; mounts?: CdiMount[] } = {}): Record<string, unknown> {
  const gids = [...new Set(parts.nodes.flatMap((n) => (n.gid ? [n.gid] : [])))];
  return {
    ...(extra.env?.length ? { env: extra.env } : {}),
    ...(parts.nodes.length ? { deviceNodes: parts.nodes.map((n) => n.node) } : {}),
    ...(extra.mounts?.length ? { mounts: extra.mounts } : {}),
    ...(parts.hooks?.length ? { hooks: parts.hooks } : {}),
    ...(gids.length ? { additionalGids: gids } : {}),
  };
}

export function buildSpec(
  kind: string,
  annotations: Record<string, string>,
  devices: GeneratedDevice[],
  common: CommonParts,
): GeneratedSpec {
  const all: DeviceParts = {
    nodes: uniqueBy(
      devices.flatMap((d) => d.parts.nodes),
      (n) => n.node.path,
    ),
    hooks: uniqueBy(
      devices.flatMap((d) => d.parts.hooks ?? []),
      (h) => JSON.stringify(h),
    ),
  };
  const named = devices.flatMap((d) => d.names.map((name) => ({ name, containerEdits: edits(d.parts) })));
  // nvidia-ctk's merged device, unless the spec has its own "all" (management mode).
  if (!named.some((d) => d.name === 'all')) named.push({ name: 'all', containerEdits: edits(all) });
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const doc: Record<string, unknown> = {
    cdiVersion: '',
    kind,
    ...(Object.keys(annotations).length ? { annotations } : {}),
    devices: named,
    containerEdits: edits(common, { env: common.env, mounts: common.mounts }),
  };
  doc.cdiVersion = minimumRequiredVersion(doc as RawSpec).version;
  // A plain tree: nodes shared by a device and "all" would otherwise be YAML aliases.
  const plain = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  return { doc: plain, spec: validateCdiSpec(plain, `generated ${kind} spec`) };
}
