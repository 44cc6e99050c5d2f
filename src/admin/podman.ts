/**
 * The podman on this host and its reading of hooks.d (hooksd/prestart.ts: where a file's prestart
 * goes, how a hook path it cannot look at is worded): what
 * `ocihooks validate` and `ocihooks match` follow unless told (--prestart-as), what `ocihooks
 * install` writes into the wrapper's config file, and what `ocihooks doctor` compares that file
 * with. No podman here: the newest reading, as for every engine that is not podman.
 */
import { spawnSync } from 'node:child_process';
import { DEFAULT_PRESTART_AS, PodmanReading, PrestartAs, podmanReading, readingOf } from '../hooksd/prestart';
import { SCRUBBED_ENV } from '../linux/exec';
import { findHostProgram } from '../linux/programs';

export interface HostPodman extends PodmanReading {
  path: string;
  version: string;
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

/**
 * The reading a command follows: the podman its --prestart-as names (the newest of that major
 * version), else the host podman's, else the newest.
 */
export function followedReading(given: PrestartAs | undefined): PodmanReading & { why: string } {
  if (given) return { ...readingOf(given), why: '--prestart-as' };
  const p = hostPodman();
  return typeof p === 'string'
    ? { ...readingOf(DEFAULT_PRESTART_AS), why: `${p}: the newest reading` }
    : { prestartAs: p.prestartAs, hookPathCheck: p.hookPathCheck, why: `as podman ${p.version} (${p.path})` };
}
