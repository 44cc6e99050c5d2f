import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../core/errors';
import { gpuIndicesOnNode } from './allocation';
import { allocationOnly } from './edit';
import { gresGpuFiles } from './gres-conf';
import { loadRegistry } from '../../cdi/registry';
import { SLURM_GPU_ANNOTATION, deviceForGpuFile } from './gpus';
import { expandHostlist, expandIndexList } from './hostlist';
import { slurmStepOf } from './step';

describe('hostlists', () => {
  test.each([
    ['vm', ['vm']],
    ['node[1-3]', ['node1', 'node2', 'node3']],
    ['node[01-03,7],gpu5', ['node01', 'node02', 'node03', 'node7', 'gpu5']],
    ['/dev/nvidia[0-1]', ['/dev/nvidia0', '/dev/nvidia1']],
    ['r[1-2]n[1-2]', ['r1n1', 'r1n2', 'r2n1', 'r2n2']],
  ])('%s', (list, expected) => expect(expandHostlist(list)).toEqual(expected));

  test.each(['node[1-', 'node[a-b]', 'node[3-1]'])('%s is refused, naming it', (list) => {
    expect(() => expandHostlist(list, 'gres.conf: File')).toThrow(UsageError);
    expect(() => expandHostlist(list, 'gres.conf: File')).toThrow(`gres.conf: File: ${JSON.stringify(list)}`);
  });

  test('IDX lists', () => expect(expandIndexList('0-1,3')).toEqual([0, 1, 3]));
});

// `scontrol -d show job` of Slurm 22.05.8 (Debian 12), copied from a run with fake GPUs.
const SCONTROL = `JobId=16 JobName=sh
   NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:*
   JOB_GRES=gpu:1
     Nodes=vm CPU_IDs=0 Mem=0 GRES=gpu:1(IDX:0)
   MinCPUsNode=1 MinMemoryNode=0 MinTmpDiskNode=0
   TresPerNode=gres:gpu:1
`;

describe('the GPUs of a job on a node, from scontrol -d show job', () => {
  test.each([
    ['one GPU', SCONTROL, 'vm', [0]],
    ['another node', SCONTROL, 'other', []],
    [
      'typed, a range, two node groups',
      '     Nodes=n[1-2] CPU_IDs=0-7 Mem=0 GRES=gpu:a100:2(IDX:1,3)\n     Nodes=n3 CPU_IDs=0 Mem=0 GRES=gpu:a100:1(IDX:0)\n',
      'n2',
      [1, 3],
    ],
    ['gpu among other GRES', '     Nodes=n1 CPU_IDs=0 Mem=0 GRES=mps:100(0/100,0/100),gpu:2(IDX:0-1)\n', 'n1', [0, 1]],
    ['no GRES on the line', '     Nodes=n1 CPU_IDs=0 Mem=0 GRES=\n', 'n1', []],
    ['a count without indices', '     Nodes=n1 CPU_IDs=0 Mem=0 GRES=gpu:1(CNT:1)\n', 'n1', []],
  ] as const)('%s', (_name, text, node, expected) => expect(gpuIndicesOnNode(text, node)).toEqual(expected));
});

describe('gres.conf GPU files of a node, in Slurm order', () => {
  const conf = [
    '# fake GPUs',
    'AutoDetect=off',
    'NodeName=n[1-2] Name=gpu Type=a100 File=/dev/nvidia[0-1]',
    'Name=gpu File=/dev/nvidia7  # every node',
    'NodeName=n3 Name=gpu File=/dev/nvidia3',
    'NodeName=n1 Name=mps Count=100',
  ].join('\n');
  test.each([
    ['n1', ['/dev/nvidia0', '/dev/nvidia1', '/dev/nvidia7']],
    ['n3', ['/dev/nvidia7', '/dev/nvidia3']],
    ['n9', ['/dev/nvidia7']],
  ])('%s', (node, expected) => expect(gresGpuFiles(conf, node)).toEqual(expected));
  test('AutoDetect only: none (Slurm numbers GPUs in PCI order)', () =>
    expect(gresGpuFiles('AutoDetect=nvml\n', 'n1')).toEqual([]));
});

describe("a gres.conf GPU file's CDI device: the first that holds it, no other GPU of the node and no MIG or management node", () => {
  const G0 = '/dev/nvidia0';
  const G1 = '/dev/nvidia1';
  const dev = (name: string, ...hostPaths: string[]) => ({
    name,
    containerEdits: { deviceNodes: hostPaths.map((h, i) => ({ path: `/dev/in-container${i}`, hostPath: h })) },
  });
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-slurm-gpus-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  test.each<[string, ReturnType<typeof dev>[], string, string[], ReturnType<typeof deviceForGpuFile>]>([
    [
      '"all" listed first is passed over',
      [dev('all', G0, G1), dev('0', G0), dev('1', G1)],
      G1,
      [G0, G1],
      { name: 'nvidia.com/gpu=1' },
    ],
    [
      'as `ocihooks cdi generate` orders them',
      [dev('0', G0), dev('1', G1), dev('all', G0, G1)],
      G0,
      [G0, G1],
      { name: 'nvidia.com/gpu=0' },
    ],
    [
      'aliases of one GPU: the first',
      [dev('GPU-a', G0, '/dev/dri/card1'), dev('0', G0, '/dev/dri/card1')],
      G0,
      [G0, G1],
      { name: 'nvidia.com/gpu=GPU-a' },
    ],
    ['a node of one GPU: "all" is that GPU', [dev('all', G0), dev('0', G0)], G0, [G0], { name: 'nvidia.com/gpu=all' }],
    [
      'only devices of two GPUs',
      [dev('all', G0, G1), dev('pair', G1, G0)],
      G0,
      [G0, G1],
      { widening: ['nvidia.com/gpu=all', 'nvidia.com/gpu=pair'], notWhole: [] },
    ],
    [
      'a MIG slice listed before its whole GPU (uuid names) is passed over',
      [dev('0:0', G0, '/dev/nvidia-caps/nvidia-cap21', '/dev/nvidia-caps/nvidia-cap22'), dev('GPU-a', G0)],
      G0,
      [G0, G1],
      { name: 'nvidia.com/gpu=GPU-a' },
    ],
    [
      "a one-GPU node's management device, read first, is passed over",
      [dev('all', G0, '/dev/nvidiactl', '/dev/nvidia-uvm'), dev('0', G0)],
      G0,
      [G0],
      { name: 'nvidia.com/gpu=0' },
    ],
    [
      'only MIG slices and a device of two GPUs',
      [
        dev('0:0', G0, '/dev/nvidia-caps/nvidia-cap21'),
        dev('all', G0, G1),
        dev('imex', G0, '/dev/nvidia-caps-imex-channels/channel0'),
      ],
      G0,
      [G0, G1],
      { widening: ['nvidia.com/gpu=all'], notWhole: ['nvidia.com/gpu=0:0', 'nvidia.com/gpu=imex'] },
    ],
    [
      'a GPU of the node whose own nodes only look alike is whole',
      [dev('0', G0, '/dev/nvidia-capsule', '/dev/nvidiactl2')],
      G0,
      [G0],
      { name: 'nvidia.com/gpu=0' },
    ],
    [
      'by host path, not the path in the container',
      [dev('0', '/dev/other')],
      '/dev/in-container0',
      ['/dev/in-container0'],
      undefined,
    ],
    ['none holds it', [dev('0', G0)], G1, [G0, G1], undefined],
  ])('%s', (name, devices, file, gpuFiles, expected) => {
    const specDir = path.join(dir, name.replace(/\W+/g, '-'));
    fs.mkdirSync(specDir);
    fs.writeFileSync(
      path.join(specDir, 'gpus.json'),
      JSON.stringify({ cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices, containerEdits: {} }),
    );
    const registry = loadRegistry([specDir]);
    expect(registry.problems).toEqual([]);
    expect(deviceForGpuFile(registry.devices, file, gpuFiles)).toEqual(expected);
  });
});

test("the step's GPU request replaces every CDI request of the bundle; other annotations stay", () => {
  const config = { annotations: { 'cdi.k8s.io/mine': 'nvidia.com/gpu=all', 'com.hooks.slurm.activate': 'true' } };
  allocationOnly(config, ['nvidia.com/gpu=1']);
  expect(config.annotations).toEqual({
    'com.hooks.slurm.activate': 'true',
    [SLURM_GPU_ANNOTATION]: 'nvidia.com/gpu=1',
  });
  allocationOnly(config, []);
  expect(config.annotations).toEqual({ 'com.hooks.slurm.activate': 'true' });
});

describe('the Slurm step of a runtime call: the nearest root ancestor titled "slurmstepd: [JOB.STEP]"', () => {
  // A /proc of its own: pid -> [ppid, uid, cmdline].
  function fakeProc(procs: Record<number, [number, number, string]>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-proc-'));
    for (const [pid, [ppid, uid, cmdline]] of Object.entries(procs)) {
      fs.mkdirSync(path.join(dir, pid));
      fs.writeFileSync(
        path.join(dir, pid, 'status'),
        `Name:\tx\nPPid:\t${ppid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`,
      );
      fs.writeFileSync(path.join(dir, pid, 'cmdline'), cmdline);
    }
    return dir;
  }
  test.each([
    [
      'slurmstepd -> sh (user) -> wrapper',
      { 10: [1, 0, 'slurmstepd: [16.0]\0'], 20: [10, 1001, '/bin/sh\0-c\0...'], 30: [20, 1001, 'node\0'] },
      { job: '16', step: '0', pid: 10 },
    ],
    [
      'a batch step',
      { 10: [1, 0, 'slurmstepd: [16.batch]\0'], 30: [10, 1001, 'node\0'] },
      { job: '16', step: 'batch', pid: 10 },
    ],
    [
      "a user's process titled like slurmstepd is not one",
      { 10: [1, 1001, 'slurmstepd: [99.0]\0'], 30: [10, 1001, 'node\0'] },
      undefined,
    ],
    [
      'a root process with another title is passed, the step above it found',
      { 5: [1, 0, 'slurmstepd: [7.2]\0'], 10: [5, 0, '/bin/sh\0'], 30: [10, 1001, 'node\0'] },
      { job: '7', step: '2', pid: 5 },
    ],
    ['no Slurm above', { 10: [1, 0, 'containerd-shim\0'], 30: [10, 0, 'node\0'] }, undefined],
  ] as const)('%s', (_name, procs, expected) => {
    const proc = fakeProc(procs as unknown as Record<number, [number, number, string]>);
    expect(slurmStepOf(30, proc)).toEqual(expected);
    fs.rmSync(proc, { recursive: true });
  });
  test('this test process is in no step', () => expect(slurmStepOf()).toBeUndefined());
});
