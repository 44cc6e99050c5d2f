/**
 * enable-cuda-compat --host-driver-version V [--host-cuda-version C] [--cuda-compat-container-root D]:
 * when the image's CUDA forward-compatibility libcuda (the one regular file libcuda.so.*.* in D)
 * is newer than what the host driver gives, its folder goes first in the linker's search path
 * (a drop-in /etc/ld.so.conf.d/00-compat-<uuid>.conf; update-ldcache, later in the spec, rebuilds
 * the cache). NVIDIA's decision, with the library's ELF note:
 *   the host driver's major is among the note's drivers and the compat version is newer than the
 *   host driver's (or, without a driver version, the note's CUDA version is newer than the host's);
 * without the note: no --host-cuda-version, and the host driver's major is below the compat's.
 * D is resolved inside the rootfs; a D that is a relative symlink climbing out of it is refused.
 */
import { randomUuid } from '../../../linux/random';
import fs = require('node:fs');
import { ActionError } from '../../../core/errors';
import { newPlan } from '../../../core/plan';
import { native } from '../../../linux/native';
import { openInRootfs, pathComponents } from '../../../linux/mount/rootfs';
import { readCudaCompatNote } from '../elf-note';
import { CONTAINER_SPEC, NvidiaHook } from '../hook';
import { Version, newer, parseVersion } from '../version';

export const DEFAULT_COMPAT_ROOT = '/usr/local/cuda/compat';

export interface CompatInputs {
  hostDriver?: Version;
  hostCuda?: Version;
  /** --host-cuda-version was given (even unparsable). */
  hostCudaGiven: boolean;
  compat?: Version;
  note?: { cudaVersion?: string; drivers: number[] };
}

/** NVIDIA's decision: whether the compat libraries are to be used. */
export function useCompat(i: CompatInputs): boolean {
  if (i.note) {
    if (!i.compat || !i.hostDriver) {
      const noteCuda = i.note.cudaVersion ? parseVersion(i.note.cudaVersion) : undefined;
      return !!i.hostCuda && !!noteCuda && newer(noteCuda, i.hostCuda);
    }
    return i.note.drivers.includes(i.hostDriver.major) && newer(i.compat, i.hostDriver);
  }
  if (i.hostCudaGiven || !i.hostDriver || !i.compat) return false;
  return i.hostDriver.major < i.compat.major;
}

/** Whether a relative symlink text, read in folder `parts`, climbs above the root ("../../.."). */
export function climbsOutOfRoot(parts: string[], target: string): boolean {
  if (target.startsWith('/')) return false; // an absolute target is re-rooted: it stays inside
  let depth = parts.length;
  for (const c of target.split('/')) {
    if (c === '..') {
      if (--depth < 0) return true;
    } else if (c !== '' && c !== '.') depth++;
  }
  return false;
}

/** Refuses a compat folder that is a relative symlink climbing above the container's root. */
function checkNotEscaping(rootFd: number, dir: string): void {
  const parts = pathComponents(dir);
  const name = parts.pop();
  if (!name) return;
  const parent = openInRootfs(rootFd, '/' + parts.join('/'));
  if (parent === undefined) return;
  let target: string | undefined;
  try {
    target = native().readlinkat(parent, name);
  } catch {
    // not a symlink, or missing: nothing to check
  } finally {
    fs.closeSync(parent);
  }
  if (target !== undefined && climbsOutOfRoot(parts, target))
    throw new ActionError(`${dir}: a symlink out of the container's rootfs (${target}); refusing to read it`);
}

/** The in-root path an fd resolved to (both readlinks are seen from this process). */
function pathInRoot(rootFd: number, fd: number): string {
  const root = native().readlinkat(-100, `/proc/self/fd/${rootFd}`);
  const at = native().readlinkat(-100, `/proc/self/fd/${fd}`);
  return root === '/' ? at : at.startsWith(`${root}/`) ? at.slice(root.length) : at === root ? '/' : at;
}

/** The compat library of the image: the folder's in-root path, its version and its note; or why not. */
export function findCompatLibrary(
  rootFd: number,
  dir: string,
): { dir: string; version?: Version; note?: CompatInputs['note'] } | { none: string } {
  checkNotEscaping(rootFd, dir);
  const c = native().constants;
  const dirFd = openInRootfs(rootFd, dir, c.O_PATH | c.O_DIRECTORY);
  if (dirFd === undefined) return { none: `no ${dir} in the container` };
  try {
    const listing = `/proc/self/fd/${dirFd}`;
    const libs = fs
      .readdirSync(listing, { withFileTypes: true })
      .filter((e) => e.isFile() && /^libcuda\.so\.[^/]*\.[^/]*$/.test(e.name))
      .map((e) => e.name)
      .sort();
    if (libs.length !== 1)
      return {
        none: libs.length
          ? `more than one CUDA compat library in ${dir}: ${libs.join(', ')}`
          : `no libcuda.so.*.* in ${dir}`,
      };
    const lib = libs[0] as string;
    const fd = native().openat(dirFd, lib, c.O_RDONLY | c.O_NOFOLLOW | c.O_CLOEXEC, 0);
    try {
      const note = readCudaCompatNote(fd);
      const version = parseVersion(lib.slice('libcuda.so.'.length));
      return { dir: pathInRoot(rootFd, dirFd), ...(version ? { version } : {}), ...(note ? { note } : {}) };
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.closeSync(dirFd);
  }
}

export const enableCudaCompat: NvidiaHook = {
  name: 'enable-cuda-compat',
  describe: "put the image's CUDA forward-compatibility libraries first when the host driver is older",
  options: {
    'host-driver-version': { type: 'string', describe: "the host driver's version, e.g. 570.211.01" },
    'host-cuda-version': { type: 'string', describe: 'the CUDA version the host driver supports, e.g. 12.8' },
    'cuda-compat-container-root': {
      type: 'string',
      default: DEFAULT_COMPAT_ROOT,
      describe: 'where the image keeps its compat libcuda',
    },
    ...CONTAINER_SPEC,
  },
  check(args) {
    return args['host-driver-version'] || args['host-cuda-version']
      ? undefined
      : 'no --host-driver-version or --host-cuda-version';
  },
  plan(p, args) {
    const found = p.withRoot((rootFd) => findCompatLibrary(rootFd, args['cuda-compat-container-root'] as string));
    const hostCudaText = (args['host-cuda-version'] as string | undefined) ?? '';
    const inputs: CompatInputs = {
      hostDriver: parseVersion((args['host-driver-version'] as string | undefined) ?? ''),
      hostCuda: parseVersion(hostCudaText),
      hostCudaGiven: hostCudaText !== '',
      ...('none' in found ? {} : { compat: found.version, note: found.note }),
    };
    if ('none' in found || !useCompat(inputs)) return newPlan('gpu enable-cuda-compat', p, []);
    return newPlan('gpu enable-cuda-compat', p, [
      {
        action: 'write-file',
        path: `/etc/ld.so.conf.d/00-compat-${randomUuid()}.conf`,
        content: `${found.dir}\n`,
        mode: 0o644,
        exclusive: true,
      },
    ]);
  },
};
