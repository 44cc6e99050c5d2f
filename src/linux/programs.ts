/**
 * Host programs found by name. A hook's or runtime wrapper's environment often has no PATH, and
 * the image's PATH must never choose a binary: names are looked up in a fixed list of host folders.
 */
import fs = require('node:fs');
import path = require('node:path');

export const HOST_PROGRAM_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
] as const;

/** The first HOST_PROGRAM_DIRS/<name> that is a file (following links); none for a name that is not one ('', '.', '..', a path). */
export function findHostProgram(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined;
  return HOST_PROGRAM_DIRS.map((d) => path.join(d, name)).find((p) =>
    fs.statSync(p, { throwIfNoEntry: false })?.isFile(),
  );
}
