/**
 * The devices the GPU hook can give: the CDI registry, or — when no CDI spec exists at all — the
 * GPU device nodes discovered on the host; and the selection of a container's devices from it.
 */
import { Registry, loadRegistry, resolveDevices } from '../cdi/registry';
import type { Logger } from '../engine/log';
import { discoverGpuSpecs } from './discover';
import type { GpuSelection } from './edits';
import { requestedDeviceNames } from './select';

export function gpuRegistry(dirs: string[], deviceRoot: string, log: Logger): Registry {
  const reg = loadRegistry(dirs);
  for (const p of reg.problems) log.warn({ cdi: p }, 'CDI spec skipped');
  if (reg.specs.length === 0) {
    for (const spec of discoverGpuSpecs(deviceRoot)) {
      reg.specs.push(spec);
      for (const device of spec.devices) reg.devices.set(`${spec.kind}=${device.name}`, { qualifiedName: `${spec.kind}=${device.name}`, spec, device });
    }
    log.info({ deviceRoot, kinds: reg.specs.map((s) => s.kind) }, 'no CDI spec found: discovered device nodes');
  }
  return reg;
}

/** The devices a container asked for (annotations, its env, the hook's --device), resolved. */
export function selectDevices(reg: Registry, annotations: Record<string, string>, env: Map<string, string>, cliDevices: string[]): GpuSelection {
  const requested = requestedDeviceNames(annotations, env, cliDevices);
  return { requested, devices: requested.length ? resolveDevices(reg, requested) : [] };
}
