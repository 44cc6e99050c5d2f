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
import { Registry, loadRegistry } from '../../cdi/registry';
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

/**
 * The CDI device for GPU file `file` of the node's `gpuFiles` (gres.conf's, in Slurm's order): the
 * first, in the specs' order, whose own device nodes (by host path) hold that file and none of the
 * node's other GPU files. A device that holds more (a spec's "all", a device of two GPUs) would give
 * the container GPUs Slurm did not give the job, whichever order the spec lists it in.
 */
export function deviceForGpuFile(
  devices: Registry['devices'],
  file: string,
  gpuFiles: readonly string[],
): { name: string } | { widening: string[] } | undefined {
  const widening: string[] = [];
  for (const [name, d] of devices) {
    const nodes = new Set((d.device.edits.deviceNodes ?? []).map((n) => n.hostPath ?? n.path));
    if (!nodes.has(file)) continue;
    if (gpuFiles.some((f) => f !== file && nodes.has(f))) widening.push(name);
    else return { name };
  }
  return widening.length ? { widening } : undefined;
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
  let registry: Registry | undefined; // read once, and only where gres.conf names files
  const devices = indices.map((i) => {
    if (!files.length) return `nvidia.com/gpu=${i}`;
    const file = files[i];
    if (file === undefined)
      throw new ActionError(`Slurm gave GPU ${i} on ${node}, but ${gresConf} lists ${files.length} GPU file(s) for it`);
    const found = deviceForGpuFile((registry ??= loadRegistry(cdiDirs)).devices, file, files);
    if (!found)
      throw new ActionError(
        `Slurm gave GPU ${i} (${file}) on ${node}: no CDI device in ${cdiDirs.join(', ')} has that device node`,
      );
    if ('widening' in found)
      throw new ActionError(
        `Slurm gave GPU ${i} (${file}) on ${node}: every CDI device in ${cdiDirs.join(', ')} with that device node (${found.widening.join(', ')}) also has another GPU of ${gresConf}`,
      );
    return found.name;
  });
  return { step, node, indices, devices };
}
