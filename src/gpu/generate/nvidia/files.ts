/**
 * The driver's other files a container needs, where nvidia-ctk looks for them (pkg/nvcdi
 * driver-nvml.go, internal/discover graphics.go and ipc.go): the GSP firmware of the driver
 * version, the utilities, the persistenced and fabric manager sockets and the MPS folder, and the
 * EGL, GLVND, Vulkan, OpenCL and X configuration files at the paths applications look for them.
 * Each is optional: what is not there is noted.
 */
import fs = require('node:fs');
import os = require('node:os');
import type { CdiMount } from '../../../cdi/spec';
import { realpathOrUndefined } from '../../../linux/files';
import type { Host } from '../driver-host';

export const READ_ONLY = ['ro', 'nosuid', 'nodev', 'rbind', 'rprivate'];
const SOCKET = ['nosuid', 'nodev', 'rbind', 'rprivate', 'noexec'];

export const UTILITIES = [
  'nvidia-smi',
  'nvidia-debugdump',
  'nvidia-persistenced',
  'nvidia-cuda-mps-control',
  'nvidia-cuda-mps-server',
  'nvidia-imex',
  'nvidia-imex-ctl',
];
const BIN_FOLDERS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/usr/local/nvidia/bin',
];

/** Config files: searched in /etc, /usr/local/share, /usr/share; mounted where applications read them. */
const CONFIGS: [relative: string, containerBase: '/usr/share' | '/etc'][] = [
  ['glvnd/egl_vendor.d/10_nvidia.json', '/usr/share'],
  ...['15_nvidia_gbm', '10_nvidia_wayland', '09_nvidia_wayland2', '20_nvidia_xcb', '20_nvidia_xlib'].map(
    (n): [string, '/usr/share'] => [`egl/egl_external_platform.d/${n}.json`, '/usr/share'],
  ),
  ['nvidia/nvoptix.bin', '/usr/share'],
  ['X11/xorg.conf.d/10-nvidia.conf', '/usr/share'],
  ['X11/xorg.conf.d/nvidia-drm-outputclass.conf', '/usr/share'],
  ['OpenCL/vendors/nvidia.icd', '/etc'],
  ['vulkan/icd.d/nvidia_icd.json', '/etc'],
  [`vulkan/icd.d/nvidia_icd.${os.arch() === 'arm64' ? 'aarch64' : 'x86_64'}.json`, '/etc'],
  ['vulkan/icd.d/nvidia_layers.json', '/etc'],
  ['vulkan/implicit_layer.d/nvidia_layers.json', '/etc'],
];

const mount = (host: Host, p: string, containerPath = p, options = READ_ONLY): CdiMount => ({
  hostPath: host.driver(p),
  containerPath,
  options,
});

/** What a candidate path for a utility is: the program, a script standing in for it, or nothing usable. */
function programKind(p: string): 'elf' | 'script' | 'none' {
  let fd: number | undefined;
  try {
    const st = fs.statSync(p);
    if (!st.isFile() || (st.mode & 0o111) === 0) return 'none';
    fd = fs.openSync(p, 'r');
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ? 'elf' : 'script';
  } catch {
    return 'none';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** GSP firmware: nvidia/<version>/gsp*.bin under the first firmware folder that has it (the kernel's own search order). */
export function firmwareMounts(host: Host, version: string): CdiMount[] {
  const custom = host.text(host.sys('module/firmware_class/parameters/path'))?.trim();
  const release = os.release();
  for (const base of [
    ...(custom ? [custom] : []),
    `/lib/firmware/updates/${release}`,
    '/lib/firmware/updates',
    `/lib/firmware/${release}`,
    '/lib/firmware',
  ]) {
    const dir = `${base}/nvidia/${version}`;
    const blobs = host.list(host.driver(dir)).filter((n) => /^gsp.*\.bin$/.test(n));
    if (blobs.length) return blobs.map((n) => mount(host, `${dir}/${n}`));
  }
  host.note(`no GSP firmware nvidia/${version}/gsp*.bin under ${host.driver('/lib/firmware')}`);
  return [];
}

/**
 * The first of BIN_FOLDERS holding the utility as a program (ELF). An executable script there is
 * passed over with a note: hosts like the accelerator machine this was first run on have
 * /usr/bin/nvidia-smi as a shell script that execs /usr/local/nvidia/bin/nvidia-smi, and the
 * script alone in a container only prints "not found".
 */
export function utilityMounts(host: Host): CdiMount[] {
  const out: CdiMount[] = [];
  for (const name of UTILITIES) {
    const seen = new Set<string>(); // /bin is /usr/bin on merged-/usr hosts: one note, not two
    const found = BIN_FOLDERS.map((d) => `${d}/${name}`).find((p) => {
      const real = realpathOrUndefined(host.driver(p)) ?? host.driver(p);
      if (seen.has(real)) return false;
      seen.add(real);
      const kind = programKind(host.driver(p));
      if (kind === 'script') host.note(`passed over ${host.driver(p)}: a script, not the ${name} program`);
      return kind === 'elf';
    });
    if (found) out.push(mount(host, found));
    else host.note(`skipped ${name}: not in ${BIN_FOLDERS.join(', ')} under ${host.roots.driver}`);
  }
  return out;
}

/** The persistenced and fabric manager sockets, the MPS pipe folder: present only while those services run. */
export function ipcMounts(host: Host): CdiMount[] {
  const out: CdiMount[] = [];
  for (const rel of ['nvidia-persistenced/socket', 'nvidia-fabricmanager/socket']) {
    const found = ['/run', '/var/run'].map((d) => `${d}/${rel}`).find((p) => host.exists(host.driver(p)));
    if (found) out.push(mount(host, found, found, SOCKET));
    else host.note(`skipped /run/${rel}: not there (the service is not running)`);
  }
  if (host.exists(host.driver('/tmp/nvidia-mps'))) out.push(mount(host, '/tmp/nvidia-mps', '/tmp/nvidia-mps', SOCKET));
  return out;
}

export function configMounts(host: Host): CdiMount[] {
  const out: CdiMount[] = [];
  for (const [rel, containerBase] of CONFIGS) {
    const found = ['/etc', '/usr/local/share', '/usr/share']
      .map((d) => `${d}/${rel}`)
      .find((p) => host.exists(host.driver(p)));
    if (found) out.push(mount(host, found, `${containerBase}/${rel}`));
  }
  return out;
}

export function libraryMounts(host: Host, files: readonly string[]): CdiMount[] {
  return files.map((f) => mount(host, f));
}
