/**
 * Which GPUs Slurm gave a job on a node, from Slurm itself: `scontrol -d show job JOB` prints one
 * line per group of nodes with the same allocation, e.g. "Nodes=n[1-2] CPU_IDs=0-7 Mem=0
 * GRES=gpu:a100:2(IDX:0-1)". Slurm 22.05 prints no per-step indices (`scontrol show step` has only
 * counts), so a step gets the GPUs its job holds on the node: for the usual one step per
 * allocation (srun --gres, sbatch + srun) that is the same set.
 */
import { UsageError } from '../../core/errors';
import { expandHostlist, expandIndexList } from './hostlist';

/** The GPU indices of `node` in scontrol's detailed job text; [] when it has none there. */
export function gpuIndicesOnNode(scontrolText: string, node: string): number[] {
  const out: number[] = [];
  for (const line of scontrolText.split('\n')) {
    const nodes = /^\s*Nodes=(\S+)\s/.exec(line)?.[1];
    const gres = /\sGRES=(\S+)/.exec(line)?.[1];
    if (nodes === undefined || gres === undefined) continue;
    if (!expandHostlist(nodes, 'scontrol Nodes=').includes(node)) continue;
    for (const m of gres.matchAll(/(?:^|,)gpu(?::[^:(,]+)?:\d+\(IDX:([^)]*)\)/g)) {
      const idx = m[1] as string;
      if (idx === '' || idx === 'N/A') continue;
      out.push(...expandIndexList(idx, `scontrol GRES=${gres}`));
    }
  }
  if (out.some((n) => !Number.isInteger(n) || n < 0))
    throw new UsageError(`scontrol: bad GPU index in ${JSON.stringify(scontrolText)}`);
  return [...new Set(out)].sort((a, b) => a - b);
}
