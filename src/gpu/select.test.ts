/**
 * Which devices a container gets: the selection table of docs/gpu.md, row by row.
 * The image env of every CUDA image says NVIDIA_VISIBLE_DEVICES=all.
 */
import { UsageError } from '../core/errors';
import { DeviceRequest, SelectionInput, requestedDevices } from './select';

const env = (...entries: string[]) =>
  new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]));
const GPU2 = { 'cdi.k8s.io/job': 'nvidia.com/gpu=2' };
const input = (o: Partial<SelectionInput>): SelectionInput => ({
  annotations: {},
  env: env(),
  cliDevices: [],
  acceptEnv: false,
  ...o,
});

test.each<[string, Partial<SelectionInput>, DeviceRequest]>([
  ['nothing asked', {}, { names: [], source: 'none' }],
  ['an annotation', { annotations: GPU2 }, { names: ['nvidia.com/gpu=2'], source: 'explicit' }],
  [
    'an annotation, image env all: the annotation only',
    { annotations: GPU2, env: env('NVIDIA_VISIBLE_DEVICES=all') },
    {
      names: ['nvidia.com/gpu=2'],
      source: 'explicit',
      ignored: 'image env NVIDIA_VISIBLE_DEVICES=all: explicit requests (annotations, --device) win',
    },
  ],
  [
    'an annotation, image env all, --accept-env: still the annotation only',
    { annotations: GPU2, env: env('NVIDIA_VISIBLE_DEVICES=all'), acceptEnv: true },
    { names: ['nvidia.com/gpu=2'], source: 'explicit', ignored: expect.any(String) },
  ],
  [
    'a list in one annotation, several annotations, duplicates once',
    { annotations: { 'cdi.k8s.io/a': 'nvidia.com/gpu=0,nvidia.com/gpu=1', 'cdi.k8s.io/b': 'nvidia.com/gpu=1' } },
    { names: ['nvidia.com/gpu=0', 'nvidia.com/gpu=1'], source: 'explicit' },
  ],
  [
    'annotations outside cdi.k8s.io/ are not requests',
    { annotations: { 'cdi.k8s.io': 'nvidia.com/gpu=0', 'io.kubernetes.cri.sandbox-id': 'x' } },
    { names: [], source: 'none' },
  ],
  [
    "the hook's --device, image env all",
    { cliDevices: ['nvidia.com/gpu=1'], env: env('NVIDIA_VISIBLE_DEVICES=all') },
    { names: ['nvidia.com/gpu=1'], source: 'explicit', ignored: expect.any(String) },
  ],
  [
    '--device and an annotation together',
    { cliDevices: ['nvidia.com/gpu=1'], annotations: GPU2 },
    { names: ['nvidia.com/gpu=2', 'nvidia.com/gpu=1'], source: 'explicit' },
  ],
  [
    'image env only, not accepted',
    { env: env('NVIDIA_VISIBLE_DEVICES=0,3') },
    {
      names: [],
      source: 'none',
      ignored: 'image env NVIDIA_VISIBLE_DEVICES=0,3: not accepted (the hook runs without --accept-env)',
    },
  ],
  [
    'image env only, --accept-env',
    { env: env('NVIDIA_VISIBLE_DEVICES=0,GPU-3'), acceptEnv: true },
    { names: ['nvidia.com/gpu=0', 'nvidia.com/gpu=GPU-3'], source: 'image env' },
  ],
  [
    'image env all, --accept-env',
    { env: env('NVIDIA_VISIBLE_DEVICES=all'), acceptEnv: true },
    { names: ['nvidia.com/gpu=all'], source: 'image env' },
  ],
  [
    'image env none, --accept-env',
    { env: env('NVIDIA_VISIBLE_DEVICES=none'), acceptEnv: true },
    { names: [], source: 'none' },
  ],
  [
    'image env void, --accept-env',
    { env: env('NVIDIA_VISIBLE_DEVICES=void'), acceptEnv: true },
    { names: [], source: 'none' },
  ],
  [
    'image env empty, --accept-env',
    { env: env('NVIDIA_VISIBLE_DEVICES='), acceptEnv: true },
    { names: [], source: 'none' },
  ],
  [
    'AMD: ROCR and HIP, --accept-env',
    { env: env('ROCR_VISIBLE_DEVICES=0', 'HIP_VISIBLE_DEVICES=0,1'), acceptEnv: true },
    { names: ['amd.com/gpu=0', 'amd.com/gpu=1'], source: 'image env' },
  ],
  [
    'AMD: not accepted',
    { env: env('ROCR_VISIBLE_DEVICES=1') },
    {
      names: [],
      source: 'none',
      ignored: 'image env ROCR_VISIBLE_DEVICES=1: not accepted (the hook runs without --accept-env)',
    },
  ],
])('%s', (_name, o, expected) => {
  expect(requestedDevices(input(o))).toEqual(expected);
});

test.each([
  ['nvidia.com/gpu=0, nvidia.com/gpu=1', 'entry " nvidia.com/gpu=1" is not a CDI device name'],
  ['nvidia.com/gpu=0,', 'entry 2 of 2 is empty'],
  ['', 'the value is empty'],
])(
  'an annotation the CDI reference refuses (%j) refuses the container, even with the image env accepted',
  (value, why) => {
    const refused = input({
      annotations: { 'cdi.k8s.io/job': value },
      env: env('NVIDIA_VISIBLE_DEVICES=0'),
      acceptEnv: true,
    });
    expect(() => requestedDevices(refused)).toThrow(UsageError);
    expect(() => requestedDevices(refused)).toThrow(`annotation cdi.k8s.io/job=${JSON.stringify(value)}: ${why}`);
  },
);
