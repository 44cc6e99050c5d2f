/**
 * User-namespaced containers. A non-root test user (made here, with subuid/subgid
 * entries) runs rootless podman with a slurm-style hooks.d file, and runc --rootless with a
 * bundle carrying user-namespace mappings (as scrun makes them) and the mount hook in
 * hooks.createContainer; then the same user runs the hook by hand with --state-file against that
 * running container (a forked single-threaded helper joins the user namespace).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, makeBusyboxRootfs, ok, requireBuilt, tmpDir } from '../support/e2e';
import { TEST_USER, asTestUser, ensureTestUser } from '../support/test-user';

const USER = TEST_USER;
const ensureUser = ensureTestUser;
const asUser = (cmd: string, args: string[], cwd = '/tmp') => asTestUser(cmd, args, { cwd });

describe('rootless and user-namespaced containers', () => {
  let uid = 0;
  let base = '';
  let bin = (name: string) => name;

  beforeAll(() => {
    requireBuilt();
    uid = ensureUser();
    base = tmpDir('rootless');
    fs.chmodSync(base, 0o755);
    // The user may not be able to read the checkout (CI clones anywhere): give it a copy of dist/.
    ok('cp', ['-a', path.join(ROOT, 'dist'), path.join(base, 'dist')]);
    bin = (name: string) => path.join(base, 'dist', 'bin', name);
    const src = path.join(base, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'data'), 'host data for rootless\n');
    fs.mkdirSync(path.join(base, 'private'), { mode: 0o700 });
    fs.writeFileSync(path.join(base, 'private', 'secret'), 'root only\n');
    ok('chown', ['-R', `${USER}:`, src]);
  });

  const hookArgs = (log: string, extra: string[] = []) => [
    'node',
    bin('ocihook-mount'),
    `--log-file=${log}`,
    `--mount=type=bind,src=${base}/src,dst=/opt/host/src,readonly`,
    '--mount=type=bind,src=/etc/os-release,dst=/opt/host/os-release',
    '--device=/dev/full:/dev/testfull:rw',
    ...extra,
  ];

  function userRootfs(name: string): string {
    const rootfs = makeBusyboxRootfs(path.join(base, name, 'rootfs'));
    ok('chown', ['-R', `${USER}:`, path.join(base, name)]);
    return rootfs;
  }

  test('rootless podman with a slurm-style hooks.d file: the mounts are there, owned by the mapped root', () => {
    const rootfs = userRootfs('podman');
    const hooksDir = path.join(base, 'podman', 'hooks.d');
    fs.mkdirSync(hooksDir);
    fs.writeFileSync(
      path.join(hooksDir, 'slurm.json'),
      JSON.stringify({
        version: '1.0.0',
        hook: { path: process.execPath, args: hookArgs(path.join(base, 'podman', 'hook.log')) },
        when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
        stages: ['createContainer'],
      }),
    );
    ok('chown', ['-R', `${USER}:`, path.join(base, 'podman')]);
    // /dev/full is the host's node (owned by the unmapped host root: 65534 here); reading a byte proves it opens.
    const check =
      'cat /opt/host/src/data; test -s /opt/host/os-release && echo os-release; stat -c "%u %F" /opt/host /dev/testfull; head -c 1 /dev/testfull | wc -c';
    const r = asUser('podman', [
      '--runtime',
      'runc',
      '--hooks-dir',
      hooksDir,
      'run',
      '--rm',
      '--network',
      'none',
      '--annotation',
      'com.hooks.slurm.activate=true',
      '--rootfs',
      rootfs,
      'sh',
      '-c',
      check,
    ]);
    expect(r.stderr.split('\n').filter((l) => l && !l.includes('is not a shared mount'))).toEqual([]);
    expect(r.stdout.trim().split('\n')).toEqual([
      'host data for rootless',
      'os-release',
      '0 directory',
      '65534 character special file',
      '1',
    ]);
    expect(fs.statSync(path.join(rootfs, 'opt', 'host')).uid).toBe(uid); // the mapped root on the host
    expect(fs.readFileSync(path.join(base, 'podman', 'hook.log'), 'utf8')).toContain(
      'device cgroup step skipped: the container has its own user namespace',
    );
  });

  describe('runc --rootless with scrun-style user-namespace mappings', () => {
    const id = `ocihooks-rootless-${process.pid}`;
    let bundle = '';
    let runcRoot = '';

    beforeAll(() => {
      const rootfs = userRootfs('runc');
      bundle = path.dirname(rootfs);
      runcRoot = path.join(base, 'runc', 'state');
      ok('runuser', ['-u', USER, '--', 'runc', 'spec', '--rootless', '--bundle', bundle]);
      const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
      config.root = { path: 'rootfs', readonly: false };
      config.process.terminal = false;
      config.process.args = ['sleep', '600'];
      config.hooks = {
        createContainer: [{ path: process.execPath, args: hookArgs(path.join(base, 'runc', 'hook.log')) }],
      };
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      ok('chown', ['-R', `${USER}:`, path.join(base, 'runc')]);
      expect(config.linux.uidMappings).toEqual([{ containerID: 0, hostID: uid, size: 1 }]);
      const r = spawnSync(
        'runuser',
        ['-u', USER, '--', 'runc', '--root', runcRoot, 'run', '--detach', '--bundle', bundle, id],
        { stdio: 'ignore', cwd: '/tmp', timeout: 60_000 },
      );
      expect(r.status).toBe(0);
    });

    afterAll(() => {
      spawnSync('runuser', ['-u', USER, '--', 'runc', '--root', runcRoot, 'delete', '--force', id], {
        stdio: 'ignore',
        cwd: '/tmp',
      });
    });

    test('the createContainer hook mounted inside the user namespace', () => {
      const r = asUser('runc', [
        '--root',
        runcRoot,
        'exec',
        id,
        'sh',
        '-c',
        'cat /opt/host/src/data; stat -c "%u" /opt/host',
      ]);
      expect(r.stdout).toBe('host data for rootless\n0\n');
    });

    test('by hand, as the same user, with --state-file: joins through the helper', () => {
      const state = JSON.parse(asUser('runc', ['--root', runcRoot, 'state', id]).stdout);
      const stateFile = path.join(base, 'runc', 'state.json');
      fs.writeFileSync(
        stateFile,
        JSON.stringify({ ociVersion: '1.0.2', id, pid: state.pid, bundle, status: 'running' }),
      );
      const log = path.join(base, 'runc', 'hand.log');
      fs.writeFileSync(log, '');
      ok('chown', [`${USER}:`, stateFile, log]);
      const h = asUser(process.execPath, [
        bin('ocihook-mount'),
        `--log-file=${log}`,
        '--state-file',
        stateFile,
        `--mount=type=bind,src=${base}/src,dst=/srv/by/hand,readonly`,
      ]);
      expect(h.stderr).toBe('');
      expect(h.status).toBe(0);
      const r = asUser('runc', [
        '--root',
        runcRoot,
        'exec',
        id,
        'sh',
        '-c',
        'cat /srv/by/hand/data; stat -c "%u" /srv/by; touch /srv/by/hand/x 2>&1 || true',
      ]);
      expect(r.stdout).toBe('host data for rootless\n0\ntouch: /srv/by/hand/x: Read-only file system\n');
      expect(fs.statSync(path.join(bundle, 'rootfs', 'srv', 'by')).uid).toBe(uid);
    });

    test('by hand, a source the user cannot read: one clear line naming it, exit 2', () => {
      const state = JSON.parse(asUser('runc', ['--root', runcRoot, 'state', id]).stdout);
      const stateFile = path.join(base, 'runc', 'state2.json');
      fs.writeFileSync(stateFile, JSON.stringify({ ociVersion: '1.0.2', id, pid: state.pid, bundle }));
      ok('chown', [`${USER}:`, stateFile]);
      const h = asUser(process.execPath, [
        bin('ocihook-mount'),
        '--log-file=-',
        '--state-file',
        stateFile,
        `--mount=type=bind,src=${base}/private/secret,dst=/srv/secret`,
      ]);
      expect(h.status).toBe(2);
      expect(h.stderr).toBe(
        `ocihook-mount: Invalid mount request 'type=bind,src=${base}/private/secret,dst=/srv/secret': source ${base}/private/secret: permission denied for this user (EACCES)\n`,
      );
    });

    test('by hand, a device the user cannot open: exit 1 naming it', () => {
      const state = JSON.parse(asUser('runc', ['--root', runcRoot, 'state', id]).stdout);
      const stateFile = path.join(base, 'runc', 'state3.json');
      fs.writeFileSync(stateFile, JSON.stringify({ ociVersion: '1.0.2', id, pid: state.pid, bundle }));
      ok('chown', [`${USER}:`, stateFile]);
      const h = asUser(process.execPath, [
        bin('ocihook-mount'),
        '--log-file=-',
        '--state-file',
        stateFile,
        '--device=/dev/loop-control:/dev/lc:rw',
      ]);
      expect(h.status).toBe(1);
      expect(h.stderr).toBe(
        'ocihook-mount: device /dev/loop-control: cannot be opened for "rw" by this user (EACCES); a user-namespaced container can only get devices its user may open\n',
      );
    });
  });
});
