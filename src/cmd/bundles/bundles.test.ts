/** The bundles that scripts/build.mjs builds and install copies (src/cmd/bundles.json) agree with their entries. */
import fs = require('node:fs');
import path = require('node:path');
import { HOOK_PROGRAMS } from '../../hook/program/own-programs';
import BUNDLES from '../bundles.json';
import { HOOK_PROGRAM_TABLE } from './ocihooks-hooks';

test('every bundle has its entry here, and every program is in one bundle', () => {
  expect(Object.keys(BUNDLES).map((b) => fs.existsSync(path.join(__dirname, `${b.slice(0, -3)}.ts`)))).toEqual(
    Object.keys(BUNDLES).map(() => true),
  );
  const programs = Object.values(BUNDLES).flat();
  expect(new Set(programs).size).toBe(programs.length);
  expect(programs.sort()).toEqual(['ocihook-gpu', 'ocihook-ldconfig', 'ocihook-mount', 'ocihooks', 'ocihooks-runtime']);
});

test("the hooks' bundle holds the hook programs, the ones a run or a chain may run in one process", () => {
  expect([...BUNDLES['ocihooks-hooks.js']].sort()).toEqual([...HOOK_PROGRAMS].sort());
  expect(Object.keys(HOOK_PROGRAM_TABLE).sort()).toEqual([...HOOK_PROGRAMS].sort());
});
