/**
 * Where the container's linker cache goes (`--linker-cache`), chosen per container:
 *  - `mount`: a cache of the container's own, bound read-only over /etc/ld.so.cache; the root's
 *    files are never written. An `ldconfig` run inside the container (Debian's libc-bin trigger
 *    after `apt install`) then fails: it cannot rename its new cache over a mount point.
 *  - `root`: the cache written into the container's root file system, with a drop-in naming the
 *    injected folders in /etc/ld.so.conf.d, as NVIDIA's update-ldcache and Sarus write theirs: an
 *    `ldconfig` inside the container works and keeps the injected folders.
 *  - `auto` (the default): `root` where the root file system is the container's alone -- an
 *    overlay mounted at the rootfs itself, the per-container layer podman, Docker, containerd,
 *    CRI-O and Sarus make -- and `mount` everywhere else: a bundle's folder on a disk or a shared
 *    file system (Slurm's steps and nodes share one), a folder inside the host's own overlay root
 *    (a diskless node), FUSE other than fuse-overlayfs, a read-only mount.
 * A root that config.json asks to be read-only (`root.readonly`) always gets `mount`: crun makes it
 * read-only before the hooks, runc after them, and neither should find the cache written there.
 */
export const LINKER_CACHE_PLACES = ['auto', 'root', 'mount'] as const;
export type LinkerCachePlace = (typeof LINKER_CACHE_PLACES)[number];

/** The hooks' `--linker-cache` option. */
export const LINKER_CACHE_OPTION = {
  type: 'string',
  choices: LINKER_CACHE_PLACES,
  default: 'auto',
  describe:
    "where the refreshed linker cache goes: root (written into the container's root, as NVIDIA's and Sarus's hooks do), mount (bound read-only over /etc/ld.so.cache), auto (root on an overlay of the container's own, else mount)",
} as const;

/** What the plan asks for: the admin's choice, except that a read-only root is never written. */
export function plannedCachePlace(chosen: LinkerCachePlace, rootReadonly: boolean | undefined): LinkerCachePlace {
  return rootReadonly ? 'mount' : chosen;
}

/** The mount the container's root lies on, as the mount table shows it. */
export interface RootMount {
  fsType: string;
  /** The folder of its file system mounted there ("/" for the whole file system). */
  root: string;
  /** Its mount options (rw or ro first). */
  options: string;
}

export interface CachePlace {
  place: 'root' | 'mount';
  /** Why, in words, for the log. */
  why: string;
}

/**
 * The overlays an engine mounts at a container's rootfs: the kernel's, and fuse-overlayfs (podman's
 * `mount_program`, where the kernel's cannot serve: rootless on kernels before 5.13, homes on NFS).
 */
const OVERLAY_TYPES = ['overlay', 'fuse.fuse-overlayfs'];

/** The place for this container: `planned` as is, or for `auto`, judged from the root's mount. */
export function cachePlace(planned: LinkerCachePlace, rootMount: RootMount | undefined): CachePlace {
  if (planned === 'root') return { place: 'root', why: '--linker-cache=root' };
  if (planned === 'mount') return { place: 'mount', why: '--linker-cache=mount or a read-only root in config.json' };
  if (!rootMount) return { place: 'mount', why: "the root's mount is not in the mount table" };
  if (!OVERLAY_TYPES.includes(rootMount.fsType))
    return { place: 'mount', why: `the root is on ${rootMount.fsType}, not an overlay of the container's own` };
  if (rootMount.root !== '/')
    return { place: 'mount', why: `the root is the folder ${rootMount.root} of an overlay, not an overlay of its own` };
  if (rootMount.options.split(',').includes('ro')) return { place: 'mount', why: 'the root is mounted read-only' };
  return { place: 'root', why: "the root is an overlay of the container's own" };
}
