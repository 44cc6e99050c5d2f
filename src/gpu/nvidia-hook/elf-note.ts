/**
 * The CUDA forward-compatibility note of a libcuda.so (section .note.cuda.fwd_compatibility, type
 * SHT_NOTE, owner "NVIDIA Corporation", a JSON description), read the way NVIDIA's hook reads it:
 * section headers through positional reads of the file (a libcuda is tens of MB), 32- or 64-bit,
 * either byte order. Anything unexpected means "no note".
 */
import * as fs from 'node:fs';

export interface CudaCompatNote {
  cudaVersion?: string;
  drivers: number[];
}

const SHT_NOTE = 7;
const NOTE_SECTION = '.note.cuda.fwd_compatibility';

function read(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = fs.readSync(fd, b, 0, length, offset);
  return b.subarray(0, n);
}

/** Go's alignUp: an alignment of 0 gives 0. */
function alignUp(x: number, a: number): number {
  return a === 0 ? 0 : Math.ceil(x / a) * a;
}

const trimNul = (b: Buffer) => b.toString('latin1').replace(/\0+$/, '');

interface Section {
  name: number;
  type: number;
  offset: number;
  size: number;
  align: number;
}

function sections(fd: number): { list: Section[]; strtab: Buffer } | undefined {
  const ident = read(fd, 0, 64);
  if (ident.length < 52 || ident.toString('latin1', 0, 4) !== '\x7fELF') return undefined;
  const is64 = ident[4] === 2;
  const le = ident[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const shoff = word(ident, is64 ? 0x28 : 0x20);
  const shentsize = u16(ident, is64 ? 0x3a : 0x2e);
  const shnum = u16(ident, is64 ? 0x3c : 0x30);
  const shstrndx = u16(ident, is64 ? 0x3e : 0x32);
  if (shnum === 0 || shnum > 4096 || shentsize < (is64 ? 64 : 40)) return undefined;
  const table = read(fd, shoff, shnum * shentsize);
  if (table.length < shnum * shentsize) return undefined;
  const list: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    list.push(
      is64
        ? { name: u32(table, o), type: u32(table, o + 4), offset: word(table, o + 0x18), size: word(table, o + 0x20), align: word(table, o + 0x30) }
        : { name: u32(table, o), type: u32(table, o + 4), offset: u32(table, o + 0x10), size: u32(table, o + 0x14), align: u32(table, o + 0x20) },
    );
  }
  const str = list[shstrndx];
  if (!str || str.size > 1 << 20) return undefined;
  return { list, strtab: read(fd, str.offset, str.size) };
}

/** The note of an open libcuda, or undefined when it has none (or none NVIDIA would accept). */
export function readCudaCompatNote(fd: number): CudaCompatNote | undefined {
  const s = sections(fd);
  if (!s) return undefined;
  const le = read(fd, 5, 1)[0] === 1;
  const section = s.list.find((x) => x.type === SHT_NOTE && s.strtab.toString('latin1', x.name, s.strtab.indexOf(0, x.name)) === NOTE_SECTION);
  if (!section || section.size < 12 || section.size > 1 << 20) return undefined;
  const data = read(fd, section.offset, section.size);
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const namesz = u32(0);
  const descsz = u32(4);
  if (namesz === 0 || descsz === 0) return undefined;
  const nameEnd = 12 + alignUp(namesz, section.align);
  if (trimNul(data.subarray(12, nameEnd)) !== 'NVIDIA Corporation') return undefined;
  let desc: { 'CUDA Version'?: unknown; Driver?: unknown };
  try {
    desc = JSON.parse(trimNul(data.subarray(nameEnd, nameEnd + descsz)));
  } catch {
    return undefined;
  }
  const drivers = Array.isArray(desc.Driver) ? desc.Driver.filter((d): d is number => Number.isInteger(d)) : [];
  return { ...(typeof desc['CUDA Version'] === 'string' ? { cudaVersion: desc['CUDA Version'] } : {}), drivers };
}
