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
import { TEST_USER, asTestUser, ensureTestUser, stopRootlessPodman } from '../support/test-user';

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

  // Rootless podman leaves a pause process for the user; no engine outlives the suite.
  afterAll(() => {
    stopRootlessPodman(uid, [`/tmp/podman-run-${uid}`]);
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

  describe("rootless podman, the container's user 1000:1000 (Sarus's rules as seen outside the user namespace)", () => {
    // uid 1000 in the container is subuid base + 999 on the host: a folder only the test user
    // (the container's root) may enter is out of its reach.
    const subuid = () =>
      Number(
        (
          fs
            .readFileSync('/etc/subuid', 'utf8')
            .split('\n')
            .find((l) => l.startsWith(`${USER}:`)) as string
        ).split(':')[1],
      );
    const subgid = () =>
      Number(
        (
          fs
            .readFileSync('/etc/subgid', 'utf8')
            .split('\n')
            .find((l) => l.startsWith(`${USER}:`)) as string
        ).split(':')[1],
      );
    /** The container's user as the refusal names it: podman adds its gid as a supplementary group. */
    const outside = () =>
      `uid 1000, gid 1000, groups 1000; uid ${subuid() + 999}, gid ${subgid() + 999} outside its user namespace`;
    let dir = '';
    let hooksDir = '';

    beforeAll(() => {
      dir = path.join(base, 'podman-user');
      fs.mkdirSync(dir);
      // The source lies behind a folder only the test user may enter (the folder itself is open
      // to all): reaching it is what a bind would give away, as Sarus's identity switch checks.
      fs.mkdirSync(path.join(dir, 'userdata', 'inner'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'userdata', 'inner', 'x'), "behind the test user's folder\n");
      ok('chown', ['-R', `${USER}:`, dir]);
      fs.chmodSync(path.join(dir, 'userdata'), 0o700);
      hooksDir = path.join(dir, 'hooks.d');
    });

    const podmanRun = (rootfs: string, hookArgs: string[], extra: string[], cmd: string[]) => {
      fs.rmSync(hooksDir, { recursive: true, force: true });
      fs.mkdirSync(hooksDir);
      fs.writeFileSync(
        path.join(hooksDir, 'mount.json'),
        JSON.stringify({
          version: '1.0.0',
          hook: { path: process.execPath, args: ['node', bin('ocihook-mount'), '--log-file=-', ...hookArgs] },
          when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
          stages: ['createContainer'],
        }),
      );
      ok('chown', ['-R', `${USER}:`, hooksDir]);
      return asUser('podman', [
        '--runtime',
        'runc',
        '--hooks-dir',
        hooksDir,
        'run',
        '--network',
        'none',
        '--annotation',
        'com.hooks.slurm.activate=true',
        '--user',
        '1000:1000',
        ...extra,
        '--rootfs',
        rootfs,
        ...cmd,
      ]);
    };

    test("a folder the container's root may enter, but not its uid 1000: refused, naming the user", () => {
      const rootfs = userRootfs('podman-user-refused');
      const r = podmanRun(
        rootfs,
        [`--mount=type=bind,src=${dir}/userdata/inner,dst=/opt/userdata`],
        ['--rm'],
        ['true'],
      );
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        `ocihook-mount: bind ${dir}/userdata/inner -> /opt/userdata: source ${dir}/userdata/inner: the container's user (${outside()}) cannot reach it (EACCES)`,
      );
    });

    test("mount points and the folders made for them belong to the container's user", () => {
      const rootfs = userRootfs('podman-user-owner');
      const r = podmanRun(
        rootfs,
        [`--mount=type=bind,src=${base}/src,dst=/opt/new/deep/src,readonly`, '--device=/dev/full:/dev/x/full:rw'],
        ['--rm'],
        ['sh', '-c', 'cat /opt/new/deep/src/data; stat -c "%n %u:%g" /opt /opt/new /opt/new/deep /dev/x'],
      );
      expect(r.stdout).toBe(
        'host data for rootless\n/opt 0:0\n/opt/new 1000:1000\n/opt/new/deep 1000:1000\n/dev/x 1000:1000\n',
      );
      // On the host: uid 1000 of the container is the test user's subuid base + 999.
      const st = fs.statSync(path.join(rootfs, 'opt', 'new', 'deep'));
      expect([st.uid, st.gid]).toEqual([subuid() + 999, subgid() + 999]);
    });

    test('by hand against a running container: the helper looks at the source as uid 1000, makes mount points theirs, refuses procfs', () => {
      const rootfs = userRootfs('podman-user-hand');
      const name = `ocihooks-user-hand-${process.pid}`;
      expect(podmanRun(rootfs, [], ['-d', '--name', name], ['sleep', '600']).status).toBe(0);
      try {
        const [pid, staticDir] = asUser('podman', ['inspect', '--format', '{{.State.Pid}} {{.StaticDir}}', name])
          .stdout.trim()
          .split(' ') as [string, string];
        const stateFile = path.join(dir, 'state.json');
        fs.writeFileSync(
          stateFile,
          JSON.stringify({ ociVersion: '1.0.2', id: name, pid: Number(pid), bundle: staticDir }),
        );
        ok('chown', [`${USER}:`, stateFile]);
        const hand = (mount: string) =>
          asUser(process.execPath, [
            bin('ocihook-mount'),
            '--log-file=-',
            '--state-file',
            stateFile,
            `--mount=${mount}`,
          ]);
        const refused = hand(`type=bind,src=${dir}/userdata/inner,dst=/srv/userdata`);
        expect({ status: refused.status, stderr: refused.stderr }).toEqual({
          status: 1,
          stderr: `ocihook-mount: bind ${dir}/userdata/inner -> /srv/userdata: source ${dir}/userdata/inner: the container's user (${outside()}) cannot reach it (EACCES)\n`,
        });
        const proc = hand(`type=bind,src=${base}/src,dst=/proc/ocihooks`);
        expect({ status: proc.status, stderr: proc.stderr }).toEqual({
          status: 1,
          stderr: `ocihook-mount: bind ${base}/src -> /proc/ocihooks: destination /proc/ocihooks: /proc is on the kernel's proc filesystem, not on the container's own filesystems (its root, and its /dev tmpfs)\n`,
        });
        const made = hand(`type=bind,src=${base}/src,dst=/srv/hand/src,readonly`);
        expect({ status: made.status, stderr: made.stderr }).toEqual({ status: 0, stderr: '' });
        const r = asUser('podman', ['exec', name, 'sh', '-c', 'cat /srv/hand/src/data; stat -c "%u:%g" /srv/hand']);
        expect(r.stdout).toBe('host data for rootless\n1000:1000\n');
      } finally {
        asUser('podman', ['rm', '-f', '-t', '0', name]);
      }
    });
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
