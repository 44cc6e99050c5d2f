/**
 * The mount hook end to end: a hooks.d file in Sarus's format (annotation com.hooks.slurm.activate=true)
 * that mounts ~40 real host files and directories, a read-only directory and a test device, under
 * podman+runc, crun, runc with a plain bundle, and by hand against a running container.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
  HookSpec,
  RUNC,
  containerId,
  crunRun,
  hostMountPoints,
  makeBundle,
  makeBusyboxRootfs,
  ok,
  podmanArgs,
  requireBuilt,
  requireTool,
  run,
  runcRun,
  stateFile,
  tmpDir,
  withRunningRunc,
  writeHooksD,
  onAnnotation,
} from '../support/e2e';

const DEVICE = '/dev/loop-control'; // c 10:237: not in any runtime's default device list, opens without side effects
const DEVICE_DST = '/dev/ocihooks-test';

/** ~40 real paths on a Debian host: regular files from /usr/bin and package doc directories. */
function hostSet(): { src: string; dst: string; kind: 'file' | 'dir'; size: number }[] {
  const files = fs
    .readdirSync('/usr/bin')
    .sort()
    .map((f) => path.join('/usr/bin', f))
    .filter((p) => fs.lstatSync(p).isFile())
    .slice(0, 30)
    .map((p) => ({ src: p, dst: `/host${p}`, kind: 'file' as const, size: fs.statSync(p).size }));
  const dirs = fs
    .readdirSync('/usr/share/doc')
    .sort()
    .map((d) => path.join('/usr/share/doc', d))
    .filter((p) => fs.lstatSync(p).isDirectory())
    .slice(0, 10)
    .map((p) => ({ src: p, dst: `/host${p}`, kind: 'dir' as const, size: fs.readdirSync(p).length }));
  return [...files, ...dirs];
}

function setup(name: string) {
  requireBuilt();
  const dir = tmpDir(name);
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const ro = path.join(dir, 'ro');
  fs.mkdirSync(ro);
  fs.writeFileSync(path.join(ro, 'data'), 'read only data\n');
  const set = hostSet();
  const args = [
    'node',
    BIN('ocihook-mount'),
    `--log-file=${path.join(dir, 'hook.log')}`,
    ...set.map((m) => `--mount=type=bind,source=${m.src},destination=${m.dst}`),
    `--mount=type=bind,src=${ro},dst=/readonly,readonly`,
    `--device=${DEVICE}:${DEVICE_DST}:r`,
  ];
  const hook: HookSpec = { path: process.execPath, args };
  // The check runs inside the container: sizes of files / entry counts of dirs, the read-only
  // mount, and the device opened for reading (allowed) and writing (not allowed).
  const check = [
    ...set.map((m) =>
      m.kind === 'file' ? `echo "${m.dst} $(stat -c %s ${m.dst})"` : `echo "${m.dst} $(ls -A ${m.dst} | wc -l)"`,
    ),
    'cat /readonly/data',
    'if touch /readonly/x 2>/dev/null; then echo ro-writable; else echo ro-refused; fi',
    `if true 2>/dev/null < ${DEVICE_DST}; then echo dev-r-ok; else echo dev-r-denied; fi`,
    `if true 2>/dev/null > ${DEVICE_DST}; then echo dev-w-ok; else echo dev-w-denied; fi`,
    'cat /sys/fs/cgroup/devices/devices.list 2>/dev/null | grep -q "^c 10:237 r$" && echo devices-list-r || echo devices-list-missing',
  ].join('; ');
  const expected = [
    ...set.map((m) => `${m.dst} ${m.size}`),
    'read only data',
    'ro-refused',
    'dev-r-ok',
    'dev-w-denied',
  ];
  return { dir, rootfs, hook, check, expected };
}

function expectInside(stdout: string, expected: string[], devicesList: boolean) {
  const lines = stdout.trim().split('\n');
  expect(lines.slice(0, expected.length)).toEqual(expected);
  if (devicesList) expect(lines[expected.length]).toBe('devices-list-r');
}

describe('mount hook: Sarus-format hooks.d, ~40 mounts, read-only, device', () => {
  test('podman + runc with annotation com.hooks.slurm.activate=true', () => {
    const s = setup('mount-podman');
    const hooksDir = path.join(s.dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', onAnnotation(s.hook, 'com.hooks.slurm.activate'));
    const before = hostMountPoints();
    const r = run(
      requireTool('podman'),
      podmanArgs({
        rootfs: s.rootfs,
        hooksDir,
        annotations: { 'com.hooks.slurm.activate': 'true' },
        args: ['sh', '-c', s.check],
      }),
    );
    expect(r.stderr).toBe('');
    expectInside(r.stdout, s.expected, true);
    expect(hostMountPoints()).toEqual(before);
  });

  test('runc with a plain bundle', () => {
    const s = setup('mount-runc');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['sh', '-c', s.check],
      hooks: { createContainer: [s.hook] },
    });
    const r = runcRun(bundle, containerId('mount-runc'));
    expect(r.stderr).toBe('');
    expectInside(r.stdout, s.expected, false);
  });

  test('crun with a plain bundle', () => {
    const s = setup('mount-crun');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['sh', '-c', s.check],
      hooks: { createContainer: [s.hook] },
    });
    const r = crunRun(bundle, containerId('mount-crun'));
    expectInside(r.stdout, s.expected, false);
  });

  test('by hand with --state-file against a running runc container', () => {
    const s = setup('mount-hand');
    return withRunningRunc(s.dir, s.rootfs, 'mount-hand', ({ id, state }) => {
      const before = hostMountPoints();
      // OCIHOOKS_TIMINGS=1: one stderr line with the ms of every phase, in order (npm run bench).
      const hook = run(process.execPath, [...(s.hook.args as string[]).slice(1), '--state-file', state], {
        env: { ...process.env, OCIHOOKS_TIMINGS: '1' },
      });
      const timings = /^ocihooks-timings (\{.*\})\n$/.exec(hook.stderr);
      expect(timings).not.toBeNull();
      const phases = Object.entries(JSON.parse((timings as RegExpExecArray)[1]) as Record<string, number>);
      expect(phases.map(([p]) => p)).toEqual([
        'node',
        'read',
        'compile',
        'modules',
        'arguments',
        'logger',
        'state',
        'config',
        'locate',
        'plan',
        'apply',
        'exit',
      ]);
      for (const [, ms] of phases) expect(ms).toBeGreaterThanOrEqual(0);
      expect(hook.status).toBe(0);
      expectInside(ok(RUNC, ['exec', id, 'sh', '-c', s.check]), s.expected, false);
      expect(hostMountPoints()).toEqual(before);
    });
  });

  test('--dry-run lists every action and changes nothing', () => {
    const s = setup('mount-dry');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, { args: ['true'] });
    const file = stateFile(s.dir, { ociVersion: '1.0.2', id: 'dry', pid: 0, bundle });
    const r = run(process.execPath, [...(s.hook.args as string[]).slice(1), '--state-file', file, '--dry-run']);
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.actions.map((a: { action: string }) => a.action)).toEqual([
      ...Array(41).fill('bind'),
      'device',
      'allow-devices',
    ]);
    expect(plan.actions[41]).toMatchObject({
      source: DEVICE,
      destination: DEVICE_DST,
      type: 'c',
      major: 10,
      minor: 237,
      access: 'r',
    });
    expect(plan.location.kind).toBe('unresolved');
    expect(fs.existsSync(path.join(s.rootfs, 'host'))).toBe(false);
  });
});
