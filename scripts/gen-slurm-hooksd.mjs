#!/usr/bin/env node
// Regenerates hooks.d/slurm.json from a Debian host with slurm-client installed: the Slurm
// client programs, /etc/slurm, the MUNGE socket folder, Slurm's plugin folder and the shared
// libraries all of them need (ldd), minus the glibc family, which the image must bring itself
// (mixing the host's libc into an image breaks the image's own programs).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROGRAMS = ['srun', 'sbatch', 'squeue', 'sinfo', 'salloc', 'scontrol'].map((p) => `/usr/bin/${p}`);
const PLUGINS = '/usr/lib/x86_64-linux-gnu/slurm-wlm';
const GLIBC = /^(libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl|libnsl|libmvec|ld-linux[^/]*)\.so/;

const libs = new Set();
const objects = [
  ...PROGRAMS,
  ...fs
    .readdirSync(PLUGINS)
    .filter((f) => f.endsWith('.so'))
    .map((f) => path.join(PLUGINS, f)),
];
for (const obj of objects) {
  let out = '';
  try {
    out = execFileSync('ldd', [obj], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  } catch {
    continue; // not a dynamic object
  }
  for (const m of out.matchAll(/=> (\/\S+) \(/g)) {
    const lib = m[1];
    if (GLIBC.test(path.basename(lib)) || lib.startsWith(PLUGINS + '/')) continue;
    libs.add(lib);
  }
}
const mounts = [
  ...PROGRAMS.map((p) => `--mount=type=bind,src=${p},dst=${p},readonly`),
  `--mount=type=bind,src=${PLUGINS},dst=${PLUGINS},readonly`,
  ...[...libs].sort().map((l) => `--mount=type=bind,src=${l},dst=${l},readonly`),
  '--mount=type=bind,src=/etc/slurm,dst=/etc/slurm,readonly',
  '--mount=type=bind,src=/run/munge,dst=/run/munge',
];
const file = {
  version: '1.0.0',
  hook: {
    path: '@LIBEXEC@/ocihook-mount',
    // An option rather than Sarus's LDCONFIG_PATH: a hook without an env list runs in one
    // process with the installation's other hooks of its stage (docs/hooks.md).
    args: ['ocihook-mount', '--ldconfig-path=@LDCONFIG@', ...mounts],
    timeout: 30,
  },
  when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
  stages: ['createContainer'],
};
fs.writeFileSync(path.join(root, 'hooks.d', 'slurm.json'), JSON.stringify(file, null, 2) + '\n');
console.log(`hooks.d/slurm.json: ${mounts.length} mounts`);
