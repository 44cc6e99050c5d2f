/**
 * The wrapper decides each shared case as src/wrapper/testdata/front-end-cases.json says: the same
 * cases the installed front-end runs (front-end.test.ts), read from its parsers (command-line/,
 * config-file.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { frontEndCaseEnv, frontEndCases, wrapperDecision } from '../../test/support/front-end';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-wrapper-decision-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

test.each(frontEndCases(dir).map((c) => [c.name, c] as const))('%s', (_name, c) => {
  expect(wrapperDecision(c.argv, frontEndCaseEnv(c))).toBe(c.decision);
});
