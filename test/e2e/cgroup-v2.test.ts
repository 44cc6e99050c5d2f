/**
 * cgroup v2 device whitelisting on a real cgroup2 directory: a deny-by-default device program
 * (what runc/crun attach) is rewritten by allowDevicesV2; a shell placed in the cgroup then
 * opens real device nodes. What the original allowed and denied must stay so; the new device
 * must get exactly the requested access.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { denyByDefaultProgram } from '../../src/linux/cgroups/bpf';
import { openDeviceCgroup } from '../../src/linux/cgroups/hierarchy';
import { allowDevicesV2 } from '../../src/linux/cgroups/v2';
import { native } from '../../src/linux/native';
import { run } from '../support/e2e';

const UNIFIED = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find(
  (d) => fs.existsSync(path.join(d, 'cgroup.procs')) && fs.existsSync(path.join(d, 'cgroup.subtree_control')),
);

/** Opens each device the way the kernel checks it (r: read, w: write, m: mknod) from inside the cgroup. */
function probe(cgroupDir: string): Record<string, string> {
  const script = `
    echo $$ > ${cgroupDir}/cgroup.procs || exit 99
    t() { if eval "$2" 2>/dev/null; then echo "$1 ok"; else echo "$1 denied"; fi; }
    t null-r 'true < /dev/null'; t null-w 'true > /dev/null'
    t zero-r 'true < /dev/zero'; t zero-w 'true > /dev/zero'
    t full-r 'true < /dev/full'; t full-w 'true > /dev/full'
    d=$(mktemp -d); t full-m "mknod $d/full c 1 7"; rm -rf "$d"
    t kmsg-w 'true > /dev/kmsg'
  `;
  const r = run('/bin/sh', ['-c', script]);
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );
}

describe('cgroup v2 BPF device program rewrite', () => {
  if (!UNIFIED) {
    test('needs a cgroup2 hierarchy', () => {
      throw new Error('no cgroup2 hierarchy at /sys/fs/cgroup/unified or /sys/fs/cgroup');
    });
    return;
  }
  const name = `ocihooks-test-${process.pid}`;
  const dir = path.join(UNIFIED, name);
  const relative = `/${name}`; // relative to the hierarchy root, as /proc/<pid>/cgroup names it

  beforeAll(() => fs.mkdirSync(dir));
  afterAll(() => {
    // Processes have exited; removing the cgroup detaches its programs.
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(dir);
        return;
      } catch {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  });

  test('keeps every original rule and adds exactly the requested access', () => {
    const n = native();
    const c = n.constants;
    const cg = openDeviceCgroup({ version: 2, path: relative });
    try {
      // The "runtime" program: null rwm, zero read-only, everything else denied.
      const original = n.bpfProgLoad(
        c.BPF_PROG_TYPE_CGROUP_DEVICE,
        denyByDefaultProgram([
          { type: 'c', major: 1, minor: 3, access: 'rwm' },
          { type: 'c', major: 1, minor: 5, access: 'r' },
        ]),
        'GPL',
      );
      n.bpfProgAttach(cg.dirFd, original, c.BPF_CGROUP_DEVICE, c.BPF_F_ALLOW_MULTI, 0);
      fs.closeSync(original);

      const before = probe(dir);
      expect(before).toEqual({
        'null-r': 'ok',
        'null-w': 'ok',
        'zero-r': 'ok',
        'zero-w': 'denied',
        'full-r': 'denied',
        'full-w': 'denied',
        'full-m': 'denied',
        'kmsg-w': 'denied',
      });

      const { rewritten } = allowDevicesV2(cg.dirFd, [{ type: 'c', major: 1, minor: 7, access: 'rw' }]);
      expect(rewritten).toBe(1);
      const q = n.bpfProgQuery(cg.dirFd, c.BPF_CGROUP_DEVICE);
      expect(q.ids).toHaveLength(1); // replaced, not added beside the old one

      expect(probe(dir)).toEqual({ ...before, 'full-r': 'ok', 'full-w': 'ok' });
    } finally {
      cg.close();
    }
  });

  test('a rule for a whole major with read only access', () => {
    const cg = openDeviceCgroup({ version: 2, path: relative });
    try {
      allowDevicesV2(cg.dirFd, [{ type: 'c', major: 1, minor: '*', access: 'r' }]);
      const after = probe(dir);
      expect(after['kmsg-w']).toBe('denied');
      expect(after['zero-w']).toBe('denied');
      expect(after['full-m']).toBe('denied');
      expect(after['full-w']).toBe('ok'); // from the first rewrite, still there
    } finally {
      cg.close();
    }
  });
});
