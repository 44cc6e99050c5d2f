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

/**
 * Stops the pause process rootless podman leaves running for the test user (it holds the user's
 * namespaces between podman commands), by the pid podman wrote in <runtime folder>/libpod/tmp/
 * pause.pid: runtimeDirs are the folders podman may have used (XDG_RUNTIME_DIR when it was set,
 * else /tmp/podman-run-<uid>). Only a live process of the test user's uid is killed; returns the
 * pids it stopped.
 */
export function stopRootlessPodman(uid: number, runtimeDirs: string[]): number[] {
  const stopped: number[] = [];
  for (const dir of runtimeDirs) {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(`${dir}/libpod/tmp/pause.pid`, 'utf8').trim());
    } catch {
      continue;
    }
    const owner = (): number | undefined => {
      try {
        const line = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return line ? Number(line[1]) : undefined;
      } catch {
        return undefined; // gone
      }
    };
    if (!Number.isInteger(pid) || pid <= 1 || owner() !== uid) continue;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (owner() !== undefined && Date.now() < deadline)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    stopped.push(pid);
  }
  return stopped;
}
