/**
 * GPU nodes laid out as real hosts lay them out, in a folder: procfs text in the driver's formats
 * (nv-procfs.c, nv-caps.c, kfd_topology.c), sysfs device folders and the links to them, device
 * nodes made with mknod (real numbers, modes and groups), tiny real ELF libraries with the driver's
 * SONAMEs, and a linker cache made by ldconfig -r. Layouts: two H100s without MIG, one A100 with
 * two MIG devices, one H100 with four IMEX channels, two MI300X. Every host also has a BMC's
 * /dev/dri/card0, which belongs to no GPU.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ok, requireTool } from './e2e';
import { mknod } from './fake-gpus';

export const DRIVER = '580.65.06';
export const LIB = '/usr/lib/x86_64-linux-gnu';
const GID = { video: 44, render: 993 };

export interface FakeHost {
  root: string;
  /** The flags that point `ocihooks cdi generate` (and doctor) at this host. */
  flags: string[];
}

function write(root: string, p: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.writeFileSync(path.join(root, p), text, { mode });
}

function link(root: string, p: string, target: string): void {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.symlinkSync(target, path.join(root, p));
}

/** A character device node with the host's numbers, mode and group. */
export function node(root: string, p: string, major: number, minor: number, mode = 0o666, gid = 0): void {
  mknod(path.join(root, p), major, minor, mode.toString(8));
  fs.chownSync(path.join(root, p), 0, gid);
}

/** A PCI device folder in sysfs with its DRM nodes, /sys/bus/pci/devices/<bus> linking to it, and udev's by-path links. */
function pciDevice(root: string, bus: string, vendor: string, drm: { card: number; render?: number }): string {
  const dir = `/sys/devices/pci0000:00/${bus}`;
  write(root, `${dir}/vendor`, `${vendor}\n`);
  fs.mkdirSync(path.join(root, dir, 'drm', `card${drm.card}`), { recursive: true });
  node(root, `/dev/dri/card${drm.card}`, 226, drm.card, 0o660, GID.video);
  link(root, `/dev/dri/by-path/pci-${bus}-card`, `../card${drm.card}`);
  if (drm.render !== undefined) {
    fs.mkdirSync(path.join(root, dir, 'drm', `renderD${drm.render}`));
    node(root, `/dev/dri/renderD${drm.render}`, 226, drm.render, 0o660, GID.render);
    link(root, `/dev/dri/by-path/pci-${bus}-render`, `../renderD${drm.render}`);
  }
  link(root, `/sys/bus/pci/devices/${bus}`, `../../../devices/pci0000:00/${bus}`);
  return dir;
}

/** The driver's libraries (built once per test process, then copied): SONAMEs as NVIDIA ships them. */
let libraryCache: string | undefined;
function driverLibraries(): string {
  if (libraryCache) return libraryCache;
  const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'ocihooks-nvlibs-'));
  const libs: [string, string][] = [
    [`libcuda.so.${DRIVER}`, 'libcuda.so.1'],
    [`libnvidia-ml.so.${DRIVER}`, 'libnvidia-ml.so.1'],
    [`libnvidia-ptxjitcompiler.so.${DRIVER}`, 'libnvidia-ptxjitcompiler.so.1'],
    [`libEGL_nvidia.so.${DRIVER}`, 'libEGL_nvidia.so.0'],
    [`libnvidia-allocator.so.${DRIVER}`, 'libnvidia-allocator.so.1'],
    ['libnvidia-egl-gbm.so.1.1.2', 'libnvidia-egl-gbm.so.1'],
    [`vdpau/libvdpau_nvidia.so.${DRIVER}`, 'libvdpau_nvidia.so.1'],
    ['libnvidia-nvvm.so.550.54.14', 'libnvidia-nvvm.so.4'], // a leftover of an older driver
  ];
  fs.writeFileSync(path.join(dir, 'lib.c'), 'int nv_fake(void) { return 0; }\n');
  for (const [file, soname] of libs) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    ok(requireTool('gcc'), [
      '-shared',
      '-fPIC',
      `-Wl,-soname,${soname}`,
      '-o',
      path.join(dir, file),
      path.join(dir, 'lib.c'),
    ]);
  }
  fs.rmSync(path.join(dir, 'lib.c'));
  libraryCache = dir;
  return dir;
}

/** A unix socket left on disk, as a running service leaves its own. */
function socket(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
}

/** Everything an NVIDIA host has whatever its GPUs: driver files, control nodes, capabilities, a BMC. */
function nvidiaDriver(root: string): void {
  write(
    root,
    '/proc/driver/nvidia/version',
    `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  ${DRIVER}  Release Build  (dvs-builder@U22-I3-AE18-23-3)  Sun Jul 27 06:54:38 UTC 2025\nGCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n`,
  );
  write(
    root,
    '/proc/devices',
    'Character devices:\n  1 mem\n195 nvidia-frontend\n226 drm\n234 nvidia-caps-imex-channels\n235 nvidia-caps\n236 nvidia-uvm\n\nBlock devices:\n  8 sd\n',
  );
  // mig-minors lists every possible entry, minors assigned in table order (nv-caps.c): config 1, monitor 2, then 32 GPUs x 15 GIs x (GI + 8 CIs).
  const minors = ['config 1', 'monitor 2'];
  for (let gpu = 0; gpu < 32; gpu++) {
    for (let gi = 0; gi < 15; gi++) {
      minors.push(`gpu${gpu}/gi${gi}/access ${3 + 135 * gpu + 9 * gi}`);
      for (let ci = 0; ci < 8; ci++) minors.push(`gpu${gpu}/gi${gi}/ci${ci}/access ${4 + 135 * gpu + 9 * gi + ci}`);
    }
  }
  write(root, '/proc/driver/nvidia-caps/mig-minors', minors.join('\n') + '\n');
  write(
    root,
    '/proc/driver/nvidia/capabilities/mig/config',
    'DeviceFileMinor: 1\nDeviceFileMode: 256\nDeviceFileModify: 1\n',
  );
  write(
    root,
    '/proc/driver/nvidia/capabilities/mig/monitor',
    'DeviceFileMinor: 2\nDeviceFileMode: 292\nDeviceFileModify: 1\n',
  );
  node(root, '/dev/nvidia-caps/nvidia-cap1', 235, 1, 0o400);
  node(root, '/dev/nvidia-caps/nvidia-cap2', 235, 2, 0o444);
  node(root, '/dev/nvidiactl', 195, 255);
  node(root, '/dev/nvidia-modeset', 195, 254);
  node(root, '/dev/nvidia-uvm', 236, 0);
  node(root, '/dev/nvidia-uvm-tools', 236, 1);
  pciDevice(root, '0000:02:00.0', '0x1a03', { card: 0 }); // the BMC's VGA: /dev/dri/card0, no GPU's
  const libs = driverLibraries();
  fs.cpSync(libs, path.join(root, LIB), { recursive: true });
  for (const [real, soname] of [
    [`libcuda.so.${DRIVER}`, 'libcuda.so.1'],
    [`libnvidia-ml.so.${DRIVER}`, 'libnvidia-ml.so.1'],
    ['libcuda.so.1', 'libcuda.so'],
  ])
    link(root, `${LIB}/${soname}`, real as string);
  write(root, '/etc/ld.so.conf', '');
  ok('ldconfig', ['-r', root]);
  // The programs begin as ELF files do. nvidia-smi is laid out as on the accelerator machine:
  // /usr/bin/nvidia-smi a shell script that execs the program in /usr/local/nvidia/bin.
  const elf = '\x7fELF\x02\x01\x01\x00';
  for (const tool of ['nvidia-debugdump', 'nvidia-persistenced']) write(root, `/usr/bin/${tool}`, elf, 0o755);
  write(root, '/usr/local/nvidia/bin/nvidia-smi', elf, 0o755);
  write(root, '/usr/bin/nvidia-smi', '#!/bin/sh\nexec /usr/local/nvidia/bin/nvidia-smi "$@"\n', 0o755);
  link(root, '/bin', 'usr/bin'); // merged /usr, as Debian 12 and Ubuntu have it
  for (const blob of ['gsp_ga10x.bin', 'gsp_tu10x.bin'])
    write(root, `/lib/firmware/nvidia/${DRIVER}/${blob}`, 'firmware');
  write(
    root,
    '/usr/share/glvnd/egl_vendor.d/10_nvidia.json',
    '{"file_format_version":"1.0.0","ICD":{"library_path":"libEGL_nvidia.so.0"}}\n',
  );
  write(
    root,
    '/usr/share/vulkan/icd.d/nvidia_icd.json',
    '{"file_format_version":"1.0.1","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.4.303"}}\n',
  );
  socket(path.join(root, 'run/nvidia-persistenced/socket'));
}

/** One NVIDIA GPU: its information file, its capabilities folder, its node and PCI device. */
function nvidiaGpu(
  root: string,
  g: { bus: string; minor: number; model: string; uuid: string; card: number; render: number },
): void {
  write(
    root,
    `/proc/driver/nvidia/gpus/${g.bus}/information`,
    `Model: \t\t ${g.model}\nIRQ:   \t\t 0\nGPU UUID: \t ${g.uuid}\nVideo BIOS: \t 96.00.99.00.01\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t ${g.bus}\nDevice Minor: \t ${g.minor}\nGPU Firmware: \t ${DRIVER}\nGPU Excluded:\t No\n`,
  );
  fs.mkdirSync(path.join(root, `proc/driver/nvidia/capabilities/gpu${g.minor}/mig`), { recursive: true });
  node(root, `/dev/nvidia${g.minor}`, 195, g.minor);
  pciDevice(root, g.bus, '0x10de', { card: g.card, render: g.render });
}

/** A MIG device: its GPU and compute instance access files and their capability nodes. */
function migDevice(root: string, minor: number, gi: number, ci: number): void {
  const giMinor = 3 + 135 * minor + 9 * gi;
  const ciMinor = giMinor + 1 + ci;
  const dir = `/proc/driver/nvidia/capabilities/gpu${minor}/mig/gi${gi}`;
  write(root, `${dir}/access`, `DeviceFileMinor: ${giMinor}\nDeviceFileMode: 292\nDeviceFileModify: 1\n`);
  write(root, `${dir}/ci${ci}/access`, `DeviceFileMinor: ${ciMinor}\nDeviceFileMode: 292\nDeviceFileModify: 1\n`);
  for (const m of [giMinor, ciMinor])
    if (!fs.existsSync(path.join(root, `dev/nvidia-caps/nvidia-cap${m}`)))
      node(root, `/dev/nvidia-caps/nvidia-cap${m}`, 235, m, 0o444);
}

const flags = (root: string) => [
  '--driver-root',
  root,
  '--proc-root',
  path.join(root, 'proc'),
  '--sys-root',
  path.join(root, 'sys'),
];

export const H100_UUIDS = ['GPU-5a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b', 'GPU-5a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b'];
export const A100_UUID = 'GPU-a100a100-0000-4000-8000-00000000a100';

/** Two H100s; the one first in PCI order has device minor 1 (minors need not follow PCI order). */
export function twoH100(root: string): FakeHost {
  nvidiaDriver(root);
  nvidiaGpu(root, {
    bus: '0000:1b:00.0',
    minor: 1,
    model: 'NVIDIA H100 80GB HBM3',
    uuid: H100_UUIDS[0] as string,
    card: 1,
    render: 128,
  });
  nvidiaGpu(root, {
    bus: '0000:43:00.0',
    minor: 0,
    model: 'NVIDIA H100 80GB HBM3',
    uuid: H100_UUIDS[1] as string,
    card: 2,
    render: 129,
  });
  return { root, flags: flags(root) };
}

/** One A100 in MIG mode: GPU instances 1 and 2, compute instance 0 in each. */
export function a100Mig(root: string): FakeHost {
  nvidiaDriver(root);
  nvidiaGpu(root, {
    bus: '0000:3b:00.0',
    minor: 0,
    model: 'NVIDIA A100-SXM4-80GB',
    uuid: A100_UUID,
    card: 1,
    render: 128,
  });
  migDevice(root, 0, 1, 0);
  migDevice(root, 0, 2, 0);
  return { root, flags: flags(root) };
}

/** One H100 and four IMEX channels (the admin made 1-3 with mknod; the driver made channel0). */
export function h100Imex(root: string): FakeHost {
  nvidiaDriver(root);
  nvidiaGpu(root, {
    bus: '0000:1b:00.0',
    minor: 0,
    model: 'NVIDIA H100 80GB HBM3',
    uuid: H100_UUIDS[0] as string,
    card: 1,
    render: 128,
  });
  for (let c = 0; c < 4; c++) node(root, `/dev/nvidia-caps-imex-channels/channel${c}`, 234, c);
  return { root, flags: flags(root) };
}

export const MI300X_UNIQUE_IDS = [16404946649897475633n, 11254013339017429172n];

/**
 * Two MI300X in SPX mode: each PCI GPU with card/renderD, and the seven spare partition devices
 * the kernel always makes per MI300 (amdgpu_xcp_N, render minors stepping by 8), which KFD does
 * not list; KFD node 0 is the CPU.
 */
export function twoMi300x(root: string): FakeHost {
  write(root, '/proc/devices', 'Character devices:\n  1 mem\n226 drm\n237 kfd\n');
  fs.mkdirSync(path.join(root, 'sys/module/amdgpu/drivers/pci:amdgpu'), { recursive: true });
  write(
    root,
    '/sys/class/kfd/kfd/topology/nodes/0/properties',
    'cpu_cores_count 96\nsimd_count 0\ngfx_target_version 0\nvendor_id 0\ndevice_id 0\nlocation_id 0\ndomain 0\ndrm_render_minor 0\nunique_id 0\n',
  );
  pciDevice(root, '0000:02:00.0', '0x1a03', { card: 0 });
  let xcp = 0;
  [
    ['0000:05:00.0', 1280],
    ['0000:27:00.0', 9984],
  ].forEach(([bus, location], i) => {
    const card = 1 + 8 * i;
    const render = 128 + 8 * i;
    const dir = pciDevice(root, bus as string, '0x1002', { card, render });
    write(root, `${dir}/unique_id`, `${(MI300X_UNIQUE_IDS[i] as bigint).toString(16).padStart(16, '0')}\n`);
    link(root, `/sys/module/amdgpu/drivers/pci:amdgpu/${bus}`, `../../../../devices/pci0000:00/${bus}`);
    write(
      root,
      `/sys/class/kfd/kfd/topology/nodes/${i + 1}/properties`,
      `cpu_cores_count 0\nsimd_count 1216\ngfx_target_version 90402\nvendor_id 4098\ndevice_id 29857\nlocation_id ${location}\ndomain 0\ndrm_render_minor ${render}\nhive_id 15188982192727901047\nunique_id ${MI300X_UNIQUE_IDS[i]}\nnum_xcc 8\n`,
    );
    for (let p = 1; p < 8; p++, xcp++) {
      fs.mkdirSync(path.join(root, `sys/devices/platform/amdgpu_xcp_${xcp}/drm/card${card + p}`), { recursive: true });
      fs.mkdirSync(path.join(root, `sys/devices/platform/amdgpu_xcp_${xcp}/drm/renderD${render + p}`));
      node(root, `/dev/dri/card${card + p}`, 226, card + p, 0o660, GID.video);
      node(root, `/dev/dri/renderD${render + p}`, 226, render + p, 0o660, GID.render);
    }
  });
  node(root, '/dev/kfd', 237, 0, 0o660, GID.render);
  return { root, flags: flags(root) };
}
