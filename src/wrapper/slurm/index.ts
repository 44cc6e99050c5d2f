/**
 * What the wrapper does for a Slurm step on create/run: nothing outside Slurm; inside, the config
 * edit that makes the step's GPUs (and only those) the container's CDI requests.
 */
import type { Json } from '../../core/json';
import type { Logger } from '../../hook/log';
import { allocationOnly } from './edit';
import { slurmGpus } from './gpus';
import { slurmStepOf } from './step';

export function slurmConfigEdit(
  cdiDirs: string[],
  log: Logger,
  env: NodeJS.ProcessEnv,
): ((config: Json) => void) | undefined {
  const step = slurmStepOf();
  if (!step) return undefined;
  const gpus = slurmGpus(step, env, cdiDirs);
  log.info(
    { job: step.job, step: step.step, node: gpus.node, indices: gpus.indices, devices: gpus.devices },
    'Slurm step: GPUs from the allocation',
  );
  return (config) => allocationOnly(config, gpus.devices);
}
