/**
 * `ocihooks cdi generate` on a fake driver root laid out like the accelerator machine's: device
 * nodes made with mknod, /proc/driver/nvidia files, driver libraries of two versions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateNvidiaSpec, parseDriverVersion, parseGpuInformation } from '../../src/gpu/generate/nvidia';
import { BIN, ok, tmpDir } from '../support/e2e';

const VERSION = '580.65.06';

function fakeDriverRoot(gpus: { bus: string; minor: number; uuid: string }[]): string {
  const root = tmpDir('driver-root');
  const w = (p: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  };
  w('/proc/driver/nvidia/version', `NVRM version: NVIDIA UNIX x86_64 Kernel Module  ${VERSION}  Sun Jul 27 06:54:38 UTC 2025\nGCC version:  gcc version 12.3.0\n`);
  fs.mkdirSync(path.join(root, 'dev', 'nvidia-caps'), { recursive: true });
  for (const g of gpus) {
    w(`/proc/driver/nvidia/gpus/${g.bus}/information`, `Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 37\nGPU UUID: \t ${g.uuid}\nVideo BIOS: \t 96.00.99.00.01\nBus Type: \t PCIe\nBus Location: \t ${g.bus}\nDevice Minor: \t ${g.minor}\nGPU Excluded:\t No\n`);
    ok('mknod', [path.join(root, 'dev', `nvidia${g.minor}`), 'c', '195', String(g.minor)]);
  }
  ok('mknod', [path.join(root, 'dev', 'nvidiactl'), 'c', '195', '255']);
  ok('mknod', [path.join(root, 'dev', 'nvidia-uvm'), 'c', '238', '0']);
  ok('mknod', [path.join(root, 'dev', 'nvidia-uvm-tools'), 'c', '238', '1']);
  const lib = '/usr/lib/x86_64-linux-gnu';
  for (const l of ['libcuda.so', 'libnvidia-ml.so', 'libnvidia-ptxjitcompiler.so']) {
    w(`${lib}/${l}.${VERSION}`, 'ELF');
    fs.symlinkSync(`${l}.${VERSION}`, path.join(root, lib, `${l}.1`));
  }
  w(`${lib}/libnvidia-nvvm.so.550.54.14`, 'ELF of an older driver');
  w('/usr/local/nvidia/bin/nvidia-smi', '#!/bin/sh\n');
  return root;
}

describe('cdi generate', () => {
  test('parses the driver files', () => {
    expect(parseDriverVersion(`NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${VERSION}  Release Build\n`)).toBe(VERSION);
    expect(parseGpuInformation('Model: \t\t NVIDIA H100\nGPU UUID: \t GPU-1\nDevice Minor: \t 3\n', '0000:01:00.0')).toEqual({ bus: '0000:01:00.0', model: 'NVIDIA H100', uuid: 'GPU-1', minor: 3 });
    expect(() => parseDriverVersion('nothing here')).toThrow(/no kernel module version/);
  });

  test('a spec with each GPU by index and UUID, all, nodes, version-matched libraries, utilities, the nvidia-ctk hooks', () => {
    const root = fakeDriverRoot([
      { bus: '0000:1b:00.0', minor: 0, uuid: 'GPU-aaaa1111-2222-3333-4444-555566667777' },
      { bus: '0000:43:00.0', minor: 1, uuid: 'GPU-bbbb1111-2222-3333-4444-555566667777' },
    ]);
    const spec = generateNvidiaSpec({ driverRoot: root, gpuHook: '/usr/local/libexec/ocihooks/bin/ocihook-gpu' });
    expect(spec.kind).toBe('nvidia.com/gpu');
    expect(spec.devices.map((d) => d.name)).toEqual(['0', '1', 'GPU-aaaa1111-2222-3333-4444-555566667777', 'GPU-bbbb1111-2222-3333-4444-555566667777', 'all']);
    expect(spec.devices[1]?.edits.deviceNodes).toEqual([{ path: '/dev/nvidia1', hostPath: '/dev/nvidia1', type: 'c', major: 195, minor: 1 }]);
    expect(spec.devices[4]?.edits.deviceNodes.map((n) => n.path)).toEqual(['/dev/nvidia0', '/dev/nvidia1']);
    expect(spec.edits.deviceNodes.map((n) => `${n.path} ${n.major}:${n.minor}`)).toEqual(['/dev/nvidiactl 195:255', '/dev/nvidia-uvm 238:0', '/dev/nvidia-uvm-tools 238:1']);
    const lib = '/usr/lib/x86_64-linux-gnu';
    expect(spec.edits.mounts.map((m) => m.containerPath)).toEqual([`${lib}/libcuda.so.${VERSION}`, `${lib}/libnvidia-ml.so.${VERSION}`, `${lib}/libnvidia-ptxjitcompiler.so.${VERSION}`, '/usr/local/nvidia/bin/nvidia-smi']);
    const gpu = (...args: string[]) => ({ hookName: 'createContainer', path: '/usr/local/libexec/ocihooks/bin/ocihook-gpu', args: ['ocihook-gpu', ...args] });
    expect(spec.edits.hooks).toEqual([
      gpu('create-symlinks', '--link', `libcuda.so.1::${lib}/libcuda.so`),
      gpu('enable-cuda-compat', `--host-driver-version=${VERSION}`),
      gpu('update-ldcache', '--folder', lib),
      gpu('disable-device-node-modification'),
    ]);
    expect(spec.edits.env).toEqual(['NVIDIA_VISIBLE_DEVICES=void']);
  });

  test('refuses clearly without a driver, without libcuda of the running version, or without a GPU node', () => {
    const empty = tmpDir('no-driver');
    expect(() => generateNvidiaSpec({ driverRoot: empty, gpuHook: '/x' })).toThrow(/no NVIDIA kernel module loaded here/);
    const root = fakeDriverRoot([{ bus: '0000:1b:00.0', minor: 0, uuid: 'GPU-1' }]);
    fs.rmSync(path.join(root, 'usr/lib/x86_64-linux-gnu', `libcuda.so.${VERSION}`));
    expect(() => generateNvidiaSpec({ driverRoot: root, gpuHook: '/x' })).toThrow(`no libcuda.so.${VERSION}`);
    const noNode = fakeDriverRoot([{ bus: '0000:1b:00.0', minor: 0, uuid: 'GPU-1' }]);
    fs.rmSync(path.join(noNode, 'dev', 'nvidia0'));
    expect(() => generateNvidiaSpec({ driverRoot: noNode, gpuHook: '/x' })).toThrow(/dev\/nvidia0: missing for GPU GPU-1/);
  });

  test('the installed command names its own ocihook-gpu in the spec: a program that runs', () => {
    const root = fakeDriverRoot([{ bus: '0000:1b:00.0', minor: 0, uuid: 'GPU-1' }]);
    const spec = JSON.parse(ok(process.execPath, [BIN('ocihooks'), 'cdi', 'generate', '--driver-root', root])) as { containerEdits: { hooks: { path: string }[] } };
    const hook = spec.containerEdits.hooks[0]?.path as string;
    expect(hook).toBe(BIN('ocihook-gpu'));
    expect(ok(hook, ['--version']).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
