/** SONAMEs read from real ELF files of this machine; anything else has none. */
import * as fs from 'node:fs';
import { readSoname } from './elf';

test('the C library names itself libc.so.6; a text file and a missing file have no SONAME', () => {
  const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib64/libc.so.6'].find(
    (p) => fs.existsSync(p),
  );
  if (!libc) throw new Error('no libc.so.6 on this machine to read');
  expect(readSoname(libc)).toBe('libc.so.6');
  expect(readSoname('/etc/passwd')).toBeUndefined();
  expect(readSoname('/nonexistent/lib.so')).toBeUndefined();
});
