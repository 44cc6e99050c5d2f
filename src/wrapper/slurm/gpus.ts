/**
 * GPUs from the allocation: for create/run inside a Slurm step, the CDI device requests for the
 * GPUs Slurm gave the job on this node, which replace every cdi.k8s.io/* annotation the bundle
 * brought (the bundle and the image are the user's: they must not widen the allocation). The GPU
 * hook then applies its own rules to the request (explicit requests win; the image's
 * NVIDIA_VISIBLE_DEVICES counts only with its --accept-env).
 *
 * A Slurm GPU index becomes a CDI device through its device file: IDX n is the n-th gres.conf
 * File= of the node, and the request names the CDI device whose node has that path. Without File=
 * lines (AutoDetect) Slurm numbers GPUs in PCI bus order, as `ocihooks cdi generate` names them:
 * IDX n is nvidia.com/gpu=n. Any doubt fails the container with the reason, never a guess.
 */
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { ActionError, messageOf } from '../../core/errors';
import { CDI_ANNOTATION_PREFIX } from '../../cdi/name';
import { loadRegistry } from '../../cdi/registry';
import { runTrusted } from '../../linux/exec';
import { findHostProgram } from '../../linux/programs';
import { gpuIndicesOnNode } from './allocation';
import { gresGpuFiles } from './gres-conf';
import { SlurmStep } from './step';

export const SLURM_GPU_ANNOTATION = `${CDI_ANNOTATION_PREFIX}ocihooks-slurm`;

export interface SlurmGpus {
  step: SlurmStep;
  node: string;
  indices: number[];
  /** Fully-qualified CDI names, in index order. */
  devices: string[];
}

/** The CDI device whose own device nodes include `file` (by host path). */
function deviceWithNode(cdiDirs: string[], file: string): string | undefined {
  for (const [name, d] of loadRegistry(cdiDirs).devices) {
    if ((d.device.edits.deviceNodes ?? []).some((n) => (n.hostPath ?? n.path) === file)) return name;
  }
  return undefined;
}

export function slurmGpus(step: SlurmStep, env: NodeJS.ProcessEnv, cdiDirs: string[]): SlurmGpus {
  const node = env.SLURMD_NODENAME || os.hostname().split('.')[0] || '';
  const slurmConf = env.SLURM_CONF || '/etc/slurm/slurm.conf';
  const scontrol = findHostProgram('scontrol');
  if (!scontrol)
    throw new ActionError(
      `Slurm step ${step.job}.${step.step}: scontrol not found, cannot ask Slurm which GPUs it gave`,
    );
  let text: string;
  try {
    text = runTrusted(scontrol, {
      args: ['-d', 'show', 'job', step.job],
      env: [`SLURM_CONF=${slurmConf}`],
      timeoutMs: 15_000,
      captureStdout: true,
    }).toString();
  } catch (e) {
    throw new ActionError(`Slurm step ${step.job}.${step.step}: scontrol -d show job ${step.job}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  const indices = gpuIndicesOnNode(text, node);
  if (!indices.length) return { step, node, indices, devices: [] };
  const gresConf = path.join(path.dirname(slurmConf), 'gres.conf');
  let files: string[] = [];
  try {
    files = gresGpuFiles(fs.readFileSync(gresConf, 'utf8'), node, gresConf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ActionError(`${gresConf}: ${messageOf(e)}`, { cause: e });
  }
  const devices = indices.map((i) => {
    if (!files.length) return `nvidia.com/gpu=${i}`;
    const file = files[i];
    if (file === undefined)
      throw new ActionError(`Slurm gave GPU ${i} on ${node}, but ${gresConf} lists ${files.length} GPU file(s) for it`);
    const name = deviceWithNode(cdiDirs, file);
    if (!name)
      throw new ActionError(
        `Slurm gave GPU ${i} (${file}) on ${node}: no CDI device in ${cdiDirs.join(', ')} has that device node`,
      );
    return name;
  });
  return { step, node, indices, devices };
}
