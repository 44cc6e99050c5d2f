/**
 * Images laid out as other distributions lay out their libraries, made from this host's glibc, for
 * the linker-cache tests: where an image keeps libc decides whether the host's ldconfig finds it.
 *  - Rocky-like (RHEL, Alma, Fedora): usr-merged, `/lib -> usr/lib`, `/lib64 -> usr/lib64`, glibc
 *    and zlib in /usr/lib64, `/etc/ld.so.conf` as Rocky ships it, no /etc/debian_version;
 *  - Debian-like: makeGlibcRootfs (libc in /lib/x86_64-linux-gnu, its multiarch drop-in) with
 *    /etc/debian_version;
 *  - musl (Alpine): a busybox rootfs with /lib/ld-musl-x86_64.so.1 and no linker cache.
 * Every library is a real one of this host, copied under its SONAME.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBusyboxRootfs, makeGlibcRootfs, ok, requireTool } from './e2e';

const HOST_LIBS = '/lib/x86_64-linux-gnu';
/** glibc and friends, as Rocky's glibc and zlib packages put them in /usr/lib64. */
export const ROCKY_LIBS = [
  'ld-linux-x86-64.so.2',
  'libc.so.6',
  'libdl.so.2',
  'libm.so.6',
  'libpthread.so.0',
  'libresolv.so.2',
  'librt.so.1',
  'libz.so.1',
];

function hostLdconfig(): string {
  const found = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p));
  if (!found)
    throw new Error('no ldconfig on this host (/sbin/ldconfig, /usr/sbin/ldconfig): apt-get install libc-bin');
  return found;
}

function copyLib(name: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  fs.copyFileSync(fs.realpathSync(path.join(HOST_LIBS, name)), path.join(to, name));
}

export function makeRockyLikeRootfs(dir: string): string {
  makeBusyboxRootfs(dir);
  // usr-merge: the programs in /usr/bin, the top-level folders links into /usr.
  fs.mkdirSync(path.join(dir, 'usr'));
  fs.renameSync(path.join(dir, 'bin'), path.join(dir, 'usr/bin'));
  for (const d of ['usr/lib', 'usr/lib64', 'usr/sbin', 'etc/ld.so.conf.d'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ])
    fs.symlinkSync(target, path.join(dir, link));
  for (const lib of ROCKY_LIBS) copyLib(lib, path.join(dir, 'usr/lib64'));
  fs.writeFileSync(path.join(dir, 'etc/ld.so.conf'), 'include ld.so.conf.d/*.conf\n');
  fs.writeFileSync(path.join(dir, 'etc/redhat-release'), 'Rocky Linux release 9.4 (Blue Onyx)\n');
  fs.writeFileSync(path.join(dir, 'etc/os-release'), 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n');
  // The image's own cache, as Rocky's ldconfig builds it (its defaults are /lib64 and /usr/lib64):
  // this host's ldconfig is told them through a configuration that is removed afterwards.
  fs.writeFileSync(path.join(dir, 'etc/build-ld.so.conf'), '/lib64\n/usr/lib64\ninclude /etc/ld.so.conf\n');
  ok(hostLdconfig(), ['-r', dir, '-f', '/etc/build-ld.so.conf']);
  fs.rmSync(path.join(dir, 'etc/build-ld.so.conf'));
  return dir;
}

/**
 * makeGlibcRootfs with /etc/debian_version and /usr/lib/x86_64-linux-gnu, and a library in
 * /usr/lib64 that no Debian ldconfig reads.
 */
export function makeDebianLikeRootfs(dir: string): string {
  const rootfs = makeGlibcRootfs(dir);
  fs.writeFileSync(path.join(rootfs, 'etc/debian_version'), '12.11\n');
  fs.mkdirSync(path.join(rootfs, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
  copyLib('libz.so.1', path.join(rootfs, 'usr/lib64'));
  return rootfs;
}

export function makeMuslLikeRootfs(dir: string): string {
  const rootfs = makeBusyboxRootfs(dir);
  for (const d of ['lib', 'usr/lib']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'lib/ld-musl-x86_64.so.1'), '');
  fs.writeFileSync(path.join(rootfs, 'etc/alpine-release'), '3.20.0\n');
  return rootfs;
}

/**
 * A test library (SONAME libocihookstest.so.1, answering 42) and a program linked against it,
 * built here with gcc; the program's loader is /lib64/ld-linux-x86-64.so.2.
 */
export function buildAnswerProgram(dir: string): { libDir: string; program: string } {
  const cc = requireTool('gcc');
  const libDir = path.join(dir, 'lib');
  fs.mkdirSync(libDir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib.c'), 'int ocihooks_answer(void) { return 42; }\n');
  fs.writeFileSync(
    path.join(dir, 'main.c'),
    '#include <stdio.h>\nint ocihooks_answer(void);\nint main(void) { printf("answer %d\\n", ocihooks_answer()); return 0; }\n',
  );
  const lib = path.join(libDir, 'libocihookstest.so.1');
  ok(cc, ['-shared', '-fPIC', '-Wl,-soname,libocihookstest.so.1', '-o', lib, path.join(dir, 'lib.c')]);
  const program = path.join(dir, 'answer');
  ok(cc, ['-o', program, path.join(dir, 'main.c'), lib]);
  return { libDir, program };
}

/** Every path under the rootfs with what it is: a file's mode and bytes, a link's target, a folder's mode. */
export function snapshotTree(rootfs: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = path.join(rootfs, rel);
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out.set(rel, `link ${fs.readlinkSync(abs)}`);
    else if (st.isFile()) out.set(rel, `file ${st.mode.toString(8)} ${fs.readFileSync(abs).toString('base64')}`);
    else if (st.isDirectory()) {
      out.set(rel, `dir ${st.mode.toString(8)}`);
      for (const e of fs.readdirSync(abs)) walk(path.join(rel, e));
    } else out.set(rel, `other ${st.mode.toString(8)}`);
  };
  walk('.');
  return out;
}
