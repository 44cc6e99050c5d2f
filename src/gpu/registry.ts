/**
 * The devices the GPU hook can give: the CDI registry, or — when no CDI spec exists at all — the
 * GPU device nodes discovered on the host; and the selection of a container's devices from it.
 */
import { DecodedSpecs, Registry, loadRegistry, resolveDevices } from '../cdi/registry';
import type { Logger } from '../hook/log';
import { discoverGpuSpecs } from './discover';
import type { GpuSelection } from './edits';
import { SelectionInput, requestedDevices } from './select';

export function gpuRegistry(dirs: string[], deviceRoot: string, log: Logger, decodedSpecs?: DecodedSpecs): Registry {
  const reg = loadRegistry(dirs, decodedSpecs);
  for (const p of reg.problems) log.warn({ cdi: p }, 'CDI spec skipped');
  for (const spec of reg.specs)
    for (const w of spec.warnings ?? [])
      log.warn({ cdi: `${spec.file}: ${w}` }, 'CDI spec read in a form the CDI reference refuses');
  if (reg.specs.length === 0) {
    for (const spec of discoverGpuSpecs(deviceRoot)) {
      reg.specs.push(spec);
      for (const device of spec.devices)
        reg.devices.set(`${spec.kind}=${device.name}`, { qualifiedName: `${spec.kind}=${device.name}`, spec, device });
    }
    log.info({ deviceRoot, kinds: reg.specs.map((s) => s.kind) }, 'no CDI spec found: discovered device nodes');
  }
  return reg;
}

/** The devices a container gets (select.ts says which), resolved; what was set and not used is logged. */
export function selectDevices(reg: Registry, input: SelectionInput, log: Logger): GpuSelection {
  const request = requestedDevices(input);
  if (request.ignored) log.info({ source: request.source }, request.ignored);
  return { requested: request.names, devices: request.names.length ? resolveDevices(reg, request.names) : [] };
}
