/**
 * The podman on this host and where it puts a hooks.d file's prestart (hooksd/prestart.ts): what
 * `ocihooks validate` and `ocihooks match` follow unless told (--prestart-as), what `ocihooks
 * install` writes into the wrapper's config file, and what `ocihooks doctor` compares that file
 * with. No podman here: the newest reading, as for every engine that is not podman.
 */
import { spawnSync } from 'node:child_process';
import { DEFAULT_PRESTART_AS, PrestartAs, podmanReading } from '../hooksd/prestart';
import { SCRUBBED_ENV } from '../linux/exec';
import { findHostProgram } from '../linux/programs';

export interface HostPodman {
  path: string;
  version: string;
  prestartAs: PrestartAs;
}

/** The host's podman (found in the host program folders) and its reading; a string says why there is none. */
export function hostPodman(): HostPodman | string {
  const file = findHostProgram('podman');
  if (!file) return 'no podman on this host';
  const r = spawnSync(file, ['--version'], { env: SCRUBBED_ENV, encoding: 'utf8', timeout: 10_000 });
  const reading = r.status === 0 ? podmanReading(r.stdout) : undefined;
  if (!reading)
    return `${file} --version: ${r.error?.message ?? (r.status === 0 ? `no version in ${JSON.stringify(r.stdout.trim())}` : `exit ${r.status}`)}`;
  return { path: file, ...reading };
}

/** The reading a command follows: the one it was given, else the host podman's, else the newest. */
export function prestartReading(given: PrestartAs | undefined): { prestartAs: PrestartAs; why: string } {
  if (given) return { prestartAs: given, why: '--prestart-as' };
  const p = hostPodman();
  return typeof p === 'string'
    ? { prestartAs: DEFAULT_PRESTART_AS, why: `${p}: the newest reading` }
    : { prestartAs: p.prestartAs, why: `as podman ${p.version} (${p.path})` };
}
