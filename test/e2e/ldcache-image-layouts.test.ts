/**
 * The container's linker cache on images that lay their libraries out differently, through each of
 * the three paths that build it -- `ocihook-ldconfig`, the mount hook's `LDCONFIG_PATH`, and the
 * nvidia-cdi-hook `update-ldcache` subcommand of `ocihook-gpu` -- as createContainer hooks under runc.
 * This host's ldconfig (Debian's) searches /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib
 * and /usr/lib by itself; a Rocky-like image keeps glibc in /usr/lib64, so its cache must get
 * /usr/lib64 from the hook (as NVIDIA's hook adds it), a Debian-like image keeps its multiarch
 * folders and gets no /usr/lib64, a musl image is left without a cache. The cache is read from
 * inside the container (busybox od of /etc/ld.so.cache) and listed by this host's `ldconfig -p -C`,
 * glibc's own reader; the test program runs only where the cache finds libc (the loader copied
 * from a Debian host searches no /lib64 by itself). The image's files are compared before and after.
 * NVIDIA's nvidia-cdi-hook 1.20, built from source and run the same way on these layouts, listed the
 * same caches for the Rocky-like and Debian-like images (docs/linker-cache.md, "Side by side").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, RUNC, containerId, logRecords, makeBundle, ok, requireBuilt, run, tmpDir } from '../support/e2e';
import {
  buildAnswerProgram,
  makeDebianLikeRootfs,
  makeMuslLikeRootfs,
  makeRockyLikeRootfs,
  snapshotTree,
} from '../support/image-layouts';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
const INJECTED = '/opt/ocihooks-test/lib';

type Layout = 'rocky' | 'debian' | 'musl';
type CachePath = 'ocihook-ldconfig' | 'LDCONFIG_PATH' | 'update-ldcache';

/**
 * Where each layout keeps its system libraries: the mount hook binds the test library there, the
 * way sites use Sarus's LDCONFIG_PATH (no folder of its own).
 */
const SYSTEM_LIB_DIR: Record<Layout, string> = {
  rocky: '/usr/lib64',
  debian: '/usr/lib/x86_64-linux-gnu',
  musl: '/usr/lib',
};

let program: { libDir: string; program: string };
beforeAll(() => {
  requireBuilt();
  program = buildAnswerProgram(tmpDir('ldc-layouts-prog'));
});

const node = (bin: string, args: string[], env?: string[]) => ({
  path: process.execPath,
  args: ['node', BIN(bin), ...args],
  ...(env ? { env } : {}),
});

function hooksFor(how: CachePath, layout: Layout, log: string): object[] {
  const logArg = `--log-file=${log}`;
  const mountDir = node('ocihook-mount', [logArg, `--mount=type=bind,src=${program.libDir},dst=${INJECTED},readonly`]);
  switch (how) {
    case 'ocihook-ldconfig':
      return [mountDir, node('ocihook-ldconfig', [logArg, `--ldconfig-path=${LDCONFIG}`, `--folder=${INJECTED}`])];
    case 'update-ldcache':
      // As nvidia-ctk writes it: no --ldconfig-path (/sbin/ldconfig).
      return [mountDir, node('ocihook-gpu', ['update-ldcache', '--folder', INJECTED, logArg])];
    case 'LDCONFIG_PATH': {
      const lib = `${SYSTEM_LIB_DIR[layout]}/libocihookstest.so.1`;
      const src = path.join(program.libDir, 'libocihookstest.so.1');
      return [
        node(
          'ocihook-mount',
          [logArg, `--mount=type=bind,src=${src},dst=${lib},readonly`],
          [`LDCONFIG_PATH=${LDCONFIG}`],
        ),
      ];
    }
  }
}

/** What this host's glibc lists in a cache file: `name (flags) => path`, sorted. */
function listCache(dir: string, bytes: Buffer): string[] {
  const file = path.join(dir, 'seen.cache');
  fs.writeFileSync(file, bytes);
  return ok(LDCONFIG, ['-p', '-C', file])
    .split('\n')
    .filter((l) => l.startsWith('\t'))
    .map((l) => l.trim())
    .sort();
}

/** The bytes `od -An -v -tx1` printed. */
const fromOd = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

const CHECK = [
  '/bin/answer 2>&1',
  'echo "cache mounts: $(grep -c " /etc/ld.so.cache " /proc/self/mountinfo)"',
  'echo ---',
  'test -e /etc/ld.so.cache && busybox od -An -v -tx1 /etc/ld.so.cache || echo no cache',
].join('; ');

function runLayout(layout: Layout, how: CachePath) {
  const dir = tmpDir(`ldc-${layout}`);
  const rootfs = path.join(dir, 'rootfs');
  ({ rocky: makeRockyLikeRootfs, debian: makeDebianLikeRootfs, musl: makeMuslLikeRootfs })[layout](rootfs);
  if (layout !== 'musl') fs.copyFileSync(program.program, path.join(rootfs, 'bin/answer'));
  const before = snapshotTree(rootfs);
  const log = path.join(dir, 'hooks.log');
  const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
    args: ['sh', '-c', CHECK],
    hooks: { createContainer: hooksFor(how, layout, log) as never },
  });
  const r = run(RUNC, ['run', '--bundle', bundle, containerId('ldclay')], { timeoutMs: 60_000 });
  const [head, hex] = r.stdout.split('---\n');
  const bytes = hex === undefined || hex === 'no cache\n' ? Buffer.alloc(0) : fromOd(hex);
  const records = logRecords(log);
  return {
    dir,
    rootfs,
    status: r.status,
    stderr: r.stderr,
    head: head as string,
    hex: hex as string,
    cache: bytes.length ? listCache(dir, bytes) : [],
    refreshed: records.filter((l) => l.msg === 'linker cache refreshed'),
    untouched: records.filter((l) => l.msg === 'linker cache left untouched'),
    changed: () => {
      const after = snapshotTree(rootfs);
      const keys = new Set([...before.keys(), ...after.keys()]);
      return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
    },
  };
}

const X = '(libc6,x86-64)';
/** The Rocky-like image's glibc and zlib, as its cache names them. */
const ROCKY_CACHE = [
  `ld-linux-x86-64.so.2 ${X} => /lib64/ld-linux-x86-64.so.2`,
  `libc.so.6 ${X} => /lib64/libc.so.6`,
  `libdl.so.2 ${X} => /lib64/libdl.so.2`,
  `libm.so.6 ${X} => /lib64/libm.so.6`,
  `libpthread.so.0 ${X} => /lib64/libpthread.so.0`,
  `libresolv.so.2 ${X} => /lib64/libresolv.so.2`,
  `librt.so.1 ${X} => /lib64/librt.so.1`,
  `libz.so.1 ${X} => /lib64/libz.so.1`,
];

describe('the linker cache on a Rocky-like image (glibc in /usr/lib64, no /etc/debian_version)', () => {
  test.each<[CachePath, string, string[]]>([
    [
      'ocihook-ldconfig',
      `libocihookstest.so.1 ${X} => ${INJECTED}/libocihookstest.so.1`,
      ['opt/ocihooks-test', 'opt/ocihooks-test/lib'],
    ],
    [
      'update-ldcache',
      `libocihookstest.so.1 ${X} => ${INJECTED}/libocihookstest.so.1`,
      ['opt/ocihooks-test', 'opt/ocihooks-test/lib'],
    ],
    // The mount point the mount hook made for the library, an empty file in the image's folder.
    ['LDCONFIG_PATH', `libocihookstest.so.1 ${X} => /lib64/libocihookstest.so.1`, ['usr/lib64/libocihookstest.so.1']],
  ])(
    '%s: its /usr/lib64 libraries plus the injected one; the program runs; the image unchanged',
    (how, injected, mountPoints) => {
      const r = runLayout('rocky', how);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.head).toBe('answer 42\ncache mounts: 1\n');
      expect(r.cache).toEqual([...ROCKY_CACHE, injected].sort());
      expect(r.refreshed.map((l) => [l.image, l.systemFolders])).toEqual([
        ['other', ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/libx32', '/usr/libx32']],
      ]);
      // Only the mount points the hooks made; the cache, ld.so.conf and every library as they were.
      expect(r.changed()).toEqual(mountPoints);
    },
  );

  test("all three paths in one start: each keeps the earlier ones' folders, a glibc-hwcaps library keeps its hwcap", () => {
    const dir = tmpDir('ldc-rocky-all');
    const rootfs = makeRockyLikeRootfs(path.join(dir, 'rootfs'));
    fs.copyFileSync(program.program, path.join(rootfs, 'bin/answer'));
    const hwcaps = path.join(rootfs, 'usr/lib64/glibc-hwcaps/x86-64-v2');
    fs.mkdirSync(hwcaps, { recursive: true });
    fs.copyFileSync(fs.realpathSync('/lib/x86_64-linux-gnu/libz.so.1'), path.join(hwcaps, 'libz.so.1'));
    const second = path.join(dir, 'second');
    fs.mkdirSync(second);
    fs.writeFileSync(path.join(dir, 'second.c'), 'int ocihooks_second(void) { return 2; }\n');
    ok('gcc', [
      '-shared',
      '-fPIC',
      '-Wl,-soname,libocihookssecond.so.1',
      '-o',
      path.join(second, 'libocihookssecond.so.1'),
      path.join(dir, 'second.c'),
    ]);
    const log = path.join(dir, 'hooks.log');
    const logArg = `--log-file=${log}`;
    const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
      args: ['sh', '-c', CHECK],
      hooks: {
        createContainer: [
          node(
            'ocihook-mount',
            [
              logArg,
              `--mount=type=bind,src=${program.libDir},dst=${INJECTED},readonly`,
              `--mount=type=bind,src=${second},dst=/opt/second,readonly`,
            ],
            [`LDCONFIG_PATH=${LDCONFIG}`],
          ),
          node('ocihook-ldconfig', [logArg, `--ldconfig-path=${LDCONFIG}`, `--folder=${INJECTED}`]),
          node('ocihook-gpu', ['update-ldcache', '--folder', '/opt/second', logArg]),
        ] as never,
      },
    });
    const r = run(RUNC, ['run', '--bundle', bundle, containerId('ldclay')], { timeoutMs: 60_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const [head, hex] = r.stdout.split('---\n');
    expect(head).toBe('answer 42\ncache mounts: 1\n');
    // The hwcaps copy of libz.so.1 is recorded with its hwcap: loaded only on CPUs that have x86-64-v2.
    expect(listCache(dir, fromOd(hex as string))).toEqual(
      [
        ...ROCKY_CACHE,
        `libocihookstest.so.1 ${X} => ${INJECTED}/libocihookstest.so.1`,
        `libocihookssecond.so.1 ${X} => /opt/second/libocihookssecond.so.1`,
        `libz.so.1 (libc6,x86-64, hwcap: "x86-64-v2") => /lib64/glibc-hwcaps/x86-64-v2/libz.so.1`,
      ].sort(),
    );
    const refreshed = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'linker cache refreshed');
    expect(refreshed.length).toBe(3);
  });
});

describe('the linker cache on other images', () => {
  test.each<CachePath>(['ocihook-ldconfig', 'update-ldcache', 'LDCONFIG_PATH'])(
    'a Debian-like image keeps its multiarch folders and gets no /usr/lib64 (%s)',
    (how) => {
      const r = runLayout('debian', how);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.head).toBe('answer 42\ncache mounts: 1\n');
      const injected =
        how === 'LDCONFIG_PATH'
          ? `libocihookstest.so.1 ${X} => /usr/lib/x86_64-linux-gnu/libocihookstest.so.1`
          : `libocihookstest.so.1 ${X} => ${INJECTED}/libocihookstest.so.1`;
      // Not /lib64/ld-linux-x86-64.so.2 nor /usr/lib64/libz.so.1: no Debian ldconfig reads those folders.
      expect(r.cache).toEqual([`libc.so.6 ${X} => /lib/x86_64-linux-gnu/libc.so.6`, injected].sort());
      expect(r.refreshed.map((l) => [l.image, l.systemFolders])).toEqual([
        ['debian-like', ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib']],
      ]);
      expect(r.changed()).toEqual(
        how === 'LDCONFIG_PATH'
          ? ['usr/lib/x86_64-linux-gnu/libocihookstest.so.1']
          : ['opt/ocihooks-test', 'opt/ocihooks-test/lib'],
      );
    },
  );

  test.each<CachePath>(['ocihook-ldconfig', 'update-ldcache', 'LDCONFIG_PATH'])(
    'a musl image is left without a linker cache, as before (%s)',
    (how) => {
      const r = runLayout('musl', how);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.head).toBe('sh: /bin/answer: not found\ncache mounts: 0\n');
      expect(r.hex).toBe('no cache\n');
      expect(r.refreshed).toEqual([]);
      expect(r.untouched.map((l) => l.reason)).toEqual([
        'the image uses musl (/lib/ld-musl-x86_64.so.1); it has no glibc linker cache',
      ]);
      expect(r.changed()).toEqual(
        how === 'LDCONFIG_PATH' ? ['usr/lib/libocihookstest.so.1'] : ['opt/ocihooks-test', 'opt/ocihooks-test/lib'],
      );
    },
  );
});
