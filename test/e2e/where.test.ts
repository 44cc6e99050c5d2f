/**
 * The location rule: the same hook reaches the container's mount namespace in every case —
 * runc createContainer (state pid 1), crun createContainer (pid 0), podman+runc through hooks.d
 * with an annotation, and by hand with --state-file against running runc and podman containers.
 * Each time the hook binds a host marker file at a path only the container's rootfs has; the
 * container prints it, and the host's mount table is the same before and after.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BIN,
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
  RUNC,
} from '../support/e2e';

const MARKER_DST = '/ocihooks-marker/marker.txt';

function markerSetup(name: string) {
  requireBuilt();
  const dir = tmpDir(name);
  const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
  const marker = path.join(dir, 'marker.txt');
  const content = `marker ${name} ${Date.now()}`;
  fs.writeFileSync(marker, content + '\n');
  const log = path.join(dir, 'hook.log');
  const hookArgs = [
    'node',
    BIN('ocihook-mount'),
    `--log-file=${log}`,
    `--mount=type=bind,src=${marker},dst=${MARKER_DST},readonly`,
  ];
  return { dir, rootfs, marker, content, log, hook: { path: process.execPath, args: hookArgs } };
}

function logLocation(log: string): string {
  const first = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .find((l) => l.includes('"location"'));
  if (!first) throw new Error(`no location record in ${log}`);
  return JSON.parse(first).location;
}

describe('the hook reaches the container from every runtime', () => {
  test('runc createContainer (state pid 1): already inside', () => {
    const s = markerSetup('runc');
    const before = hostMountPoints();
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['cat', MARKER_DST],
      hooks: { createContainer: [s.hook] },
    });
    const r = runcRun(bundle, containerId('runc'));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(s.content);
    expect(logLocation(s.log)).toBe('inside');
    expect(hostMountPoints()).toEqual(before);
    expect(fs.existsSync('/ocihooks-marker')).toBe(false);
  });

  test.each(['prestart', 'createRuntime'] as const)(
    'runc %s (runtime namespace, host pid, not pivoted yet): joins it',
    (stage) => {
      const s = markerSetup(`runc-${stage}`);
      const before = hostMountPoints();
      const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
        args: ['cat', MARKER_DST],
        hooks: { [stage]: [s.hook] },
      });
      const r = runcRun(bundle, containerId(stage.toLowerCase()));
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe(s.content);
      expect(logLocation(s.log)).toBe('join');
      expect(fs.readFileSync(s.log, 'utf8')).toContain('is the container before pivot_root');
      expect(hostMountPoints()).toEqual(before);
    },
  );

  test('crun createContainer (state pid 0): already inside', () => {
    const s = markerSetup('crun');
    const before = hostMountPoints();
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, {
      args: ['cat', MARKER_DST],
      hooks: { createContainer: [s.hook] },
    });
    const r = crunRun(bundle, containerId('crun'));
    expect(r.stdout.trim()).toBe(s.content);
    expect(r.status).toBe(0);
    expect(logLocation(s.log)).toBe('inside');
    expect(hostMountPoints()).toEqual(before);
  });

  test('podman + runc: hooks.d file matched by annotation', () => {
    const s = markerSetup('podman');
    const hooksDir = path.join(s.dir, 'hooks.d');
    writeHooksD(hooksDir, 'marker.json', onAnnotation(s.hook, 'com.hooks.test.marker'));
    const before = hostMountPoints();
    const podman = requireTool('podman');
    const withAnnotation = run(
      podman,
      podmanArgs({
        rootfs: s.rootfs,
        hooksDir,
        annotations: { 'com.hooks.test.marker': 'true' },
        args: ['cat', MARKER_DST],
      }),
    );
    expect(withAnnotation.stdout.trim()).toBe(s.content);
    expect(withAnnotation.status).toBe(0);
    const without = run(podman, podmanArgs({ rootfs: s.rootfs, hooksDir, args: ['cat', MARKER_DST] }));
    // The mount point the first run created stays in this shared --rootfs dir, empty.
    expect(without.stdout).not.toContain(s.content);
    expect(hostMountPoints()).toEqual(before);
  });

  test('by hand with --state-file against a running runc container: joins it', () => {
    const s = markerSetup('hand-runc');
    return withRunningRunc(s.dir, s.rootfs, 'hand', ({ id, state }) => {
      const before = hostMountPoints();
      const hook = run(process.execPath, [...s.hook.args.slice(1), '--state-file', state]);
      expect(hook.stderr).toBe('');
      expect(hook.status).toBe(0);
      expect(logLocation(s.log)).toBe('join');
      expect(ok(RUNC, ['exec', id, 'cat', MARKER_DST]).trim()).toBe(s.content);
      expect(hostMountPoints()).toEqual(before);
    });
  });

  test('by hand with --state-file against a running podman container: joins it', () => {
    const s = markerSetup('hand-podman');
    const podman = requireTool('podman');
    const name = containerId('hand-podman');
    ok(podman, podmanArgs({ rootfs: s.rootfs, args: ['sleep', '600'], detach: true, name }));
    try {
      const [pid, configPath] = ok(podman, ['inspect', '--format', '{{.State.Pid}} {{.OCIConfigPath}}', name])
        .trim()
        .split(' ');
      const file = stateFile(s.dir, {
        ociVersion: '1.0.2',
        id: name,
        status: 'running',
        pid: Number(pid),
        bundle: path.dirname(configPath as string),
      });
      const before = hostMountPoints();
      const hook = run(process.execPath, [...s.hook.args.slice(1), '--state-file', file]);
      expect(hook.stderr).toBe('');
      expect(hook.status).toBe(0);
      expect(ok(podman, ['exec', name, 'cat', MARKER_DST]).trim()).toBe(s.content);
      expect(hostMountPoints()).toEqual(before);
    } finally {
      run(podman, ['rm', '--force', '--time', '0', name]);
    }
  });

  test('a state whose pid is the host init and a rootfs that is not mounted: refused, nothing done', () => {
    const s = markerSetup('refuse');
    const bundle = makeBundle(path.join(s.dir, 'bundle'), s.rootfs, { args: ['true'] });
    const file = stateFile(s.dir, { ociVersion: '1.0.2', id: 'x', pid: 1, bundle });
    const before = hostMountPoints();
    const hook = run(process.execPath, [...s.hook.args.slice(1), '--state-file', file]);
    expect(hook.status).toBe(1);
    expect(hook.stderr).toMatch(/^ocihook-mount: cannot establish the container's mount namespace/);
    expect(hook.stderr.trim().split('\n')).toHaveLength(1);
    expect(hostMountPoints()).toEqual(before);
  });
});
