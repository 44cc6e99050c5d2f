/**
 * The createContainer mode of the GPU hook: a Plan on the one apply path every hook shares, with
 * the reference's semantics for what a plan can do there — device nodes (numbers and mode from
 * the host node, owner from the process user; bound from the host when nothing differs, made with
 * mknod when the spec or the user asks for other attributes or the host has no such node), a
 * cgroup rule per b/c node with the access of its permissions, bind mounts ordered by container
 * path depth, and the spec's createContainer hooks. What needs the runtime (env, gids, other
 * hook stages, other mount types, netDevices, intelRdt) is listed as deferred: precreate makes it.
 * What config.json already has — the engine's own CDI applied the same device, or our precreate
 * hook did — runc has made: the node with the same numbers, a cgroup rule the config implies, the
 * same bind mount and the same createContainer hook are left out of the plan, and an edit the
 * config already has is not deferred (cdi/present.ts).
 */
import { cgroupAccess, mountDepth } from '../cdi/apply';
import type { Action, DeviceAction, DeviceAllow } from '../core/actions';
import { UsageError } from '../core/errors';
import type { HostView } from '../core/host-view';
import { Plan, PlanInput, newPlan } from '../core/plan';
import { EditOrigin, GpuSelection, editOrigins, fillNode, lastByKey, selectedEdits } from './edits';
import type { CdiDeviceNode, CdiMount } from '../cdi/spec';
import {
  deviceAllowed,
  hasAdditionalGid,
  hasBindMount,
  hasDeviceNode,
  hasEnv,
  hasHook,
  hasMountEntry,
} from '../cdi/present';
import type { Json } from '../core/json';
import { hooksRunByStage } from '../hook/program/chain-hooks';

/** The process user's ids, which the reference gives device nodes that name no owner. */
function processUser(config: Json): { uid?: number; gid?: number } {
  const user = (config.process as { user?: { uid?: number; gid?: number } } | undefined)?.user;
  return { ...(user?.uid ? { uid: user.uid } : {}), ...(user?.gid ? { gid: user.gid } : {}) };
}

function isBindMount(m: CdiMount): boolean {
  return !m.type || m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

function deviceActions(
  config: Json,
  deviceNodes: CdiDeviceNode[],
  host: HostView,
  origin: EditOrigin,
): { actions: DeviceAction[]; rules: DeviceAllow[] } {
  const user = processUser(config);
  const actions: DeviceAction[] = [];
  const rules: DeviceAllow[] = [];
  for (const n of lastByKey(deviceNodes, (d) => d.path)) {
    const f = fillNode(n, host, origin);
    const type = f.type as DeviceAction['type'];
    const access = cgroupAccess(f.permissions);
    const allowed = access === '' || deviceAllowed(config, type, f.major, f.minor, access);
    if ((type === 'c' || type === 'b') && !allowed) rules.push({ type, major: f.major, minor: f.minor, access });
    if (hasDeviceNode(config, f)) continue;
    const hostNode = host.lstatNode(f.hostPath);
    const uid = f.uid ?? user.uid;
    const gid = f.gid ?? user.gid;
    const sameAsHost =
      !('error' in hostNode) &&
      hostNode.type === type &&
      hostNode.major === f.major &&
      hostNode.minor === f.minor &&
      (f.fileMode === undefined || f.fileMode === hostNode.mode);
    actions.push({
      action: 'device',
      source: f.hostPath,
      destination: f.path,
      type,
      major: f.major,
      minor: f.minor,
      access,
      ...(sameAsHost && uid === undefined && gid === undefined
        ? {}
        : {
            node: {
              ...(f.fileMode !== undefined ? { fileMode: f.fileMode } : {}),
              ...(uid !== undefined ? { uid } : {}),
              ...(gid !== undefined ? { gid } : {}),
            },
          }),
    });
  }
  return { actions, rules };
}

export function planGpuCreateContainer(p: PlanInput, sel: GpuSelection, host: HostView): Plan {
  const { actions, deferred } = gpuEditsLeft(p.bundle.config as Json, sel, host);
  return newPlan('gpu', p, actions, deferred);
}

/**
 * What the createContainer hook has to do for the selected devices in a container of this config
 * (`actions`), and what it cannot do there (`deferred`): the plan's content, which depends on the
 * config, the specs and the host alone — a precreate filter asks it of the config it wrote.
 */
export function gpuEditsLeft(
  config: Json,
  sel: GpuSelection,
  host: HostView,
): { actions: Action[]; deferred: string[] } {
  const edits = selectedEdits(sel.devices);
  const origin = editOrigins(sel.devices);
  const deferred: string[] = [];
  const { actions: devices, rules } = deviceActions(config, edits.deviceNodes, host, origin);
  const actions: Action[] = [...devices];
  const binds: Action[] = [];
  for (const m of lastByKey(edits.mounts, (x) => x.containerPath)) {
    if (!isBindMount(m)) {
      const entry = { destination: m.containerPath, type: m.type, source: m.hostPath, options: m.options };
      if (!hasMountEntry(config, entry)) deferred.push(`mount ${m.containerPath} of type ${m.type}: needs precreate`);
      continue;
    }
    if (!m.hostPath.startsWith('/'))
      throw new UsageError(
        `CDI mount ${m.containerPath} (${origin(m)}): host path ${JSON.stringify(m.hostPath)} is not absolute`,
      );
    const d = host.describe(m.hostPath);
    if (d.kind === 'missing' || d.kind === 'other')
      throw new UsageError(`CDI mount ${m.containerPath} (${origin(m)}): host path ${m.hostPath}: ${d.detail}`);
    const readonly = (m.options ?? []).some((o) => o === 'ro' || o === 'readonly');
    if (hasBindMount(config, m.hostPath, m.containerPath, readonly)) continue;
    binds.push({
      action: 'bind',
      source: m.hostPath,
      destination: m.containerPath,
      kind: d.kind === 'directory' ? 'directory' : 'file',
      readonly,
    });
  }
  // Parents before children, as the reference orders a config's mounts (a stable sort by depth).
  binds.sort(
    (a, b) =>
      mountDepth((a as { destination: string }).destination) - mountDepth((b as { destination: string }).destination),
  );
  actions.push(...binds);
  if (rules.length) actions.push({ action: 'allow-devices', rules });
  // A spec's hooks that precreate put in config.json may have become chains of ours since (the
  // wrapper's or a precreate filter's hook server relays them): runc runs them, not this hook.
  const hooksAsRun = edits.hooks.length ? { ...config, hooks: hooksRunByStage(config.hooks) } : config;
  for (const h of edits.hooks) {
    if (hasHook(hooksAsRun, h)) continue;
    if (h.hookName !== 'createContainer') {
      deferred.push(`hook ${h.path} for stage ${h.hookName}: needs precreate`);
      continue;
    }
    if (!h.path.startsWith('/'))
      throw new UsageError(`CDI hook ${JSON.stringify(h.path)} (${origin(h)}): the path of a hook must be absolute`);
    actions.push({
      action: 'run-hook',
      path: h.path,
      args: h.args ?? [h.path],
      env: h.env ?? [],
      timeoutMs: (h.timeout ?? 30) * 1000,
    });
  }
  for (const e of edits.env) if (!hasEnv(config, e)) deferred.push(`env ${e}: needs precreate`);
  for (const g of edits.additionalGids)
    if (g !== 0 && !hasAdditionalGid(config, g)) deferred.push(`additional gid ${g}: needs precreate`);
  for (const nd of edits.netDevices)
    if (config.linux?.netDevices?.[nd.hostInterfaceName]?.name !== nd.name)
      deferred.push(`net device ${nd.hostInterfaceName}: needs precreate`);
  if (edits.intelRdt && JSON.stringify(config.linux?.intelRdt) !== JSON.stringify(edits.intelRdt))
    deferred.push('intelRdt: needs precreate');
  return { actions, deferred };
}
