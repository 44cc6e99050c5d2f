/**
 * gres.conf's GPU device files for one node, in the order Slurm numbers them (the IDX that
 * `scontrol -d show job` prints and SLURM_STEP_GPUS carries): the File= entries of Name=gpu lines
 * for that node (or for every node, without NodeName=), ranges expanded, in file order. Lines with
 * AutoDetect and no File= add nothing: Slurm then numbers GPUs in PCI bus order.
 */
import { expandHostlist } from './hostlist';

export function gresGpuFiles(text: string, node: string, file = 'gres.conf'): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const fields = new Map<string, string>();
    for (const pair of line.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) fields.set(pair.slice(0, eq).toLowerCase(), pair.slice(eq + 1));
    }
    if (fields.get('name') !== 'gpu' || !fields.has('file')) continue;
    const nodes = fields.get('nodename');
    if (nodes !== undefined && !expandHostlist(nodes, `${file}: NodeName`).includes(node)) continue;
    out.push(...expandHostlist(fields.get('file') as string, `${file}: File`));
  }
  return out;
}
