/**
 * Faults and load: image environment never reaches the hook or what it runs; many
 * containers at once; a hook SIGKILLed while applying; dead, foreign and stopped pids.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  RUNC,
  containerId,
  hostMountPoints,
  makeBundle,
  makeBusyboxRootfs,
  ok,
  podmanArgs,
  requireBuilt,
  requireTool,
  run,
  runcDelete,
  runcRun,
  runcRunDetached,
  runcState,
  stateFile,
  tmpDir,
  withRunningRunc,
  writeHooksD,
} from '../support/e2e';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
const PARALLEL = Number(process.env.OCIHOOKS_PARALLEL ?? 20);

beforeAll(requireBuilt);

test('LD_PRELOAD, LD_LIBRARY_PATH and NODE_OPTIONS in the image env reach neither the hook nor ldconfig', () => {
  const dir = tmpDir('envhyg');
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  fs.writeFileSync(path.join(rootfs, 'etc', 'ld.so.conf'), '/lib\n');
  const marker = path.join(dir, 'node-options-ran');
  fs.writeFileSync(path.join(dir, 'evil.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')`);
  const envDump = path.join(dir, 'ldconfig-env');
  const fakeLdconfig = path.join(dir, 'ldconfig');
  fs.writeFileSync(fakeLdconfig, `#!/bin/sh\nenv > ${envDump}\nexec ${LDCONFIG} "$@"\n`, { mode: 0o755 });
  const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, {
    args: ['true'],
    env: [
      'LD_PRELOAD=/nonexistent/evil.so',
      'LD_LIBRARY_PATH=/evil',
      `NODE_OPTIONS=--require ${path.join(dir, 'evil.js')}`,
    ],
    hooks: {
      createContainer: [
        {
          path: process.execPath,
          args: ['node', BIN('ocihook-mount'), '--log-file=-', `--mount=type=bind,src=${dir},dst=/opt/x,readonly`],
          env: [`LDCONFIG_PATH=${fakeLdconfig}`],
        },
      ],
    },
  });
  const r = runcRun(bundle, containerId('envhyg'));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const env = fs.readFileSync(envDump, 'utf8');
  expect(env).not.toMatch(/^(LD_|NODE_)/m);
  expect(env).toMatch(/^PATH=/m);
  expect(fs.existsSync(marker)).toBe(false);
});

test(`${PARALLEL} podman+runc containers started at once with the slurm-style hook: all start with their mounts; host unchanged`, async () => {
  const dir = tmpDir('parallel');
  const hooksDir = path.join(dir, 'hooks.d');
  const srcs = ['/usr/bin/env', '/usr/bin/id', '/etc/os-release', '/usr/share/doc/podman'];
  writeHooksD(hooksDir, 'slurm.json', {
    version: '1.0.0',
    hook: {
      path: process.execPath,
      args: [
        'node',
        BIN('ocihook-mount'),
        `--log-file=${path.join(dir, 'hook.log')}`,
        ...srcs.map((s) => `--mount=type=bind,src=${s},dst=/host${s},readonly`),
        '--device=/dev/loop-control:/dev/ocihooks-test:r',
      ],
    },
    when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
    stages: ['createContainer'],
  });
  const devicesRoot = '/sys/fs/cgroup/devices';
  const cgroupsBefore = fs.existsSync(devicesRoot)
    ? fs.readFileSync(path.join(devicesRoot, 'devices.list'), 'utf8')
    : '';
  const before = hostMountPoints();
  const podman = requireTool('podman');
  const runs = await Promise.all(
    Array.from({ length: PARALLEL }, (_, i) => {
      const rootfs = makeBusyboxRootfs(path.join(dir, `rootfs${i}`));
      return new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(
          podman,
          podmanArgs({
            rootfs,
            hooksDir,
            annotations: { 'com.hooks.slurm.activate': 'true' },
            args: [
              'sh',
              '-c',
              `ls /host/usr/bin/env /host/etc/os-release /host/usr/share/doc/podman >/dev/null && echo ok-${i}`,
            ],
          }),
        );
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('close', (code) => resolve({ code, out }));
      });
    }),
  );
  runs.forEach((r, i) => expect(r).toEqual({ code: 0, out: `ok-${i}\n` }));
  expect(hostMountPoints()).toEqual(before);
  if (fs.existsSync(devicesRoot))
    expect(fs.readFileSync(path.join(devicesRoot, 'devices.list'), 'utf8')).toBe(cgroupsBefore);
}, 300_000);

test('a hook SIGKILLed while applying by hand: host unchanged, a second run completes', async () => {
  const dir = tmpDir('sigkill');
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const many = path.join(dir, 'many');
  fs.mkdirSync(many);
  const mounts: string[] = [];
  for (let i = 0; i < 1500; i++) {
    fs.writeFileSync(path.join(many, `f${i}`), `${i}\n`);
    mounts.push(`--mount=type=bind,src=${many}/f${i},dst=/many/f${i}`);
  }
  await withRunningRunc(dir, rootfs, 'sigkill', async ({ id, state }) => {
    const before = hostMountPoints();
    const args = [BIN('ocihook-mount'), '--log-file=-', '--state-file', state, ...mounts];
    const killed = await new Promise<NodeJS.Signals | null>((resolve) => {
      const p = spawn(process.execPath, args, { stdio: 'ignore' });
      // Kill once it has started mounting: the first mount points appear in the rootfs.
      const poll = setInterval(() => {
        if (fs.existsSync(path.join(rootfs, 'many'))) {
          clearInterval(poll);
          p.kill('SIGKILL');
        }
      }, 2);
      p.on('exit', (_code, signal) => {
        clearInterval(poll);
        resolve(signal);
      });
    });
    expect(killed).toBe('SIGKILL');
    expect(hostMountPoints()).toEqual(before);
    const again = run(process.execPath, args);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(ok(RUNC, ['exec', id, 'cat', '/many/f1499'])).toBe('1499\n');
    expect(hostMountPoints()).toEqual(before);
  });
});

describe('pids that are not a running container', () => {
  const dir = tmpDir('pids');
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const bundle = makeBundle(path.join(dir, 'bundle'), rootfs, { args: ['sleep', '600'] });
  const hook = (pid: number) =>
    run(process.execPath, [
      BIN('ocihook-mount'),
      '--log-file=-',
      '--state-file',
      stateFile(dir, { ociVersion: '1.0.2', id: 'p', pid, bundle }),
      `--mount=type=bind,src=${dir},dst=/opt/x`,
    ]);

  test('a dead pid: exit 2, no such process', () => {
    const p = spawn('true');
    const pid = p.pid as number;
    return new Promise<void>((resolve) =>
      p.on('exit', () => {
        const r = hook(pid);
        expect(r.status).toBe(2);
        expect(r.stderr).toBe(`ocihook-mount: state pid ${pid}: no such process\n`);
        resolve();
      }),
    );
  });

  test('the pid of a process that is not the container: refused, exit 1', () => {
    const p = spawn('sleep', ['30']);
    try {
      const r = hook(p.pid as number);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^ocihook-mount: cannot establish the container's mount namespace: state pid \d+ is not the container/,
      );
    } finally {
      p.kill('SIGKILL');
    }
  });

  test('the state of a stopped container: exit 2', () => {
    const id = containerId('stopped');
    runcRunDetached(bundle, id);
    const pid = runcState(id).pid;
    ok(RUNC, ['kill', id, 'KILL']);
    for (let i = 0; i < 100 && runcState(id).status !== 'stopped'; i++)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    try {
      const r = hook(pid);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`ocihook-mount: state pid ${pid}: no such process\n`);
    } finally {
      runcDelete(id);
    }
  });

  test('a config.json replaced by garbage before the hook reads it: exit 2 naming it', () => {
    const b2 = makeBundle(path.join(dir, 'bundle2'), rootfs, { args: ['true'] });
    fs.writeFileSync(path.join(b2, 'config.json'), '{"root": ');
    const r = run(process.execPath, [
      BIN('ocihook-mount'),
      '--log-file=-',
      '--state-file',
      stateFile(dir, { ociVersion: '1.0.2', id: 'p', pid: 0, bundle: b2 }),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ocihook-mount: config .*bundle2\/config\.json: not valid JSON/);
  });
});
