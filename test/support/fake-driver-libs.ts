/**
 * Tiny real ELF libraries for the NVIDIA tests: a "libcuda" with the driver's SONAME, and a CUDA
 * forward-compatibility libcuda with or without NVIDIA's .note.cuda.fwd_compatibility section
 * (built here with gcc; the note assembled as NVIDIA lays it out: 4-aligned, owner "NVIDIA Corporation").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ok, requireTool } from './e2e';

/** Builds lib at `file` with SONAME `soname`; with `note`, adds the compat note {CUDA Version, Driver} (4-aligned, as NVIDIA's). */
export function buildLibcuda(file: string, soname: string, note?: { cudaVersion: string; drivers: number[] }): string {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const sources = [`${file}.c`];
  fs.writeFileSync(sources[0] as string, 'int cuInit(unsigned int flags) { return (int)flags; }\n');
  if (note) {
    const desc = JSON.stringify({ Format: 1, 'CUDA Version': note.cudaVersion, Driver: note.drivers, Device: [] });
    const asm = [
      '.section .note.cuda.fwd_compatibility,"a",@note',
      '.balign 4',
      '.long 19', // namesz: "NVIDIA Corporation" and its NUL
      `.long ${Buffer.byteLength(desc) + 1}`,
      '.long 1',
      '.asciz "NVIDIA Corporation"',
      '.balign 4',
      `.asciz "${desc.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
      '.balign 4',
      '',
    ].join('\n');
    sources.push(`${file}.S`);
    fs.writeFileSync(sources[1] as string, asm);
  }
  ok(requireTool('gcc'), ['-shared', '-fPIC', `-Wl,-soname,${soname}`, '-o', file, ...sources]);
  for (const src of sources) fs.rmSync(src);
  return file;
}
