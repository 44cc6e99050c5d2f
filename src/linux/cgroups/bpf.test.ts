/**
 * The BPF_CGROUP_DEVICE programs, run offline by a small eBPF interpreter written here from the
 * instruction set (not from the builder): for each access, does the program allow it?
 */
import type { DeviceAllow } from '../../core/actions';
import { ActionError } from '../../core/errors';
import { cgroupV2DeviceProgram, denyByDefaultProgram } from './bpf';

type Access = { type: 'c' | 'b'; major: number; minor: number; access: 'r' | 'w' | 'm' | 'rw' | 'rwm' };

/** Runs a program on bpf_cgroup_dev_ctx { u32 access_type = access << 16 | type; u32 major; u32 minor }. */
function run(prog: Buffer, a: Access): number {
  const acc = [...a.access].reduce((m, ch) => m | ({ m: 1, r: 2, w: 4 } as Record<string, number>)[ch]!, 0);
  const ctx = [(acc << 16) | (a.type === 'b' ? 1 : 2), a.major, a.minor];
  const r = new Array<bigint>(11).fill(0n);
  const mask = (1n << 64n) - 1n;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    const off = pc * 8;
    if (off + 8 > prog.length) throw new Error(`fell off the program at ${pc}`);
    const code = prog.readUInt8(off);
    const dst = prog.readUInt8(off + 1) & 0xf;
    const src = prog.readUInt8(off + 1) >> 4;
    const jump = prog.readInt16LE(off + 2);
    const imm = BigInt.asUintN(64, BigInt(prog.readInt32LE(off + 4)));
    pc++;
    switch (code) {
      case 0x61: // ldx w: only the context (r1) is ever read
        if (src !== 1) throw new Error(`load from r${src}`);
        r[dst] = BigInt(ctx[jump / 4]!);
        break;
      case 0xbf:
        r[dst] = r[src]!;
        break; // mov64 reg
      case 0xb7:
        r[dst] = imm;
        break; // mov64 imm
      case 0x57:
        r[dst] = r[dst]! & imm;
        break; // and64 imm
      case 0x77:
        r[dst] = (r[dst]! >> imm) & mask;
        break; // rsh64 imm
      case 0x55:
        if (r[dst] !== imm) pc += jump;
        break; // jne imm
      case 0x95:
        return Number(r[0]); // exit
      default:
        throw new Error(`opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('no exit');
}

const rules: DeviceAllow[] = [
  { type: 'c', major: 1, minor: 3, access: 'rwm' },
  { type: 'c', major: 195, minor: '*', access: 'rw' },
  { type: 'b', major: 8, minor: 0, access: 'r' },
  { type: 'a', major: 10, minor: 200, access: 'm' },
];

describe('deny-by-default program allowing exactly the rules', () => {
  const prog = denyByDefaultProgram(rules);
  test.each<[Access, number]>([
    [{ type: 'c', major: 1, minor: 3, access: 'rwm' }, 1],
    [{ type: 'c', major: 1, minor: 3, access: 'w' }, 1],
    [{ type: 'c', major: 1, minor: 5, access: 'r' }, 0],
    [{ type: 'b', major: 1, minor: 3, access: 'r' }, 0],
    [{ type: 'c', major: 195, minor: 0, access: 'rw' }, 1],
    [{ type: 'c', major: 195, minor: 255, access: 'r' }, 1],
    [{ type: 'c', major: 195, minor: 7, access: 'm' }, 0],
    [{ type: 'c', major: 195, minor: 7, access: 'rwm' }, 0],
    [{ type: 'b', major: 8, minor: 0, access: 'r' }, 1],
    [{ type: 'b', major: 8, minor: 0, access: 'w' }, 0],
    [{ type: 'c', major: 8, minor: 0, access: 'r' }, 0],
    [{ type: 'c', major: 10, minor: 200, access: 'm' }, 1],
    [{ type: 'b', major: 10, minor: 200, access: 'm' }, 1],
    [{ type: 'b', major: 10, minor: 200, access: 'r' }, 0],
  ])('%j -> %d', (access, allowed) => {
    expect(run(prog, access)).toBe(allowed);
  });
});

describe('a rewritten program keeps the original and adds the new rules', () => {
  const original = denyByDefaultProgram([{ type: 'c', major: 1, minor: 3, access: 'rwm' }]);
  const rewritten = cgroupV2DeviceProgram([{ type: 'c', major: 195, minor: 0, access: 'rw' }], original);
  test.each<[Access, number]>([
    [{ type: 'c', major: 1, minor: 3, access: 'rwm' }, 1], // the runtime's own rule still holds
    [{ type: 'c', major: 195, minor: 0, access: 'rw' }, 1], // the new device
    [{ type: 'c', major: 195, minor: 0, access: 'm' }, 0], // not more than asked
    [{ type: 'c', major: 195, minor: 1, access: 'r' }, 0], // not another GPU
    [{ type: 'c', major: 4, minor: 0, access: 'r' }, 0], // what the runtime denied stays denied
  ])('%j -> %d', (access, allowed) => {
    expect(run(rewritten, access)).toBe(allowed);
  });

  test('a program that calls helpers or uses maps is not rewritten', () => {
    const call = Buffer.from([0x85, 0, 0, 0, 1, 0, 0, 0]);
    const mapLoad = Buffer.from([0x18, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for (const prog of [Buffer.concat([call, original]), Buffer.concat([mapLoad, original])]) {
      expect(() => cgroupV2DeviceProgram(rules, prog)).toThrow(
        new ActionError('the attached device program calls helpers or uses maps; refusing to rewrite it'),
      );
    }
  });
});
