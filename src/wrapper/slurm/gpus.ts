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
import { type Registry, loadRegistry } from '../../cdi/registry';
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
 * Device nodes that no whole GPU's own device holds: NVIDIA's control nodes (a spec's common edits
 * carry them) and capability nodes (a MIG slice's, the management device's, IMEX channels'). A
 * device with one of them is a MIG slice or a management device, not the GPU a gres.conf File=
 * line names: narrower, or with the node's administration besides.
 */
const NOT_A_GPUS_OWN =
  /^\/dev\/(nvidiactl|nvidia-uvm|nvidia-uvm-tools|nvidia-modeset)$|^\/dev\/nvidia-caps(-imex-channels)?\//;

/** Why a device that holds a GPU file is not that GPU's. */
export interface PassedOver {
  /** Devices that also hold another GPU file of the node (a spec's "all", a device of two GPUs). */
  widening: string[];
  /** Devices with a node no whole GPU's device holds (a MIG slice, a management device). */
  notWhole: string[];
}

/**
 * The CDI device for GPU file `file` of the node's `gpuFiles` (gres.conf's, in Slurm's order): the
 * first, in the specs' order, whose own device nodes (by host path) hold that file, none of the
 * node's other GPU files and none that only a MIG slice or a management device holds. Any other
 * would give the container more or less than the GPU Slurm gave the job, whichever order the
 * specs list it in (a spec named mgmt.yaml is read before nvidia.yaml).
 */
export function deviceForGpuFile(
  devices: Registry['devices'],
  file: string,
  gpuFiles: readonly string[],
): { name: string } | PassedOver | undefined {
  const passedOver: PassedOver = { widening: [], notWhole: [] };
  for (const [name, d] of devices) {
    const nodes = new Set((d.device.edits.deviceNodes ?? []).map((n) => n.hostPath ?? n.path));
    if (!nodes.has(file)) continue;
    if (gpuFiles.some((f) => f !== file && nodes.has(f))) passedOver.widening.push(name);
    else if ([...nodes].some((n) => NOT_A_GPUS_OWN.test(n))) passedOver.notWhole.push(name);
    else return { name };
  }
  return passedOver.widening.length || passedOver.notWhole.length ? passedOver : undefined;
}

/** This node's GPUs as gres.conf lists them, and the CDI spec folders their devices are looked up in. */
export interface NodeGpuFiles {
  node: string;
  gresConf: string;
  /** gres.conf's GPU files of the node, in Slurm's order; empty: none listed (AutoDetect, or no gres.conf). */
  files: string[];
  cdiDirs: string[];
}

/** The node's name as slurmd knows it (slurmd's environment gives it to the programs it starts). */
export const slurmNodeName = (env: NodeJS.ProcessEnv): string =>
  env.SLURMD_NODENAME || os.hostname().split('.')[0] || '';

/** The node's name, and its GPU files in the gres.conf beside slurm.conf. */
export function nodeGpuFiles(env: NodeJS.ProcessEnv, cdiDirs: string[]): NodeGpuFiles {
  const node = slurmNodeName(env);
  const gresConf = path.join(path.dirname(env.SLURM_CONF || '/etc/slurm/slurm.conf'), 'gres.conf');
  let files: string[] = [];
  try {
    files = gresGpuFiles(fs.readFileSync(gresConf, 'utf8'), node, gresConf);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ActionError(`${gresConf}: ${messageOf(e)}`, { cause: e });
  }
  return { node, gresConf, files, cdiDirs };
}

/**
 * The CDI device of Slurm's GPU `i` on this node: with gres.conf's files, the device for the i-th
 * (deviceForGpuFile, in `registry`, read by the caller once); without, `nvidia.com/gpu=i`.
 */
export function cdiDeviceOfGpu(g: NodeGpuFiles, i: number, registry: () => Registry): string {
  if (!g.files.length) return `nvidia.com/gpu=${i}`;
  const file = g.files[i];
  if (file === undefined)
    throw new ActionError(
      `Slurm gave GPU ${i} on ${g.node}, but ${g.gresConf} lists ${g.files.length} GPU file(s) for it`,
    );
  const found = deviceForGpuFile(registry().devices, file, g.files);
  if (!found)
    throw new ActionError(
      `Slurm's GPU ${i} (${file}) on ${g.node}: no CDI device in ${g.cdiDirs.join(', ')} has that device node`,
    );
  if ('name' in found) return found.name;
  const why = [
    ...found.widening.map((name) => `${name} also holds another GPU of ${g.gresConf}`),
    ...found.notWhole.map((name) => `${name} is a MIG slice or a management device`),
  ];
  throw new ActionError(
    `Slurm's GPU ${i} (${file}) on ${g.node}: no CDI device in ${g.cdiDirs.join(', ')} is that whole GPU alone (${why.join(', ')})`,
  );
}

/** A registry read at its first use only (a node without gres.conf files reads none). */
export function registryOnce(cdiDirs: string[]): () => Registry {
  let registry: Registry | undefined;
  return () => (registry ??= loadRegistry(cdiDirs));
}

export function slurmGpus(step: SlurmStep, env: NodeJS.ProcessEnv, cdiDirs: string[]): SlurmGpus {
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
  const node = slurmNodeName(env);
  const indices = gpuIndicesOnNode(text, node);
  if (!indices.length) return { step, node, indices, devices: [] }; // gres.conf not read: no GPU to name
  const gpus = nodeGpuFiles(env, cdiDirs);
  const registry = registryOnce(cdiDirs);
  return { step, node, indices, devices: indices.map((i) => cdiDeviceOfGpu(gpus, i, registry)) };
}
