/**
 * Device cgroup whitelisting for a container, v1 and v2.
 *
 * The container's cgroup is taken from /proc/<pid>/cgroup of a process inside it (the hook
 * itself in runc/crun createContainer: it is a child of the container's init). That path is
 * relative to the reader's cgroup namespace, so the hierarchy is reached through a fresh,
 * detached cgroup mount (fsopen/fsmount): its root is the reader's namespace root, whatever
 * the host mounted where. Nothing is attached to any mount tree.
 *
 * v1: one "type major:minor access" line per write to devices.allow.
 * v2: runc and crun attach a BPF_CGROUP_DEVICE program that denies by default, and every
 * attached program must allow an access, so adding a program is not enough. Each attached
 * program is read back (its translated instructions), rebuilt as [our allow rules] + [the
 * original program, unchanged], loaded, and swapped in atomically (BPF_F_REPLACE).
 */
import * as fs from 'node:fs';
import { ActionError, messageOf } from '../../core/errors';
import { native } from '../native';
import type { DeviceAllow } from '../../core/plan';

export interface CgroupLine {
  hierarchy: number;
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m) out.push({ hierarchy: Number(m[1]), controllers: m[2] === '' ? [] : (m[2] as string).split(','), path: m[3] as string });
  }
  return out;
}

export type DeviceCgroup = { version: 1; path: string } | { version: 2; path: string };

/** Which hierarchy enforces device access for a process: the v1 devices controller if present, else v2. */
export function deviceCgroupOf(lines: CgroupLine[]): DeviceCgroup | undefined {
  const v1 = lines.find((l) => l.hierarchy !== 0 && l.controllers.includes('devices'));
  if (v1) return { version: 1, path: v1.path };
  const v2 = lines.find((l) => l.hierarchy === 0);
  return v2 ? { version: 2, path: v2.path } : undefined;
}

/** A detached mount of the cgroup hierarchy (root = this process's cgroup namespace root). */
function mountHierarchy(version: 1 | 2): number {
  const n = native();
  const c = n.constants;
  const fsfd = n.fsopen(version === 2 ? 'cgroup2' : 'cgroup', c.FSOPEN_CLOEXEC as number);
  try {
    if (version === 1) n.fsconfig(fsfd, c.FSCONFIG_SET_FLAG as number, 'devices', null);
    n.fsconfig(fsfd, c.FSCONFIG_CMD_CREATE as number, null, null);
    return n.fsmount(fsfd, c.FSMOUNT_CLOEXEC as number, 0);
  } finally {
    fs.closeSync(fsfd);
  }
}

function relative(cgroupPath: string): string {
  const rel = cgroupPath.replace(/^\/+/, '');
  return rel === '' ? '.' : rel;
}

/** Opens the container's device cgroup directory (O_RDONLY, as bpf(2) needs) — or, for v1, keeps the hierarchy fd. */
export function openDeviceCgroup(cg: DeviceCgroup): { dirFd: number; close(): void } {
  const n = native();
  const c = n.constants;
  let mnt: number;
  try {
    mnt = mountHierarchy(cg.version);
  } catch (e) {
    throw new ActionError(`cannot reach the cgroup v${cg.version} hierarchy for ${cg.path}: ${messageOf(e)}`);
  }
  try {
    const dirFd = n.openat(mnt, relative(cg.path), (c.O_RDONLY as number) | (c.O_DIRECTORY as number) | (c.O_CLOEXEC as number), 0);
    return {
      dirFd,
      close() {
        fs.closeSync(dirFd);
      },
    };
  } catch (e) {
    throw new ActionError(`container cgroup ${cg.path} (v${cg.version}): ${messageOf(e)}`);
  } finally {
    fs.closeSync(mnt);
  }
}

export function v1RuleLine(r: DeviceAllow): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

export function allowDevicesV1(dirFd: number, rules: DeviceAllow[]): void {
  const n = native();
  const c = n.constants;
  const fd = n.openat(dirFd, 'devices.allow', (c.O_WRONLY as number) | (c.O_CLOEXEC as number), 0);
  try {
    for (const r of rules) {
      try {
        fs.writeSync(fd, v1RuleLine(r));
      } catch (e) {
        throw new ActionError(`devices.allow "${v1RuleLine(r)}": ${messageOf(e)}`);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

// ---- cgroup v2: BPF_CGROUP_DEVICE programs ----

/** bpf_cgroup_dev_ctx: u32 access_type = (access << 16) | type; u32 major; u32 minor. */
const DEVCG_TYPE = { b: 1, c: 2 } as const;
const DEVCG_ACC = { m: 1, r: 2, w: 4 } as const;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8(((src & 0xf) << 4) | (dst & 0xf), 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

const LDX_W = 0x61; // dst = *(u32 *)(src + off)
const MOV64_X = 0xbf;
const MOV64_K = 0xb7;
const AND64_K = 0x57;
const RSH64_K = 0x77;
const JNE_K = 0x55; // if dst != imm goto pc + 1 + off
const EXIT = 0x95;
const CALL = 0x85;
const LD_IMM64 = 0x18;

export function accessMask(access: string): number {
  let mask = 0;
  for (const ch of access) mask |= DEVCG_ACC[ch as keyof typeof DEVCG_ACC] ?? 0;
  return mask;
}

/** Instructions that return 1 (allow) when the access matches the rule, else fall through. Keeps r1 (ctx). */
export function allowRuleInsns(r: DeviceAllow): Buffer[] {
  const body: Buffer[] = [];
  // Each check jumps to the end of this block; offsets are patched once the length is known.
  const checks: { index: number }[] = [];
  const jumpToEnd = (dst: number, imm: number) => {
    checks.push({ index: body.length });
    body.push(insn(JNE_K, dst, 0, 0, imm));
  };
  body.push(insn(LDX_W, 2, 1, 0, 0));
  if (r.type !== 'a') {
    body.push(insn(MOV64_X, 3, 2, 0, 0), insn(AND64_K, 3, 0, 0, 0xffff));
    jumpToEnd(3, DEVCG_TYPE[r.type]);
  }
  // Requested access bits outside the allowed set make the rule not match.
  body.push(insn(MOV64_X, 3, 2, 0, 0), insn(RSH64_K, 3, 0, 0, 16), insn(AND64_K, 3, 0, 0, ~accessMask(r.access) & 0x7));
  jumpToEnd(3, 0);
  if (r.major !== '*') {
    body.push(insn(LDX_W, 4, 1, 4, 0));
    jumpToEnd(4, r.major);
  }
  if (r.minor !== '*') {
    body.push(insn(LDX_W, 4, 1, 8, 0));
    jumpToEnd(4, r.minor);
  }
  body.push(insn(MOV64_K, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0));
  for (const { index } of checks) (body[index] as Buffer).writeInt16LE(body.length - index - 1, 2);
  return body;
}

/** The rewritten program: our allow rules first, then the original instructions unchanged. */
export function cgroupV2DeviceProgram(rules: DeviceAllow[], original: Buffer): Buffer {
  for (let off = 0; off + 8 <= original.length; off += 8) {
    const code = original.readUInt8(off);
    const src = original.readUInt8(off + 1) >> 4;
    if (code === CALL || (code === LD_IMM64 && src !== 0)) {
      throw new ActionError('the attached device program calls helpers or uses maps; refusing to rewrite it');
    }
  }
  return Buffer.concat([...rules.flatMap(allowRuleInsns), original]);
}

/** A deny-by-default program allowing exactly `rules`, the shape runc and crun attach (tests build the runtime's side with it). */
export function denyByDefaultProgram(rules: DeviceAllow[]): Buffer {
  return Buffer.concat([...rules.flatMap(allowRuleInsns), insn(MOV64_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0)]);
}

export function allowDevicesV2(dirFd: number, rules: DeviceAllow[]): { rewritten: number } {
  const n = native();
  const c = n.constants;
  const type = c.BPF_CGROUP_DEVICE as number;
  const q = n.bpfProgQuery(dirFd, type);
  let rewritten = 0;
  for (const id of q.ids) {
    const oldFd = n.bpfProgGetFdById(id);
    try {
      const info = n.bpfProgInfo(oldFd);
      const newFd = n.bpfProgLoad(c.BPF_PROG_TYPE_CGROUP_DEVICE as number, cgroupV2DeviceProgram(rules, info.insns), 'GPL');
      try {
        if (q.attachFlags & (c.BPF_F_ALLOW_MULTI as number)) {
          n.bpfProgAttach(dirFd, newFd, type, (c.BPF_F_ALLOW_MULTI as number) | (c.BPF_F_REPLACE as number), oldFd);
        } else {
          // A single (or overridable) program is replaced by attaching with the same flags.
          n.bpfProgAttach(dirFd, newFd, type, q.attachFlags, 0);
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

/** Reads a process's cgroup membership; "self" from inside a createContainer hook is the container's. */
export function deviceCgroupOfPid(pid: number | 'self'): DeviceCgroup {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch (e) {
    throw new ActionError(`cannot read /proc/${pid}/cgroup: ${messageOf(e)}`);
  }
  const cg = deviceCgroupOf(parseProcCgroup(text));
  if (!cg) throw new ActionError(`/proc/${pid}/cgroup names no devices controller and no cgroup v2 hierarchy`);
  return cg;
}

export function allowDevices(cg: DeviceCgroup, rules: DeviceAllow[]): string {
  const { dirFd, close } = openDeviceCgroup(cg);
  try {
    if (cg.version === 1) {
      allowDevicesV1(dirFd, rules);
      return `cgroup v1 ${cg.path}: devices.allow ${rules.map(v1RuleLine).join('; ')}`;
    }
    const { rewritten } = allowDevicesV2(dirFd, rules);
    return rewritten === 0
      ? `cgroup v2 ${cg.path}: no device program attached, nothing denies these devices at this level`
      : `cgroup v2 ${cg.path}: rewrote ${rewritten} device program(s) to allow ${rules.map(v1RuleLine).join('; ')}`;
  } finally {
    close();
  }
}
