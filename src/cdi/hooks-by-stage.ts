/**
 * Hooks written as zlayer writes them — `"hooks": {"createContainer": [{"path": …, "args": […]}]}`,
 * an object of lists keyed by stage, as config.json has them — where CDI has one list whose hooks
 * name their stage (`hookName`). Such edits are read as that list (keys in order, each list in
 * order), each key a stage as the reference checks hookName; the reference itself refuses the
 * whole spec ("expected array, got object"), so the spec's reader warns.
 */
import { OCI_STAGES } from '../core/oci';
import type { EditsProblem, RawEdits, RawHook } from './schema';

/** Edits whose hooks are a list; `hookFields` says where each hook was written when that was by stage. */
export type ListEdits = Omit<RawEdits, 'hooks'> & { hooks?: RawHook[] | null; hookFields?: string[] };

export function hooksAsList(
  e: RawEdits | null | undefined,
  where: string,
): { edits: ListEdits | null | undefined; byStage?: string; problem?: EditsProblem } {
  if (!e?.hooks || Array.isArray(e.hooks)) return { edits: e as ListEdits | null | undefined };
  const hooks: RawHook[] = [];
  const hookFields: string[] = [];
  for (const [stage, list] of Object.entries(e.hooks)) {
    if (!(OCI_STAGES as readonly string[]).includes(stage))
      return {
        edits: undefined,
        problem: { field: `${where}.hooks.${stage}`, reason: `invalid hook name "${stage}"` },
      };
    list.forEach((h, i) => {
      hooks.push({ hookName: stage, ...h });
      hookFields.push(`hooks.${stage}[${i}]`);
    });
  }
  return {
    edits: { ...e, hooks, hookFields },
    byStage: `${where}.hooks: an object of hook lists keyed by stage (zlayer's form), not the CDI form (a list of hooks, each with hookName); read as that list, but the CDI reference refuses this spec`,
  };
}
