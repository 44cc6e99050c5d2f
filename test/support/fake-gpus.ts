/**
 * A fake four-GPU NVIDIA node for the GPU tests: /dev/nvidia0..3 (c 195:0..3) and nvidiactl
 * (c 195:255) made with mknod in a folder of the test's own, and a CDI spec naming them as
 * nvidia-ctk does: devices 0..3, their UUIDs and "all", NVIDIA_VISIBLE_DEVICES=void in the env.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ok } from './e2e';

export const GPU_UUIDS = [
  'GPU-aaaaaaaa-0000-4000-8000-000000000000',
  'GPU-aaaaaaaa-0001-4000-8000-000000000001',
  'GPU-aaaaaaaa-0002-4000-8000-000000000002',
  'GPU-aaaaaaaa-0003-4000-8000-000000000003',
];

export function mknod(p: string, major: number, minor: number, mode = '0666'): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  ok('mknod', ['-m', mode, p, 'c', String(major), String(minor)]);
}

/** Makes the node under dir; returns the CDI spec folder and the node folder. */
export function fakeFourGpuNode(dir: string): { cdi: string; nodes: string } {
  const nodes = path.join(dir, 'nodes');
  for (let i = 0; i < 4; i++) mknod(path.join(nodes, `nvidia${i}`), 195, i);
  mknod(path.join(nodes, 'nvidiactl'), 195, 255);
  const gpu = (i: number) => ({ deviceNodes: [{ path: `/dev/nvidia${i}`, hostPath: path.join(nodes, `nvidia${i}`) }] });
  const cdi = path.join(dir, 'cdi');
  fs.mkdirSync(cdi, { recursive: true });
  fs.writeFileSync(
    path.join(cdi, 'nvidia.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'nvidia.com/gpu',
      devices: [
        ...[0, 1, 2, 3].map((i) => ({ name: String(i), containerEdits: gpu(i) })),
        ...GPU_UUIDS.map((uuid, i) => ({ name: uuid, containerEdits: gpu(i) })),
        { name: 'all', containerEdits: { deviceNodes: [0, 1, 2, 3].flatMap((i) => gpu(i).deviceNodes) } },
      ],
      containerEdits: {
        env: ['NVIDIA_VISIBLE_DEVICES=void'],
        deviceNodes: [{ path: '/dev/nvidiactl', hostPath: path.join(nodes, 'nvidiactl') }],
      },
    }),
  );
  return { cdi, nodes };
}
