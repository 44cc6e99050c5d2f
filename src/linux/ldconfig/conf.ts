/**
 * The image's linker configuration, read through the rootfs fd (resolved in root): whether it is a
 * glibc image at all, and which folders exist in it. Nothing here writes into the image.
 */
import fs = require('node:fs');
import { existsInRootfs, openInRootfs } from '../mount/rootfs';

const MUSL_LOADERS = ['x86_64', 'aarch64', 'armhf', 'i386', 'ppc64le', 's390x', 'riscv64'].map(
  (a) => `ld-musl-${a}.so.1`,
);
const GLIBC_LOADERS = [
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'ld-linux-armhf.so.3',
  'ld-linux.so.2',
  'ld64.so.2',
  'ld64.so.1',
  'ld-linux-riscv64-lp64d.so.1',
];
const LIB_DIRS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64'];
const MULTIARCH_DIRS = [
  ...LIB_DIRS,
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
];

/** Why an image has no glibc linker cache to refresh, or undefined if it has one. Looks only for known loader names. */
export function noGlibcReason(rootFd: number): string | undefined {
  for (const dir of LIB_DIRS) {
    const musl = MUSL_LOADERS.find((f) => existsInRootfs(rootFd, `${dir}/${f}`));
    if (musl) return `the image uses musl (${dir}/${musl}); it has no glibc linker cache`;
  }
  if (existsInRootfs(rootFd, '/etc/ld.so.conf')) return undefined;
  if (MULTIARCH_DIRS.some((dir) => GLIBC_LOADERS.some((f) => existsInRootfs(rootFd, `${dir}/${f}`)))) return undefined;
  return 'the image has no /etc/ld.so.conf and no ld-linux loader: not a glibc image';
}

/** Keeps the folders that exist as directories in the container; reports the others. */
export function existingFolders(rootFd: number, folders: string[]): { present: string[]; missing: string[] } {
  const present: string[] = [];
  const missing: string[] = [];
  for (const folder of folders) {
    const fd = openInRootfs(rootFd, folder);
    if (fd !== undefined && fs.fstatSync(fd).isDirectory()) present.push(folder);
    else missing.push(folder);
    if (fd !== undefined) fs.closeSync(fd);
  }
  return { present, missing };
}
