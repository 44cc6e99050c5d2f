#!/usr/bin/env node
// The demo (README command #1): on a fresh Debian machine it installs what it needs, builds,
// installs the hooks into a temporary prefix and hooks.d (never the system ones), makes a
// minimal glibc rootfs, and starts real podman+runc containers: with the annotation
// com.hooks.slurm.activate=true `srun --version` prints the host's Slurm version; without it
// the container has no srun. It cleans up after itself.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { podmanRunArgs } from './podman.mjs';
import { ensureDebian, ensureNpm } from './ensure-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`\x1b[1m==> ${msg}\x1b[0m`);
const cleanups = [];

function podman(hooksDir, rootfs, annotation, args) {
  const a = podmanRunArgs({ hooksDir, rootfs, annotations: annotation ? [annotation] : [], args });
  console.log(`$ podman ${a.join(' ')}`);
  return spawnSync('podman', a, { encoding: 'utf8', timeout: 120_000 });
}

function glibcRootfs(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const a of ['sh', 'ls', 'cat', 'echo', 'test']) fs.symlinkSync('busybox', path.join(bin, a));
  // The glibc family comes with the image (the hooks never inject the host's libc).
  const glibc = ['libc.so.6', 'libm.so.6', 'libresolv.so.2', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1'].map(
    (l) => `/lib/x86_64-linux-gnu/${l}`,
  );
  for (const lib of ['/lib64/ld-linux-x86-64.so.2', ...glibc]) {
    fs.mkdirSync(path.join(dir, path.dirname(lib)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), path.join(dir, lib));
  }
  for (const d of ['etc/ld.so.conf.d', 'proc', 'sys', 'dev', 'tmp', 'usr/bin', 'run'])
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  fs.writeFileSync(
    path.join(dir, 'etc/ld.so.conf.d/x86_64-linux-gnu.conf'),
    '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n',
  );
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
}

/** Slurm clients need a configuration source: a minimal slurm.conf, only if the host has none. */
function ensureSlurmHostBits() {
  const conf = '/etc/slurm/slurm.conf';
  if (!fs.existsSync(conf)) {
    const host = os.hostname().split('.')[0];
    fs.mkdirSync('/etc/slurm', { recursive: true });
    fs.writeFileSync(
      conf,
      `ClusterName=ocihooks-demo\nSlurmctldHost=${host}\nNodeName=${host} CPUs=1 State=UNKNOWN\nPartitionName=demo Nodes=ALL Default=YES\nProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n`,
    );
    cleanups.push(() => fs.rmSync(conf));
    say(`wrote a minimal ${conf} (removed at the end)`);
  }
  if (!fs.existsSync('/run/munge')) {
    fs.mkdirSync('/run/munge', { mode: 0o755 });
    cleanups.push(() => fs.rmdirSync('/run/munge'));
  }
}

let status = 0;
try {
  say('installing what the demo needs (npm packages, podman, runc, busybox, slurm-client, munge)');
  ensureNpm();
  ensureDebian({ 'slurm-client': '/usr/bin/srun', munge: '/usr/sbin/munged' });
  say('building');
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  ensureSlurmHostBits();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-demo-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const prefix = path.join(tmp, 'libexec');
  const hooksDir = path.join(tmp, 'hooks.d');
  say(`installing the hooks into ${prefix} and ${hooksDir}`);
  execFileSync(
    process.execPath,
    [
      path.join(root, 'dist', 'bin', 'ocihooks'),
      'install',
      '--prefix',
      prefix,
      '--hooks-dir',
      hooksDir,
      '--runtime-config',
      'none',
    ],
    { stdio: 'inherit' },
  );
  cleanups.unshift(() =>
    spawnSync(
      process.execPath,
      [path.join(root, 'dist', 'bin', 'ocihooks'), 'install', '--prefix', prefix, '--uninstall'],
      { stdio: 'ignore' },
    ),
  );

  const rootfs = path.join(tmp, 'rootfs');
  glibcRootfs(rootfs);
  say(`a minimal glibc rootfs: busybox + the host's loader and libc (${rootfs})`);

  say('1. a container WITHOUT the annotation');
  const plain = podman(hooksDir, rootfs, undefined, [
    'sh',
    '-c',
    'if test -x /usr/bin/srun; then echo srun is here; else echo "no srun in this container"; fi',
  ]);
  process.stdout.write(plain.stdout + plain.stderr);
  if (!plain.stdout.includes('no srun in this container'))
    throw new Error('the container without the annotation should have no srun');

  say('2. the same image WITH --annotation com.hooks.slurm.activate=true');
  const started = Date.now();
  const slurm = podman(hooksDir, rootfs, 'com.hooks.slurm.activate=true', ['srun', '--version']);
  process.stdout.write(slurm.stdout + slurm.stderr);
  const host = execFileSync('srun', ['--version'], { encoding: 'utf8' }).trim();
  if (slurm.status !== 0 || slurm.stdout.trim() !== host)
    throw new Error(`expected "${host}" from srun inside the container`);
  say(`the container ran the host's Slurm client: "${host}" (container start + run: ${Date.now() - started} ms)`);
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  status = 1;
} finally {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {
      // best effort
    }
  }
}
process.exit(status);
