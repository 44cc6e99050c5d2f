/**
 * An ELF file's section table, read through positional reads (a driver library is tens of MB):
 * 32- or 64-bit, either byte order. Anything unexpected reads as "not ELF" (undefined): callers
 * treat a file they cannot read as one without what they look for.
 */
import fs = require('node:fs');

export interface ElfSection {
  /** Offset of the name in the section-name table. */
  name: number;
  type: number;
  offset: number;
  size: number;
  align: number;
  link: number;
}

export interface ElfSections {
  list: ElfSection[];
  /** The section-name table. */
  strtab: Buffer;
  littleEndian: boolean;
  is64: boolean;
}

export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
const DT_SONAME = 14n;

export function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = fs.readSync(fd, b, 0, length, offset);
  return b.subarray(0, n);
}

export function readElfSections(fd: number): ElfSections | undefined {
  const ident = readAt(fd, 0, 64);
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
  const table = readAt(fd, shoff, shnum * shentsize);
  if (table.length < shnum * shentsize) return undefined;
  const list: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = i * shentsize;
    list.push(
      is64
        ? {
            name: u32(table, o),
            type: u32(table, o + 4),
            offset: word(table, o + 0x18),
            size: word(table, o + 0x20),
            link: u32(table, o + 0x28),
            align: word(table, o + 0x30),
          }
        : {
            name: u32(table, o),
            type: u32(table, o + 4),
            offset: u32(table, o + 0x10),
            size: u32(table, o + 0x14),
            link: u32(table, o + 0x18),
            align: u32(table, o + 0x20),
          },
    );
  }
  const str = list[shstrndx];
  if (!str || str.size > 1 << 20) return undefined;
  return { list, strtab: readAt(fd, str.offset, str.size), littleEndian: le, is64 };
}

export function sectionName(s: ElfSections, section: ElfSection): string {
  return s.strtab.toString('latin1', section.name, s.strtab.indexOf(0, section.name));
}

/** DT_SONAME of a shared library (what the dynamic linker files it under), or undefined. */
export function readSoname(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const s = readElfSections(fd);
    const dynamic = s?.list.find((x) => x.type === SHT_DYNAMIC);
    const dynstr = dynamic ? s?.list[dynamic.link] : undefined;
    if (!s || !dynamic || !dynstr || dynamic.size > 1 << 20 || dynstr.size > 1 << 24) return undefined;
    const data = readAt(fd, dynamic.offset, dynamic.size);
    const entry = s.is64 ? 16 : 8;
    for (let o = 0; o + entry <= data.length; o += entry) {
      const tag = s.is64
        ? s.littleEndian
          ? data.readBigInt64LE(o)
          : data.readBigInt64BE(o)
        : BigInt(s.littleEndian ? data.readInt32LE(o) : data.readInt32BE(o));
      if (tag === 0n) break;
      if (tag !== DT_SONAME) continue;
      const at = Number(
        s.is64
          ? s.littleEndian
            ? data.readBigUInt64LE(o + 8)
            : data.readBigUInt64BE(o + 8)
          : s.littleEndian
            ? data.readUInt32LE(o + 4)
            : data.readUInt32BE(o + 4),
      );
      const text = readAt(fd, dynstr.offset + at, 256);
      const end = text.indexOf(0);
      return end > 0 ? text.toString('latin1', 0, end) : undefined;
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
