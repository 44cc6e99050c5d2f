/**
 * Images crafted to make a hook act outside their rootfs. Each case runs the real hook
 * the way runc runs a createContainer hook — in a private mount namespace where the rootfs is
 * bound onto itself (and, where it matters, a procfs is mounted at <rootfs>/proc) — and then
 * checks, inside that namespace, that every new mount lies under the rootfs, and on the host that
 * the mount table is unchanged and the decoy folder the image points at is untouched.
 * A case passes when the hook failed safely (non-zero, one clear line) or landed inside.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMountInfo } from '../../src/linux/mount/mountinfo';
import { hostMountPoints, makeBusyboxRootfs, makeBundle, requireBuilt, stateFile, tmpDir } from '../support/e2e';
import { cases } from './malicious-cases';

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

describe('malicious images: the hooks fail safely or land inside the rootfs', () => {
  beforeAll(requireBuilt);
  const hostEtcCache = fs.statSync('/etc/ld.so.cache').mtimeMs;

  test.each(cases.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const dir = tmpDir('evil');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const decoy = tmpDir('decoy');
    fs.writeFileSync(path.join(decoy, 'keep'), 'decoy\n');
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'file'), 'injected\n');
    fs.mkdirSync(path.join(dir, 'cdi'));
    c.image(rootfs, decoy);
    const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, { args: ['true'], env: c.env });
    const state = stateFile(dir, { ociVersion: '1.0.2', id: 'evil', pid: 0, bundle });
    const decoyBefore = snapshot(decoy);
    const hostBefore = hostMountPoints();
    const hookArgs = [...c.hook({ decoy, dir, src }), '--log-file=-', '--state-file', state];

    const script = [
      'set -e',
      'R="$1"; OUT="$2"; shift 2',
      'mount --bind "$R" "$R"',
      c.proc ? 'mount -t proc proc "$R/proc"' : ':',
      c.submount ? `mkdir -p "${src}/sub" && mount -t tmpfs tmpfs "${src}/sub"` : ':',
      'cat /proc/self/mountinfo > "$OUT/before"',
      'set +e',
      '"$@" 2> "$OUT/stderr"; rc=$?',
      'cat /proc/self/mountinfo > "$OUT/after"',
      'exit $rc',
    ].join('\n');
    const racer = c.racer
      ? spawn('sh', ['-c', c.racer(rootfs, decoy)], { stdio: 'ignore', detached: true })
      : undefined;
    if (racer) await new Promise((r) => setTimeout(r, 100));
    let r;
    try {
      r = spawnSync(
        'unshare',
        ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', rootfs, dir, process.execPath, ...hookArgs],
        { encoding: 'utf8', timeout: 60_000 },
      );
    } finally {
      if (racer?.pid) process.kill(-racer.pid, 'SIGKILL');
    }
    const stderr = fs.readFileSync(path.join(dir, 'stderr'), 'utf8');
    const before = new Set(parseMountInfo(fs.readFileSync(path.join(dir, 'before'), 'utf8')).map((m) => m.id));
    const added = parseMountInfo(fs.readFileSync(path.join(dir, 'after'), 'utf8')).filter((m) => !before.has(m.id));

    // Never outside: every new mount under the rootfs, the host table and the decoy untouched.
    const hookAdded = c.submount ? added.filter((m) => m.mountPoint !== `${src}/sub`) : added;
    for (const m of hookAdded) expect(m.mountPoint.startsWith(rootfs + '/')).toBe(true);
    expect(hostMountPoints()).toEqual(hostBefore);
    expect(snapshot(decoy)).toEqual(decoyBefore);
    expect(fs.existsSync('/pwned')).toBe(false);
    expect(fs.existsSync('/injected')).toBe(false);
    expect(fs.statSync('/etc/ld.so.cache').mtimeMs).toBe(hostEtcCache);

    if (c.expect === 'fail' || (c.expect === 'either' && r.status !== 0)) {
      expect(r.status === 1 || r.status === 2).toBe(true);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      if (c.stderr) expect(stderr).toMatch(c.stderr);
      // A failed run leaves nothing mounted.
      expect(hookAdded).toEqual([]);
    } else {
      expect({ status: r.status, stderr }).toEqual({ status: 0, stderr: '' });
      c.after?.(rootfs, decoy);
      c.mounts?.(hookAdded, rootfs);
    }
  });

  test('the suite has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
});
