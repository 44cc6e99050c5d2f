/**
 * An image's system library folders: the ones its own glibc ldconfig searches without being told.
 * The hook runs the host's ldconfig, which searches the host build's folders instead -- a Debian or
 * Ubuntu host's /lib/<multiarch>, /usr/lib/<multiarch>, /lib and /usr/lib -- so on a Rocky, RHEL,
 * Alma, Fedora or busybox image the cache would miss /usr/lib64, libc with it. The linker-cache step
 * lists the image's folders itself, after the image's own configuration, as NVIDIA's
 * `nvidia-cdi-hook update-ldcache` (1.20) does: which set is planned (the host's architecture,
 * pure data), which applies is read from the image (`/etc/debian_version`).
 */
import fs = require('node:fs');
import { openInRootfs } from '../mount/rootfs';

export interface ImageSystemFolders {
  /** Images with /etc/debian_version (Debian, Ubuntu): their multiarch folders, then /lib and /usr/lib. */
  debianLike: string[];
  /** Every other image: what glibc's ldconfig derives from /lib and /usr/lib on this architecture. */
  other: string[];
}

/** Debian's multiarch tuple per Node architecture: the two NVIDIA's hook knows. */
const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** 64-bit architectures: glibc's ldconfig adds <dir>64 beside each system <dir>/lib there. */
const LIB64 = new Set(['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64']);

/**
 * The folders for images built for `arch` (process.arch: the hook's host, whose ldconfig builds the
 * cache). x64 and arm64 are NVIDIA's lists exactly; other 64-bit architectures get /lib64 and
 * /usr/lib64 too (glibc's ldconfig adds them there; NVIDIA adds only /lib and /usr/lib). A folder
 * the image lacks costs ldconfig one failed stat and no message.
 */
export function imageSystemFolders(arch: string = process.arch): ImageSystemFolders {
  const tuple = MULTIARCH[arch];
  return {
    debianLike: [...(tuple ? [`/lib/${tuple}`, `/usr/lib/${tuple}`] : []), '/lib', '/usr/lib'],
    other: [
      '/lib',
      '/usr/lib',
      ...(LIB64.has(arch) ? ['/lib64', '/usr/lib64'] : []),
      ...(arch === 'x64' ? ['/libx32', '/usr/libx32'] : []),
    ],
  };
}

/** NVIDIA's test: the image has /etc/debian_version (resolved in the rootfs) and it is not a folder. */
export function isDebianLike(rootFd: number): boolean {
  const fd = openInRootfs(rootFd, '/etc/debian_version');
  if (fd === undefined) return false;
  try {
    return !fs.fstatSync(fd).isDirectory();
  } finally {
    fs.closeSync(fd);
  }
}
