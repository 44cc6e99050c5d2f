/**
 * The precreate mode of the GPU hook (podman's config filter): config.json with the container
 * edits of the selected devices applied exactly as the CDI reference applies them (cdi/apply.ts).
 * The env is the spec's (it replaces the image's value of the same variable, e.g.
 * NVIDIA_VISIBLE_DEVICES=void); the hook adds none of its own.
 */
import { CdiApplyError, applyContainerEdits } from '../cdi/apply';
import { UsageError } from '../core/errors';
import type { HostNodes } from '../core/host-view';
import type { Json } from '../core/json';
import { GpuSelection, selectedEdits } from './edits';
import { hooksRunByStage } from '../hook/program/chain-hooks';

/** A new config with every edit of the selection applied (the input is not changed). */
export function editConfigForPrecreate(config: Json, sel: GpuSelection, host: HostNodes): Json {
  try {
    // A spec's hooks already in config.json may be in a chain of ours (the wrapper chains what it matched first).
    const edits = selectedEdits(sel.devices);
    return applyContainerEdits(config, edits, host, edits.hooks.length ? hooksRunByStage(config.hooks) : undefined);
  } catch (e) {
    if (e instanceof CdiApplyError)
      throw new UsageError(`CDI devices ${sel.devices.map((d) => d.qualifiedName).join(', ')}: ${e.message}`, {
        cause: e,
      });
    throw e;
  }
}
