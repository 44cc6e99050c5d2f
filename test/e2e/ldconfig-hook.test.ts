/**
 * The ldconfig hook end to end under podman+runc: a glibc rootfs (the host's loader and libc copied in)
 * and a program built here with cc against a test library. The mount hook puts the library at
 * /opt/ocihooks-test/lib; with the ldconfig hook (--folder that dir) the program runs without
 * LD_LIBRARY_PATH; without it, the same program fails to load. The image's own cache and
 * configuration stay as they were: the container's cache is a mount of its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  RUNC,
  makeBundle,
  makeBusyboxRootfs,
  makeGlibcRootfs,
  logRecords,
  ok,
  podmanArgs,
  requireTool,
  run,
  stateFile,
  tmpDir,
  withRunningRunc,
  writeHooksD,
} from '../support/e2e';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
const ANNOTATION = { 'com.hooks.test.ldconfig': 'true' };
const WHEN = { annotations: { '^com\\.hooks\\.test\\.ldconfig$': '^true$' } };

function buildProgram(dir: string): { libDir: string; program: string } {
  const cc = requireTool('gcc');
  const libDir = path.join(dir, 'lib');
  fs.mkdirSync(libDir);
  fs.writeFileSync(path.join(dir, 'lib.c'), 'int ocihooks_answer(void) { return 42; }\n');
  fs.writeFileSync(
    path.join(dir, 'main.c'),
    '#include <stdio.h>\nint ocihooks_answer(void);\nint main(void) { printf("answer %d\\n", ocihooks_answer()); return 0; }\n',
  );
  ok(cc, [
    '-shared',
    '-fPIC',
    '-Wl,-soname,libocihookstest.so.1',
    '-o',
    path.join(libDir, 'libocihookstest.so.1'),
    path.join(dir, 'lib.c'),
  ]);
  fs.symlinkSync('libocihookstest.so.1', path.join(libDir, 'libocihookstest.so'));
  const program = path.join(dir, 'answer');
  ok(cc, ['-o', program, path.join(dir, 'main.c'), `-L${libDir}`, '-locihookstest']);
  return { libDir, program };
}

function setup(name: string, withLdconfig: boolean, ldconfigArgs: string[] = []) {
  const dir = tmpDir(name);
  const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
  const { libDir, program } = buildProgram(dir);
  fs.copyFileSync(program, path.join(rootfs, 'bin', 'answer'));
  fs.chmodSync(path.join(rootfs, 'bin', 'answer'), 0o755);
  const hooksDir = path.join(dir, 'hooks.d');
  const log = path.join(dir, 'hooks.log');
  writeHooksD(hooksDir, '01-mount.json', {
    version: '1.0.0',
    hook: {
      path: process.execPath,
      args: [
        'node',
        BIN('ocihook-mount'),
        `--log-file=${log}`,
        `--mount=type=bind,src=${libDir},dst=/opt/ocihooks-test/lib,readonly`,
      ],
    },
    when: WHEN,
    stages: ['createContainer'],
  });
  if (withLdconfig) {
    writeHooksD(hooksDir, '02-ldconfig.json', {
      version: '1.0.0',
      hook: {
        path: process.execPath,
        args: [
          'node',
          BIN('ocihook-ldconfig'),
          `--log-file=${log}`,
          `--ldconfig-path=${LDCONFIG}`,
          '--folder=/opt/ocihooks-test/lib',
          ...ldconfigArgs,
        ],
      },
      when: WHEN,
      stages: ['createContainer'],
    });
    // A second linker-cache step in the same start (as LDCONFIG_PATH or update-ldcache add): it
    // keeps the first one's folder and replaces its cache.
    fs.mkdirSync(path.join(rootfs, 'usr/local/lib'), { recursive: true });
    writeHooksD(hooksDir, '03-ldconfig.json', {
      version: '1.0.0',
      hook: {
        path: process.execPath,
        args: [
          'node',
          BIN('ocihook-ldconfig'),
          `--log-file=${log}`,
          `--ldconfig-path=${LDCONFIG}`,
          '--folder=/usr/local/lib',
          ...ldconfigArgs,
        ],
      },
      when: WHEN,
      stages: ['createContainer'],
    });
  }
  return { dir, rootfs, hooksDir, log };
}

describe('ldconfig hook', () => {
  test('with the hook the program finds its library without LD_LIBRARY_PATH; without, it fails', () => {
    const podman = requireTool('podman');
    const withHook = setup('ldc-with', true);
    const imageCache = fs.readFileSync(path.join(withHook.rootfs, 'etc/ld.so.cache'));
    const check = '/bin/answer; echo cache mounts: $(grep -c " /etc/ld.so.cache " /proc/self/mountinfo)';
    const r = run(
      podman,
      podmanArgs({
        rootfs: withHook.rootfs,
        hooksDir: withHook.hooksDir,
        annotations: ANNOTATION,
        args: ['sh', '-c', check],
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('answer 42\ncache mounts: 1\n');
    const refreshed = fs
      .readFileSync(withHook.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'linker cache refreshed');
    expect(refreshed.length).toBe(2); // both steps ran; the second kept the first one's folder (the program ran)
    const summary = refreshed[0];
    // libocihookstest.so.1 and the libocihookstest.so link beside it.
    expect(summary.contributed).toEqual({ '/opt/ocihooks-test/lib': 2 });
    expect(summary.entries).toBeGreaterThanOrEqual(2);
    // The image is as it was: its cache, its configuration, nothing of ours in /etc.
    expect(fs.readFileSync(path.join(withHook.rootfs, 'etc/ld.so.cache')).equals(imageCache)).toBe(true);
    expect(fs.readdirSync(path.join(withHook.rootfs, 'etc/ld.so.conf.d'))).toEqual(['x86_64-linux-gnu.conf']);
    expect(fs.readFileSync(path.join(withHook.rootfs, 'etc/ld.so.conf'), 'utf8')).toBe(
      'include /etc/ld.so.conf.d/*.conf\n',
    );

    const without = setup('ldc-without', false);
    const w = run(
      podman,
      podmanArgs({
        rootfs: without.rootfs,
        hooksDir: without.hooksDir,
        annotations: ANNOTATION,
        args: ['/bin/answer'],
      }),
    );
    expect(w.status).not.toBe(0);
    expect(w.stdout + w.stderr).toMatch(/libocihookstest\.so\.1: cannot open shared object file/);
  });

  /** The hook log's `linker cache refreshed` records: where the cache went, why, the drop-in. */
  const cacheRefreshes = (log: string) =>
    logRecords<{ msg: string; cache?: string; why?: string; dropIn?: string }>(log).filter(
      (l) => l.msg === 'linker cache refreshed',
    );
  /** The image's own ldconfig, put in as Debian's libc-bin trigger runs it after apt install; the image's files before. */
  const inImage = (c: ReturnType<typeof setup>) => {
    fs.mkdirSync(path.join(c.rootfs, 'sbin'), { recursive: true });
    fs.copyFileSync(LDCONFIG, path.join(c.rootfs, 'sbin', 'ldconfig'));
    fs.chmodSync(path.join(c.rootfs, 'sbin', 'ldconfig'), 0o755);
    return {
      cache: fs.readFileSync(path.join(c.rootfs, 'etc/ld.so.cache')),
      confD: fs.readdirSync(path.join(c.rootfs, 'etc/ld.so.conf.d')),
    };
  };
  /** The program, the image's ldconfig, the program again, the drop-in, the mounts over the cache. */
  const check =
    '/bin/answer; /sbin/ldconfig && echo ldconfig ran; /bin/answer; cat /etc/ld.so.conf.d/00-ocihooks.conf 2>/dev/null; echo cache mounts: $(grep -c " /etc/ld.so.cache " /proc/self/mountinfo)';
  const ownRootOutput = [
    'answer 42',
    'ldconfig ran',
    'answer 42',
    '# ocihooks: folders injected into this container, for an ldconfig run inside it',
    '/opt/ocihooks-test/lib',
    '/usr/local/lib',
    'cache mounts: 0',
    '',
  ].join('\n');

  test("a root of the container's own (podman's --rootfs DIR:O, an overlay as podman, Docker and containerd make for each container): the cache and a drop-in written into it, so that an ldconfig inside works and keeps the injected folders; the image below unchanged; with --linker-cache=mount that ldconfig fails", () => {
    const podman = requireTool('podman');
    const own = setup('ldc-own-root', true);
    // An image whose drop-in is a link to a host file: replaced in the container, never written through.
    const hostFile = path.join(own.dir, 'host-file');
    fs.writeFileSync(hostFile, 'host\n');
    fs.symlinkSync(hostFile, path.join(own.rootfs, 'etc/ld.so.conf.d/00-ocihooks.conf'));
    const before = inImage(own);
    const r = run(
      podman,
      podmanArgs({
        rootfs: `${own.rootfs}:O`,
        hooksDir: own.hooksDir,
        annotations: ANNOTATION,
        args: ['sh', '-c', check],
      }),
    );
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(ownRootOutput);
    const refreshed = cacheRefreshes(own.log);
    expect(refreshed.map((l) => [l.cache, l.why, l.dropIn])).toEqual([
      ['root', "the root is an overlay of the container's own", '/etc/ld.so.conf.d/00-ocihooks.conf'],
      ['root', "the root is an overlay of the container's own", '/etc/ld.so.conf.d/00-ocihooks.conf'],
    ]);
    // podman's overlay took the writes: the folder below is the image, as it was.
    expect(fs.readFileSync(path.join(own.rootfs, 'etc/ld.so.cache')).equals(before.cache)).toBe(true);
    expect(fs.readdirSync(path.join(own.rootfs, 'etc/ld.so.conf.d'))).toEqual(before.confD);
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('host\n');

    const bound = setup('ldc-own-root-mount', true, ['--linker-cache=mount']);
    inImage(bound);
    const m = run(
      podman,
      podmanArgs({
        rootfs: `${bound.rootfs}:O`,
        hooksDir: bound.hooksDir,
        annotations: ANNOTATION,
        args: ['sh', '-c', check],
      }),
    );
    expect(m.status).toBe(0);
    // glibc's ldconfig cannot rename its new cache over the mount point (docs/linker-cache.md).
    expect(m.stderr).toMatch(
      /^\/sbin\/ldconfig: Renaming of \/etc\/ld\.so\.cache~ to \/etc\/ld\.so\.cache failed: Device or resource busy\n$/,
    );
    expect(m.stdout).toBe('answer 42\nanswer 42\ncache mounts: 1\n');
  });

  test("podman with fuse-overlayfs as its overlay's mount program (as where the kernel's overlay cannot serve): the root is the container's own, the cache written into it", () => {
    const podman = requireTool('podman');
    const fuseOverlayfs = requireTool('fuse-overlayfs');
    const own = setup('ldc-fuse-overlayfs', true);
    const before = inImage(own);
    // podman's own storage for this run alone: the mount program is a setting of the store.
    const store = ['--root', path.join(own.dir, 'store'), '--runroot', path.join(own.dir, 'runroot')];
    const args = podmanArgs({
      rootfs: `${own.rootfs}:O`,
      hooksDir: own.hooksDir,
      annotations: ANNOTATION,
      args: ['sh', '-c', `grep -c " / / .* - fuse.fuse-overlayfs " /proc/self/mountinfo; ${check}`],
    });
    const r = run(podman, [...store, '--storage-opt', `overlay.mount_program=${fuseOverlayfs}`, ...args]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(`1\n${ownRootOutput}`);
    const refreshed = cacheRefreshes(own.log);
    expect(refreshed.map((l) => [l.cache, l.why])).toEqual([
      ['root', "the root is an overlay of the container's own"],
      ['root', "the root is an overlay of the container's own"],
    ]);
    expect(fs.readFileSync(path.join(own.rootfs, 'etc/ld.so.cache')).equals(before.cache)).toBe(true);
    expect(fs.readdirSync(path.join(own.rootfs, 'etc/ld.so.conf.d'))).toEqual(before.confD);
    // podman unmounted it: no fuse-overlayfs left for this run.
    expect(run('pgrep', ['-f', `fuse-overlayfs .*${own.dir}`]).stdout).toBe('');
  });

  function byHand(rootfs: string, dir: string, args: string[]) {
    const bundle = path.join(dir, 'bundle');
    if (!fs.existsSync(bundle)) makeBundle(bundle, rootfs, { args: ['true'] });
    // A createContainer-like place: a private mount namespace where the rootfs is a mount point.
    const state = stateFile(dir, { ociVersion: '1.0.2', id: 'ldc', pid: 0, bundle });
    const script = 'mount --bind "$1" "$1" && shift && exec "$@"';
    return run('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      rootfs,
      process.execPath,
      BIN('ocihook-ldconfig'),
      `--log-file=${path.join(dir, 'h.log')}`,
      '--state-file',
      state,
      ...args,
    ]);
  }

  /** A glibc image with the test library in /opt/ocihooks-test/lib (outside its configuration) and the program; its own cache. */
  function imageWithTestLibrary(name: string) {
    const dir = tmpDir(name);
    const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
    const { libDir, program } = buildProgram(dir);
    fs.cpSync(libDir, path.join(rootfs, 'opt/ocihooks-test/lib'), { recursive: true, verbatimSymlinks: true });
    fs.copyFileSync(program, path.join(rootfs, 'bin', 'answer'));
    return { dir, rootfs };
  }

  test("a read-only rootfs: the container gets the cache, bound read-only over /etc/ld.so.cache, the injected library winning over the image's; the image is unchanged and /dev clean", () => {
    const { dir, rootfs } = imageWithTestLibrary('ldc-readonly');
    // The image's own copy of the library, which answers 7, in its configured folder and cache:
    // the injected folder must win.
    fs.writeFileSync(path.join(dir, 'image-lib.c'), 'int ocihooks_answer(void) { return 7; }\n');
    fs.mkdirSync(path.join(rootfs, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    ok('gcc', [
      '-shared',
      '-fPIC',
      '-Wl,-soname,libocihookstest.so.1',
      '-o',
      path.join(rootfs, 'usr/lib/x86_64-linux-gnu/libocihookstest.so.1'),
      path.join(dir, 'image-lib.c'),
    ]);
    ok(LDCONFIG, ['-r', rootfs]);
    expect(run('chroot', [rootfs, '/bin/answer']).stdout).toBe('answer 7\n');
    const imageCache = fs.readFileSync(path.join(rootfs, 'etc/ld.so.cache'));
    const bundle = path.join(dir, 'bundle');
    makeBundle(bundle, rootfs, { args: ['true'] });
    const state = stateFile(dir, { ociVersion: '1.0.2', id: 'ldc-ro', pid: 0, bundle });
    // As a runtime leaves it for createContainer hooks, with a read-only root: the rootfs a
    // read-only mount point, the container's /dev a tmpfs. Then what the container would see.
    const script = [
      'mount --bind "$1" "$1" && mount -t tmpfs dev "$1/dev" && mount -o remount,bind,ro "$1"',
      'r=$1; shift; "$@" || exit 1',
      'chroot "$r" /bin/answer; echo dev: $(ls -A "$r/dev"); touch "$r/etc/ld.so.cache" 2>/dev/null || echo cache read-only',
    ].join('\n');
    const r = run('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      rootfs,
      process.execPath,
      BIN('ocihook-ldconfig'),
      `--log-file=${path.join(dir, 'h.log')}`,
      `--ldconfig-path=${LDCONFIG}`,
      '--folder=/opt/ocihooks-test/lib',
      '--state-file',
      state,
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('answer 42\ndev:\ncache read-only\n');
    expect(fs.readFileSync(path.join(rootfs, 'etc/ld.so.cache')).equals(imageCache)).toBe(true);
  });

  test('a running container (by hand, --state-file): ldconfig runs from the host through /proc/<pid>/root, the cache is bound inside', () => {
    const { dir, rootfs } = imageWithTestLibrary('ldc-running');
    const imageCache = fs.readFileSync(path.join(rootfs, 'etc/ld.so.cache'));
    return withRunningRunc(dir, rootfs, 'ldc-running', ({ id, state }) => {
      expect(run(RUNC, ['exec', id, '/bin/answer']).status).not.toBe(0); // not in the image's cache
      const hook = run(process.execPath, [
        BIN('ocihook-ldconfig'),
        `--log-file=${path.join(dir, 'h.log')}`,
        `--ldconfig-path=${LDCONFIG}`,
        '--folder=/opt/ocihooks-test/lib',
        '--state-file',
        state,
      ]);
      expect([hook.status, hook.stderr]).toEqual([0, '']);
      expect(fs.readFileSync(path.join(dir, 'h.log'), 'utf8')).toContain('"location":"join"');
      expect(ok(RUNC, ['exec', id, '/bin/answer'])).toBe('answer 42\n');
      expect(ok(RUNC, ['exec', id, 'ls', '-A', '/dev'])).not.toContain('.ocihooks');
      expect(fs.readFileSync(path.join(rootfs, 'etc/ld.so.cache')).equals(imageCache)).toBe(true);
    });
  });

  test('a musl-like rootfs is left untouched: exit 0 and one log line', () => {
    const dir = tmpDir('ldc-musl');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    fs.mkdirSync(path.join(rootfs, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'lib', 'ld-musl-x86_64.so.1'), '');
    const r = byHand(rootfs, dir, ['--folder=/opt']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'h.log'), 'utf8')).toMatch(
      /"reason":"the image uses musl \(\/lib\/ld-musl-x86_64.so.1\)/,
    );
    expect(fs.existsSync(path.join(rootfs, 'etc', 'ld.so.cache'))).toBe(false);
    expect(fs.existsSync(path.join(rootfs, 'etc', 'ld.so.conf.d'))).toBe(false);
  });

  test('a relative or in-rootfs ldconfig path exits 2', () => {
    const dir = tmpDir('ldc-path');
    const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
    fs.writeFileSync(path.join(rootfs, 'bin', 'ldconfig'), '#!/bin/sh\ntouch /pwned\n', { mode: 0o755 });
    const relative = byHand(rootfs, dir, ['--ldconfig-path=sbin/ldconfig']);
    expect(relative.status).toBe(2);
    expect(relative.stderr).toBe(
      'ocihook-ldconfig: --ldconfig-path "sbin/ldconfig": must be an absolute path on the host\n',
    );
    const inside = byHand(rootfs, dir, [`--ldconfig-path=${path.join(rootfs, 'bin', 'ldconfig')}`]);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(
      /bin\/ldconfig: is inside the container's rootfs; only a host ldconfig is trusted\n$/,
    );
  });

  test('an ldconfig that hangs is killed at the timeout: exit 1', () => {
    const dir = tmpDir('ldc-hang');
    const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
    const hang = path.join(dir, 'hanging-ldconfig');
    fs.writeFileSync(hang, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const started = Date.now();
    const r = byHand(rootfs, dir, [`--ldconfig-path=${hang}`, '--timeout=1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ocihook-ldconfig: ldconfig .*hanging-ldconfig -r .*: killed after 1000 ms timeout\n$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
