/**
 * What `ocihooks doctor` checks of the wrapper's side of a host: its settings file, as the wrapper
 * will read it; Slurm's oci.conf; a scrun site (docs/scrun.md).
 */
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import type { Check } from '../core/check';
import { messageOf } from '../core/errors';
import { findHostProgram } from '../linux/programs';
import { DEFAULT_RUNTIME_CONFIG, readRuntimeConfig } from './config-file';
import { resolveRuntime } from './command-line/options';
import { DEFAULT_PRESTART_AS, PrestartAs } from '../hooksd/prestart';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { checkOciConf } from './slurm/oci-conf';
import { cdiDeviceOfGpu, nodeGpuFiles, registryOnce } from './slurm/gpus';
import {
  checkContainersConf,
  checkRunUser,
  checkScrunLuaFile,
  checkScrunOciConf,
  checkStorageConf,
} from './slurm/scrun/site';

/** ocihooks-runtime's settings file as the wrapper will read it (in this environment). */
export function runtimeConfigCheck(
  env: NodeJS.ProcessEnv,
  podman: { version: string; prestartAs: PrestartAs } | string,
): Check {
  const name = 'runtime config';
  try {
    const c = readRuntimeConfig(env);
    if (!c.file)
      return { name, status: 'ok', detail: `none at ${DEFAULT_RUNTIME_CONFIG}: ocihooks-runtime uses its arguments` };
    const runtime = resolveRuntime(c.runtime ?? 'runc');
    const missing = (c.hooksDirs ?? []).filter((d) => !fs.existsSync(d));
    const prestartAs = c.prestartAs ?? DEFAULT_PRESTART_AS;
    const detail = `${c.file}: runtime ${runtime}; hooks folders ${(c.hooksDirs ?? ['(default)']).join(', ')}; prestart as ${prestartAs}`;
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

/** Slurm's oci.conf beside the slurm.conf that SLURM_CONF (or the default) names. */
export function slurmOciConfCheck(env: NodeJS.ProcessEnv): Check {
  const name = 'slurm oci.conf';
  const file = path.join(path.dirname(env.SLURM_CONF || '/etc/slurm/slurm.conf'), 'oci.conf');
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

/**
 * Where Slurm runs containers (an oci.conf): the CDI device each GPU file gres.conf lists for this
 * node is, as a GPU job's create looks it up (the wrapper's cdiSpecDirs), so that a spec that names
 * no device for a GPU, or only devices of several, is found before a job fails on it.
 */
export function slurmGpusCheck(env: NodeJS.ProcessEnv): Check | undefined {
  const name = 'slurm GPUs';
  if (!fs.existsSync(path.join(path.dirname(env.SLURM_CONF || '/etc/slurm/slurm.conf'), 'oci.conf'))) return undefined;
  let cdiDirs = DEFAULT_CDI_DIRS;
  try {
    const dirs = readRuntimeConfig(env).cdiSpecDirs;
    if (dirs?.length) cdiDirs = dirs;
  } catch {
    // `runtime config` fails with the reason; the wrapper would refuse every call.
  }
  try {
    const g = nodeGpuFiles(env, cdiDirs);
    if (!g.files.length)
      return {
        name,
        status: 'ok',
        detail: `${g.gresConf} lists no GPU files for ${g.node}: Slurm's GPU n is nvidia.com/gpu=n`,
      };
    const registry = registryOnce(cdiDirs);
    const named: string[] = [];
    const problems: string[] = [];
    g.files.forEach((file, i) => {
      try {
        named.push(`GPU ${i} (${file}) is ${cdiDeviceOfGpu(g, i, registry)}`);
      } catch (e) {
        problems.push(messageOf(e));
      }
    });
    return problems.length
      ? { name, status: 'fail', detail: `${problems.join('; ')} (a job given it fails)` }
      : { name, status: 'ok', detail: `${g.node}: ${named.join(', ')} (CDI specs in ${cdiDirs.join(', ')})` };
  } catch (e) {
    return { name, status: 'fail', detail: messageOf(e) };
  }
}

const readOr = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** A scrun site (docs/scrun.md): only where scrun is installed. */
export function scrunChecks(env: NodeJS.ProcessEnv): Check[] {
  const scrun = findHostProgram('scrun');
  if (!scrun) return [{ name: 'scrun', status: 'ok', detail: 'not installed: no scrun site to check' }];
  const slurmDir = path.dirname(env.SLURM_CONF || '/etc/slurm/slurm.conf');
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
  const uid = Number(env.SUDO_UID ?? process.getuid?.() ?? 0);
  const st = fs.statSync(`/run/user/${uid}`, { throwIfNoEntry: false });
  checks.push(checkRunUser(uid, st && { isDirectory: st.isDirectory(), uid: st.uid, mode: st.mode }));
  return checks;
}
