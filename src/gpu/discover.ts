/**
 * Without any CDI spec, GPUs are found from their device nodes under a device root (/dev by
 * default; tests use a folder of nodes made with mknod):
 *   nvidia.com/gpu: /dev/nvidia<N> per GPU; nvidiactl, nvidia-uvm, nvidia-uvm-tools for all.
 *   amd.com/gpu: /dev/dri/renderD<M> per GPU (numbered 0.. in order); /dev/kfd for all.
 * The result has the same shape as loaded specs, so selection and planning are one path.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { CdiSpec, ContainerEdits } from '../cdi/spec';

function edits(nodes: { path: string; hostPath: string }[]): ContainerEdits {
  return { env: [], deviceNodes: nodes, mounts: [], hooks: [], additionalGids: [], netDevices: [] };
}

function exists(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isCharacterDevice();
  } catch {
    return false;
  }
}

export function discoverGpuSpecs(deviceRoot: string): CdiSpec[] {
  const specs: CdiSpec[] = [];
  const node = (rel: string) => ({ path: `/dev/${rel}`, hostPath: path.join(deviceRoot, rel) });
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(deviceRoot);
  } catch {
    return specs;
  }
  const gpus = entries
    .map((f) => /^nvidia(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && exists(path.join(deviceRoot, m[0])))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (gpus.length) {
    const control = ['nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools'].filter((f) => exists(path.join(deviceRoot, f)));
    specs.push({
      file: `(discovered under ${deviceRoot})`,
      cdiVersion: '0.6.0',
      annotations: {},
      vendor: 'nvidia.com',
      class: 'gpu',
      kind: 'nvidia.com/gpu',
      edits: edits(control.map(node)),
      devices: gpus.map((i) => ({ name: String(i), edits: edits([node(`nvidia${i}`)]) })),
    });
  }
  let renders: string[] = [];
  try {
    renders = fs
      .readdirSync(path.join(deviceRoot, 'dri'))
      .filter((f) => /^renderD\d+$/.test(f) && exists(path.join(deviceRoot, 'dri', f)))
      .sort((a, b) => Number(a.slice(7)) - Number(b.slice(7)));
  } catch {
    // no DRI nodes
  }
  if (exists(path.join(deviceRoot, 'kfd')) && renders.length) {
    specs.push({
      file: `(discovered under ${deviceRoot})`,
      cdiVersion: '0.6.0',
      annotations: {},
      vendor: 'amd.com',
      class: 'gpu',
      kind: 'amd.com/gpu',
      edits: edits([node('kfd')]),
      devices: renders.map((r, i) => ({ name: String(i), edits: edits([node(`dri/${r}`)]) })),
    });
  }
  return specs;
}
