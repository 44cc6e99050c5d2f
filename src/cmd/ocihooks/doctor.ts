/** `ocihooks doctor`: what this host supports and what is missing; its GPUs and whether its CDI specs still fit them; ocihooks-runtime's config and front-end, Slurm's oci.conf, and a scrun site. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { doctor } from '../../admin/doctor';
import { launcherOf } from '../../admin/front-end';
import { DEFAULT_CDI_DIRS } from '../../cdi/registry';
import { gpuChecks } from '../../gpu/generate/inventory';
import { DEFAULT_HOOKS_DIRS } from '../../hooksd/read';
import { messageOf } from '../../core/errors';
import { DEFAULT_RUNTIME_CONFIG, readRuntimeConfig } from '../../runtime/config-file';
import { resolveRuntime } from '../../runtime/options';
import { checkOciConf } from '../../runtime/slurm/oci-conf';
import {
  type SiteCheck,
  checkContainersConf,
  checkRunUser,
  checkScrunLuaFile,
  checkScrunOciConf,
  checkStorageConf,
} from '../../runtime/slurm/scrun/site';
import { findHostProgram } from '../../linux/programs';
import { hostPodman } from '../../admin/podman';
import { DEFAULT_PRESTART_AS } from '../../hooksd/prestart';
import { PREFIX } from './common';

/** ocihooks-runtime's settings file as the wrapper will read it (in this environment). */
function runtimeConfigCheck(): { name: string; status: 'ok' | 'warn' | 'fail'; detail: string } {
  const name = 'runtime config';
  try {
    const c = readRuntimeConfig(process.env);
    if (!c.file)
      return { name, status: 'ok', detail: `none at ${DEFAULT_RUNTIME_CONFIG}: ocihooks-runtime uses its arguments` };
    const runtime = resolveRuntime(c.runtime ?? 'runc');
    const missing = (c.hooksDirs ?? []).filter((d) => !fs.existsSync(d));
    const prestartAs = c.prestartAs ?? DEFAULT_PRESTART_AS;
    const detail = `${c.file}: runtime ${runtime}; hooks folders ${(c.hooksDirs ?? ['(default)']).join(', ')}; prestart as ${prestartAs}`;
    const podman = hostPodman();
    const differs =
      typeof podman !== 'string' && podman.prestartAs !== prestartAs
        ? `podman ${podman.version} here injects prestart as ${podman.prestartAs}: set "prestartAs": "${podman.prestartAs}"`
        : undefined;
    const problems = [...(missing.length ? [`not there: ${missing.join(', ')}`] : []), ...(differs ? [differs] : [])];
    return problems.length
      ? { name, status: 'warn', detail: `${detail}; ${problems.join('; ')}` }
      : { name, status: 'ok', detail };
  } catch (e) {
    return { name, status: 'fail', detail: `${messageOf(e)} (ocihooks-runtime refuses every call)` };
  }
}

/** The installed front-end of ocihooks-runtime (beside this program) and the wrapper it runs. */
function frontEndCheck(): { name: string; status: 'ok' | 'warn' | 'fail'; detail: string } {
  const name = 'runtime front-end';
  const file = path.join(PREFIX, 'bin', 'ocihooks-runtime');
  let program: Buffer;
  try {
    program = fs.readFileSync(file);
  } catch {
    return {
      name,
      status: 'warn',
      detail: `${file}: missing (engines configured with it cannot start containers); run ocihooks install`,
    };
  }
  if (program.subarray(0, 4).toString('latin1') !== '\x7fELF')
    return {
      name,
      status: 'ok',
      detail: `${file}: the wrapper itself (a build, not an installation): every call starts Node`,
    };
  const launcher = launcherOf(program);
  if (!launcher)
    return {
      name,
      status: 'fail',
      detail: `${file}: names no wrapper to run (not made by ocihooks install); run ocihooks install`,
    };
  if (!fs.existsSync(launcher))
    return {
      name,
      status: 'fail',
      detail: `${file}: runs ${launcher}, which is not there (create, run and errors fail); run ocihooks install again`,
    };
  return { name, status: 'ok', detail: `${file}: pass-through calls exec the runtime, the rest run ${launcher}` };
}

/** Slurm's oci.conf beside the slurm.conf that SLURM_CONF (or the default) names. */
function slurmOciConfCheck(): { name: string; status: 'ok' | 'warn' | 'fail'; detail: string } {
  const name = 'slurm oci.conf';
  const file = path.join(path.dirname(process.env.SLURM_CONF || '/etc/slurm/slurm.conf'), 'oci.conf');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { name, status: 'ok', detail: `none at ${file}: Slurm runs no containers here` };
  }
  const slurmd = findHostProgram('slurmd');
  const version = slurmd
    ? (spawnSync(slurmd, ['-V'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '').trim()
    : undefined;
  return { name, ...checkOciConf(text, file, version || undefined) };
}

const readOr = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** A scrun site (docs/scrun.md): only where scrun is installed. */
function scrunChecks(): SiteCheck[] {
  const scrun = findHostProgram('scrun');
  if (!scrun) return [{ name: 'scrun', status: 'ok', detail: 'not installed: no scrun site to check' }];
  const slurmDir = path.dirname(process.env.SLURM_CONF || '/etc/slurm/slurm.conf');
  const lua = path.join(slurmDir, 'scrun.lua');
  const checks = [checkScrunLuaFile(readOr(lua), lua, (p) => fs.existsSync(p))];
  const ociConf = path.join(slurmDir, 'oci.conf');
  const ociText = readOr(ociConf);
  if (ociText !== undefined) checks.push(checkScrunOciConf(ociText, ociConf));
  // podman's order: its defaults, the admin's file, then the admin's drop-ins by name.
  const dropIns = '/etc/containers/containers.conf.d';
  const candidates = [
    '/usr/share/containers/containers.conf',
    '/etc/containers/containers.conf',
    ...(fs.existsSync(dropIns)
      ? fs
          .readdirSync(dropIns)
          .filter((n) => n.endsWith('.conf'))
          .sort()
          .map((n) => path.join(dropIns, n))
      : []),
  ];
  const present = candidates.filter((f) => readOr(f) !== undefined);
  checks.push(
    checkContainersConf(
      present.map((f) => readOr(f) as string),
      present.length ? present : candidates.slice(0, 2),
    ),
  );
  const storage = ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'].find((f) => fs.existsSync(f));
  checks.push(checkStorageConf(storage ? readOr(storage) : undefined, storage ?? '/etc/containers/storage.conf'));
  const uid = Number(process.env.SUDO_UID ?? process.getuid?.() ?? 0);
  const st = fs.statSync(`/run/user/${uid}`, { throwIfNoEntry: false });
  checks.push(checkRunUser(uid, st && { isDirectory: st.isDirectory(), uid: st.uid, mode: st.mode }));
  return checks;
}

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
      runtimeConfigCheck(),
      frontEndCheck(),
      slurmOciConfCheck(),
      ...scrunChecks(),
      ...gpuChecks(roots, a['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS),
    ];
    for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name}: ${c.detail}\n`);
    if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
  },
};
