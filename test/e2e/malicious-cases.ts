/**
 * The crafted images of malicious.test.ts: each shapes a rootfs (and may point it at a decoy host
 * folder), names the hook run against it, and what must come of it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN } from '../support/e2e';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;

export interface Case {
  name: string;
  /** Shapes the image; returns nothing. `r` is the rootfs, `decoy` a host folder the image may point at. */
  image: (r: string, decoy: string) => void;
  /** The hook and its arguments (after `node`). */
  hook: (ctx: { decoy: string; dir: string; src: string }) => string[];
  env?: string[];
  proc?: boolean;
  /** 'fail': must exit non-zero with one line; 'inside': must succeed with every mount under the rootfs; 'either'. */
  expect: 'fail' | 'inside' | 'either';
  stderr?: RegExp;
  /** Extra check inside the rootfs after the hook. */
  after?: (r: string, decoy: string) => void;
  racer?: (r: string, decoy: string) => string;
  /** Mount a tmpfs inside the source folder first (in the hook's namespace): a source with a submount. */
  submount?: boolean;
  /** Check the mounts the hook added (inside its namespace). */
  mounts?: (added: { mountPoint: string; options: string }[], r: string) => void;
}

const mount =
  (dst: string, extra = '') =>
  (c: { src: string }) => [BIN('ocihook-mount'), `--mount=type=bind,src=${c.src},dst=${dst}${extra}`];
const ln = (target: string, at: string) => {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at);
};

export const cases: Case[] = [
  {
    name: 'absolute symlink /usr/lib -> /etc',
    image: (r) => ln('/etc', `${r}/usr/lib`),
    hook: mount('/usr/lib/injected'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/etc/injected`)).toBe(true),
  },
  {
    name: 'absolute symlink /usr/lib -> /',
    image: (r) => ln('/', `${r}/usr/lib`),
    hook: mount('/usr/lib/injected'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/injected`)).toBe(true),
  },
  {
    // Followed inside the rootfs, its target made there (as runc and Sarus do): never the host's.
    name: 'absolute symlink to the host decoy folder (absent in the image)',
    image: (r, d) => ln(d, `${r}/opt/data`),
    hook: mount('/opt/data/injected'),
    expect: 'inside',
    after: (r, d) => expect(fs.existsSync(`${r}${d}/injected`)).toBe(true),
  },
  {
    name: 'absolute symlink to the host decoy folder (present in the image too)',
    image: (r, d) => (ln(d, `${r}/opt/data`), fs.mkdirSync(`${r}${d}`, { recursive: true })),
    hook: mount('/opt/data/injected'),
    expect: 'inside',
    after: (r, d) => expect(fs.existsSync(`${r}${d}/injected`)).toBe(true),
  },
  {
    name: 'relative ../../.. symlink',
    image: (r) => ln('../../../../../../../../..', `${r}/opt/up`),
    hook: mount('/opt/up/injected'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/injected`)).toBe(true),
  },
  {
    name: 'relative symlink to the decoy via ..',
    image: (r, d) => ln(`../../../../../../..${d}`, `${r}/opt/up`),
    hook: mount('/opt/up/injected'),
    expect: 'inside',
    after: (r, d) => expect(fs.existsSync(`${r}${d}/injected`)).toBe(true),
  },
  {
    name: 'symlink loop a -> b -> a',
    image: (r) => (ln('/opt/b', `${r}/opt/a`), ln('/opt/a', `${r}/opt/b`)),
    hook: mount('/opt/a/injected'),
    expect: 'fail',
    stderr: /ELOOP|does not resolve/,
  },
  {
    name: 'symlink to itself',
    image: (r) => ln('/opt/self', `${r}/opt/self`),
    hook: mount('/opt/self/x'),
    expect: 'fail',
  },
  {
    name: 'a chain of 50 symlinks',
    image: (r) => {
      for (let i = 0; i < 50; i++) ln(`/chain/l${i + 1}`, `${r}/chain/l${i}`);
      fs.mkdirSync(`${r}/chain/l50`);
    },
    hook: mount('/chain/l0/x'),
    expect: 'fail',
    stderr: /ELOOP|does not resolve/,
  },
  {
    name: 'a chain of 10 symlinks ending at /etc',
    image: (r) => {
      for (let i = 0; i < 9; i++) ln(`/chain/l${i + 1}`, `${r}/chain/l${i}`);
      ln('/etc', `${r}/chain/l9`);
    },
    hook: mount('/chain/l0/injected'),
    expect: 'inside',
  },
  {
    name: 'dangling directory symlink',
    image: (r) => ln('/nonexistent/dir', `${r}/opt/gone`),
    hook: mount('/opt/gone/x'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/nonexistent/dir/x`)).toBe(true),
  },
  {
    name: 'dangling final symlink',
    image: (r) => ln('/nonexistent/file', `${r}/opt/gone`),
    hook: mount('/opt/gone'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/nonexistent/file`)).toBe(true),
  },
  {
    name: 'dangling symlink chain whose target needs its own link (loops only when walked)',
    image: (r) => ln('/opt/l/x', `${r}/opt/l`),
    hook: mount('/opt/l'),
    expect: 'fail',
    stderr: /readlinkat opt\/l: Too many levels of symbolic links \(ELOOP\)/,
  },
  {
    name: 'final symlink to /etc/passwd',
    image: (r) => ln('/etc/passwd', `${r}/opt/pw`),
    hook: (c) => [BIN('ocihook-mount'), `--mount=type=bind,src=${c.src}/file,dst=/opt/pw`],
    expect: 'inside',
  },
  {
    name: 'symlink into procfs /proc/1/root',
    image: (r) => ln('/proc/1/root', `${r}/opt/host`),
    proc: true,
    hook: mount('/opt/host/injected'),
    expect: 'fail',
    stderr:
      /destination \/opt\/host\/injected: \/proc\/1 is on the kernel's proc filesystem, not on the container's own filesystems/,
  },
  {
    name: 'symlink /proc/self/root',
    image: (r) => ln('/proc/self/root/etc', `${r}/opt/host`),
    proc: true,
    hook: mount('/opt/host/injected'),
    expect: 'fail',
  },
  {
    name: 'destination with .. components',
    image: () => undefined,
    hook: (c) => mount(`/../../../../..${c.decoy}/x`)(c),
    expect: 'inside',
    after: (r, d) => expect(fs.existsSync(`${r}${d}/x`)).toBe(true),
  },
  {
    name: 'destination /',
    image: () => undefined,
    hook: mount('/'),
    expect: 'fail',
    stderr: /cannot mount over the container's root/,
  },
  {
    name: 'FI_PROVIDER_PATH ../../../../etc from the image',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=../../../../etc'],
    hook: mount('<FI_PROVIDER_PATH>'),
    expect: 'fail',
    stderr: /not an absolute path/,
  },
  {
    name: 'FI_PROVIDER_PATH /proc/1/root from the image',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=/proc/1/root'],
    proc: true,
    hook: mount('<FI_PROVIDER_PATH>'),
    expect: 'fail',
    stderr:
      /destination \/proc\/1\/root: \/proc\/1 is on the kernel's proc filesystem, not on the container's own filesystems/,
  },
  {
    name: 'FI_PROVIDER_PATH /proc/1/attr from the image (a procfs folder)',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=/proc/1/attr'],
    proc: true,
    hook: mount('<FI_PROVIDER_PATH>'),
    expect: 'fail',
    stderr:
      /destination \/proc\/1\/attr: \/proc\/1\/attr is on the kernel's proc filesystem, not on the container's own filesystems/,
  },
  {
    name: 'FI_PROVIDER_PATH /../../etc from the image',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=/../../etc/fi'],
    hook: mount('<FI_PROVIDER_PATH>'),
    expect: 'inside',
    after: (r) => expect(fs.existsSync(`${r}/etc/fi`)).toBe(true),
  },
  {
    name: 'FI_PROVIDER_PATH /etc/.. (the root) from the image',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=/etc/..'],
    hook: mount('<FI_PROVIDER_PATH>'),
    expect: 'fail',
    stderr: /cannot mount over the container's root/,
  },
  {
    name: 'a symlink to / as the destination',
    image: (r) => ln('/', `${r}/opt/top`),
    hook: mount('/opt/top'),
    expect: 'fail',
    stderr: /cannot mount over the container's root/,
  },
  {
    name: 'FI_PROVIDER_PATH in a mount source',
    image: () => undefined,
    env: ['FI_PROVIDER_PATH=/etc'],
    hook: () => [BIN('ocihook-mount'), '--mount=type=bind,src=<FI_PROVIDER_PATH>,dst=/x'],
    expect: 'fail',
    stderr: /may only be used in the destination/,
  },
  {
    name: 'destination is a character device',
    image: (r) => spawnSync('mknod', [`${r}/opt/dev`, 'c', '1', '3']),
    hook: mount('/opt/dev'),
    expect: 'fail',
    stderr: /exists as a character device/,
  },
  {
    name: 'destination is a fifo',
    image: (r) => (fs.mkdirSync(`${r}/opt`, { recursive: true }), spawnSync('mkfifo', [`${r}/opt/fifo`])),
    hook: mount('/opt/fifo'),
    expect: 'fail',
    stderr: /exists as a fifo/,
  },
  {
    name: 'destination is a socket',
    image: (r) => {
      fs.mkdirSync(`${r}/opt`, { recursive: true });
      spawnSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind('${r}/opt/sock')`]);
    },
    hook: mount('/opt/sock'),
    expect: 'fail',
    stderr: /exists as a socket/,
  },
  {
    name: 'a file where a directory is needed',
    image: () => undefined,
    hook: mount('/etc/passwd/x'),
    expect: 'fail',
    stderr: /destination \/etc\/passwd\/x: \/etc\/passwd is a file, not a directory/,
  },
  {
    name: 'a directory source onto an existing file',
    image: () => undefined,
    hook: mount('/etc/passwd'),
    expect: 'fail',
    stderr: /exists as a file in the container, the source needs a directory/,
  },
  {
    name: 'a file source onto an existing directory',
    image: () => undefined,
    hook: (c) => [BIN('ocihook-mount'), `--mount=type=bind,src=${c.src}/file,dst=/etc`],
    expect: 'fail',
    stderr: /exists as a directory/,
  },
  {
    name: 'a symlink swapped by a racing process',
    image: (r) => fs.mkdirSync(`${r}/opt`, { recursive: true }),
    racer: (r, d) =>
      `while :; do ln -sfn /etc ${r}/opt/race.tmp && mv -Tf ${r}/opt/race.tmp ${r}/opt/race; ln -sfn ${d} ${r}/opt/race.tmp && mv -Tf ${r}/opt/race.tmp ${r}/opt/race; done`,
    hook: (c) => [
      BIN('ocihook-mount'),
      ...Array.from({ length: 40 }, (_, i) => `--mount=type=bind,src=${c.src},dst=/opt/race/m${i}`),
    ],
    expect: 'either',
  },
  {
    name: 'a readonly mount whose source has a submount: every submount is read-only too',
    image: () => undefined,
    submount: true,
    hook: mount('/opt/ro', ',readonly'),
    expect: 'inside',
    mounts: (added, r) => {
      expect(added.map((m) => m.mountPoint).sort()).toEqual([`${r}/opt/ro`, `${r}/opt/ro/sub`]);
      for (const m of added) expect(m.options.split(',')).toContain('ro');
    },
  },
  {
    name: 'CDI containerPath escaping with ..',
    image: () => undefined,
    hook: (c) => {
      fs.writeFileSync(
        path.join(c.dir, 'cdi', 'evil.json'),
        JSON.stringify({
          cdiVersion: '0.6.0',
          kind: 'evil.com/x',
          devices: [
            {
              name: 'a',
              containerEdits: { mounts: [{ hostPath: c.src, containerPath: `/../../../..${c.decoy}/cdi` }] },
            },
          ],
        }),
      );
      return [BIN('ocihook-gpu'), `--cdi-spec-dir=${path.join(c.dir, 'cdi')}`, '--device=evil.com/x=a'];
    },
    expect: 'inside',
    after: (r, d) => expect(fs.existsSync(`${r}${d}/cdi`)).toBe(true),
  },
  {
    // The GPU container that stopped: its image links the EGL vendor file into a driver folder
    // it lacks. The link is followed inside the rootfs and its target made there, as runc does.
    name: "CDI mount onto an image's egl_vendor.d link into a missing driver folder",
    image: (r) =>
      ln('../../../lib/x86_64-linux-gnu/nvidia/10_nvidia.json', `${r}/usr/share/glvnd/egl_vendor.d/10_nvidia.json`),
    hook: (c) => {
      fs.writeFileSync(
        path.join(c.dir, 'cdi', 'egl.json'),
        JSON.stringify({
          cdiVersion: '0.6.0',
          kind: 'example.com/gpu',
          devices: [
            {
              name: 'a',
              containerEdits: {
                mounts: [
                  {
                    hostPath: `${c.src}/file`,
                    containerPath: '/usr/share/glvnd/egl_vendor.d/10_nvidia.json',
                    options: ['ro', 'nosuid', 'nodev', 'bind'],
                  },
                ],
              },
            },
          ],
        }),
      );
      return [BIN('ocihook-gpu'), `--cdi-spec-dir=${path.join(c.dir, 'cdi')}`, '--device=example.com/gpu=a'];
    },
    expect: 'inside',
    mounts: (added, r) =>
      expect(added.map((m) => m.mountPoint)).toEqual([`${r}/usr/lib/x86_64-linux-gnu/nvidia/10_nvidia.json`]),
  },
  {
    name: 'CDI device node path escaping with ..',
    image: () => undefined,
    hook: (c) => {
      fs.writeFileSync(
        path.join(c.dir, 'cdi', 'evil.json'),
        JSON.stringify({
          cdiVersion: '0.6.0',
          kind: 'evil.com/x',
          devices: [
            {
              name: 'a',
              containerEdits: { deviceNodes: [{ path: `/dev/../../..${c.decoy}/node`, hostPath: '/dev/null' }] },
            },
          ],
        }),
      );
      return [
        BIN('ocihook-gpu'),
        `--cdi-spec-dir=${path.join(c.dir, 'cdi')}`,
        '--device=evil.com/x=a',
        '--skip-cgroup',
      ];
    },
    expect: 'inside',
  },
  {
    name: 'CDI containerPath relative',
    image: () => undefined,
    hook: (c) => {
      fs.writeFileSync(
        path.join(c.dir, 'cdi', 'evil.json'),
        JSON.stringify({
          cdiVersion: '0.6.0',
          kind: 'evil.com/x',
          devices: [{ name: 'a', containerEdits: { mounts: [{ hostPath: c.src, containerPath: '../../etc' }] } }],
        }),
      );
      return [BIN('ocihook-gpu'), `--cdi-spec-dir=${path.join(c.dir, 'cdi')}`, '--device=evil.com/x=a'];
    },
    // The CDI reference accepts a relative containerPath (as runc does a relative destination): it
    // resolves in the rootfs, where "../.." stops at its root.
    expect: 'inside',
  },
  {
    name: 'ld.so.conf including paths outside and itself',
    image: (r) => {
      fs.writeFileSync(
        `${r}/etc/ld.so.conf`,
        'include /etc/ld.so.conf\ninclude /../../../../etc/ld.so.conf.d/*.conf\n/../../../../usr/lib\n',
      );
      fs.mkdirSync(`${r}/lib64`, { recursive: true });
      fs.copyFileSync(fs.realpathSync('/lib64/ld-linux-x86-64.so.2'), `${r}/lib64/ld-linux-x86-64.so.2`);
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--folder=/opt', '--timeout=5'],
    expect: 'either',
  },
  {
    name: 'ld.so.conf.d is a symlink to the host decoy',
    image: (r, d) => {
      fs.writeFileSync(`${r}/etc/ld.so.conf`, 'include /etc/ld.so.conf.d/*.conf\n');
      ln(d, `${r}/etc/ld.so.conf.d`);
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--folder=/etc', '--timeout=5'],
    // Nothing is written into the image's configuration; ldconfig reads the include in the root.
    expect: 'inside',
  },
  {
    name: 'ld.so.conf.d is a symlink to a folder that exists in the image',
    image: (r, d) => {
      fs.writeFileSync(`${r}/etc/ld.so.conf`, 'include /etc/ld.so.conf.d/*.conf\n');
      ln(d, `${r}/etc/ld.so.conf.d`);
      fs.mkdirSync(`${r}${d}`, { recursive: true });
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--folder=/etc', '--timeout=5'],
    expect: 'inside',
    after: (r, d) => expect(fs.readdirSync(`${r}${d}`)).toEqual([]), // the image's configuration as it was
  },
  {
    // The linker cache's scratch folder goes in the container's /dev (a tmpfs the runtime mounts;
    // this harness mounts none): resolved in the root, a /dev that leads to the host decoy is no /dev.
    name: '/dev is a symlink to the host decoy',
    image: (r, d) => {
      fs.writeFileSync(`${r}/etc/ld.so.conf`, '/lib\n');
      fs.rmSync(`${r}/dev`, { recursive: true, force: true });
      ln(d, `${r}/dev`);
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--folder=/etc', '--timeout=5'],
    expect: 'fail',
    stderr: /the container has no \/dev for a scratch folder/,
  },
  {
    name: '/dev is a symlink to a folder of the image',
    image: (r) => {
      fs.writeFileSync(`${r}/etc/ld.so.conf`, '/lib\n');
      fs.rmSync(`${r}/dev`, { recursive: true, force: true });
      fs.mkdirSync(`${r}/var/devs`, { recursive: true });
      ln('/var/devs', `${r}/dev`);
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--folder=/etc', '--timeout=5'],
    expect: 'inside',
    after: (r) => expect(fs.readdirSync(`${r}/var/devs`)).toEqual([]), // the scratch folder made there and removed
  },
  {
    name: 'ld.so.cache is a symlink to the host cache',
    image: (r) => {
      fs.writeFileSync(`${r}/etc/ld.so.conf`, '/lib\n');
      ln('/etc/ld.so.cache', `${r}/etc/ld.so.cache.lnk`);
      fs.renameSync(`${r}/etc/ld.so.cache.lnk`, `${r}/etc/ld.so.cache`);
    },
    hook: () => [BIN('ocihook-ldconfig'), `--ldconfig-path=${LDCONFIG}`, '--timeout=5'],
    expect: 'either',
  },
  {
    name: 'an ldconfig path inside the rootfs',
    image: (r) => fs.writeFileSync(`${r}/bin/ldconfig`, '#!/bin/sh\ntouch /pwned\n', { mode: 0o755 }),
    hook: (c) => [BIN('ocihook-ldconfig'), `--ldconfig-path=${path.join(c.dir, 'rootfs', 'bin', 'ldconfig')}`],
    expect: 'fail',
    stderr: /inside the container's rootfs/,
  },
];
