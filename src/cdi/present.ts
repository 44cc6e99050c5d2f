/**
 * What a container's config.json already has of a spec's edits. An engine with CDI of its own
 * (containerd's `enable_cdi`, podman's and docker's `--device vendor.com/class=x`) applies a
 * device's edits before our GPU hook sees the config, and a site may run both on the same
 * request: applying the edits a second time must change nothing — no second cgroup rule, no
 * mount moved to the end of its depth, no hook run twice. Both GPU modes ask these questions
 * (gpu/plan.ts for createContainer, cdi/apply.ts for precreate).
 */
import type { Json } from '../core/json';
import type { CdiHook } from './edits';

/** Go's filepath.Clean of a container path (the reference compares cleaned paths). */
function clean(p: string): string {
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'object' && x !== null) : []);
const values = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A node at `path` with the same type and numbers in linux.devices (its mode and owner aside). */
export function hasDeviceNode(config: Json, n: { path: string; type: string; major: number; minor: number }): boolean {
  return list(config.linux?.devices).some(
    (d) =>
      typeof d.path === 'string' &&
      clean(d.path) === clean(n.path) &&
      d.type === n.type &&
      (n.type === 'p' || (d.major === n.major && d.minor === n.minor)),
  );
}

/** Whether a device rule names this device (no type, "a", no or -1 numbers: any). */
function ruleCovers(r: Json, type: string, major: number, minor: number): boolean {
  const any = (v: unknown) => v === undefined || v === null || v === -1 || v === '*';
  return (
    (any(r.type) || r.type === 'a' || r.type === type) &&
    (any(r.major) || r.major === major) &&
    (any(r.minor) || r.minor === minor)
  );
}

/**
 * Whether linux.resources.devices already allows every letter of `access` on the device: for each
 * letter the last rule that names the device and the letter decides, as runc's device filter
 * reads the list. A rule the list already implies is not added again.
 */
export function deviceAllowed(config: Json, type: string, major: number, minor: number, access: string): boolean {
  const rules = list(config.linux?.resources?.devices);
  return [...access].every((letter) => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i] as Json;
      // A rule without access grants or denies nothing: one more rule is safer than a missing one.
      const letters = typeof r.access === 'string' ? r.access : '';
      if (ruleCovers(r, type, major, minor) && letters.includes(letter)) return r.allow === true;
    }
    return false;
  });
}

/** The same allow rule (type, numbers and access) in linux.resources.devices. */
export function hasAllowRule(config: Json, type: string, major: number, minor: number, access: string): boolean {
  return list(config.linux?.resources?.devices).some(
    (r) => r.allow === true && r.type === type && r.major === major && r.minor === minor && (r.access ?? '') === access,
  );
}

/** The same entry (destination, source, type and options, in order) in config.mounts. */
export function hasMountEntry(config: Json, entry: Json): boolean {
  return list(config.mounts).some(
    (m) =>
      typeof m.destination === 'string' &&
      clean(m.destination) === clean(entry.destination) &&
      m.source === entry.source &&
      m.type === entry.type &&
      JSON.stringify(m.options ?? []) === JSON.stringify(entry.options ?? []),
  );
}

const isBind = (m: Json) =>
  m.type === undefined || m.type === 'bind' || values(m.options).some((o) => o === 'bind' || o === 'rbind');
const isReadonly = (options: unknown) => values(options).some((o) => o === 'ro' || o === 'readonly');

/**
 * A bind mount of `source` at `destination`, read-only or not as asked, in config.mounts (what
 * runc will mount: the createContainer hook has nothing left to bind).
 */
export function hasBindMount(config: Json, source: string, destination: string, readonly: boolean): boolean {
  return list(config.mounts).some(
    (m) =>
      typeof m.destination === 'string' &&
      clean(m.destination) === clean(destination) &&
      m.source === source &&
      isBind(m) &&
      isReadonly(m.options) === readonly,
  );
}

/**
 * The same hook (path, args, env, timeout) at its stage in config.hooks. An entry marked `inChain`
 * is one of a chain of ours (hook/program/chain-hooks.ts hooksRun): the chain has one timeout for
 * all its hooks, and holds the args a runtime starts the hook with (its path where it has none).
 */
export function hasHook(config: Json, h: CdiHook): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return list(config.hooks?.[h.hookName]).some((x) =>
    x.inChain === true
      ? x.path === h.path && same(x.args, h.args ?? [h.path]) && same(x.env, h.env)
      : x.path === h.path && same(x.args, h.args) && same(x.env, h.env) && same(x.timeout, h.timeout),
  );
}

/** The exact entry ("KEY=value") in process.env. */
export function hasEnv(config: Json, entry: string): boolean {
  return values(config.process?.env).includes(entry);
}

/** The gid among process.user.additionalGids. */
export function hasAdditionalGid(config: Json, gid: number): boolean {
  return values(config.process?.user?.additionalGids).includes(gid);
}
