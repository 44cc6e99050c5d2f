/**
 * ocihooks-runtime as a Docker and a containerd runtime. The test starts its own containerd and
 * dockerd (test/support/engines.cjs, shared with the bench; Debian's containerd 1.6 and docker.io 20.10) with private roots, state, sockets and
 * cgroup parents, no bridge and no iptables, imports a glibc busybox image made here, and stops
 * exactly the daemons it started (by pid), removing what they leave outside its folder
 * (/run/containerd, /etc/docker/key.json, their cgroups) when they were not there before.
 * Docker gets the wrapper through daemon.json (`runtimes`, with `runtimeArgs` annotations: Docker
 * 20.10 forwards no annotations of its own); containerd through `ctr run --runc-binary` and the
 * wrapper's config file only (OCIHOOKS_RUNTIME_CONFIG in containerd's environment, as a unit file
 * would set it), with `ctr run --annotation`.
 */
import * as fs from 'node:fs';
import { BIN, logRecords, makeGlibcRootfs, requireBuilt, requireTool, run, tmpDir, installForm } from '../support/e2e';
import { DOCKER, Engines, startEngines } from '../support/engines.cjs';

let dir = '';
let engines: Engines | undefined;
const docker = (...args: string[]) => run(DOCKER, [...(engines as Engines).docker[1], ...args], { timeoutMs: 90_000 });
const ctr = (...args: string[]) => run('ctr', [...(engines as Engines).ctr[1], ...args], { timeoutMs: 90_000 });

beforeAll(() => {
  requireBuilt();
  requireTool('containerd');
  requireTool('dockerd');
  requireTool('ctr');
  if (!fs.existsSync(DOCKER))
    throw new Error(`${DOCKER} is missing: install Debian's docker.io (scripts/ensure-deps.mjs does)`);
  dir = tmpDir('engines');
  const inst = run(process.execPath, [
    BIN('ocihooks'),
    'install',
    ...installForm(),
    '--prefix',
    `${dir}/prefix`,
    '--hooks-dir',
    `${dir}/hooks.d`,
    '--runtime-config',
    `${dir}/runtime.json`,
  ]);
  if (inst.status !== 0) throw new Error(`ocihooks install: ${inst.stderr}`);
  // The suite's own marker hook answers the Slurm annotation. The shipped Slurm hook is installed
  // only where the host has Slurm's client and /run/munge (the Slurm suite leaves both): it would
  // apply too, and under ctr its /run/munge lands on the tmpfs containerd mounts on /run, which the
  // mount hook refuses (not the container's own filesystem). This suite must not depend on the order.
  fs.rmSync(`${dir}/hooks.d/50-ocihooks-slurm.json`, { force: true });
  fs.writeFileSync(`${dir}/marker.txt`, 'the hook was here\n');
  fs.writeFileSync(
    `${dir}/hooks.d/10-marker.json`,
    JSON.stringify({
      version: '1.0.0',
      hook: {
        path: `${dir}/prefix/bin/ocihook-mount`,
        args: [
          'ocihook-mount',
          `--log-file=${dir}/hook.log`,
          `--mount=type=bind,src=${dir}/marker.txt,dst=/etc/marker.txt,readonly`,
        ],
      },
      when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
      stages: ['createContainer'],
    }),
  );
  const wrapper = `${dir}/prefix/bin/ocihooks-runtime`;
  // The daemon.json entries docs/docker-containerd.md shows.
  const runtimes = {
    ocihooks: { path: wrapper },
    'ocihooks-slurm': {
      path: wrapper,
      runtimeArgs: [
        '--annotation',
        'com.hooks.slurm.activate=true',
        '--annotation',
        'com.hooks.ldconfig.activate=true',
      ],
    },
  };
  engines = startEngines(dir, {
    runtimeConfig: `${dir}/runtime.json`,
    runtimes,
    rootfs: imageWithoutCache(makeGlibcRootfs(`${dir}/rootfs`)),
    image: 'ocihooks-busybox',
  });
}, 180_000);

afterAll(() => engines?.stop(), 60_000);

/** The image without a linker cache of its own (its loader finds libc in its default folders): a container that has one got it from the hook. */
function imageWithoutCache(rootfs: string): string {
  fs.rmSync(`${rootfs}/etc/ld.so.cache`);
  return rootfs;
}

/**
 * Where the marker hook ran since the last call, from its log records: "ocihooks-runtime" when the
 * wrapper's hook server ran it (no Node start of its own: docs/runtime-wrapper.md).
 */
const SERVED_IN = installForm().length ? 'its own process' : 'ocihooks-runtime'; // one process per hook: its launchers ask no server

function markerRanIn(): string[] {
  const file = `${dir}/hook.log`;
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  fs.writeFileSync(file, '');
  return [...new Set(lines.map((l) => (JSON.parse(l) as { ranIn?: string }).ranIn ?? 'its own process'))];
}

describe('Docker (dockerd 20.10) with the wrapper in daemon.json', () => {
  // The marker, and the linker cache the hook gives: the image has none (set-up), and Docker's
  // overlay is the container's own, so the hook writes one into it (--linker-cache=auto).
  const check =
    'cat /etc/marker.txt 2>/dev/null || echo no-marker; test -s /etc/ld.so.cache && echo cache || echo no-cache';
  /** docker run --rm of the check under `runtime`. */
  const runCheck = (runtime: string) =>
    docker('run', '--rm', '--network', 'none', '--runtime', runtime, 'ocihooks-busybox', '/bin/sh', '-c', check);

  test("the runtime whose runtimeArgs carry the annotations gets the mount and the linker cache (the hooks run in the wrapper's process); the plain one neither", () => {
    markerRanIn();
    const withHooks = runCheck('ocihooks-slurm');
    expect([withHooks.status, withHooks.stderr, withHooks.stdout]).toEqual([0, '', 'the hook was here\ncache\n']);
    expect(markerRanIn()).toEqual([SERVED_IN]);
    const plain = runCheck('ocihooks');
    expect([plain.status, plain.stdout]).toEqual([0, 'no-marker\nno-cache\n']);
    // No installed hooks.d file applies without annotations, and docker passes none: the wrapper
    // wrote the no-match index, and the next plain create goes straight to runc (the index, written
    // only by the wrapper, stays as it was).
    const index = `${dir}/runtime-index`;
    const written = fs.statSync(index).mtimeMs;
    const again = runCheck('ocihooks');
    expect([again.status, again.stdout, fs.statSync(index).mtimeMs]).toEqual([0, 'no-marker\nno-cache\n', written]);
  });

  test('the next runs with the hooks start runc before the wrapper (the early index): the same mount and linker cache', () => {
    // The wrapper's log, to see which way each create went: the settings file changes, so the first
    // run goes to the wrapper (which writes the early index) and the second starts runc early.
    const settings = `${dir}/runtime.json`;
    const log = `${dir}/wrapper.log`;
    fs.writeFileSync(
      settings,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(settings, 'utf8')), logFile: log }, null, 2) + '\n',
    );
    const runs = [1, 2].map(() => {
      fs.rmSync(log, { force: true });
      const r = runCheck('ocihooks-slurm');
      const records = logRecords<{ msg?: string; early?: boolean }>(log);
      return [r.status, r.stderr, r.stdout, records.find((x) => x.msg === 'hooks injected')?.early ?? false];
    });
    expect(runs).toEqual([
      [0, '', 'the hook was here\ncache\n', false],
      [0, '', 'the hook was here\ncache\n', SERVED_IN === 'ocihooks-runtime'],
    ]);
    expect(fs.existsSync(`${dir}/runtime-index.early`)).toBe(SERVED_IN === 'ocihooks-runtime');
    expect(markerRanIn()).toEqual([SERVED_IN]);
  });

  test('a broken hooks.d file makes docker run fail with the file and the reason in its error', () => {
    const broken = `${dir}/hooks.d/05-broken.json`;
    fs.writeFileSync(broken, '{');
    try {
      const r = docker('run', '--rm', '--network', 'none', '--runtime', 'ocihooks', 'ocihooks-busybox', '/bin/true');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`ocihooks-runtime: ${broken}: parsing hook "${broken}": version check:`);
    } finally {
      fs.rmSync(broken);
    }
  });

  test("the front-end's own failure (its wrapper gone) shows in docker run's error", () => {
    const wrapperProgram = `${dir}/prefix/libexec/ocihooks-runtime`;
    fs.renameSync(wrapperProgram, `${wrapperProgram}.away`);
    try {
      const r = docker(
        'run',
        '--rm',
        '--network',
        'none',
        '--runtime',
        'ocihooks-slurm',
        'ocihooks-busybox',
        '/bin/true',
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `ocihooks-runtime: ${wrapperProgram}: not found (reinstall with \`ocihooks install\`)`,
      );
    } finally {
      fs.renameSync(`${wrapperProgram}.away`, wrapperProgram);
    }
  });

  test('exec, stop, start, restart and rm pass through the wrapper', () => {
    const id = docker(
      'run',
      '-d',
      '--network',
      'none',
      '--runtime',
      'ocihooks-slurm',
      'ocihooks-busybox',
      '/bin/sleep',
      '600',
    ).stdout.trim();
    const steps = [
      docker('exec', id, '/bin/cat', '/etc/marker.txt').stdout,
      docker('stop', '-t', '0', id).status,
      docker('start', id).status,
      docker('exec', id, '/bin/cat', '/etc/marker.txt').stdout,
      docker('restart', '-t', '0', id).status,
      docker('exec', id, '/bin/cat', '/etc/marker.txt').stdout,
      docker('rm', '-f', id).status,
    ];
    expect(steps).toEqual(['the hook was here\n', 0, 0, 'the hook was here\n', 0, 'the hook was here\n', 0]);
  });
});

describe('containerd (1.6) with ctr --runc-binary and the config file only', () => {
  // The rootfs is used in place: the first run's mount point (an empty /etc/marker.txt) stays in it.
  const runCtr = (id: string, ...args: string[]) =>
    ctr(
      'run',
      '--rm',
      '--rootfs',
      '--runc-binary',
      `${dir}/prefix/bin/ocihooks-runtime`,
      ...args,
      `${dir}/rootfs`,
      id,
      '/bin/sh',
      '-c',
      'test -s /etc/marker.txt && cat /etc/marker.txt || echo no-marker',
    );

  test('ctr run --annotation gets the mount, without it nothing; a broken hooks.d file fails with the file and the reason', () => {
    markerRanIn();
    const annotated = runCtr('ctr-1', '--annotation', 'com.hooks.slurm.activate=true');
    expect([annotated.status, annotated.stdout, annotated.stderr]).toEqual([0, 'the hook was here\n', '']);
    expect(markerRanIn()).toEqual([SERVED_IN]);
    const plain = runCtr('ctr-2');
    expect([plain.status, plain.stdout, plain.stderr]).toEqual([0, 'no-marker\n', '']);
    const broken = `${dir}/hooks.d/05-broken.json`;
    fs.writeFileSync(broken, '{');
    try {
      const r = runCtr('ctr-3');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`ocihooks-runtime: ${broken}: parsing hook`);
    } finally {
      fs.rmSync(broken);
    }
  });
});
