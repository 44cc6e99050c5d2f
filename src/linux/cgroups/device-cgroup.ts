/**
 * Device cgroup whitelisting for a container, v1 and v2: the container's cgroup comes from
 * /proc/<pid>/cgroup of a process inside it (membership.ts), is reached through a detached
 * hierarchy mount (hierarchy.ts), and gets devices.allow lines (v1.ts) or a rewritten BPF
 * program (v2.ts, bpf.ts).
 */
import { DeviceAllow, describeRule } from '../../core/actions';
import { openDeviceCgroup } from './hierarchy';
import type { DeviceCgroup } from './membership';
import { allowDevicesV1 } from './v1';
import { allowDevicesV2 } from './v2';

/** Allows `rules` in the container's device cgroup; returns one line saying what was done. */
export function allowDevices(cg: DeviceCgroup, rules: DeviceAllow[]): string {
  const { dirFd, close } = openDeviceCgroup(cg);
  try {
    if (cg.version === 1) {
      allowDevicesV1(dirFd, rules);
      return `cgroup v1 ${cg.path}: devices.allow ${rules.map(describeRule).join('; ')}`;
    }
    const { rewritten } = allowDevicesV2(dirFd, rules);
    return rewritten === 0
      ? `cgroup v2 ${cg.path}: no device program attached, nothing denies these devices at this level`
      : `cgroup v2 ${cg.path}: rewrote ${rewritten} device program(s) to allow ${rules.map(describeRule).join('; ')}`;
  } finally {
    close();
  }
}
