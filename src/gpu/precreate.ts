/**
 * The precreate mode of the GPU hook (podman's config filter): returns config.json with every
 * container edit of the selected devices applied. The env is the spec's (it replaces the same
 * variable from the image, e.g. NVIDIA_VISIBLE_DEVICES=void); the hook adds none of its own.
 */
import type { CdiHook } from '../cdi/spec';
import type { Json } from '../core/json';
import type { HostView } from '../engine/host';
import { GpuSelection, mergeEdits, resolveNode } from './edits';

function setEnv(env: string[], name: string, value: string): string[] {
  return [...env.filter((e) => !e.startsWith(`${name}=`)), `${name}=${value}`];
}

/** The precreate edit: a new config with every container edit applied (the input is not changed). */
export function editConfigForPrecreate(config: Json, sel: GpuSelection, host: HostView): Json {
  const out: Json = structuredClone(config);
  const edits = mergeEdits(sel.devices);
  out.process ??= {};
  let env: string[] = out.process.env ?? [];
  for (const e of edits.env) {
    const eq = e.indexOf('=');
    env = setEnv(env, e.slice(0, eq), e.slice(eq + 1));
  }
  out.process.env = env;

  out.linux ??= {};
  out.linux.resources ??= {};
  const devices: Json[] = (out.linux.devices ?? []).slice();
  const allow: Json[] = (out.linux.resources.devices ?? []).slice();
  for (const n of edits.deviceNodes.map((node) => resolveNode(node, host))) {
    const existing = devices.findIndex((d) => d.path === n.destination);
    const entry: Json = { path: n.destination, type: n.type, major: n.major, minor: n.minor };
    if (n.fileMode !== undefined) entry.fileMode = n.fileMode;
    if (n.uid !== undefined) entry.uid = n.uid;
    if (n.gid !== undefined) entry.gid = n.gid;
    if (existing >= 0) devices[existing] = entry;
    else devices.push(entry);
    allow.push({ allow: true, type: n.type, major: n.major, minor: n.minor, access: n.access });
  }
  out.linux.devices = devices;
  out.linux.resources.devices = allow;

  const mounts: Json[] = (out.mounts ?? []).filter((m: Json) => !edits.mounts.some((e) => e.containerPath === m.destination));
  for (const m of edits.mounts) {
    const type = m.type || 'bind';
    const options = m.options ?? (type === 'bind' ? ['rbind', 'nosuid'] : []);
    mounts.push({ destination: m.containerPath, source: m.hostPath, type, options });
  }
  out.mounts = mounts;

  if (edits.hooks.length) {
    out.hooks ??= {};
    for (const h of edits.hooks as CdiHook[]) {
      const entry: Json = { path: h.path };
      if (h.args) entry.args = h.args;
      if (h.env) entry.env = h.env;
      if (h.timeout !== undefined) entry.timeout = h.timeout;
      out.hooks[h.hookName] = [...(out.hooks[h.hookName] ?? []), entry];
    }
  }
  if (edits.additionalGids.length) {
    out.process.user ??= { uid: 0, gid: 0 };
    out.process.user.additionalGids = [...new Set([...(out.process.user.additionalGids ?? []), ...edits.additionalGids])];
  }
  if (edits.intelRdt) out.linux.intelRdt = { ...(out.linux.intelRdt ?? {}), ...edits.intelRdt };
  if (edits.netDevices.length) {
    out.linux.netDevices ??= {};
    for (const nd of edits.netDevices) out.linux.netDevices[nd.hostInterfaceName] = { name: nd.name };
  }
  return out;
}
