/**
 * README command #1 (`npm run demo`) end to end: it must start a real container where
 * `srun --version` prints the host's Slurm version only with the annotation, and clean up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, ok, run } from '../support/e2e';

test('the demo runs: srun inside only with com.hooks.slurm.activate=true, and leaves nothing behind', () => {
  const slurmConfBefore = fs.existsSync('/etc/slurm/slurm.conf');
  const mungeBefore = fs.existsSync('/run/munge');
  const r = run(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs')], { timeoutMs: 300_000 });
  expect(r.status).toBe(0);
  // The demo itself compares the container's output with the host's `srun --version` (which needs
  // the slurm.conf the demo provides for its duration); here the packaged version is the oracle.
  const version = ok('dpkg-query', ['-W', '-f', '${Version}', 'slurm-client']).split('-')[0] as string;
  expect(r.stdout).toContain('no srun in this container');
  expect(r.stdout).toContain(`the container ran the host's Slurm client: "slurm-wlm ${version}"`);
  expect(fs.existsSync('/etc/slurm/slurm.conf')).toBe(slurmConfBefore);
  expect(fs.existsSync('/run/munge')).toBe(mungeBefore);
}, 300_000);
