/**
 * Container edits applied to an OCI config.json as the reference's ContainerEdits.Apply does
 * (pkg/cdi container-edits.go), in its order: env (an existing variable replaced in place), device
 * nodes (missing numbers and mode filled from the host node, owner from the process user, a cgroup
 * rule for b and c nodes), net devices, mounts (then every mount sorted by container path depth,
 * stably), hooks, intelRdt, additional gids (0 skipped, no duplicates).
 * Where the reference would apply an edit the config had before — an engine's own CDI applied the
 * same device first — nothing changes (present.ts): the node with the same numbers is kept as it
 * is, a rule the config's device list already implies is not added, the same mount stays where it
 * is (and nothing is re-sorted), the same hook is not added again. Within one application the
 * reference's own repetitions stay (two nodes of the same numbers: two rules).
 */
import type { HostNodes } from '../core/host-view';
import type { Json } from '../core/json';
import type { CdiDeviceNode, CdiMount, ContainerEdits } from './edits';
import { deviceAllowed, hasAllowRule, hasDeviceNode, hasHook, hasMountEntry } from './present';

/** A refusal while applying edits, in the reference's words. */
export class CdiApplyError extends Error {
  override readonly name = 'CdiApplyError';
}

/** A device node with what the host told: hostPath, type, numbers and (when the host has it) mode. */
export interface FilledNode extends CdiDeviceNode {
  hostPath: string;
  type: string;
  major: number;
  minor: number;
}

/** The reference's fillMissingInfo: a node fully described by the spec needs no host node. */
export function fillMissingInfo(n: CdiDeviceNode, host: HostNodes): FilledNode {
  const out: FilledNode = {
    ...n,
    hostPath: n.hostPath || n.path,
    type: n.type ?? '',
    major: n.major ?? 0,
    minor: n.minor ?? 0,
  };
  const hasMinimal = out.type !== '' && (out.major !== 0 || out.type === 'p');
  const st = host.lstatNode(out.hostPath);
  if ('error' in st) {
    if (hasMinimal) return out;
    throw new CdiApplyError(`failed to stat CDI host device ${JSON.stringify(out.hostPath)}: ${st.error}`);
  }
  if (out.fileMode === undefined) out.fileMode = st.mode;
  if (hasMinimal) return out;
  if (out.type === '') out.type = st.type;
  if (out.type !== st.type)
    throw new CdiApplyError(
      `CDI device (${JSON.stringify(out.path)}, ${JSON.stringify(out.hostPath)}), host type mismatch (${out.type}, ${st.type})`,
    );
  if (out.type === 'p') return out;
  if (out.major === 0) {
    out.major = st.major;
    out.minor = st.minor;
  }
  return out;
}

/** The cgroup access a node's permissions grant: "" means rwm, "none" means nothing. */
export function cgroupAccess(permissions: string | undefined): string {
  if (!permissions) return 'rwm';
  return permissions === 'none' ? '' : permissions;
}

/** Go's filepath.Clean, for the depth of a container path. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(part);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** How deep a mount is: "/" 1, "/a/b" 2 (the reference counts "/" in the cleaned path). */
export function mountDepth(destination: string): number {
  return cleanPath(destination).split('/').length - 1;
}

function applyEnv(config: Json, env: string[]): void {
  if (!env.length) return;
  config.process ??= {};
  const list: string[] = (config.process.env ??= []);
  const index = new Map<string, number>();
  list.forEach((e, i) => index.set(e.includes('=') ? e.slice(0, e.indexOf('=')) : e, i));
  for (const e of env) {
    const key = e.slice(0, e.indexOf('='));
    const at = index.get(key);
    if (at !== undefined) list[at] = e;
    else index.set(key, list.push(e) - 1);
  }
}

function applyDeviceNode(config: Json, had: Json, n: CdiDeviceNode, host: HostNodes): void {
  const f = fillMissingInfo(n, host);
  const access = cgroupAccess(f.permissions);
  // "none" permissions: the reference still writes a rule (with no access); once is enough.
  const rule =
    (f.type === 'b' || f.type === 'c') &&
    (access === ''
      ? !hasAllowRule(had, f.type, f.major, f.minor, access)
      : !deviceAllowed(had, f.type, f.major, f.minor, access));
  if (hasDeviceNode(had, f)) {
    if (rule) addRule(config, f, access);
    return;
  }
  const dev: Json = { path: f.path, type: f.type, major: f.major, minor: f.minor };
  if (f.fileMode !== undefined) dev.fileMode = f.fileMode;
  const user = config.process?.user;
  const uid = f.uid ?? (config.process && user?.uid > 0 ? user.uid : undefined);
  const gid = f.gid ?? (config.process && user?.gid > 0 ? user.gid : undefined);
  if (uid !== undefined) dev.uid = uid;
  if (gid !== undefined) dev.gid = gid;
  config.linux ??= {};
  const devices: Json[] = (config.linux.devices ??= []);
  const first = devices.findIndex((d) => d.path === f.path);
  if (first >= 0) devices.splice(first, 1);
  const again = devices.findIndex((d) => d.path === f.path);
  if (again >= 0) devices[again] = dev;
  else devices.push(dev);
  if (rule) addRule(config, f, access);
}

function addRule(config: Json, f: FilledNode, access: string): void {
  config.linux ??= {};
  config.linux.resources ??= {};
  (config.linux.resources.devices ??= []).push({ allow: true, type: f.type, major: f.major, minor: f.minor, access });
}

/** With a user namespace, bind mounts get "idmap" ("ridmap" for rbind) unless they say one already. */
function withIdMap(m: CdiMount): string[] | undefined {
  let opt = m.type === 'bind' ? 'idmap' : '';
  for (const o of m.options ?? []) {
    if (o === 'idmap' || o === 'ridmap') return m.options;
    if (o === 'bind') opt = 'idmap';
    else if (o === 'rbind') opt = 'ridmap';
  }
  return opt ? [...(m.options ?? []), opt] : m.options;
}

function applyMounts(config: Json, had: Json, mounts: CdiMount[]): void {
  if (!mounts.length) return;
  const userns = (config.linux?.namespaces ?? []).some((ns: Json) => ns.type === 'user');
  const list: Json[] = (config.mounts ??= []);
  let added = false;
  for (const m of mounts) {
    const options = userns ? withIdMap(m) : m.options;
    const entry = {
      destination: m.containerPath,
      ...(m.type ? { type: m.type } : {}),
      source: m.hostPath,
      ...(options ? { options } : {}),
    };
    if (hasMountEntry(had, entry)) continue;
    const existing = list.findIndex((x) => x.destination === m.containerPath);
    if (existing >= 0) list.splice(existing, 1);
    list.push(entry);
    added = true;
  }
  // Array.prototype.sort is stable: mounts of equal depth keep their order.
  if (added) list.sort((a, b) => mountDepth(a.destination) - mountDepth(b.destination));
}

/**
 * A new config with the edits applied (the input is not changed); throws CdiApplyError.
 * `hooksRun`: the input's hooks as the runtime will run them, where they differ from its list (a
 * chain of ours stands for the hooks in it): a spec's hook among them is not added again.
 */
export function applyContainerEdits(input: Json, edits: ContainerEdits, host: HostNodes, hooksRun?: Json): Json {
  const config: Json = structuredClone(input);
  applyEnv(config, edits.env);
  for (const n of edits.deviceNodes) applyDeviceNode(config, input, n, host);
  for (const d of edits.netDevices) {
    config.linux ??= {};
    (config.linux.netDevices ??= {})[d.hostInterfaceName] = { name: d.name };
  }
  applyMounts(config, input, edits.mounts);
  for (const h of edits.hooks) {
    if (hasHook(hooksRun === undefined ? input : { ...input, hooks: hooksRun }, h)) continue;
    config.hooks ??= {};
    (config.hooks[h.hookName] ??= []).push({
      path: h.path,
      ...(h.args ? { args: h.args } : {}),
      ...(h.env ? { env: h.env } : {}),
      ...(h.timeout !== undefined ? { timeout: h.timeout } : {}),
    });
  }
  if (edits.intelRdt) {
    config.linux ??= {};
    config.linux.intelRdt = { ...edits.intelRdt };
  }
  for (const gid of edits.additionalGids) {
    if (gid === 0) continue;
    config.process ??= {};
    config.process.user ??= { uid: 0, gid: 0 };
    const gids: number[] = (config.process.user.additionalGids ??= []);
    if (!gids.includes(gid)) gids.push(gid);
  }
  return config;
}
