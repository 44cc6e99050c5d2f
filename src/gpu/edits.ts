/**
 * The CDI container edits of the selected devices, combined as the reference's InjectDevices
 * does (each spec's own edits before its first device's, then the device's, in request order),
 * and their device nodes checked against the host: what both GPU modes start from.
 */
import { CdiApplyError, FilledNode, fillMissingInfo } from '../cdi/apply';
import type { ContainerEdits } from '../cdi/edits';
import { ResolvedDevice, injectionEdits } from '../cdi/registry';
import type { CdiDeviceNode } from '../cdi/spec';
import { UsageError } from '../core/errors';
import type { HostNodes } from '../core/host-view';

export interface GpuSelection {
  /** Names as requested ("all" stays "all"). */
  requested: string[];
  devices: ResolvedDevice[];
}

/** The edits of the selected devices, in the reference's order (cdi/registry.ts injectionEdits). */
export function selectedEdits(devices: ResolvedDevice[]): ContainerEdits {
  return injectionEdits(devices);
}

/**
 * Where each selected edit (a device node, a mount, a hook: the objects the specs hold, kept as
 * they are when edits are combined) came from, in words for a refusal: "from /etc/cdi/x.yaml" for
 * a spec's own edits, "from vendor.com/gpu=0 in /etc/cdi/x.yaml" for a device's. Worked out only
 * when a refusal asks: a start that refuses nothing pays nothing.
 */
export type EditOrigin = (edit: object) => string;

export function editOrigins(devices: ResolvedDevice[]): EditOrigin {
  let from: Map<object, string> | undefined;
  return (edit) => {
    if (!from) {
      const found = new Map<object, string>();
      const note = (edits: ContainerEdits, where: string) => {
        for (const e of [...edits.deviceNodes, ...edits.mounts, ...edits.hooks]) if (!found.has(e)) found.set(e, where);
      };
      for (const d of devices) {
        note(d.device.edits, `from ${d.qualifiedName} in ${d.spec.file}`);
        note(d.spec.edits, `from ${d.spec.file}`);
      }
      from = found;
    }
    return from.get(edit) ?? 'from a CDI spec';
  };
}

/** A spec's device node with what the host says of it; a refusal names the node and where it came from. */
export function fillNode(n: CdiDeviceNode, host: HostNodes, origin: EditOrigin): FilledNode {
  try {
    return fillMissingInfo(n, host);
  } catch (e) {
    if (e instanceof CdiApplyError)
      throw new UsageError(`CDI device node ${n.path} (${origin(n)}): ${e.message}`, { cause: e });
    throw e;
  }
}

/** The last entry per key, in the order of their last appearance (later edits win). */
export function lastByKey<T>(items: T[], key: (t: T) => string): T[] {
  const last = new Map<string, T>();
  for (const item of items) {
    last.delete(key(item));
    last.set(key(item), item);
  }
  return [...last.values()];
}
