/**
 * cgroup v2: runc and crun attach a BPF_CGROUP_DEVICE program that denies by default, and every
 * attached program must allow an access, so adding a program is not enough. Each attached
 * program is read back (its translated instructions), rebuilt as [our allow rules] + [the
 * original program, unchanged], loaded, and swapped in atomically (BPF_F_REPLACE).
 */
import fs = require('node:fs');
import type { DeviceAllow } from '../../core/actions';
import { native } from '../native';
import { cgroupV2DeviceProgram } from './bpf';

export function allowDevicesV2(dirFd: number, rules: DeviceAllow[]): { rewritten: number } {
  const n = native();
  const c = n.constants;
  const q = n.bpfProgQuery(dirFd, c.BPF_CGROUP_DEVICE);
  let rewritten = 0;
  for (const id of q.ids) {
    const oldFd = n.bpfProgGetFdById(id);
    try {
      const info = n.bpfProgInfo(oldFd);
      const newFd = n.bpfProgLoad(c.BPF_PROG_TYPE_CGROUP_DEVICE, cgroupV2DeviceProgram(rules, info.insns), 'GPL');
      try {
        if (q.attachFlags & c.BPF_F_ALLOW_MULTI) {
          n.bpfProgAttach(dirFd, newFd, c.BPF_CGROUP_DEVICE, c.BPF_F_ALLOW_MULTI | c.BPF_F_REPLACE, oldFd);
        } else {
          // A single (or overridable) program is replaced by attaching with the same flags.
          n.bpfProgAttach(dirFd, newFd, c.BPF_CGROUP_DEVICE, q.attachFlags, 0);
        }
        rewritten++;
      } finally {
        fs.closeSync(newFd);
      }
    } finally {
      fs.closeSync(oldFd);
    }
  }
  return { rewritten };
}
