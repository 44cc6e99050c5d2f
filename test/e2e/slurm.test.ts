/**
 * Slurm the way sites run it (issue 20), on a two-node cluster on this machine (test/support/
 * slurm-cluster.ts: each slurmd in its own network and UTS namespace): ocihooks installed into a
 * prefix as an admin installs it, docs/slurm.md's per-user oci.conf, an ordinary user submitting
 * `srun --container` with a rootless bundle; fake GPUs in gres.conf for root's GPU jobs.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, makeGlibcRootfs, ok, requireBuilt, run, tmpDir, installForm } from '../support/e2e';
import { SlurmCluster, SlurmNode, startSlurmCluster } from '../support/slurm-cluster';
import { TEST_USER, asTestUser, ensureTestUser } from '../support/test-user';
import { ociConfLines as shippedOciConfLines } from '../../src/wrapper/slurm/oci-conf';

/**
 * The oci.conf lines ocihooks ships (src/wrapper/slurm/oci-conf.ts; %%U reaches the wrapper as
 * %U); the runtime folder in each user's runtime folder is this run's own here (docs/slurm.md: runc).
 */
const RUNC_FOLDER = `runc-ocihooks-test-${process.pid}`;
const CRUN_FOLDER = `crun-ocihooks-test-${process.pid}`;
/** With `crun`, a path to crun: docs/slurm.md's crun lines. */
const ociConfLines = (wrapper: string, crun?: string) =>
  shippedOciConfLines(
    wrapper,
    crun ? { runtime: crun, root: `/run/user/%%U/${CRUN_FOLDER}` } : { root: `/run/user/%%U/${RUNC_FOLDER}` },
  );

/** A glibc rootfs with the glibc family the host's Slurm client links (the hooks never inject glibc). */
function glibcFamilyRootfs(dir: string): string {
  const rootfs = makeGlibcRootfs(dir);
  for (const lib of ['libm.so.6', 'libresolv.so.2', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1'])
    fs.copyFileSync(fs.realpathSync(`/lib/x86_64-linux-gnu/${lib}`), path.join(rootfs, 'lib/x86_64-linux-gnu', lib));
  return rootfs;
}

/** A bundle of root's as `runc spec` makes it, with `rootfs` made in it, no terminal, then `edit`; its config. */
function rootBundle(
  b: string,
  rootfs: (dir: string) => string,
  edit: (config: {
    process: { env: string[] };
    root: { readonly: boolean };
    annotations?: Record<string, string>;
  }) => void,
) {
  fs.mkdirSync(b);
  rootfs(path.join(b, 'rootfs'));
  ok('runc', ['spec', '--bundle', b]);
  const config = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
  config.process.terminal = false;
  edit(config);
  fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, 2));
  return config;
}

describe('Slurm: rootless per-user containers, no job data left, GPUs from the allocation, two nodes', () => {
  let cluster: SlurmCluster | undefined;
  let dir = '';
  let prefix = '';
  let uid = 0;
  let userBundle = '';
  const madeRunDirs: string[] = [];
  const wrapper = () => path.join(prefix, 'bin', 'ocihooks-runtime');
  const node = (name: string) => cluster?.nodes.find((n) => n.name === name) as SlurmNode;
  // -Q: no "job N queued and waiting for resources" on stderr while the last step's job completes; errors still show.
  const srunAsUser = (args: string[]) =>
    asTestUser('srun', ['-Q', ...args], { env: { SLURM_CONF: cluster?.env.SLURM_CONF as string }, timeoutMs: 120_000 });
  const srun = (args: string[]) => run('srun', ['-Q', ...args], { env: cluster?.env, cwd: dir, timeoutMs: 120_000 });

  /** A bundle as `runc spec --rootless` makes it for the user (its uid mapped to root), glibc rootfs, the Slurm annotation. */
  function rootlessBundle(b: string): string {
    fs.mkdirSync(b, { recursive: true });
    glibcFamilyRootfs(path.join(b, 'rootfs'));
    ok('chown', ['-R', `${TEST_USER}:${TEST_USER}`, b]);
    expect(asTestUser('runc', ['spec', '--rootless', '--bundle', b]).status).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.annotations = { 'com.hooks.slurm.activate': 'true' };
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, 2));
    return b;
  }

  beforeAll(() => {
    requireBuilt();
    uid = ensureTestUser();
    dir = tmpDir('slurm-cluster');
    prefix = path.join(dir, 'prefix');
    // The Slurm hook binds /run/munge, and install skips a hook whose sources are missing: on a
    // machine where munged never ran (packages just installed) the folder is made here, first.
    for (const d of [`/run/user/${uid}`, '/run/user/0', '/run/munge']) {
      if (fs.existsSync(d)) continue;
      fs.mkdirSync(d, { recursive: true, mode: d === '/run/munge' ? 0o755 : 0o700 });
      madeRunDirs.push(d);
    }
    // Installed as an admin installs it; the hooks.d of the install and a node-specific one.
    ok(process.execPath, [
      BIN('ocihooks'),
      'install',
      ...installForm(),
      '--prefix',
      prefix,
      '--hooks-dir',
      path.join(dir, 'hooks.d'),
      '--runtime-config',
      'none',
    ]);
    ok('chown', [`${TEST_USER}:${TEST_USER}`, `/run/user/${uid}`]);
    cluster = startSlurmCluster(dir, {
      gpusPerNode: 2,
      ociConf: () => ociConfLines(wrapper()),
      runtimeConfig: (n) => {
        // Each node's own: a hooks.d of the node (its GPU hook reads the node's CDI specs; a hook
        // mounts the node's hostname file) after the installed one, whose GPU files it overrides.
        const nodeHooks = path.join(dir, n.name, 'hooks.d');
        const cdi = path.join(dir, n.name, 'cdi');
        fs.mkdirSync(nodeHooks, { recursive: true });
        fs.mkdirSync(cdi, { recursive: true });
        for (const name of ['50-ocihooks-gpu-precreate.json', '60-ocihooks-gpu.json']) {
          const gpu = JSON.parse(fs.readFileSync(path.join(dir, 'hooks.d', name), 'utf8'));
          gpu.hook.args.push(`--cdi-spec-dir=${cdi}`);
          fs.writeFileSync(path.join(nodeHooks, name), JSON.stringify(gpu));
        }
        fs.writeFileSync(
          path.join(nodeHooks, '70-node-identity.json'),
          JSON.stringify({
            version: '1.0.0',
            // The node's hostname file, and the cluster's slurm.conf where SLURM_CONF (in the job's env) names it.
            hook: {
              path: path.join(prefix, 'bin', 'ocihook-mount'),
              args: [
                'ocihook-mount',
                `--mount=type=bind,src=${n.hostnameFile},dst=/etc/ocihooks-node,readonly`,
                `--mount=type=bind,src=${path.join(dir, 'slurm.conf')},dst=${path.join(dir, 'slurm.conf')},readonly`,
              ],
            },
            when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
            stages: ['createContainer'],
          }),
        );
        fs.writeFileSync(
          path.join(cdi, 'fake-gpus.json'),
          JSON.stringify({
            cdiVersion: '0.6.0',
            kind: 'nvidia.com/gpu',
            // "all" first: the GPU Slurm gave is the device holding its file and no other GPU.
            devices: [
              {
                name: 'all',
                containerEdits: {
                  deviceNodes: n.gpus.map((file, i) => ({ path: `/dev/nvidia${i}`, hostPath: file })),
                },
              },
              ...n.gpus.map((file, i) => ({
                name: String(i),
                containerEdits: { deviceNodes: [{ path: `/dev/nvidia${i}`, hostPath: file }] },
              })),
            ],
            containerEdits: {},
          }),
        );
        return { hooksDirs: [path.join(dir, 'hooks.d'), nodeHooks], cdiSpecDirs: [cdi] };
      },
    });
    userBundle = rootlessBundle(path.join(dir, 'user', 'bundle'));
  }, 120_000);

  afterAll(() => {
    cluster?.stop();
    for (const u of [uid, 0])
      for (const f of [RUNC_FOLDER, CRUN_FOLDER]) fs.rmSync(`/run/user/${u}/${f}`, { recursive: true, force: true });
    for (const d of madeRunDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test("as an ordinary user: the Slurm hook mounts the host's Slurm client into a rootless container and srun --version runs there", () => {
    const version = ok('dpkg-query', ['-W', '-f', '${Version}', 'slurm-client']).split('-')[0] as string;
    const r = srunAsUser(['-N1', '-w', 'node1', `--container=${userBundle}`, 'srun', '--version']);
    expect([r.status, r.stdout.trim(), r.stderr]).toEqual([0, `slurm-wlm ${version}`, '']);
  }, 120_000);

  test('a bundle without the annotation: the wrapper adds none of the hooks (the node file is not there)', () => {
    const plain = rootlessBundle(path.join(dir, 'user', 'plain-bundle'));
    const config = JSON.parse(fs.readFileSync(path.join(plain, 'config.json'), 'utf8'));
    delete config.annotations;
    fs.writeFileSync(path.join(plain, 'config.json'), JSON.stringify(config, null, 2));
    const r = srunAsUser(['-N1', '-w', 'node1', `--container=${plain}`, 'cat', '/etc/ocihooks-node']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/can't open '\/etc\/ocihooks-node'/);
  }, 120_000);

  test("ocihooks doctor finds the cluster's oci.conf sound", () => {
    const r = run(process.execPath, [BIN('ocihooks'), 'doctor'], { env: cluster?.env });
    expect(r.stdout.split('\n').filter((l) => l.includes('slurm oci.conf'))).toEqual([
      `ok    slurm oci.conf: ${path.join(dir, 'oci.conf')}: containers go through ocihooks-runtime, one runtime root per user`,
    ]);
  });

  test("ocihooks doctor names each of the node's GPUs' CDI device, and fails where a spec holds only devices of several", () => {
    const n = node('node2');
    const doctor = (runtimeConfig: string) => {
      const r = run(process.execPath, [BIN('ocihooks'), 'doctor'], {
        env: { ...cluster?.env, SLURMD_NODENAME: 'node2', OCIHOOKS_RUNTIME_CONFIG: runtimeConfig },
      });
      return { status: r.status, lines: r.stdout.split('\n').filter((l) => l.includes('slurm GPUs')) };
    };
    const cdi = path.join(dir, 'node2', 'cdi');
    expect(doctor(n.runtimeConfig)).toMatchObject({
      lines: [
        `ok    slurm GPUs: node2: GPU 0 (${n.gpus[0]}) is nvidia.com/gpu=0, GPU 1 (${n.gpus[1]}) is nvidia.com/gpu=1 (CDI specs in ${cdi})`,
      ],
    });
    // A spec with "all" alone: no device is one GPU.
    const allOnly = path.join(dir, 'node2-all-only');
    fs.mkdirSync(path.join(allOnly, 'cdi'), { recursive: true });
    fs.writeFileSync(
      path.join(allOnly, 'cdi', 'all.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'nvidia.com/gpu',
        devices: [
          {
            name: 'all',
            containerEdits: { deviceNodes: n.gpus.map((f, i) => ({ path: `/dev/nvidia${i}`, hostPath: f })) },
          },
        ],
        containerEdits: {},
      }),
    );
    const config = path.join(allOnly, 'runtime.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(n.runtimeConfig, 'utf8')),
        cdiSpecDirs: [path.join(allOnly, 'cdi')],
      }),
    );
    const gres = path.join(dir, 'gres.conf');
    const widening = (i: number) =>
      `Slurm's GPU ${i} (${n.gpus[i]}) on node2: no CDI device in ${path.join(allOnly, 'cdi')} is that whole GPU alone (nvidia.com/gpu=all also holds another GPU of ${gres})`;
    expect(doctor(config)).toEqual({
      status: 1,
      lines: [`fail  slurm GPUs: ${widening(0)}; ${widening(1)} (a job given it fails)`],
    });
  });

  test('20 steps leave no oci-job folder in the spool and no "Directory not empty" in the slurmd log; the hook logs to the user\'s runtime folder', () => {
    const log = `/run/user/${uid}/ocihooks/ocihook-mount.log`;
    const before = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').length : 0;
    for (let i = 0; i < 20; i++) {
      const r = srunAsUser(['-N1', '-w', 'node1', `--container=${userBundle}`, 'cat', '/etc/ocihooks-node']);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, 'node1\n', '']);
    }
    expect(fs.readdirSync(path.join(dir, 'spool', 'node1')).filter((n) => n.startsWith('oci-job'))).toEqual([]);
    expect(cluster?.slurmdLog(node('node1'))).not.toContain('Directory not empty');
    const lines = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .slice(Math.max(0, before - 1))
      .map((l) => JSON.parse(l));
    expect(
      lines.filter((l) => l.msg === 'applied' && /^node1\.ocihooks-test\.\d+\.0\.0$/.test(l.container)).length,
    ).toBeGreaterThanOrEqual(40); // the Slurm hook and the node's, each step
    expect(fs.statSync(log).uid).toBe(uid);
    // The wrapper runs as the user (RunTimeRun): its log is in the same folder.
    const wrapperLog = fs.readFileSync(`/run/user/${uid}/ocihooks/ocihooks-runtime.log`, 'utf8');
    expect(wrapperLog).toMatch(/"msg":"hooks injected"/);
  }, 300_000);

  test("crun in runc's place: the same oci.conf lines with --runtime crun run the container with the hooks; nothing left at the step's end", () => {
    // crun refuses this machine's hybrid cgroup layout (FINDINGS): the runtime is crun behind a
    // shim that drops the v2 mount in a private mount namespace first -- which needs root, so the
    // job is root's. The shim is named crun so that the lines read as an admin's would.
    const shim = path.join(dir, 'hybrid-cgroups', 'crun');
    const calls = path.join(dir, 'hybrid-cgroups', 'calls');
    fs.mkdirSync(path.dirname(shim), { recursive: true });
    fs.writeFileSync(
      shim,
      `#!/bin/sh\necho "$*" >> ${calls}\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun "$@"' crun "$@"\n`,
      { mode: 0o755 },
    );
    const b = path.join(dir, 'crun-bundle');
    const config = rootBundle(b, glibcFamilyRootfs, (c) => {
      // crun makes root.readonly read-only before createContainer hooks (runc after them): the
      // mount points the hooks create would fail with EROFS (docs/slurm.md, crun).
      c.root.readonly = false;
      c.annotations = { 'com.hooks.slurm.activate': 'true' };
    });
    const conf = path.join(dir, 'oci.conf');
    const runcLines = fs.readFileSync(conf, 'utf8');
    fs.writeFileSync(conf, ociConfLines(wrapper(), shim).join('\n') + '\n'); // slurmstepd reads oci.conf at each container step
    try {
      const r = srun(['-N1', '-w', 'node1', `--container=${b}`, 'cat', '/etc/ocihooks-node']);
      expect([r.status, r.stdout, r.stderr]).toEqual([0, 'node1\n', '']);
      // crun ran the step (the options before the id, as crun needs them) and deleted it at the end, under root's own root.
      // slurmstepd's query at the step's end may come just after srun has returned.
      const read = () => fs.readFileSync(calls, 'utf8').trim().split('\n');
      for (let i = 0; i < 100 && read().length < 2; i++)
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      const lines = read();
      expect(lines.find((l) => / run -b /.test(l))).toMatch(
        new RegExp(`^--root /run/user/0/${CRUN_FOLDER} run -b \\S+ node1\\.root\\.\\d+\\.0\\.0$`),
      ); // %b: Slurm's copy of the bundle in its spool
      // At the step's end Slurm queries the container (RunTimeQuery through crun): gone, as crun run removes it when it exits.
      expect(lines.at(-1)).toMatch(new RegExp(`^--root /run/user/0/${CRUN_FOLDER} state node1\\.root\\.\\d+\\.0\\.0$`));
      expect(fs.readdirSync(`/run/user/0/${CRUN_FOLDER}`).filter((n) => n.startsWith('node1.'))).toEqual([]);
      const doctor = run(process.execPath, [BIN('ocihooks'), 'doctor'], { env: cluster?.env });
      expect(doctor.stdout.split('\n').filter((l) => l.includes('slurm oci.conf'))).toEqual([
        `ok    slurm oci.conf: ${conf}: containers go through ocihooks-runtime, one runtime root per user`,
      ]);
      // A read-only root under crun, an image without the mount points (the run above made them in
      // b's rootfs): the step fails and the hook's log says why and what to do.
      const ro = path.join(dir, 'crun-ro-bundle');
      glibcFamilyRootfs(path.join(ro, 'rootfs'));
      fs.writeFileSync(
        path.join(ro, 'config.json'),
        JSON.stringify({ ...config, root: { ...config.root, readonly: true } }, null, 2),
      );
      const hookLog = '/var/log/ocihooks/ocihook-mount.log';
      const logged = fs.existsSync(hookLog) ? fs.readFileSync(hookLog, 'utf8').length : 0;
      expect(srun(['-N1', '-w', 'node1', `--container=${ro}`, 'true']).status).not.toBe(0);
      const errors = fs
        .readFileSync(hookLog, 'utf8')
        .slice(logged)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((l) => l.level === 50);
      expect(errors[0]?.err).toMatch(
        /: destination \/usr\/bin\/srun: the image lacks it and the rootfs is read-only when this hook runs \(.*EROFS.*\); add it to the image or set root\.readonly to false/,
      );
    } finally {
      fs.writeFileSync(conf, runcLines);
    }
  }, 120_000);

  test("root's RunTimeQuery, RunTimeKill and RunTimeDelete find the user's container through --root-per-user, as Slurm calls them", async () => {
    const child = spawn(
      'runuser',
      [
        '-u',
        TEST_USER,
        '--',
        'env',
        `SLURM_CONF=${cluster?.env.SLURM_CONF}`,
        'srun',
        '-N1',
        '-w',
        'node1',
        `--container=${userBundle}`,
        'sleep',
        '60',
      ],
      { cwd: '/tmp', stdio: 'ignore', detached: true },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const runcRoot = `/run/user/${uid}/${RUNC_FOLDER}`;
      let id: string | undefined;
      for (let i = 0; i < 100 && !id; i++) {
        id = (fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot) : []).find((n) =>
          n.startsWith('node1.ocihooks-test.'),
        );
        if (!id) await new Promise((r) => setTimeout(r, 200));
      }
      expect(id).toBeDefined();
      // The oci.conf lines as slurmstepd runs them at a step's end: as root, %U left to the wrapper.
      const line = (n: number) => {
        const [cmd, ...args] = (ociConfLines(wrapper())[n] as string)
          .replace(/^\w+="(.*)"$/, '$1')
          .replace('%%U', '%U')
          .split(' ')
          .map((a) => a.replace('%n.%u.%j.%s.%t', id as string));
        return run(cmd as string, args, { timeoutMs: 30_000 });
      };
      // The container's folder appears at create; wait for runc run to start it.
      let state = line(0);
      for (let i = 0; i < 100 && !state.stdout.includes('"running"'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = line(0);
      }
      expect([state.status, JSON.parse(state.stdout).status]).toEqual([0, 'running']);
      expect([line(1).status, JSON.parse(line(0).stdout).status]).toEqual([0, 'running']); // SIGTERM: `sleep` as the container's init ignores it
      const del = line(2);
      expect([del.status, del.stderr]).toEqual([0, '']);
      expect(await exited).not.toBe(0);
      expect(fs.readdirSync(runcRoot)).not.toContain(id);
      expect(line(0).stderr).toContain('container does not exist');
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
  }, 120_000);

  test('--gres=gpu:1 on fake GPUs: the container sees exactly the GPU Slurm chose, whatever the image env and the bundle ask for', async () => {
    const b = path.join(dir, 'root-bundle');
    rootBundle(b, makeGlibcRootfs, (c) => {
      c.process.env.push('NVIDIA_VISIBLE_DEVICES=all');
      c.annotations = { 'cdi.k8s.io/mine': 'nvidia.com/gpu=all' };
    });
    const gpus = (args: string[]) => {
      const r = srun([...args, `--container=${b}`, 'sh', '-c', 'ls /dev | grep nvidia || echo none']);
      expect(r.stderr).toBe('');
      return r.stdout.trim().split('\n');
    };
    expect(gpus(['-N1', '-w', 'node2', '--gres=gpu:1'])).toEqual(['nvidia0']);
    // GPU 0 of node2 busy with another job: Slurm gives index 1, and so does the container.
    const holder = spawn('srun', ['-N1', '-w', 'node2', '--gres=gpu:1', 'sleep', '4'], {
      env: cluster?.env,
      stdio: 'ignore',
    });
    const held = new Promise((resolve) => holder.on('exit', resolve));
    // Wait until the holder runs (it has its GPU) before asking for another.
    for (
      let i = 0;
      i < 100 && run('squeue', ['-h', '-t', 'R', '-o', '%i'], { env: cluster?.env }).stdout.trim() === '';
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(gpus(['-N1', '-w', 'node2', '--gres=gpu:1'])).toEqual(['nvidia1']);
    await held;
    expect(gpus(['-N1', '-w', 'node2'])).toEqual(['none']);
  }, 120_000);

  test('as an ordinary user, rootless: --gres=gpu:1 gives exactly the GPU Slurm chose', () => {
    const b = rootlessBundle(path.join(dir, 'user', 'gpu-bundle'));
    const config = JSON.parse(fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    config.process.env.push('NVIDIA_VISIBLE_DEVICES=all');
    config.annotations['cdi.k8s.io/mine'] = 'nvidia.com/gpu=all';
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, 2));
    const r = srunAsUser([
      '-N1',
      '-w',
      'node1',
      '--gres=gpu:1',
      `--container=${b}`,
      'sh',
      '-c',
      'ls /dev | grep nvidia || echo none',
    ]);
    expect([r.status, r.stdout.trim().split('\n'), r.stderr]).toEqual([0, ['nvidia0'], '']);
  }, 120_000);

  test('srun -N2 --container: both nodes run it, each with its own hooks (its own hostname file mounted), on one shared bundle', () => {
    for (const n of cluster?.nodes ?? []) expect(fs.readFileSync(n.hostnameFile, 'utf8')).toBe(`${n.name}\n`);
    // Five times: both nodes' hooks refresh the linker cache of the one shared rootfs at once.
    for (let i = 0; i < 5; i++) {
      const r = srunAsUser(['-N2', `--container=${userBundle}`, 'cat', '/etc/ocihooks-node']);
      expect([r.status, r.stderr]).toEqual([0, '']);
      expect(r.stdout.trim().split('\n').sort()).toEqual(['node1', 'node2']);
    }
  }, 120_000);
});
