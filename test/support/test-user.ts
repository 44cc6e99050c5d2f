/** The ordinary user the e2e tests run rootless containers as: made when missing, with subuid/subgid entries. */
import * as fs from 'node:fs';
import { ok, requireTool, run } from './e2e';

export const TEST_USER = 'ocihooks-test';

/** Makes the user when missing; returns its uid. */
export function ensureTestUser(): number {
  if (run('id', ['-u', TEST_USER]).status !== 0) ok('useradd', ['--create-home', '--shell', '/bin/sh', TEST_USER]);
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    if (!text.split('\n').some((l) => l.startsWith(`${TEST_USER}:`)))
      fs.appendFileSync(f, `${TEST_USER}:300000:65536\n`);
  }
  requireTool('newuidmap');
  return Number(ok('id', ['-u', TEST_USER]).trim());
}

/** Runs a command as the test user, from a folder the user may enter. */
export function asTestUser(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  return run(
    'runuser',
    [
      '-u',
      TEST_USER,
      '--',
      ...(opts.env ? ['env', ...Object.entries(opts.env).map(([k, v]) => `${k}=${v}`)] : []),
      cmd,
      ...args,
    ],
    { cwd: opts.cwd ?? '/tmp', timeoutMs: opts.timeoutMs ?? 90_000 },
  );
}
