/**
 * The layers of src/, as the README's code map draws them: imports go down, never up, and never
 * across features. Read from the sources' own import lines. No folder holds more than 10 source
 * files (a newcomer reads a folder at a glance; the next concept gets a folder of its own).
 *
 *   cmd/                                      programs
 *   mount/ ldconfig/ gpu/ wrapper/ admin/     features (never each other)
 *   cdi/ hooksd/                              input formats the features share
 *   hook/                                     how a program runs and a hook acts: the flow, apply/
 *   linux/                                    syscalls and kernel files
 *   core/                                     plain data: plan, actions, OCI schemas, errors
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const FEATURES = ['mount', 'ldconfig', 'gpu', 'wrapper', 'admin'];
/** Which top folders each top folder may import (besides its own files). */
const MAY_IMPORT: Record<string, string[]> = {
  cmd: [...FEATURES, 'cdi', 'hooksd', 'hook', 'linux', 'core'],
  ...Object.fromEntries(FEATURES.map((f) => [f, ['cdi', 'hooksd', 'hook', 'linux', 'core']])),
  cdi: ['core'],
  hooksd: ['core'],
  hook: ['linux', 'core'],
  linux: ['core'],
  core: [],
};

const SRC = __dirname;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testdata' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => path.relative(SRC, file).split(path.sep)[0] as string;

test('every folder of src/ has a place in the picture', () => {
  const folders = fs
    .readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  expect(folders).toEqual(Object.keys(MAY_IMPORT).sort());
});

test('imports go down, never up or across features', () => {
  const wrong: string[] = [];
  for (const file of sources(SRC)) {
    const from = layerOf(file);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from |import |require\()'(\.[^']+)'/g)) {
      const to = layerOf(path.resolve(path.dirname(file), m[1] as string));
      if (to !== from && !(MAY_IMPORT[from] ?? []).includes(to))
        wrong.push(`${path.relative(SRC, file)} imports ${m[1]} (${from} -> ${to})`);
    }
  }
  expect(wrong).toEqual([]);
});

test('no folder of src/ holds more than 10 source files', () => {
  const count = new Map<string, number>();
  for (const file of sources(SRC)) {
    const folder = path.relative(SRC, path.dirname(file)) || '.';
    count.set(folder, (count.get(folder) ?? 0) + 1);
  }
  expect([...count].filter(([, n]) => n > 10)).toEqual([]);
});
