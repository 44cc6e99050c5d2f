/** Which devices a container asks for, and the vendor env precreate writes. */
import { requestedDeviceNames, vendorEnv } from './select';

const env = (...entries: string[]) => new Map(entries.map((e) => e.split('=') as [string, string]));

describe('requested device names', () => {
  test.each<[string, Record<string, string>, Map<string, string>, string[], string[]]>([
    ['nothing', {}, env(), [], []],
    ['a CDI annotation, a list in it', { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0, nvidia.com/gpu=1' }, env(), [], ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']],
    ['other annotations are ignored', { 'io.kubernetes.cri.sandbox-id': 'x', 'cdi.k8s.io': 'nvidia.com/gpu=0' }, env(), [], []],
    ['NVIDIA_VISIBLE_DEVICES', {}, env('NVIDIA_VISIBLE_DEVICES=0,GPU-1234'), [], ['nvidia.com/gpu=0', 'nvidia.com/gpu=GPU-1234']],
    ['NVIDIA_VISIBLE_DEVICES none, void, empty', {}, env('NVIDIA_VISIBLE_DEVICES=void'), [], []],
    ['ROCR and HIP', {}, env('ROCR_VISIBLE_DEVICES=0', 'HIP_VISIBLE_DEVICES=0,1'), [], ['amd.com/gpu=0', 'amd.com/gpu=1']],
    ['--device, duplicates once', { 'cdi.k8s.io/a': 'example.com/x=1' }, env(), ['example.com/x=1', 'example.com/x=2'], ['example.com/x=1', 'example.com/x=2']],
  ])('%s', (_name, annotations, e, cli, expected) => {
    expect(requestedDeviceNames(annotations, e, cli)).toEqual(expected);
  });
});

test('vendor env per kind', () => {
  expect(vendorEnv(['nvidia.com/gpu=all', 'amd.com/gpu=1', 'example.com/x=1'])).toEqual({
    NVIDIA_VISIBLE_DEVICES: 'all',
    CUDA_VISIBLE_DEVICES: 'all',
    ROCR_VISIBLE_DEVICES: '1',
    HIP_VISIBLE_DEVICES: '1',
  });
});
