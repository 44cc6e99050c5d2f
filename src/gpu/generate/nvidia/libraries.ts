/**
 * The driver's user-space libraries, as nvidia-ctk finds them (pkg/nvcdi driver-nvml.go, internal
 * lookup/root): the folders holding lib*.so.<version> of the loaded kernel module (the library
 * folders a distribution or NVIDIA's installer uses, --library-search-path first; the host's
 * linker cache when none holds one), then every *.so.<version> in them and in their vdpau/ —
 * compute, utility, graphics, video, display alike — plus libnvidia-nvvm70 and the EGL platform
 * libraries, which carry versions of their own. A library of another driver version is never
 * taken: a leftover of an older driver breaks CUDA in the container.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ActionError } from '../../../core/errors';
import { parseLdCache } from '../../../linux/ldconfig/cache';
import type { Host } from '../driver-host';

export const LIBRARY_FOLDERS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu/nvidia/current',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu/nvidia/current',
  '/usr/lib64',
  '/usr/local/nvidia/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu/nvidia/current',
  '/lib/aarch64-linux-gnu',
  '/lib/aarch64-linux-gnu/nvidia/current',
  '/lib64',
];

/** Libraries with versions of their own that the driver ships (EGL platform libraries, the NVVM of CUDA 11). */
const OWN_VERSION = [/^libnvidia-nvvm70\.so\.\d+$/, /^libnvidia-egl-(gbm|wayland|wayland2|xcb|xlib)\.so\.\d+\.\d+/];

export interface DriverLibraries {
  /** Host paths without the driver root, in folder then name order. */
  files: string[];
  /** Folders of those files (the linker cache's --folder list), in the same order. */
  folders: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function isFile(p: string): boolean {
  try {
    return fs.lstatSync(p).isFile();
  } catch {
    return false;
  }
}

/** Folders (without the root) that hold a library of `version`, each once even when reached by two names. */
function driverFolders(host: Host, version: string, searchPaths: readonly string[]): string[] {
  const ofVersion = new RegExp(`^lib.*\\.so\\.${escape(version)}$`);
  const seen = new Set<string>();
  const folders: string[] = [];
  const add = (dir: string) => {
    let id: string;
    try {
      const st = fs.statSync(host.driver(dir));
      id = `${st.dev}:${st.ino}`;
    } catch {
      return;
    }
    if (!seen.has(id)) folders.push(dir);
    seen.add(id);
  };
  for (const dir of [...searchPaths, ...LIBRARY_FOLDERS])
    if (host.list(host.driver(dir)).some((n) => ofVersion.test(n))) add(dir);
  if (folders.length) return folders;
  const cacheFile = host.driver('/etc/ld.so.cache');
  let cache: Buffer | undefined;
  try {
    cache = fs.readFileSync(cacheFile);
  } catch {
    host.note(`no linker cache at ${cacheFile}`);
  }
  for (const e of cache ? parseLdCache(cache).entries : []) {
    let real: string;
    try {
      real = fs.realpathSync(host.driver(e.path));
    } catch {
      continue;
    }
    if (ofVersion.test(path.basename(real))) add(path.dirname(e.path));
  }
  return folders;
}

export function findDriverLibraries(host: Host, version: string, searchPaths: readonly string[]): DriverLibraries {
  const ofVersion = new RegExp(`\\.so\\.${escape(version)}$`);
  const files: string[] = [];
  const folders: string[] = [];
  for (const dir of driverFolders(host, version, searchPaths)) {
    for (const d of [dir, `${dir}/vdpau`]) {
      const found = host
        .list(host.driver(d))
        .filter((n) => (ofVersion.test(n) || OWN_VERSION.some((r) => r.test(n))) && isFile(host.driver(`${d}/${n}`)));
      if (found.length && !folders.includes(d)) folders.push(d);
      files.push(...found.map((n) => `${d}/${n}`));
    }
  }
  if (!files.some((f) => path.basename(f) === `libcuda.so.${version}`)) {
    const others = [
      ...new Set(
        [...searchPaths, ...LIBRARY_FOLDERS].flatMap((d) =>
          host.list(host.driver(d)).filter((n) => /^libcuda\.so\.\d+\.\d+/.test(n)),
        ),
      ),
    ];
    const where = `under ${host.roots.driver} (${[...searchPaths, ...LIBRARY_FOLDERS].join(', ')}, then the linker cache)`;
    throw new ActionError(
      `no libcuda.so.${version} ${where}${others.length ? `; found ${others.join(', ')}: the libraries of another driver than the loaded kernel module ${version} (reboot, or reinstall the driver)` : ''}`,
    );
  }
  return { files, folders };
}
