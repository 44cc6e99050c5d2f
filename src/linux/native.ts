/**
 * Typed access to the N-API addon (native/ocihooks.c). It is loaded lazily, from beside the
 * bundle (dist/native/ocihooks.node) or from the node-gyp build folder during tests, so that
 * a --help or a --dry-run never pays for it and planning stays testable without root.
 */
import * as path from 'node:path';

export interface NativeConstants {
  [name: string]: number;
}

export interface Native {
  constants: NativeConstants;
  enterMountNamespace(ns: string | number): void;
  /** With noThrow, returns -errno on failure instead of throwing. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number, noThrow?: boolean): number;
  openat(dirfd: number, path: string, flags: number, mode: number): number;
  mkdirat(dirfd: number, name: string, mode: number): void;
  mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): void;
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void;
  fchmodat(dirfd: number, name: string, mode: number): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  openTree(dirfd: number, path: string, flags: number): number;
  mountSetattr(dirfd: number, path: string, flags: number, attrSet: number, attrClr: number, propagation: number, label?: string): void;
  moveMount(fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number, label?: string): void;
  fsopen(fsname: string, flags: number): number;
  fsconfig(fd: number, cmd: number, key: string | null, value: string | null): void;
  fsmount(fd: number, flags: number, attrFlags: number): number;
  bpfProgQuery(targetFd: number, attachType: number, label?: string): { attachFlags: number; ids: number[] };
  bpfProgGetFdById(id: number): number;
  bpfProgInfo(progFd: number): { type: number; id: number; insns: Buffer };
  bpfProgLoad(progType: number, insns: Buffer, license: string): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number, replaceFd: number): void;
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  readlinkat(dirfd: number, path: string): string;
  /** Forked single-threaded helper for user-namespaced containers; one result line per op. */
  mountInUserNamespace(pid: number, ops: { source: string; destination: string; directory: boolean; readonly: boolean }[]): string[];
  /** Replaces this process; returns only by throwing. */
  execve(path: string, argv: string[], envp: string[]): never;
}

let loaded: Native | undefined;

/** Where the addon may be: beside a bundle in dist/bin, or the node-gyp output in the tree. */
function candidates(): string[] {
  const here = __dirname;
  return [
    path.join(here, '..', 'native', 'ocihooks.node'),
    path.join(here, '..', 'native', 'build', 'Release', 'ocihooks.node'),
    path.join(here, '..', '..', 'native', 'build', 'Release', 'ocihooks.node'),
  ];
}

export function native(): Native {
  if (loaded) return loaded;
  const errors: string[] = [];
  for (const file of candidates()) {
    try {
      // A computed require keeps esbuild from trying to bundle the binary.
      loaded = (module.require as (id: string) => Native)(file);
      return loaded;
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`cannot load the ocihooks native addon (run npm run build): ${errors.join('; ')}`);
}
