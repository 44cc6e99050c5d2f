/**
 * The configuration the linker-cache step hands the host ldconfig (`-f`, in its scratch folder):
 * text made from folder lists, no file system. ldconfig reads a folder once, at its first mention
 * (it compares inodes), and among libraries of the same SONAME the cache prefers the folder read
 * first -- so the order is the precedence:
 *  1. the image's `/etc/ld.so.conf.d/00-*.conf` drop-ins (NVIDIA's enable-cuda-compat writes
 *     00-compat-*.conf, whose libcuda must win);
 *  2. the folders an earlier hook of this start gave, then this action's (an injected host library
 *     wins over the image's copy);
 *  3. the image's `/etc/ld.so.conf`;
 *  4. the image's system folders: the host's ldconfig adds only its own build's defaults after the
 *     configuration, not the image's (a Debian host's never reads a Rocky image's /usr/lib64).
 * An injected folder that is one of the image's system folders stays in 4, where the image's own
 * ldconfig reads it, as NVIDIA's update-ldcache leaves such a folder out of its 00-nvcr-*.conf.
 */

export interface ConfFolders {
  /** Folders an earlier hook of this start put into the cache it bound (read back from that cache). */
  earlier: string[];
  /** This action's folders that exist in the container. */
  injected: string[];
  /** The image's system folders (the set that applies to this image). */
  system: string[];
}

/** A glibc-hwcaps subfolder's parent: ldconfig finds the subfolder from there, with its hwcap. */
function hwcapsParent(folder: string): string {
  const at = folder.indexOf('/glibc-hwcaps/');
  return at > 0 ? folder.slice(0, at) : folder;
}

/**
 * The folders listed before the image's configuration (2), once each. An earlier cache names a
 * glibc-hwcaps subfolder's libraries by their own folder: listed as a folder of its own, ldconfig
 * would record them without their hwcap, for every CPU. The parent is listed instead.
 */
export function injectedFolders({ earlier, injected, system }: ConfFolders): string[] {
  const last = new Set(system);
  return [...new Set([...earlier.map(hwcapsParent), ...injected])].filter((f) => !last.has(f));
}

export function ldconfigConf(folders: ConfFolders): string {
  return [
    "# ocihooks: the image's 00-* drop-ins, the injected folders, the image's configuration, its system folders",
    'include /etc/ld.so.conf.d/00-*.conf',
    ...injectedFolders(folders),
    'include /etc/ld.so.conf',
    ...folders.system,
    '',
  ].join('\n');
}
