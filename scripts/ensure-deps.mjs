#!/usr/bin/env node
// Installs what the tests and the demo need on a fresh Debian machine, and nothing that is
// already there: npm dependencies (npm ci, no install scripts needed) and Debian packages.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Debian package -> a file that shows it is installed.
export const DEBIAN_PACKAGES = {
  podman: '/usr/bin/podman',
  runc: '/usr/sbin/runc',
  crun: '/usr/bin/crun',
  'busybox-static': '/bin/busybox',
  libfabric1: '/usr/lib/x86_64-linux-gnu/libfabric.so.1',
  uidmap: '/usr/bin/newuidmap',
  gcc: '/usr/bin/gcc',
  'libc6-dev': '/usr/include/stdio.h',
  make: '/usr/bin/make',
  python3: '/usr/bin/python3',
  time: '/usr/bin/time',
  'slurm-client': '/usr/bin/srun',
  munge: '/usr/sbin/munged',
  slurmctld: '/usr/sbin/slurmctld',
  slurmd: '/usr/sbin/slurmd',
  containerd: '/usr/bin/containerd',
  'docker.io': '/usr/sbin/dockerd',
  // podman's overlay through FUSE (its mount_program), for the linker cache's place
  'fuse-overlayfs': '/usr/bin/fuse-overlayfs',
  // Debian 13 roots for the scrun tests (test/support/debian-root.ts)
  debootstrap: '/usr/sbin/debootstrap',
};

function log(msg) {
  process.stderr.write(`[ensure-deps] ${msg}\n`);
}

export function ensureNpm() {
  // Every package.json dependency present: a checkout that gained one since its last `npm ci` gets it.
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  const installed = (name) => fs.existsSync(path.join(root, 'node_modules', name, 'package.json'));
  if (fs.existsSync(path.join(root, 'node_modules', '.package-lock.json')) && names.every(installed)) return;
  log('installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

export function ensureDebian(extra = {}) {
  const wanted = { ...DEBIAN_PACKAGES, ...extra };
  const missing = Object.entries(wanted)
    .filter(([, file]) => !fs.existsSync(file))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid && process.getuid() !== 0)
    throw new Error(`missing Debian packages ${missing.join(' ')} and not root: install them first`);
  log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (update.status !== 0) throw new Error('apt-get update failed');
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  if (install.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureNpm();
  ensureDebian();
}
