/**
 * BPF_CGROUP_DEVICE programs, built as instruction bytes. A program reads the access from its
 * context (struct bpf_cgroup_dev_ctx: u32 access_type = (access << 16) | type; u32 major; u32
 * minor) and returns 1 to allow, 0 to deny.
 */
import type { DeviceAllow } from '../../core/actions';
import { ActionError } from '../../core/errors';

const DEVCG_TYPE = { b: 1, c: 2 } as const;
const DEVCG_ACC = { m: 1, r: 2, w: 4 } as const;

/** The opcodes used here (eBPF, 64-bit ALU and 32-bit loads). */
export const OP = {
  LDX_W: 0x61, // dst = *(u32 *)(src + off)
  MOV64_X: 0xbf,
  MOV64_K: 0xb7,
  AND64_K: 0x57,
  RSH64_K: 0x77,
  JNE_K: 0x55, // if dst != imm goto pc + 1 + off
  EXIT: 0x95,
  CALL: 0x85,
  LD_IMM64: 0x18,
} as const;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8(((src & 0xf) << 4) | (dst & 0xf), 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

export function accessMask(access: string): number {
  let mask = 0;
  for (const ch of access) mask |= DEVCG_ACC[ch as keyof typeof DEVCG_ACC] ?? 0;
  return mask;
}

/** Instructions that return 1 (allow) when the access matches the rule, else fall through. Keeps r1 (ctx). */
export function allowRuleInsns(r: DeviceAllow): Buffer[] {
  const body: Buffer[] = [];
  // Each check jumps to the end of this block; offsets are patched once the length is known.
  const checks: number[] = [];
  const skipUnless = (dst: number, imm: number) => {
    checks.push(body.length);
    body.push(insn(OP.JNE_K, dst, 0, 0, imm));
  };
  body.push(insn(OP.LDX_W, 2, 1, 0, 0));
  if (r.type !== 'a') {
    body.push(insn(OP.MOV64_X, 3, 2, 0, 0), insn(OP.AND64_K, 3, 0, 0, 0xffff));
    skipUnless(3, DEVCG_TYPE[r.type]);
  }
  // Requested access bits outside the allowed set make the rule not match.
  body.push(
    insn(OP.MOV64_X, 3, 2, 0, 0),
    insn(OP.RSH64_K, 3, 0, 0, 16),
    insn(OP.AND64_K, 3, 0, 0, ~accessMask(r.access) & 0x7),
  );
  skipUnless(3, 0);
  if (r.major !== '*') {
    body.push(insn(OP.LDX_W, 4, 1, 4, 0));
    skipUnless(4, r.major);
  }
  if (r.minor !== '*') {
    body.push(insn(OP.LDX_W, 4, 1, 8, 0));
    skipUnless(4, r.minor);
  }
  body.push(insn(OP.MOV64_K, 0, 0, 0, 1), insn(OP.EXIT, 0, 0, 0, 0));
  for (const index of checks) (body[index] as Buffer).writeInt16LE(body.length - index - 1, 2);
  return body;
}

/** The rewritten program: our allow rules first, then the original instructions unchanged. */
export function cgroupV2DeviceProgram(rules: DeviceAllow[], original: Buffer): Buffer {
  for (let off = 0; off + 8 <= original.length; off += 8) {
    const code = original.readUInt8(off);
    const src = original.readUInt8(off + 1) >> 4;
    if (code === OP.CALL || (code === OP.LD_IMM64 && src !== 0)) {
      throw new ActionError('the attached device program calls helpers or uses maps; refusing to rewrite it');
    }
  }
  return Buffer.concat([...rules.flatMap(allowRuleInsns), original]);
}

/** A deny-by-default program allowing exactly `rules`, the shape runc and crun attach (tests build the runtime's side with it). */
export function denyByDefaultProgram(rules: DeviceAllow[]): Buffer {
  return Buffer.concat([...rules.flatMap(allowRuleInsns), insn(OP.MOV64_K, 0, 0, 0, 0), insn(OP.EXIT, 0, 0, 0, 0)]);
}
