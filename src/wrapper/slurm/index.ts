/**
 * What the wrapper does for a Slurm step on create/run: nothing outside Slurm; inside, the config
 * edit that makes the step's GPUs (and only those) the container's CDI requests.
 */
import type { Json } from '../../core/json';
import type { Logger } from '../../hook/log';
import { slurmStepOf } from './step';

// Loaded in a Slurm step only: the GPUs are looked up in the CDI registry, whose schemas every
// other create would build for nothing.
const gpus = () => require('./gpus') as typeof import('./gpus');
const edit = () => require('./edit') as typeof import('./edit');

/**
 * The edit for the Slurm step that `pid` (the process the runtime will be: this one, or the
 * front-end that handed the call over) runs in; undefined outside Slurm.
 */
export function slurmConfigEdit(
  cdiDirs: string[],
  log: Logger,
  env: NodeJS.ProcessEnv,
  pid: number = process.pid,
): ((config: Json) => void) | undefined {
  const step = slurmStepOf(pid);
  if (!step) return undefined;
  const found = gpus().slurmGpus(step, env, cdiDirs);
  log.info(
    { job: step.job, step: step.step, node: found.node, indices: found.indices, devices: found.devices },
    'Slurm step: GPUs from the allocation',
  );
  const { allocationOnly } = edit();
  return (config) => allocationOnly(config, found.devices);
}
