/**
 * What `ocihooks doctor` says about GPUs: which vendors' drivers are loaded, with their GPUs, MIG
 * devices, IMEX channels and the generate modes that apply; and, for each CDI spec installed,
 * whether it still describes this host — a spec written for another NVIDIA driver version
 * (its ocihooks/driver-version annotation, or the version in its libcuda/libnvidia-ml file names,
 * for specs nvidia-ctk wrote), or naming a device node that is gone or now has other numbers, is
 * stale: the containers that use it would get the wrong libraries or no device.
 */
import fs = require('node:fs');
import path = require('node:path');
import { messageOf } from '../../core/errors';
import { SPEC_FILE, loadSpecFile } from '../../cdi/registry';
import type { CdiSpec } from '../../cdi/spec';
import { splitDev } from '../../linux/dev';
import { amdGpuDevices } from './amd';
import { Host, HostRoots } from './driver-host';
import { loadedVendors } from './index';
import { readDriverVersion, readGpus } from './nvidia/gpus';
import { migMinorsReader, readMigDevices } from './nvidia/mig';

export interface GpuCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

function nvidiaCheck(host: Host): { check: GpuCheck; version?: string } {
  try {
    const version = readDriverVersion(host);
    const minors = migMinorsReader(host);
    const gpus = readGpus(host).map((g) => {
      const mig = readMigDevices(host, g, minors);
      return `${g.index} ${g.bus} ${g.model}${mig ? ` (MIG: ${mig.length} device(s))` : ''}`;
    });
    const channels = host.list(host.dev('/dev/nvidia-caps-imex-channels')).filter((n) => /^channel\d+$/.test(n)).length;
    const modes = ['proc', 'management', ...(channels ? ['imex'] : [])];
    return {
      version,
      check: {
        name: 'GPU NVIDIA',
        status: 'ok',
        detail: `driver ${version}; ${gpus.join('; ')}${channels ? `; ${channels} IMEX channel(s)` : ''}; cdi generate modes: ${modes.join(', ')}`,
      },
    };
  } catch (e) {
    return { check: { name: 'GPU NVIDIA', status: 'fail', detail: messageOf(e) } };
  }
}

function amdCheck(host: Host): GpuCheck {
  try {
    const devices = amdGpuDevices(host, ['index']);
    return {
      name: 'GPU AMD',
      status: 'ok',
      detail: `${devices.length} GPU device(s) KFD lists (${devices.map((d) => d.parts.nodes[1]?.node.path).join(', ')}); cdi generate modes: proc`,
    };
  } catch (e) {
    return { name: 'GPU AMD', status: 'fail', detail: messageOf(e) };
  }
}

/** The NVIDIA driver version a spec was written for, when it says or its library names do. */
export function specDriverVersion(spec: CdiSpec): string | undefined {
  const said = spec.annotations['ocihooks/driver-version'];
  if (said) return said;
  const mounts = [spec.edits, ...spec.devices.map((d) => d.edits)].flatMap((e) => e.mounts);
  for (const m of mounts) {
    const v = /^lib(?:cuda|nvidia-ml)\.so\.(\d+\.\d+(?:\.\d+)?)$/.exec(path.basename(m.hostPath))?.[1];
    if (v) return v;
  }
  return undefined;
}

/** Device nodes of the spec that are gone or have other numbers than it says. */
function nodeProblems(spec: CdiSpec): string[] {
  const problems: string[] = [];
  for (const n of [spec.edits, ...spec.devices.map((d) => d.edits)].flatMap((e) => e.deviceNodes)) {
    const p = n.hostPath ?? n.path;
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(p, { bigint: true });
    } catch {
      problems.push(`${p} is gone`);
      continue;
    }
    const { major, minor } = splitDev(st.rdev);
    if (n.major !== undefined && (n.major !== major || (n.minor ?? 0) !== minor))
      problems.push(`${p} is now ${major}:${minor}, the spec says ${n.major}:${n.minor ?? 0}`);
  }
  return [...new Set(problems)];
}

function specCheck(file: string, nvidiaVersion: string | undefined): GpuCheck {
  const name = `CDI spec ${file}`;
  let spec: CdiSpec;
  try {
    spec = loadSpecFile(file);
  } catch (e) {
    return { name, status: 'fail', detail: `${messageOf(e)} (its devices cannot be requested)` };
  }
  // Read although the CDI reference refuses it: an engine that reads specs itself (CRI-O, containerd, podman) skips the file.
  const notCdi = spec.warnings ?? [];
  const warn = (detail: string): GpuCheck => ({ name, status: 'warn', detail: [...notCdi, detail].join('; ') });
  const written = specDriverVersion(spec);
  if (spec.vendor.endsWith('nvidia.com') && written && nvidiaVersion && written !== nvidiaVersion)
    return warn(
      `stale: written for NVIDIA driver ${written}, the loaded driver is ${nvidiaVersion}; run ocihooks cdi generate`,
    );
  const gone = nodeProblems(spec);
  if (gone.length)
    return warn(
      `stale: ${gone.slice(0, 3).join('; ')}${gone.length > 3 ? `; and ${gone.length - 3} more` : ''}; run ocihooks cdi generate`,
    );
  const summary = `${spec.kind}: ${spec.devices.length} device(s)`;
  return notCdi.length ? warn(summary) : { name, status: 'ok', detail: `${summary}, current` };
}

export function gpuChecks(roots: HostRoots, cdiDirs: readonly string[]): GpuCheck[] {
  const host = new Host(roots);
  const vendors = loadedVendors(host);
  const checks: GpuCheck[] = [];
  let nvidiaVersion: string | undefined;
  if (vendors.includes('nvidia')) {
    const n = nvidiaCheck(host);
    nvidiaVersion = n.version;
    checks.push(n.check);
  }
  if (vendors.includes('amd')) checks.push(amdCheck(host));
  if (vendors.length === 0)
    checks.push({
      name: 'GPU',
      status: 'ok',
      detail: `no NVIDIA or AMD driver loaded (${host.proc('driver/nvidia')}, ${host.sys('module/amdgpu/drivers')})`,
    });
  for (const dir of cdiDirs) {
    let names: string[] = [];
    try {
      names = fs
        .readdirSync(dir)
        .filter((f) => SPEC_FILE.test(f))
        .sort();
    } catch {
      continue;
    }
    for (const f of names) checks.push(specCheck(path.join(dir, f), nvidiaVersion));
  }
  if (!checks.some((c) => c.name.startsWith('CDI spec ')))
    checks.push({
      name: 'CDI specs',
      status: 'ok',
      detail: `none in ${cdiDirs.join(', ')} (GPU nodes are discovered from /dev instead)`,
    });
  return checks;
}
