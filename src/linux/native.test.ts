/** The addon's surface: every constant the TypeScript names exists, as a number, and no other. */
import { NATIVE_CONSTANTS, native } from './native';

test('the constants of native/ocihooks.c are exactly NATIVE_CONSTANTS, all numbers', () => {
  const c = native().constants as Record<string, unknown>;
  expect(Object.keys(c).sort()).toEqual([...NATIVE_CONSTANTS].sort());
  for (const name of NATIVE_CONSTANTS) expect(typeof c[name]).toBe('number');
});

test('the constants have their Linux values where Node knows them too', () => {
  const c = native().constants;
  const os = require('node:os') as typeof import('node:os');
  const fsc = (require('node:fs') as typeof import('node:fs')).constants;
  expect([c.O_CREAT, c.O_EXCL, c.O_NOFOLLOW, c.O_DIRECTORY, c.O_TRUNC]).toEqual([
    fsc.O_CREAT,
    fsc.O_EXCL,
    fsc.O_NOFOLLOW,
    fsc.O_DIRECTORY,
    fsc.O_TRUNC,
  ]);
  expect([c.S_IFCHR, c.S_IFBLK, c.S_IFDIR, c.S_IFREG]).toEqual([fsc.S_IFCHR, fsc.S_IFBLK, fsc.S_IFDIR, fsc.S_IFREG]);
  expect(c.ENOENT).toBe(os.constants.errno.ENOENT);
});
