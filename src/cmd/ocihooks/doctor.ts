/** `ocihooks doctor`: what this host supports and what is missing; its GPUs and whether its CDI specs still fit them; ocihooks-runtime's config and front-end, Slurm's oci.conf, and a scrun site. */
import path = require('node:path');
import type { CommandModule } from 'yargs';
import { doctor, frontEndCheck, keptPrecreateCheck, keptSpecsCheck, librariesCheck } from '../../admin/doctor';
import { KEPT_ENTRIES, KEPT_PRECREATE_DIR } from '../../gpu/kept-edits';
import { DEFAULT_CDI_DIRS } from '../../cdi/registry';
import { gpuChecks } from '../../gpu/generate/inventory';
import { DEFAULT_HOOKS_DIRS } from '../../hooksd/read';
import { hostPodman } from '../../admin/podman';
import { runtimeConfigCheck, scrunChecks, slurmGpusCheck, slurmOciConfCheck } from '../../wrapper/doctor';
import BUNDLES from '../bundles.json';
import { PREFIX } from './common';

interface Args {
  'hooks-dir'?: string[];
  'cdi-spec-dir'?: string[];
  'proc-root': string;
  'sys-root': string;
  'dev-root': string;
}

export const doctorCommand: CommandModule<object, Args> = {
  command: 'doctor',
  describe: 'what this host supports and what is missing',
  builder: (y) =>
    y
      .option('hooks-dir', { type: 'string', array: true, describe: 'hooks directories to inspect' })
      .option('cdi-spec-dir', {
        type: 'string',
        array: true,
        describe: `CDI spec folders to check (default: ${DEFAULT_CDI_DIRS.join(' ')})`,
      })
      .option('proc-root', { type: 'string', default: '/proc', describe: 'where procfs is read for GPUs' })
      .option('sys-root', { type: 'string', default: '/sys', describe: 'where sysfs is read for GPUs' })
      .option('dev-root', { type: 'string', default: '/', describe: 'under which /dev is, for GPUs' })
      .epilogue('Exit 1 when a check fails; warnings (a stale spec, a missing optional piece) keep exit 0.'),
  handler: (a) => {
    const roots = {
      proc: path.resolve(a['proc-root']),
      sys: path.resolve(a['sys-root']),
      dev: path.resolve(a['dev-root']),
      driver: '/',
    };
    const checks = [
      ...doctor(a['hooks-dir'] ?? [...DEFAULT_HOOKS_DIRS]),
      runtimeConfigCheck(process.env, hostPodman()),
      librariesCheck(PREFIX, Object.keys(BUNDLES)),
      frontEndCheck(PREFIX),
      slurmOciConfCheck(process.env),
      ...[slurmGpusCheck(process.env)].filter((c) => c !== undefined),
      ...scrunChecks(process.env),
      ...gpuChecks(roots, a['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS),
      keptSpecsCheck(),
      keptPrecreateCheck(KEPT_PRECREATE_DIR, KEPT_ENTRIES),
    ];
    for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name}: ${c.detail}\n`);
    if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
  },
};
