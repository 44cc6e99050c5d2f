/**
 * `ocihooks cdi generate`: a CDI spec for the NVIDIA GPUs this host really has, read from the
 * driver's own files (no NVML): GPU identities from /proc/driver/nvidia/gpus/<bus>/information,
 * the kernel module version from /proc/driver/nvidia/version, device nodes with their real
 * numbers, the driver's user-space libraries (from the host linker cache and the driver's
 * folders, only those of the kernel module's version), utilities, and the hooks nvidia-ctk writes
 * (libcuda.so link, CUDA compat, linker cache, device-node modification off), calling ocihook-gpu. Everything is read under a driver root ("/" on a real host; a folder laid out
 * like one in tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError } from '../../core/errors';
import { parseLdCache } from '../../linux/ldcache';
import { splitDev } from '../../linux/dev';
import type { CdiSpec } from '../../cdi/spec';
import { validateCdiSpec } from '../../cdi/spec';

export interface GpuInfo {
  bus: string;
  model: string;
  uuid: string;
  minor: number;
}

export const DRIVER_LIBRARIES = [
  'libcuda.so', 'libcudadebugger.so', 'libnvidia-ml.so', 'libnvidia-ptxjitcompiler.so', 'libnvidia-nvvm.so',
  'libnvidia-opencl.so', 'libnvidia-allocator.so', 'libnvidia-cfg.so', 'libnvidia-gpucomp.so', 'libnvidia-pkcs11.so',
  'libnvidia-pkcs11-openssl3.so', 'libnvidia-nscq.so', 'libnvidia-fatbinaryloader.so', 'libnvidia-compiler.so',
];
export const DRIVER_UTILITIES = ['nvidia-smi', 'nvidia-debugdump', 'nvidia-persistenced', 'nvidia-cuda-mps-control', 'nvidia-cuda-mps-server'];
const LIBRARY_DIRS = ['/usr/local/nvidia/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];
const BIN_DIRS = ['/usr/local/nvidia/bin', '/usr/bin', '/usr/local/bin', '/bin'];

/** Parses one information file ("Key: \t value" lines). */
export function parseGpuInformation(text: string, bus: string): GpuInfo {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const minor = Number(fields.get('Device Minor'));
  const uuid = fields.get('GPU UUID') ?? '';
  if (!Number.isInteger(minor) || !uuid) throw new ActionError(`/proc/driver/nvidia/gpus/${bus}/information: no "Device Minor" or "GPU UUID"`);
  return { bus, model: fields.get('Model') ?? 'unknown', uuid, minor };
}

/** "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..." -> "580.65.06" */
export function parseDriverVersion(text: string): string {
  const m = /Kernel Module\s+(?:for \S+\s+)?(\d+\.\d+(?:\.\d+)?)/.exec(text);
  if (!m) throw new ActionError(`/proc/driver/nvidia/version: no kernel module version in ${JSON.stringify(text.split('\n')[0])}`);
  return m[1] as string;
}

export interface GenerateOptions {
  driverRoot: string;
  /** The ocihook-gpu whose nvidia-cdi-hook subcommands the spec's createContainer hooks call. */
  gpuHook: string;
}

/** The spec-level hooks, in the order nvidia-ctk writes them, calling ocihook-gpu's nvidia-cdi-hook subcommands. */
function driverHooks(gpuHook: string, version: string, libraries: string[]): object[] {
  const hook = (...args: string[]) => ({ hookName: 'createContainer', path: gpuHook, args: ['ocihook-gpu', ...args] });
  const libcuda = libraries.find((l) => path.basename(l).startsWith('libcuda.so.'));
  const folders = [...new Set(libraries.map((l) => path.dirname(l)))];
  return [
    ...(libcuda ? [hook('create-symlinks', '--link', `libcuda.so.1::${path.dirname(libcuda)}/libcuda.so`)] : []),
    hook('enable-cuda-compat', `--host-driver-version=${version}`),
    hook('update-ldcache', ...folders.flatMap((f) => ['--folder', f])),
    hook('disable-device-node-modification'),
  ];
}

function under(root: string, p: string): string {
  return path.join(root, p);
}

function charDevice(file: string): { major: number; minor: number } | undefined {
  try {
    const st = fs.statSync(file, { bigint: true });
    return st.isCharacterDevice() ? splitDev(st.rdev) : undefined;
  } catch {
    return undefined;
  }
}

/** Host paths (as the host sees them, without the driver root) of the driver libraries of `version`. */
export function findDriverLibraries(root: string, version: string): string[] {
  const found = new Map<string, string>();
  const consider = (hostPath: string) => {
    const base = path.basename(hostPath);
    const lib = DRIVER_LIBRARIES.find((l) => base.startsWith(`${l}.`));
    if (!lib || found.has(lib)) return;
    let real: string;
    try {
      real = fs.realpathSync(under(root, hostPath));
    } catch {
      return;
    }
    // Only the libraries of the running kernel module: a leftover of another driver breaks CUDA.
    if (!path.basename(real).endsWith(`.so.${version}`)) return;
    found.set(lib, path.join(path.dirname(hostPath), path.basename(real)));
  };
  try {
    for (const e of parseLdCache(fs.readFileSync(under(root, '/etc/ld.so.cache'))).entries) consider(e.path);
  } catch {
    // no cache, or unreadable: the folders below still count
  }
  for (const dir of LIBRARY_DIRS) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(under(root, dir)).sort();
    } catch {
      continue;
    }
    for (const n of names) consider(path.join(dir, n));
  }
  return [...found.values()].sort();
}

export function generateNvidiaSpec(o: GenerateOptions): CdiSpec & { doc: Record<string, unknown> } {
  const root = o.driverRoot;
  let version: string;
  try {
    version = parseDriverVersion(fs.readFileSync(under(root, '/proc/driver/nvidia/version'), 'utf8'));
  } catch (e) {
    if (e instanceof ActionError) throw e;
    throw new ActionError(`${under(root, '/proc/driver/nvidia/version')}: no NVIDIA kernel module loaded here`);
  }
  const gpusDir = under(root, '/proc/driver/nvidia/gpus');
  const gpus = fs
    .readdirSync(gpusDir)
    .sort()
    .map((bus) => parseGpuInformation(fs.readFileSync(path.join(gpusDir, bus, 'information'), 'utf8'), bus));
  if (gpus.length === 0) throw new ActionError(`${gpusDir}: no GPU`);
  const node = (name: string) => {
    const dev = charDevice(under(root, `/dev/${name}`));
    return dev ? { path: `/dev/${name}`, hostPath: `/dev/${name}`, type: 'c', major: dev.major, minor: dev.minor } : undefined;
  };
  const gpuNodes = gpus.map((g) => {
    const n = node(`nvidia${g.minor}`);
    if (!n) throw new ActionError(`${under(root, `/dev/nvidia${g.minor}`)}: missing for GPU ${g.uuid} (device minor ${g.minor})`);
    return n;
  });
  let caps: string[] = [];
  try {
    caps = fs.readdirSync(under(root, '/dev/nvidia-caps')).sort().map((c) => `nvidia-caps/${c}`);
  } catch {
    // no MIG capabilities
  }
  const controlNodes = ['nvidiactl', 'nvidia-uvm', 'nvidia-uvm-tools', 'nvidia-modeset', ...caps].map(node).filter((n) => n !== undefined);
  const libraries = findDriverLibraries(root, version);
  if (!libraries.some((l) => path.basename(l).startsWith('libcuda.so.'))) throw new ActionError(`no libcuda.so.${version} under ${root} (linker cache or ${LIBRARY_DIRS.join(', ')})`);
  const utilities = DRIVER_UTILITIES.map((u) => BIN_DIRS.map((d) => path.join(d, u)).find((p) => fs.existsSync(under(root, p)))).filter((p): p is string => p !== undefined);
  const ro = ['ro', 'nosuid', 'nodev', 'bind'];
  const doc = {
    cdiVersion: '0.6.0',
    kind: 'nvidia.com/gpu',
    annotations: { 'ocihooks/driver-version': version },
    devices: [
      ...gpus.map((_g, i) => ({ name: String(i), containerEdits: { deviceNodes: [gpuNodes[i]] } })),
      ...gpus.map((g, i) => ({ name: g.uuid, containerEdits: { deviceNodes: [gpuNodes[i]] } })),
      { name: 'all', containerEdits: { deviceNodes: gpuNodes } },
    ],
    containerEdits: {
      env: ['NVIDIA_VISIBLE_DEVICES=void'],
      deviceNodes: controlNodes,
      mounts: [...libraries, ...utilities].map((p) => ({ hostPath: p, containerPath: p, options: ro })),
      hooks: driverHooks(o.gpuHook, version, libraries),
    },
  };
  return { ...validateCdiSpec(doc, 'generated spec'), doc };
}
