/**
 * Docker 26 (Debian 13's docker.io and docker-cli, its own containerd 1.7) with the installed
 * wrapper as a runtime, in a Debian 13 session (engines-session.ts, engines-site.ts): `docker run
 * --annotation k=v` reaches config.json, so hooks.d files match on it with one plain runtime entry
 * (Docker 20.10 needed a runtime name per annotation set); a broken hooks.d file is named in
 * docker's error; exec, stop, start, restart and rm pass through. Docker's own CDI
 * (`"features": {"cdi": true}`, `--device vendor.com/class=x`) next to the installed GPU hooks on
 * a `cdi.k8s.io/*` annotation for the same device: each edit reaches the container once.
 */
import * as fs from 'node:fs';
import { requireBuilt } from '../support/e2e';
import { EnginesSession, describeSession, startEnginesSession } from '../support/engines-session';
import {
  ACC_DEVICE,
  ACC_DEVICES,
  HOOKS_DIR,
  MARKER_KEY,
  SHOW,
  SHOWN_ACC_AND_MARKER,
  SHOWN_NOTHING,
  Site,
  WRAPPER,
  accEditsIn,
  accHookRuns,
  imageTar,
  removeCgroup,
  setUpSite,
  startDaemon,
} from '../support/engines-site';

const IMAGE = 'ocihooks-busybox';
const CGROUP = `ocihooks-docker26-${process.pid}`;
let s: EnginesSession | undefined;
let site: Site | undefined;
const docker = (...args: string[]) => (s as EnginesSession).session.exec('docker', args, { timeoutMs: 90_000 });
const run = (...args: string[]) => docker('run', '--rm', '--network', 'none', '--runtime', 'ocihooks', ...args);

beforeAll(() => {
  requireBuilt();
  s = startEnginesSession({ name: 'docker26', devices: ACC_DEVICES });
  process.stderr.write(describeSession(s, 'docker 26'));
  site = setUpSite(s);
  // The daemon.json docs/docker-containerd.md shows for Docker 26: one runtime entry, CDI on.
  fs.mkdirSync(s.file('/etc/docker'), { recursive: true });
  fs.writeFileSync(
    s.file('/etc/docker/daemon.json'),
    JSON.stringify({
      runtimes: { ocihooks: { path: WRAPPER } },
      features: { cdi: true },
      bridge: 'none',
      iptables: false,
      ip6tables: false,
      'storage-driver': 'vfs',
      'cgroup-parent': CGROUP,
    }),
  );
  startDaemon(s, { name: 'dockerd', argv: ['dockerd'], socket: '/run/docker.sock', log: '/var/log/dockerd.log' });
  const tar = imageTar(s.dir);
  const imported = s.session.exec('/bin/sh', ['-c', `docker import ${tar} ${IMAGE} >/dev/null`], {
    timeoutMs: 120_000,
  });
  if (imported.status !== 0) throw new Error(`docker import: ${imported.stderr}`);
}, 600_000);

afterAll(() => {
  if (!s) return;
  docker('rm', '--force', ...docker('ps', '--all', '--quiet').stdout.split('\n').filter(Boolean));
  s.stop();
  const left = removeCgroup(CGROUP);
  if (left.length) process.stderr.write(`docker 26: ${left.join('; ')}\n`);
}, 120_000);

describe('Docker 26 with the wrapper as a runtime (one daemon.json entry)', () => {
  test('docker run --annotation reaches the hooks; without it, nothing', () => {
    const marked = run('--annotation', `${MARKER_KEY}=yes`, IMAGE, '/bin/sh', '-c', SHOW);
    expect([marked.status, marked.stderr, marked.stdout]).toEqual([
      0,
      '',
      SHOWN_NOTHING.replace('no-marker\n', 'the hook was here\n'),
    ]);
    const other = run('--annotation', `${MARKER_KEY}=no`, IMAGE, '/bin/sh', '-c', SHOW);
    expect([other.status, other.stdout]).toEqual([0, SHOWN_NOTHING]);
    const plain = run(IMAGE, '/bin/sh', '-c', SHOW);
    expect([plain.status, plain.stdout]).toEqual([0, SHOWN_NOTHING]);
  });

  test('a broken hooks.d file makes docker run fail, the file and the reason in its error', () => {
    const broken = `${HOOKS_DIR}/05-broken.json`;
    fs.writeFileSync((s as EnginesSession).file(broken), '{');
    try {
      const r = run(IMAGE, '/bin/true');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`ocihooks-runtime: ${broken}: parsing hook "${broken}": version check:`);
    } finally {
      fs.rmSync((s as EnginesSession).file(broken));
    }
  });

  test('exec, stop, start, restart and rm pass through the wrapper', () => {
    const id = docker(
      'run',
      '-d',
      '--network',
      'none',
      '--runtime',
      'ocihooks',
      '--annotation',
      `${MARKER_KEY}=yes`,
      IMAGE,
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

describe("Docker 26's own CDI next to the installed GPU hooks", () => {
  /** A container left running, what it shows, what its config.json holds, and the hook runs for it. */
  function runAndRead(...args: string[]) {
    const before = accHookRuns(site as Site).length;
    const r = docker(
      'run',
      '-d',
      '--network',
      'none',
      '--runtime',
      'ocihooks',
      '--annotation',
      `${MARKER_KEY}=yes`,
      ...args,
      IMAGE,
      '/bin/sh',
      '-c',
      `{ ${SHOW}; } > /tmp/shown; exec sleep 600`,
    );
    if (r.status !== 0) throw new Error(`docker run ${args.join(' ')}: ${r.stderr}`);
    const id = r.stdout.trim();
    try {
      const config = JSON.parse(
        fs.readFileSync(
          (s as EnginesSession).file(
            `/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/${id}/config.json`,
          ),
          'utf8',
        ),
      );
      return {
        shown: docker('exec', id, '/bin/cat', '/tmp/shown').stdout,
        config: accEditsIn(config),
        hookRuns: accHookRuns(site as Site).slice(before),
        id,
      };
    } finally {
      docker('rm', '-f', id);
    }
  }
  const once = { node: 1, rule: 1, env: 1, mount: 1, hook: 1 };

  test('--device and the cdi.k8s.io annotation for the same device: each edit once, the spec hook run once', () => {
    const r = runAndRead('--device', ACC_DEVICE, '--annotation', `cdi.k8s.io/test=${ACC_DEVICE}`);
    expect({ shown: r.shown, config: r.config, hookRuns: r.hookRuns }).toEqual({
      shown: SHOWN_ACC_AND_MARKER,
      config: once,
      hookRuns: [r.id],
    });
  });

  test('docker alone (--device) and the hooks alone (the annotation) give the same', () => {
    const dockerAlone = runAndRead('--device', ACC_DEVICE);
    const hooksAlone = runAndRead('--annotation', `cdi.k8s.io/test=${ACC_DEVICE}`);
    expect([dockerAlone, hooksAlone].map((r) => ({ shown: r.shown, config: r.config, hookRuns: r.hookRuns }))).toEqual([
      { shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [dockerAlone.id] },
      { shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [hooksAlone.id] },
    ]);
  });
});
