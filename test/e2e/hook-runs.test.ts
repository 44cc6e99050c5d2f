/**
 * One Node start per stage for the installation's hooks, whoever starts them one by one: podman
 * reading hooks.d (with runc, with crun), runc given a config.json, a precreate filter's spec
 * hooks, and the runtime wrapper; the hooks' meaning kept (a site's hook in its place, the first
 * failure ending the stage with its line, env lists); and `--one-process-per-hook` for the other
 * form. Node starts are counted by the installation's node: a script that logs each start and
 * execs the real node, put on the first line of each installed Node launcher.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  HookSpec,
  installOcihooks,
  RUNC,
  containerId,
  crunRun,
  makeBundle,
  makeBusyboxRootfs,
  ok,
  onAnnotation,
  podmanRun,
  requireBuilt,
  withoutHybridCgroups,
  run,
  runcRun,
  tmpDir,
  writeHooksD,
  logRecords,
  podmanArgs,
} from '../support/e2e';
import { TEST_USER, asTestUser, ensureTestUser, stopRootlessPodman } from '../support/test-user';
import { CLOCK_MARGIN_MS } from '../../src/wrapper/no-match-index';

requireBuilt();
const dir = tmpDir('hook-runs');
fs.chmodSync(dir, 0o755);

/** The lines of a file of starts, which is emptied. */
function linesOf(file: string): string[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  fs.writeFileSync(file, '');
  return lines;
}

/** The installation under `name`, its node a counter that logs every start to `starts`. */
function installation(name: string, extra: string[] = []) {
  const root = path.join(dir, name);
  fs.mkdirSync(root, { mode: 0o755 });
  const starts = path.join(root, 'node-starts');
  const counter = path.join(root, 'node');
  // A start with a hook server's socket made before it (the relay filter's, the GPU launcher's kept
  // edits', an early create's) is noted in `early` too.
  const early = `${starts}.early`;
  fs.writeFileSync(
    counter,
    `#!/bin/sh\necho "$*" >> ${starts}\n[ -z "$OCIHOOKS_RUNTIME_EARLY" ] || echo "$*" >> ${early}\nexec ${process.execPath} "$@"\n`,
    { mode: 0o755 },
  );
  const prefix = path.join(root, 'prefix');
  installOcihooks(prefix, path.join(root, 'shipped'), extra);
  for (const folder of ['bin', 'libexec'])
    for (const f of fs.readdirSync(path.join(prefix, folder))) {
      const file = path.join(prefix, folder, f);
      const text = fs.readFileSync(file);
      if (text.subarray(0, 2).toString() === '#!')
        fs.writeFileSync(file, `#!${counter}\n${text.toString().slice(text.indexOf(10) + 1)}`);
    }
  for (const f of [starts, early]) {
    fs.writeFileSync(f, '', { mode: 0o666 });
    fs.chmodSync(f, 0o666); // a rootless container's hooks log their starts too
  }
  // Each test counts its own starts, also after a test that failed before it read them.
  beforeEach(() => [starts, early].forEach((f) => fs.writeFileSync(f, '')));
  const hooksDir = path.join(root, 'hooks.d');
  const log = path.join(root, 'hooks.log');
  return {
    prefix,
    hooksDir,
    log,
    bin: (p: string) => path.join(prefix, 'bin', p),
    /** The Node processes started since the last call (each a program's command line). */
    starts: () => linesOf(starts),
    /** Of those, the ones started with a hook server's socket made for them (EARLY_ENV). */
    earlyStarts: () => linesOf(early),
  };
}

/** Sources to bind, one file each, readable by anyone. */
const sources = path.join(dir, 'sources');
fs.mkdirSync(sources, { mode: 0o755 });
for (const f of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(sources, f), `${f}\n`, { mode: 0o644 });

/** ocihook-mount binding sources/<f> at /<f>. */
const mountHook = (i: ReturnType<typeof installation>, f: string) => ({
  path: i.bin('ocihook-mount'),
  args: ['ocihook-mount', `--mount=type=bind,src=${path.join(sources, f)},dst=/${f},readonly`, `--log-file=${i.log}`],
});

/** A runc bundle whose createContainer hooks are `hooks`, printing /a.. /d as it finds them. */
type Installation = ReturnType<typeof installation>;

function bundleWith(name: string, hooks: HookSpec[]) {
  return makeBundle(path.join(dir, name, 'bundle'), makeBusyboxRootfs(path.join(dir, name, 'rootfs')), {
    args: ['sh', '-c', 'for f in a b c d; do cat /$f 2>/dev/null || echo -; done'],
    hooks: { createContainer: hooks },
  });
}

const noMarkersLeft = (folder = '/run/ocihooks/runs') =>
  expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);

/**
 * A CDI spec folder `cdi` whose device brings three createContainer hooks calling the GPU hook's
 * NVIDIA subcommands (by `hookPath`: bin/'s or a link to it), and hooks.d `folder` with the
 * installation's GPU precreate filter reading it.
 */
function gpuFilterWithSpecHooks(i: Installation, folder: string, cdi: string, hookPath = i.bin('ocihook-gpu')) {
  fs.mkdirSync(cdi, { recursive: true });
  const specHook = (link: string) => ({
    hookName: 'createContainer',
    path: hookPath,
    args: ['ocihook-gpu', 'create-symlinks', '--link', `/a::${link}`],
  });
  fs.writeFileSync(
    path.join(cdi, 'runs.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'example.com/gpu',
      devices: [{ name: '0', containerEdits: { env: ['RUNS=1'] } }],
      containerEdits: { hooks: ['/l1', '/l2', '/l3'].map(specHook) },
    }),
  );
  writeHooksD(folder, 'gpu.json', {
    version: '1.0.0',
    hook: {
      path: i.bin('ocihook-gpu'),
      args: ['ocihook-gpu', 'precreate', `--cdi-spec-dir=${cdi}`, `--log-file=${i.log}`],
    },
    when: { annotations: { '^cdi\\.k8s\\.io/': '.' } },
    stages: ['precreate'],
  });
}

/** The installation's createContainer GPU hook reading `cdi`, in hooks.d `folder` (as install's 60-ocihooks-gpu.json). */
function gpuCreateContainerFile(i: Installation, folder: string, cdi: string): string[] {
  const args = ['ocihook-gpu', `--cdi-spec-dir=${cdi}`, `--log-file=${i.log}`];
  writeHooksD(folder, 'gpu-cc.json', {
    version: '1.0.0',
    hook: { path: i.bin('ocihook-gpu'), args },
    when: { annotations: { '^cdi\\.k8s\\.io/': '.' } },
    stages: ['createContainer'],
  });
  return args;
}

/**
 * In the installation's log, what became of the createContainer GPU hook: the hooks the precreate
 * filter left out (their args), and the records of the hook's own runs ("applied" or "nothing to do").
 */
function gpuHookRecordsOf(i: Installation) {
  const records = fs
    .readFileSync(i.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { hook?: string; msg?: string; args?: string[]; specHook?: unknown });
  return {
    leftOut: records.filter((r) => /^createContainer GPU hook left out/.test(r.msg ?? '')).map((r) => r.args),
    ran: records
      .filter(
        (r) => r.hook === 'ocihook-gpu' && r.specHook === undefined && /^(applied|nothing to do)$/.test(r.msg ?? ''),
      )
      .map((r) => r.msg),
  };
}

/**
 * podman run (root, runc) of a container asking for the spec's device (gpuFilterWithSpecHooks), its
 * rootfs under `name`, with hooks.d `folder`: it prints the spec's env and the three links its
 * hooks made.
 */
function podmanGpuRun(folder: string, name: string): void {
  const r = podmanRun({
    rootfs: makeBusyboxRootfs(path.join(dir, name)),
    hooksDir: folder,
    annotations: { 'cdi.k8s.io/runs': 'example.com/gpu=0' },
    args: ['sh', '-c', 'echo $RUNS; readlink /l1; readlink /l2; readlink /l3'],
  });
  expect([r.status, r.stdout, r.stderr]).toEqual([0, '1\n/a\n/a\n/a\n', '']);
}

describe('the installation (hook launcher in bin/)', () => {
  const i = installation('grouped');
  for (const f of ['a', 'b', 'c'])
    writeHooksD(i.hooksDir, `${f}.json`, onAnnotation(mountHook(i, f), 'com.example.runs'));

  test('podman + runc, three hooks of one stage: one Node start, all three applied, no marker left', () => {
    const rootfs = makeBusyboxRootfs(path.join(dir, 'podman-runc'));
    const r = podmanRun({
      rootfs,
      hooksDir: i.hooksDir,
      annotations: { 'com.example.runs': 'true' },
      args: ['sh', '-c', 'cat /a /b /c'],
    });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n', '']);
    expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-mount --mount=type=bind,src=\S+\/a,/)]);
    noMarkersLeft();
  });

  test('podman + crun: the same', () => {
    const rootfs = makeBusyboxRootfs(path.join(dir, 'podman-crun'));
    // crun refuses this machine's hybrid cgroups: podman runs in a private mount namespace without the v2 mount.
    const r = run(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'umount /sys/fs/cgroup/unified 2>/dev/null; exec podman "$@"',
        'sh',
        '--runtime',
        'crun',
        '--hooks-dir',
        i.hooksDir,
        'run',
        '--rm',
        '--ulimit',
        'nofile=1024:1024',
        '--ulimit',
        'nproc=1024:1024',
        '--network',
        'none',
        '--annotation',
        'com.example.runs=true',
        '--rootfs',
        rootfs,
        'sh',
        '-c',
        'cat /a /b /c',
      ],
      { timeoutMs: 90_000 },
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n', '']);
    expect(i.starts().length).toBe(1);
    noMarkersLeft();
  });

  describe("the relay filter (podman's precreate stage): Node starts before the runtime, not inside its create", () => {
    // The installation's hooks.d with the relay filter, as install writes it (99-: after any other precreate filter).
    const relayD = path.join(dir, 'relay.d');
    for (const f of ['a', 'b', 'c'])
      writeHooksD(relayD, `${f}.json`, onAnnotation(mountHook(i, f), 'com.example.runs'));
    writeHooksD(relayD, '99-ocihooks-relay.json', {
      version: '1.0.0',
      hook: { path: i.bin('ocihook-mount'), args: ['ocihook-mount', 'precreate-relay'], timeout: 10 },
      when: { always: true },
      stages: ['precreate'],
    });
    /** The hooks' log records since the last call: where each ran. */
    const ranIn = () => {
      const records = logRecords<{ msg?: string; ranIn?: string }>(i.log);
      fs.writeFileSync(i.log, '');
      return records.filter((x) => x.msg === 'applied').map((x) => x.ranIn ?? 'its own process');
    };

    test("podman + runc: one Node start, the filter's; the three hooks applied in it, each in its place", () => {
      ranIn();
      // As after a boot, no server's folder yet (when no other server uses it now): the filter makes it.
      const servers = '/run/ocihooks/hook-servers';
      if (fs.existsSync(servers) && fs.readdirSync(servers).length === 0) fs.rmdirSync(servers);
      const r = podmanRun({
        rootfs: makeBusyboxRootfs(path.join(dir, 'relay-runc')),
        hooksDir: relayD,
        annotations: { 'com.example.runs': 'true' },
        args: ['sh', '-c', 'cat /a /b /c'],
      });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n', '']);
      expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-mount precreate-relay$/)]);
      expect(ranIn()).toEqual(Array(3).fill('ocihook-mount precreate-relay'));
      expect(fs.statSync(servers).mode & 0o777).toBe(0o700);
      noMarkersLeft();
      noServerLeft();
    });

    test('podman + crun: the same', () => {
      ranIn();
      const podman = podmanArgs({
        runtime: 'crun',
        rootfs: makeBusyboxRootfs(path.join(dir, 'relay-crun')),
        hooksDir: relayD,
        annotations: { 'com.example.runs': 'true' },
        args: ['sh', '-c', 'cat /a /b /c'],
      });
      const r = withoutHybridCgroups(['podman', ...podman], { timeoutMs: 90_000 });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n', '']);
      expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-mount precreate-relay$/)]);
      expect(ranIn()).toEqual(Array(3).fill('ocihook-mount precreate-relay'));
      noServerLeft();
    });

    test('a container none of our hooks matches: the config passes through, no Node start', () => {
      const r = podmanRun({
        rootfs: makeBusyboxRootfs(path.join(dir, 'relay-none')),
        hooksDir: relayD,
        args: ['sh', '-c', 'cat /a 2>/dev/null || echo -'],
      });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '-\n', '']);
      expect(i.starts()).toEqual([]);
      noServerLeft();
    });

    test("a failing hook through the filter's server: podman fails the container with its line", () => {
      const failing = failingHooksD('relay-failing.d');
      fs.copyFileSync(path.join(relayD, '99-ocihooks-relay.json'), path.join(failing, '99-ocihooks-relay.json'));
      const r = podmanRun({
        rootfs: makeBusyboxRootfs(path.join(dir, 'relay-failing')),
        hooksDir: failing,
        annotations: { 'com.example.runs': 'true' },
        args: ['true'],
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("ocihook-mount: Invalid mount request 'type=bind,src=/missing/b,dst=/b'");
      expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-mount precreate-relay$/)]);
      // c never asked (the stage ended at b): the server ends with podman, the process it serves for.
      const servers = () =>
        fs.existsSync('/run/ocihooks/hook-servers') ? fs.readdirSync('/run/ocihooks/hook-servers') : [];
      for (let tries = 0; tries < 50 && servers().length; tries++) spawnSync('sleep', ['0.1']);
      noServerLeft();
    });

    test('its argument reaching a Node launcher (bin/ of --one-process-per-hook): the config passes through', () => {
      const config = JSON.stringify({ ociVersion: '1.0.2', hooks: { createContainer: [mountHook(i, 'a')] } });
      const r = run(path.join(i.prefix, 'libexec', 'ocihook-mount'), ['precreate-relay'], { input: config });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, config, '']);
      i.starts();
    });

    test('as an ordinary user the filter passes the config through: the hooks start as before', () => {
      const config = JSON.stringify({ ociVersion: '1.0.2', hooks: { createContainer: [mountHook(i, 'a')] } });
      ensureTestUser();
      const r = run('runuser', ['-u', TEST_USER, '--', i.bin('ocihook-mount'), 'precreate-relay'], { input: config });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, config, '']);
      expect(i.starts()).toEqual([]);
    });
  });

  test('runc given a config.json with four of ours: one start; crun likewise', () => {
    const hooks = ['a', 'b', 'c', 'd'].map((f) => mountHook(i, f));
    const r = runcRun(bundleWith('runc-direct', hooks), containerId('runs-runc'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\nd\n', '']);
    expect(i.starts().length).toBe(1);
    const c = crunRun(bundleWith('crun-direct', hooks), containerId('runs-crun'));
    expect([c.status, c.stdout, c.stderr]).toEqual([0, 'a\nb\nc\nd\n', '']);
    expect(i.starts().length).toBe(1);
    noMarkersLeft();
  });

  test("a site's hook stays in its place: ours before it, it, ours after it (two runs)", () => {
    // The site's hook sees /a mounted and /c not yet: it ran between the two runs.
    const rootfs = path.join(dir, 'site', 'rootfs');
    const seen = path.join(dir, 'site-saw');
    const site = {
      path: '/bin/sh',
      args: [
        'sh',
        '-c',
        `{ test -e ${rootfs}/a && cat ${rootfs}/a; test -e ${rootfs}/c && echo c-too; true; } > ${seen}`,
      ],
    };
    const hooks = [mountHook(i, 'a'), mountHook(i, 'b'), site, mountHook(i, 'c'), mountHook(i, 'd')];
    const r = runcRun(bundleWith('site', hooks), containerId('runs-site'));
    expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\nd\n']);
    expect(fs.readFileSync(seen, 'utf8')).toBe('a\n');
    expect(i.starts().length).toBe(2);
    noMarkersLeft();
  });

  test("the first failure ends the stage with that hook's line; the hooks after it never run; no marker left", () => {
    const bad = {
      path: i.bin('ocihook-mount'),
      args: ['ocihook-mount', `--mount=type=bind,src=${path.join(sources, 'missing')},dst=/x`, `--log-file=${i.log}`],
    };
    const seen = path.join(dir, 'after-failure');
    const after = { path: '/bin/sh', args: ['sh', '-c', `echo ran > ${seen}`] };
    const r = runcRun(
      bundleWith('failure', [mountHook(i, 'a'), bad, mountHook(i, 'c'), after]),
      containerId('runs-bad'),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`exit status 2`);
    expect(r.stderr).toContain(
      `ocihook-mount: Invalid mount request 'type=bind,src=${path.join(sources, 'missing')},dst=/x': source ${path.join(sources, 'missing')}: no such file or directory`,
    );
    expect(fs.existsSync(seen)).toBe(false);
    expect(i.starts().length).toBe(1);
    noMarkersLeft();
  });

  test('env lists: after a first hook with one, a hook without one starts a run of its own', () => {
    const withEnv = { ...mountHook(i, 'a'), env: ['LANG=C'] };
    const r = runcRun(bundleWith('env', [withEnv, mountHook(i, 'b'), mountHook(i, 'c')]), containerId('runs-env'));
    expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\n-\n']);
    expect(i.starts().length).toBe(2);
    noMarkersLeft();
  });

  test('rootless podman as an ordinary user: one start; the marker went to the user runtime folder and is gone', () => {
    const uid = ensureTestUser();
    const runDir = `/run/user/${uid}`;
    const made = !fs.existsSync(runDir);
    if (made) fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
    ok('chown', [`${TEST_USER}:${TEST_USER}`, runDir]);
    const state = `${runDir}/ocihooks-test`;
    const ownState = [
      ...['--root', `${state}/storage`, '--runroot', `${state}/run`],
      ...['--tmpdir', `${state}/libpod/tmp`], // its pause.pid: where stopRootlessPodman looks
    ];
    try {
      const rootfs = makeBusyboxRootfs(path.join(dir, 'rootless'));
      ok('chown', ['-R', `${TEST_USER}:${TEST_USER}`, rootfs]);
      fs.appendFileSync(i.log, ''); // the hooks log there as the user: the file made here when no earlier case made it
      fs.chmodSync(i.log, 0o666);
      const r = asTestUser(
        'podman',
        [
          // A state of its own under the folder it gives as XDG_RUNTIME_DIR: podman records the
          // folders of a user's first run in that user's database and keeps to them, and this
          // folder goes at the end (the rootless suite's runs on the default state would then
          // fail: "creating events dirs: mkdir /run/user/<uid>").
          ...ownState,
          '--runtime',
          'runc',
          '--hooks-dir',
          i.hooksDir,
          'run',
          '--rm',
          '--network',
          'none',
          '--annotation',
          'com.example.runs=true',
          '--rootfs',
          rootfs,
          'sh',
          '-c',
          'cat /a /b /c',
        ],
        { env: { XDG_RUNTIME_DIR: runDir }, timeoutMs: 120_000 },
      );
      expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\n']);
      expect(i.starts().length).toBe(1);
      noMarkersLeft(`${runDir}/ocihooks/runs`);
    } finally {
      // Podman's pause process (pause.pid in its --tmpdir) is stopped before that folder goes.
      stopRootlessPodman(uid, [state]);
      fs.rmSync(made ? runDir : state, { recursive: true, force: true });
    }
  });

  /** The precreate filter in `folder`, its CDI spec's three hooks ocihook-gpu (by `hookPath`: bin/'s or a link to it). */
  function precreateWithSpecHooks(folder: string, hookPath = i.bin('ocihook-gpu')) {
    gpuFilterWithSpecHooks(i, folder, path.join(dir, 'cdi'), hookPath);
  }

  test("a precreate filter's CDI spec hooks: one start for the container, the filter stays to run the stage's hooks (the relay filter after it passes them by)", () => {
    precreateWithSpecHooks(path.join(dir, 'precreate.d'));
    // The relay filter too, as install ships it: after the GPU filter, it finds the hooks relayed already.
    fs.copyFileSync(
      path.join(dir, 'relay.d', '99-ocihooks-relay.json'),
      path.join(dir, 'precreate.d', '99-ocihooks-relay.json'),
    );
    podmanGpuRun(path.join(dir, 'precreate.d'), 'precreate');
    expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-gpu precreate /)]);
    // The filter's log: it ran the stage's one chain (the three spec hooks) itself.
    expect(fs.readFileSync(i.log, 'utf8')).toMatch(/"ran":1,"expected":1,"msg":"hooks served"/);
    noMarkersLeft();
    noServerLeft();
  });

  test("the next container of the same key: the launcher applies the filter's kept edits; Node starts once, to serve the spec's hooks", () => {
    const folder = path.join(dir, 'precreate-kept.d');
    gpuFilterWithSpecHooks(i, folder, path.join(dir, 'cdi-kept')); // a key of its own: no entry before it
    podmanGpuRun(folder, 'precreate-kept-first');
    // The Node filter planned, kept its edits, and served the hooks itself.
    expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-gpu precreate /)]);
    expect(i.earlyStarts()).toEqual([]);
    expect(fs.readFileSync(i.log, 'utf8')).toMatch(/"msg":"precreate"/);
    fs.writeFileSync(i.log, '');
    podmanGpuRun(folder, 'precreate-kept-next');
    // One start again: the hook server the launcher made and started apart, with the filter's command line.
    const start = [expect.stringMatching(/libexec\/ocihook-gpu precreate /)];
    expect(i.starts()).toEqual(start);
    expect(i.earlyStarts()).toEqual(start);
    // No Node filter planned it (the one start is the server started apart): the devices' record is
    // the launcher's, written again from the kept entry.
    const planned = fs
      .readFileSync(i.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"precreate"'))
      .map((l) => JSON.parse(l) as { devices: string[] });
    expect(planned.map((r) => r.devices)).toEqual([['example.com/gpu=0']]);
    // The server started apart logs where the filter logs (its --log-file), as the Node filter's own
    // server did: the spec's three hooks, each relayed by the launcher.
    expect(fs.readFileSync(i.log, 'utf8')).toMatch(/"ran":3,"expected":3,"msg":"hooks served"/);
    noMarkersLeft();
    noServerLeft();
  });

  test.each([
    ["after it (install's names)", 'zz-relay.json'],
    ['before it (a name that sorts first)', '00-relay.json'],
  ])(
    'podman with both GPU files (the precreate filter, the createContainer hook) and the relay filter %s: the GPU filter leaves out the hook it leaves nothing to do unless another server waits for it',
    (_when, relayName) => {
      const first = relayName.startsWith('00');
      const folder = path.join(dir, `precreate-both-${first ? 'relay-first' : 'relay-last'}.d`);
      precreateWithSpecHooks(folder);
      fs.copyFileSync(path.join(dir, 'relay.d', '99-ocihooks-relay.json'), path.join(folder, relayName));
      const args = gpuCreateContainerFile(i, folder, path.join(dir, 'cdi'));
      fs.rmSync(i.log, { force: true });
      podmanGpuRun(folder, `precreate-both-${relayName}`);
      if (first) {
        // The relay filter relayed the hook to the server it started: the GPU filter leaves that
        // chain whole, and the hook runs there with nothing to do (two starts: two servers).
        expect(gpuHookRecords()).toEqual({ leftOut: [], ran: ['nothing to do'] });
        expect(i.starts()).toHaveLength(2);
      } else {
        expect(gpuHookRecords()).toEqual({ leftOut: [args], ran: [] });
        expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-gpu precreate /)]);
      }
      noMarkersLeft();
      noServerLeft();
    },
  );

  /** hooks.d for the wrapper whose second hook (b) fails: its source is missing. */
  function failingHooksD(name: string): string {
    const failing = path.join(dir, name);
    writeHooksD(failing, 'a.json', onAnnotation(mountHook(i, 'a'), 'com.example.runs'));
    writeHooksD(
      failing,
      'b.json',
      onAnnotation(
        { ...mountHook(i, 'b'), args: ['ocihook-mount', '--mount=type=bind,src=/missing/b,dst=/b'] },
        'com.example.runs',
      ),
    );
    writeHooksD(failing, 'c.json', onAnnotation(mountHook(i, 'c'), 'com.example.runs'));
    return failing;
  }

  /** A bundle for the wrapper: no hooks of its own, the annotation that matches wrapper.d. */
  function wrapperBundle(name: string) {
    const bundle = bundleWith(name, []);
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    delete config.hooks;
    config.annotations = { 'com.example.runs': 'true' };
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    return bundle;
  }
  const wrapperHooks = path.join(dir, 'wrapper.d');
  for (const f of ['a', 'b', 'c'])
    writeHooksD(wrapperHooks, `${f}.json`, onAnnotation(mountHook(i, f), 'com.example.runs'));
  const settings = path.join(dir, 'runtime.json');
  const wrapper = (runtimeArgs: string[], config?: object, runtime = RUNC) => {
    fs.writeFileSync(settings, JSON.stringify(config ?? {}));
    return run(i.bin('ocihooks-runtime'), ['--runtime', runtime, '--hooks-dir', wrapperHooks, '--', ...runtimeArgs], {
      timeoutMs: 60_000,
      env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'), OCIHOOKS_RUNTIME_CONFIG: settings },
    });
  };
  const programs = () => i.starts().map((l) => l.split(' ')[0]?.split('/').pop());
  const noServerLeft = () =>
    expect(fs.existsSync('/run/ocihooks/hook-servers') ? fs.readdirSync('/run/ocihooks/hook-servers') : []).toEqual([]);

  test("the runtime wrapper, run: one start for the container; the wrapper serves the stage's hooks", () => {
    const r = wrapper(['run', '--bundle', wrapperBundle('wrapper'), containerId('runs-wrapper')]);
    expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\n-\n']);
    expect(programs()).toEqual(['ocihooks-runtime']);
    noServerLeft();
  });

  /**
   * A container asking for the spec's device, run through the wrapper with hooks.d `folder`: its
   * output shows the spec's env and the three links its hooks made; one Node start, the wrapper's.
   */
  function runWithSpecHooks(folder: string, name: string) {
    const bundle = wrapperBundle(name);
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    config.annotations = { 'cdi.k8s.io/runs': 'example.com/gpu=0' };
    config.process.args = ['sh', '-c', 'echo $RUNS; readlink /l1; readlink /l2; readlink /l3'];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
    fs.writeFileSync(settings, '{}');
    fs.rmSync(i.log, { force: true });
    const r = run(
      i.bin('ocihooks-runtime'),
      ['--runtime', RUNC, '--hooks-dir', folder, '--', 'run', '--bundle', bundle, containerId(name)],
      {
        timeoutMs: 60_000,
        env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'), OCIHOOKS_RUNTIME_CONFIG: settings },
      },
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '1\n/a\n/a\n/a\n', '']);
    expect(programs()).toEqual(['ocihooks-runtime']);
    noMarkersLeft();
    noServerLeft();
  }

  test("the runtime wrapper with the GPU precreate filter: the spec's hooks it adds are served by the wrapper too, one start", () => {
    const folder = path.join(dir, 'wrapper-precreate.d');
    precreateWithSpecHooks(folder);
    // The filter ran inside the wrapper, and the wrapper ran the spec's three hooks: no ocihook-gpu start.
    runWithSpecHooks(folder, 'runs-precreate');
  });

  test.each([
    ['bin/ocihook-gpu', ''],
    ['a link to it elsewhere', '-link'],
  ])(
    "the runtime wrapper with both GPU files (the precreate filter, the createContainer hook), the spec's hooks naming %s: they run once, by the wrapper's server",
    (_what, suffix) => {
      const folder = path.join(dir, `wrapper-both-gpu${suffix}.d`);
      let hookPath = i.bin('ocihook-gpu');
      if (suffix) {
        hookPath = path.join(dir, 'site-bin', 'ocihook-gpu');
        fs.mkdirSync(path.dirname(hookPath), { recursive: true });
        fs.symlinkSync(i.bin('ocihook-gpu'), hookPath);
      }
      precreateWithSpecHooks(folder, hookPath);
      const args = gpuCreateContainerFile(i, folder, path.join(dir, 'cdi'));
      runWithSpecHooks(folder, `runs-both-gpu${suffix}`);
      // The filter's config has all the createContainer GPU hook would add (the spec's hooks among
      // them, chained and relayed to the wrapper): the filter left that hook out, and it never ran.
      expect(gpuHookRecords()).toEqual({ leftOut: [args], ran: [] });
    },
  );

  const gpuHookRecords = () => gpuHookRecordsOf(i);

  test("Node's own settings in the engine's or a hook's environment (NODE_OPTIONS, NODE_EXTRA_CA_CERTS) do not apply to our Node processes; the runtime still gets them", () => {
    const evil = path.join(dir, 'node-options.js');
    const ran = path.join(dir, 'node-options-ran');
    fs.writeFileSync(evil, `require('fs').appendFileSync(${JSON.stringify(ran)}, 'ran\\n');\n`);
    const nodeEnv = { NODE_OPTIONS: `--require ${evil}`, NODE_EXTRA_CA_CERTS: path.join(dir, 'missing-ca.pem') };
    // Node itself honours both: the file runs, and the missing bundle is a warning on stderr.
    const plain = run(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH, ...nodeEnv } });
    expect([plain.status, plain.stderr]).toEqual([0, expect.stringContaining('Ignoring extra certs from')]);
    expect(fs.readFileSync(ran, 'utf8')).toBe('ran\n');
    fs.rmSync(ran);
    programs();
    // A hook as a runtime starts it, its env holding them.
    const hook = run(i.bin('ocihook-mount'), ['--version'], { env: { PATH: process.env.PATH, ...nodeEnv } });
    expect([hook.status, hook.stderr]).toEqual([0, '']);
    // The wrapper, the engine's environment holding them: the runtime (a script in front of runc) gets them.
    const runtime = path.join(dir, 'env-runtime');
    const seen = path.join(dir, 'env-runtime.seen');
    fs.writeFileSync(
      runtime,
      `#!/bin/sh\nenv | grep -E '^NODE_(OPTIONS|EXTRA_CA_CERTS)=' | sort > ${seen}\nexec ${RUNC} "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(settings, '{}');
    const r = run(
      i.bin('ocihooks-runtime'),
      [
        '--runtime',
        runtime,
        '--hooks-dir',
        wrapperHooks,
        '--',
        'run',
        '--bundle',
        wrapperBundle('node-env'),
        containerId('node-env'),
      ],
      {
        timeoutMs: 60_000,
        env: {
          ...process.env,
          ...nodeEnv,
          OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'),
          OCIHOOKS_RUNTIME_CONFIG: settings,
        },
      },
    );
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n-\n', '']);
    expect(fs.readFileSync(seen, 'utf8')).toBe(
      `NODE_EXTRA_CA_CERTS=${nodeEnv.NODE_EXTRA_CA_CERTS}\nNODE_OPTIONS=${nodeEnv.NODE_OPTIONS}\n`,
    );
    expect(fs.existsSync(ran)).toBe(false);
    expect(programs()).toEqual(['ocihook-mount', 'ocihooks-runtime']);
    noServerLeft();
  });

  test('the runtime wrapper, create then start (as docker and containerd call it): one start', () => {
    const bundle = wrapperBundle('wrapper-create');
    const id = containerId('runs-create');
    // create hands the container the caller's stdio: a file, which nobody waits on to close.
    const out = path.join(dir, 'wrapper-create.out');
    const fd = fs.openSync(out, 'w');
    fs.writeFileSync(settings, '{}');
    const created = spawnSync(
      i.bin('ocihooks-runtime'),
      ['--runtime', RUNC, '--hooks-dir', wrapperHooks, '--', 'create', '--bundle', bundle, id],
      {
        stdio: ['ignore', fd, fd],
        timeout: 60_000,
        env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'), OCIHOOKS_RUNTIME_CONFIG: settings },
      },
    );
    fs.closeSync(fd);
    expect([created.status, fs.readFileSync(out, 'utf8')]).toEqual([0, '']);
    expect(programs()).toEqual(['ocihooks-runtime']);
    ok(RUNC, ['start', id]);
    for (let tries = 0; tries < 100 && JSON.parse(ok(RUNC, ['state', id])).status !== 'stopped'; tries++)
      spawnSync('sleep', ['0.1']);
    ok(RUNC, ['delete', id]);
    expect(fs.readFileSync(out, 'utf8')).toBe('a\nb\nc\n-\n');
    noServerLeft();
  });

  test('crun run through the wrapper: one start', () => {
    fs.writeFileSync(settings, '{}');
    const id = containerId('runs-crun');
    const wrapped = [
      '--runtime',
      'crun',
      '--hooks-dir',
      wrapperHooks,
      '--',
      'run',
      '--bundle',
      wrapperBundle('wrapper-crun'),
      id,
    ];
    const r = withoutHybridCgroups([i.bin('ocihooks-runtime'), ...wrapped], {
      env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'), OCIHOOKS_RUNTIME_CONFIG: settings },
    });
    expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\n-\n']);
    expect(programs()).toEqual(['ocihooks-runtime']);
    noServerLeft();
  });

  test("the first failure through the server ends the stage with its exit code and line, as the runtime reports a hook's", () => {
    const failing = failingHooksD('failing.d');
    const r = run(
      i.bin('ocihooks-runtime'),
      [
        '--runtime',
        RUNC,
        '--hooks-dir',
        failing,
        '--',
        'run',
        '--bundle',
        wrapperBundle('wrapper-failing'),
        containerId('runs-failing'),
      ],
      { timeoutMs: 60_000, env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index') } },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('exit status 2');
    expect(r.stderr).toContain(
      "ocihook-mount: Invalid mount request 'type=bind,src=/missing/b,dst=/b': source /missing/b: no such file or directory",
    );
    expect(programs()).toEqual(['ocihooks-runtime']);
    expect(fs.readFileSync(i.log, 'utf8')).toContain('"ranIn":"ocihooks-runtime"');
    noServerLeft();
  });

  test("a served run whose launcher the runtime killed at the run's timeout starts no further hook of it", () => {
    // The GPU hook waits on a CDI spec's own hook (sleep 3) past the run's timeout (1 s + 1 s):
    // runc kills the hook launcher and fails the container; the server, done with the GPU hook,
    // starts no mount hook after it, as the run's own process, killed, would not have.
    const cdi = path.join(dir, 'slow-cdi');
    fs.mkdirSync(cdi);
    const sleep = ['/bin/sleep', '/usr/bin/sleep'].find((p) => fs.existsSync(p)) as string;
    fs.writeFileSync(
      path.join(cdi, 'slow.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'example.com/slow',
        devices: [
          {
            name: '0',
            containerEdits: { hooks: [{ hookName: 'createContainer', path: sleep, args: ['sleep', '3'] }] },
          },
        ],
      }),
    );
    const slow = path.join(dir, 'slow.d');
    const gpu = {
      path: i.bin('ocihook-gpu'),
      args: [
        'ocihook-gpu',
        `--cdi-spec-dir=${cdi}`,
        '--device=example.com/slow=0',
        '--skip-cgroup',
        `--log-file=${i.log}`,
      ],
      timeout: 1,
    };
    writeHooksD(slow, 'a.json', onAnnotation(gpu, 'com.example.runs'));
    writeHooksD(slow, 'b.json', onAnnotation({ ...mountHook(i, 'b'), timeout: 1 }, 'com.example.runs'));
    fs.writeFileSync(settings, JSON.stringify({ logFile: i.log }));
    fs.writeFileSync(i.log, '');
    const r = run(
      i.bin('ocihooks-runtime'),
      [
        '--runtime',
        RUNC,
        '--hooks-dir',
        slow,
        '--',
        'run',
        '--bundle',
        wrapperBundle('wrapper-slow'),
        containerId('runs-slow'),
      ],
      {
        timeoutMs: 60_000,
        env: { ...process.env, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'no-index'), OCIHOOKS_RUNTIME_CONFIG: settings },
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/timed out|timeout/i);
    // The server finishes the GPU hook (the spec's sleep), then ends without the mount hook.
    for (
      let tries = 0;
      tries < 100 && fs.existsSync('/run/ocihooks/hook-servers') && fs.readdirSync('/run/ocihooks/hook-servers').length;
      tries++
    )
      spawnSync('sleep', ['0.1']);
    noServerLeft();
    const records = fs
      .readFileSync(i.log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(records.filter((x) => x.hook === 'ocihook-gpu').length).toBeGreaterThan(0);
    expect(records.filter((x) => x.hook === 'ocihook-mount')).toEqual([]);
    expect(records.find((x) => x.hook === 'ocihooks-runtime' && /launcher gone/.test(x.msg))).toBeDefined();
    expect(programs()).toEqual(['ocihooks-runtime']);
  });

  test('serveHooks false in the config file: the stage starts its own Node (its chain), as before', () => {
    const r = wrapper(['run', '--bundle', wrapperBundle('wrapper-unserved'), containerId('runs-unserved')], {
      serveHooks: false,
    });
    expect([r.status, r.stdout]).toEqual([0, 'a\nb\nc\n-\n']);
    expect(programs()).toEqual(['ocihooks-runtime', 'ocihook-mount']);
  });

  describe('early create: the front-end starts the runtime and the wrapper beside it', () => {
    // Settings as install writes them (one field per line: the front-end reads the runtime there);
    // the folders in the file, not on the line, so that the front-end may start early.
    const early = path.join(dir, 'early');
    fs.mkdirSync(early);
    const index = path.join(early, 'runtime-index');
    const earlyRun = (hooksDir: string, bundle: string, id: string, runtime: 'runc' | 'crun' = 'runc') => {
      const log = path.join(early, 'wrapper.log');
      fs.rmSync(log, { force: true });
      // Rewritten only when it changes: a newer settings file makes the early index stale (as it should).
      const settingsText = { runtime: runtime === 'runc' ? RUNC : 'crun', hooksDirs: [hooksDir], logFile: log };
      const text = JSON.stringify(settingsText, null, 2) + '\n';
      if (!fs.existsSync(settings) || fs.readFileSync(settings, 'utf8') !== text) fs.writeFileSync(settings, text);
      // An index the wrapper writes within its clock margin (no-match-index.ts) of a change to the
      // settings or the folder is stale by design: wait until the newest change is past it, as an
      // admin's change is, so that whether the next create goes early does not depend on how fast
      // Node started.
      const changed = [settings, hooksDir, ...fs.readdirSync(hooksDir).map((f) => path.join(hooksDir, f))].map(
        (f) => fs.statSync(f).ctimeMs,
      );
      const wait = Math.max(...changed) + 2 * CLOCK_MARGIN_MS - Date.now();
      if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
      const env = { ...process.env, OCIHOOKS_RUNTIME_INDEX: index, OCIHOOKS_RUNTIME_CONFIG: settings };
      const argv = ['run', '--bundle', bundle, id];
      const r =
        runtime === 'runc'
          ? run(i.bin('ocihooks-runtime'), argv, { timeoutMs: 60_000, env })
          : withoutHybridCgroups([i.bin('ocihooks-runtime'), ...argv], { env });
      const records = logRecords<{ msg?: string; early?: boolean; added?: string[] }>(log);
      return { ...r, records, config: JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) };
    };
    const slotArgs = (config: { hooks?: Record<string, { args?: string[] }[]> }) =>
      Object.entries(config.hooks ?? {}).flatMap(([stage, list]) =>
        list.filter((h) => h.args?.[2]?.startsWith('--ocihooks-slot=')).map((h) => `${stage} ${h.args?.[2]}`),
      );

    test('the first create writes the early index; the next gets a slot that the wrapper fills: the hooks applied, one start', () => {
      fs.rmSync(`${index}.early`, { force: true });
      const first = earlyRun(wrapperHooks, wrapperBundle('early-first'), containerId('early-first'));
      expect([first.status, first.stdout, first.stderr]).toEqual([0, 'a\nb\nc\n-\n', '']);
      expect(slotArgs(first.config)).toEqual([]);
      expect(fs.readFileSync(`${index}.early`, 'utf8')).toContain(
        `slot=createContainer {"path":"${i.bin('ocihook-mount')}","args":["ocihook-chain","--ocihooks-relay=@SOCKET@","--ocihooks-slot=createContainer"]}`,
      );
      expect(programs()).toEqual(['ocihooks-runtime']);

      const next = earlyRun(wrapperHooks, wrapperBundle('early-next'), containerId('early-next'));
      expect([next.status, next.stdout, next.stderr]).toEqual([0, 'a\nb\nc\n-\n', '']);
      expect(slotArgs(next.config)).toEqual(['createContainer --ocihooks-slot=createContainer']);
      expect(next.records.find((x) => x.msg === 'hooks injected')).toMatchObject({
        early: true,
        added: ['createContainer a.json (slot)', 'createContainer b.json (slot)', 'createContainer c.json (slot)'],
      });
      expect(next.records.find((x) => x.msg === 'hooks served')).toMatchObject({ ran: 1, expected: 1 });
      expect(programs()).toEqual(['ocihooks-runtime']);
      noServerLeft();
    });

    test('crun: the same', () => {
      const runs = [1, 2].map((k) => {
        const r = earlyRun(wrapperHooks, wrapperBundle(`early-crun-${k}`), containerId(`early-crun-${k}`), 'crun');
        return [
          r.status,
          r.stdout,
          r.stderr,
          slotArgs(r.config),
          r.records.find((x) => x.msg === 'hooks injected')?.early ?? false,
        ];
      });
      expect(runs).toEqual([
        [0, 'a\nb\nc\n-\n', '', [], false],
        [0, 'a\nb\nc\n-\n', '', ['createContainer --ocihooks-slot=createContainer'], true],
      ]);
      expect(programs()).toEqual(['ocihooks-runtime', 'ocihooks-runtime']);
      noServerLeft();
    });

    test('a container that matches no hook gets the slot all the same: it ends at once, nothing applied', () => {
      const bundle = wrapperBundle('early-unmatched');
      const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
      config.annotations = { 'com.example.other': 'true' };
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
      earlyRun(wrapperHooks, wrapperBundle('early-unmatched-first'), containerId('early-um1'));
      programs();
      const r = earlyRun(wrapperHooks, bundle, containerId('early-unmatched'));
      expect([r.status, r.stdout, r.stderr]).toEqual([0, '-\n-\n-\n-\n', '']);
      expect(slotArgs(r.config)).toEqual(['createContainer --ocihooks-slot=createContainer']);
      expect(r.records.find((x) => x.msg === 'hooks injected')).toMatchObject({ early: true, added: [] });
      expect(programs()).toEqual(['ocihooks-runtime']);
      noServerLeft();
    });

    test("a slot's failing hook ends the stage with its exit code and line, as the runtime reports a hook's", () => {
      const failing = failingHooksD('early-failing.d');
      const line =
        "ocihook-mount: Invalid mount request 'type=bind,src=/missing/b,dst=/b': source /missing/b: no such file or directory";
      const first = earlyRun(failing, wrapperBundle('early-failing-1'), containerId('early-failing-1'));
      expect([first.status, first.stderr]).toEqual([expect.any(Number), expect.stringContaining(line)]);
      expect(first.status).not.toBe(0);
      programs();
      const r = earlyRun(failing, wrapperBundle('early-failing'), containerId('early-failing'));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('exit status 2');
      expect(r.stderr).toContain(line);
      expect(slotArgs(r.config)).toEqual(['createContainer --ocihooks-slot=createContainer']);
      expect(programs()).toEqual(['ocihooks-runtime']);
      noServerLeft();
    });

    test("the relay filter in the folders (podman's, as install writes it): the wrapper passes it by, early or not", () => {
      const withRelay = path.join(dir, 'early-relay.d');
      for (const f of ['a', 'b', 'c'])
        writeHooksD(withRelay, `${f}.json`, onAnnotation(mountHook(i, f), 'com.example.runs'));
      fs.copyFileSync(
        path.join(dir, 'relay.d', '99-ocihooks-relay.json'),
        path.join(withRelay, '99-ocihooks-relay.json'),
      );
      const runs = [1, 2].map((k) => {
        const r = earlyRun(withRelay, wrapperBundle(`early-relay-${k}`), containerId(`early-relay-${k}`));
        return [r.status, r.stdout, r.stderr, slotArgs(r.config)];
      });
      expect(runs).toEqual([
        [0, 'a\nb\nc\n-\n', '', []],
        [0, 'a\nb\nc\n-\n', '', ['createContainer --ocihooks-slot=createContainer']],
      ]);
      expect(programs()).toEqual(['ocihooks-runtime', 'ocihooks-runtime']);
      noServerLeft();
    });

    test('no slot (every hook needs a key the container lacks): the runtime alone, no Node start', () => {
      const keyed = path.join(dir, 'early-gpu.d');
      writeHooksD(keyed, 'a.json', onAnnotation(mountHook(i, 'a'), 'com.example.gpu'));
      writeHooksD(keyed, 'site.json', onAnnotation({ path: '/bin/false', args: ['false'] }, 'com.example.gpu'));
      const runs = [1, 2].map((k) => {
        const r = earlyRun(keyed, wrapperBundle(`early-gpu-${k}`), containerId(`early-gpu-${k}`));
        return [r.status, r.stdout, r.stderr, slotArgs(r.config)];
      });
      expect(runs).toEqual([
        [0, '-\n-\n-\n-\n', '', []],
        [0, '-\n-\n-\n-\n', '', []],
      ]);
      expect(programs()).toEqual(['ocihooks-runtime']);
    });

    test('a site hook any container may match: no early index, the wrapper as before', () => {
      const mixed = path.join(dir, 'early-mixed.d');
      writeHooksD(mixed, 'a.json', onAnnotation(mountHook(i, 'a'), 'com.example.runs'));
      const marker = path.join(early, 'site-ran');
      writeHooksD(mixed, 'site.json', {
        version: '1.0.0',
        hook: { path: '/bin/sh', args: ['sh', '-c', `echo ran >> ${marker}`] },
        when: { always: true },
        stages: ['createContainer'],
      });
      fs.writeFileSync(`${index}.early`, 'stale');
      const runs = [1, 2].map((k) => {
        const r = earlyRun(mixed, wrapperBundle(`early-mixed-${k}`), containerId(`early-mixed-${k}`));
        return [r.status, r.stdout, r.stderr, slotArgs(r.config), fs.existsSync(`${index}.early`)];
      });
      expect(runs).toEqual([
        [0, 'a\n-\n-\n-\n', '', [], false],
        [0, 'a\n-\n-\n-\n', '', [], false],
      ]);
      expect(fs.readFileSync(marker, 'utf8')).toBe('ran\nran\n');
      expect(programs()).toEqual(['ocihooks-runtime', 'ocihooks-runtime']);
    });

    test('a site hook that needs an annotation key: a container with that key goes to the wrapper, which runs it in its place', () => {
      const keyed = path.join(dir, 'early-keyed.d');
      writeHooksD(keyed, 'a.json', onAnnotation(mountHook(i, 'a'), 'com.example.runs'));
      const marker = path.join(early, 'keyed-ran');
      writeHooksD(
        keyed,
        'site.json',
        onAnnotation({ path: '/bin/sh', args: ['sh', '-c', `echo ran >> ${marker}`] }, 'com.example.runs'),
      );
      const runs = [1, 2].map((k) => {
        const r = earlyRun(keyed, wrapperBundle(`early-keyed-${k}`), containerId(`early-keyed-${k}`));
        return [r.status, r.stdout, r.stderr, slotArgs(r.config)];
      });
      expect(runs).toEqual([
        [0, 'a\n-\n-\n-\n', '', []],
        [0, 'a\n-\n-\n-\n', '', []],
      ]);
      expect(fs.readFileSync(`${index}.early`, 'utf8')).toContain('\nunless-key=com.example.runs\n');
      expect(fs.readFileSync(marker, 'utf8')).toBe('ran\nran\n');
      expect(programs()).toEqual(['ocihooks-runtime', 'ocihooks-runtime']);
    });
  });

  test('a served hook whose server is gone starts the program itself, without the relay argument', () => {
    const gone = path.join(dir, 'gone.sock');
    const chain = [{ program: 'ocihook-mount', args: mountHook(i, 'a').args }];
    const hook = {
      path: i.bin('ocihook-mount'),
      args: ['ocihook-chain', `--ocihooks-relay=${gone}`, `--ocihooks-chain=${JSON.stringify(chain)}`],
    };
    const r = runcRun(bundleWith('relay-gone', [hook]), containerId('runs-gone'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\n-\n-\n-\n', '']);
    expect(i.starts()).toEqual([expect.stringMatching(/libexec\/ocihook-mount --ocihooks-chain=/)]);
  });
});

describe('--one-process-per-hook', () => {
  const i = installation('separate', ['--one-process-per-hook']);

  test('bin/ holds hook launchers marked for one process per hook: each hook is a start of its own, the container the same, no marker left', () => {
    expect(fs.readFileSync(i.bin('ocihook-mount')).toString('latin1')).toContain(
      `ocihooks-hook-launcher=separate:${path.join(i.prefix, 'libexec', 'ocihook-mount')}\0`,
    );
    const hooks = ['a', 'b', 'c'].map((f) => mountHook(i, f));
    const r = runcRun(bundleWith('separate', hooks), containerId('runs-separate'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'a\nb\nc\n-\n', '']);
    expect(i.starts().length).toBe(3);
    noMarkersLeft();
  });

  test("Node's own settings in a hook's environment (NODE_OPTIONS, NODE_EXTRA_CA_CERTS) do not apply to its Node process here either", () => {
    const evil = path.join(dir, 'separate-node-options.js');
    const ran = path.join(dir, 'separate-node-options-ran');
    fs.writeFileSync(evil, `require('fs').appendFileSync(${JSON.stringify(ran)}, 'ran\\n');\n`);
    const nodeEnv = { NODE_OPTIONS: `--require ${evil}`, NODE_EXTRA_CA_CERTS: path.join(dir, 'missing-ca.pem') };
    const hook = run(i.bin('ocihook-mount'), ['--version'], { env: { PATH: process.env.PATH, ...nodeEnv } });
    expect([hook.status, hook.stderr]).toEqual([0, '']);
    expect(fs.existsSync(ran)).toBe(false);
    // The same hook through the libexec Node launcher, no starter in front: Node honours both.
    const direct = run(path.join(i.prefix, 'libexec', 'ocihook-mount'), ['--version'], {
      env: { PATH: process.env.PATH, ...nodeEnv },
    });
    expect([direct.status, direct.stderr]).toEqual([0, expect.stringContaining('Ignoring extra certs from')]);
    expect(fs.readFileSync(ran, 'utf8')).toBe('ran\n');
  });

  test('podman with both GPU files: the filter (started from libexec/) leaves out the createContainer GPU hook it leaves nothing to do, a Node start fewer', () => {
    const folder = path.join(dir, 'separate-both-gpu.d');
    const cdi = path.join(dir, 'separate-cdi');
    gpuFilterWithSpecHooks(i, folder, cdi);
    const args = gpuCreateContainerFile(i, folder, cdi);
    fs.rmSync(i.log, { force: true });
    podmanGpuRun(folder, 'separate-both-gpu');
    expect(gpuHookRecordsOf(i)).toEqual({ leftOut: [args], ran: [] });
    // The filter, then each of the spec's three hooks: a start each, none for the hook left out.
    expect(i.starts()).toEqual([
      expect.stringMatching(/libexec\/ocihook-gpu precreate /),
      ...Array(3).fill(expect.stringMatching(/libexec\/ocihook-gpu create-symlinks /)),
    ]);
    noMarkersLeft();
  });
});
