/**
 * The createContainer mode of the GPU hook: a Plan (device nodes, mounts, cgroup rules, the
 * spec's createContainer hooks) on the one apply path every hook shares. Edits that need the
 * runtime (env, gids, other hook stages, netDevices, intelRdt) are listed as deferred: the
 * precreate mode (precreate.ts) makes them.
 */
import type { Action, DeviceAllow } from '../core/actions';
import { UsageError } from '../core/errors';
import { Plan, PlanInput, newPlan } from '../core/plan';
import type { HostView } from '../engine/host';
import { GpuSelection, isBindMount, mergeEdits, resolveNode } from './edits';

export function planGpuCreateContainer(p: PlanInput, sel: GpuSelection, host: HostView): Plan {
  const edits = mergeEdits(sel.devices);
  const actions: Action[] = [];
  const deferred: string[] = [];
  const rules: DeviceAllow[] = [];
  for (const n of edits.deviceNodes.map((node) => resolveNode(node, host))) {
    const attrs = n.mknod || n.fileMode !== undefined || n.uid !== undefined || n.gid !== undefined;
    actions.push({
      action: 'device',
      source: n.source,
      destination: n.destination,
      type: n.type,
      major: n.major,
      minor: n.minor,
      access: n.access,
      ...(attrs ? { node: { fileMode: n.fileMode, uid: n.uid, gid: n.gid } } : {}),
    });
    rules.push({ type: n.type, major: n.major, minor: n.minor, access: n.access });
  }
  for (const m of edits.mounts) {
    if (!isBindMount(m)) {
      deferred.push(`mount ${m.containerPath} of type ${m.type}: needs precreate`);
      continue;
    }
    const d = host.describe(m.hostPath);
    if (d.kind === 'missing' || d.kind === 'other') throw new UsageError(`CDI mount ${m.containerPath}: host path ${m.hostPath}: ${d.detail}`);
    const readonly = (m.options ?? []).some((o) => o === 'ro' || o === 'readonly');
    actions.push({ action: 'bind', source: m.hostPath, destination: m.containerPath, kind: d.kind === 'directory' ? 'directory' : 'file', readonly });
  }
  if (rules.length) actions.push({ action: 'allow-devices', rules });
  for (const h of edits.hooks) {
    if (h.hookName !== 'createContainer') {
      deferred.push(`hook ${h.path} for stage ${h.hookName}: needs precreate`);
      continue;
    }
    actions.push({ action: 'run-hook', path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeoutMs: (h.timeout ?? 30) * 1000 });
  }
  for (const e of edits.env) deferred.push(`env ${e}: needs precreate`);
  for (const g of edits.additionalGids) deferred.push(`additional gid ${g}: needs precreate`);
  for (const nd of edits.netDevices) deferred.push(`net device ${nd.hostInterfaceName}: needs precreate`);
  if (edits.intelRdt) deferred.push('intelRdt: needs precreate');
  return newPlan('gpu', p, actions, deferred);
}

