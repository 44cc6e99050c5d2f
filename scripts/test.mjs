#!/usr/bin/env node
// `npm test`: installs what is missing, builds, runs every jest test (unit and real-container
// e2e) and prints "N passed, N failed" on its own line. Extra arguments go to jest.
// `npm run test:unit` (this script with --unit): only the offline tests (jest project "unit"),
// as any user, fuzzing at a small run count; it builds only the native addon and the runtime
// front-end, and only if missing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebian, ensureNpm } from './ensure-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unit = process.argv[2] === '--unit';
const jestArgs = process.argv.slice(unit ? 3 : 2);
ensureNpm();
if (!unit) ensureDebian();
const native = ['ocihooks.node', 'runtime-front-end'].map((f) => path.join(root, 'native', 'build', 'Release', f));
const buildArgs = unit ? (native.every((f) => fs.existsSync(f)) ? undefined : ['native']) : [];
if (buildArgs) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...buildArgs], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-jest-')), 'results.json');
const env = unit ? { ...process.env, OCIHOOKS_FUZZ_RUNS: process.env.OCIHOOKS_FUZZ_RUNS ?? '300' } : process.env;
const jest = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--runInBand',
    '--json',
    `--outputFile=${out}`,
    ...(unit ? ['--selectProjects', 'unit'] : []),
    ...jestArgs,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env,
  },
);
let passed = 0;
let failed = 0;
try {
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  // A pending (skipped) test is not a pass: count it as a failure so it cannot hide.
  failed += r.numPendingTests + r.numTodoTests;
} catch (e) {
  failed = Math.max(1, failed);
  console.error(`could not read jest results: ${e.message}`);
}
fs.rmSync(path.dirname(out), { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(jest.status === 0 && failed === 0 ? 0 : 1);
