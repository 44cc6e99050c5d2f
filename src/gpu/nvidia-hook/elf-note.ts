/**
 * The CUDA forward-compatibility note of a libcuda.so (section .note.cuda.fwd_compatibility, type
 * SHT_NOTE, owner "NVIDIA Corporation", a JSON description), read the way NVIDIA's hook reads it:
 * the section table (src/linux/elf.ts), then the note. Anything unexpected means "no note".
 */
import { SHT_NOTE, readAt, readElfSections, sectionName } from '../../linux/elf';

export interface CudaCompatNote {
  cudaVersion?: string;
  drivers: number[];
}

const NOTE_SECTION = '.note.cuda.fwd_compatibility';

/** Go's alignUp: an alignment of 0 gives 0. */
function alignUp(x: number, a: number): number {
  return a === 0 ? 0 : Math.ceil(x / a) * a;
}

const trimNul = (b: Buffer) => b.toString('latin1').replace(/\0+$/, '');

/** The note of an open libcuda, or undefined when it has none (or none NVIDIA would accept). */
export function readCudaCompatNote(fd: number): CudaCompatNote | undefined {
  const s = readElfSections(fd);
  if (!s) return undefined;
  const le = s.littleEndian;
  const section = s.list.find((x) => x.type === SHT_NOTE && sectionName(s, x) === NOTE_SECTION);
  if (!section || section.size < 12 || section.size > 1 << 20) return undefined;
  const data = readAt(fd, section.offset, section.size);
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
