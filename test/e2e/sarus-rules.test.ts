/**
 * Sarus's mount rules in real runc containers (issue 27; the cases and Sarus's own outcome on
 * each are in sarus-rules-cases.ts): the mount hook runs as runc's createContainer hook with the
 * case's arguments, user and volumes; the container then runs the case's check, or the hook's
 * failure line comes back through runc. The host's mount table is the same afterwards.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  containerId,
  hostMountPoints,
  makeBundle,
  makeBusyboxRootfs,
  makeGlibcRootfs,
  requireBuilt,
  runcRun,
  tmpDir,
} from '../support/e2e';
import { cases } from './sarus-rules-cases';

/** The hook's own stderr out of runc's "error running hook" line (logfmt-quoted). */
function hookStderr(runcStderr: string): string | undefined {
  const m = /, stderr: (.*)"\s*$/.exec(runcStderr.trim());
  return m?.[1]?.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

describe("Sarus's mount rules in runc containers", () => {
  beforeAll(requireBuilt);

  test.each(cases.map((c) => [`${c.item}: ${c.name}`, c] as const))('%s', (_name, c) => {
    const dir = tmpDir('sarus-rules');
    fs.chmodSync(dir, 0o755);
    const rootfs = (c.glibc ? makeGlibcRootfs : makeBusyboxRootfs)(path.join(dir, 'rootfs'));
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'data'), 'host data\n');
    const ctx = { dir, rootfs, src };
    const s = c.setup(ctx);
    const outcome = c.expect(ctx);
    const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
      args: ['sh', '-c', outcome.exit === 0 ? outcome.check : 'true'],
      env: s.env,
      hooks: {
        createContainer: [
          {
            path: process.execPath,
            args: ['node', BIN('ocihook-mount'), '--log-file=-', ...s.args],
            ...(s.hookEnv ? { env: s.hookEnv } : {}),
          },
        ],
      },
    });
    const configPath = path.join(bundle, 'config.json');
    const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    if (s.user) config.process.user = s.user;
    if (s.hostDev)
      config.mounts = config.mounts.map((m: { destination: string }) =>
        m.destination === '/dev' ? { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind', 'rw'] } : m,
      );
    for (const t of s.tmpfs ?? []) config.mounts.push({ destination: t, type: 'tmpfs', source: 'tmpfs', options: [] });
    for (const v of s.volumes ?? [])
      config.mounts.push({ destination: v.destination, type: 'bind', source: v.source, options: ['rbind', 'rw'] });
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    const before = hostMountPoints();
    try {
      const r = runcRun(bundle, containerId('sarus-rules'));
      if (outcome.exit === 0) {
        expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({
          status: 0,
          stderr: '',
          stdout: outcome.stdout,
        });
      } else {
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`error running hook: exit status ${outcome.exit}, `);
        const line = hookStderr(r.stderr);
        if (typeof outcome.line === 'string') expect(line).toBe(`ocihook-mount: ${outcome.line}\n`);
        else expect(line).toMatch(outcome.line);
      }
      c.after?.(ctx);
      expect(hostMountPoints()).toEqual(before);
    } finally {
      c.cleanup?.(ctx);
    }
  });
});
