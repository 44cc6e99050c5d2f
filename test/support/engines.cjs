// A containerd and a dockerd of the caller's own, for test/e2e/docker-containerd.test.ts and
// `npm run bench` (plain CommonJS, so both the jest tests and the bench script load it): private
// roots, state and sockets under `dir`, no bridge, no iptables, vfs, containerd's environment
// carrying OCIHOOKS_RUNTIME_CONFIG and OCIHOOKS_RUNTIME_INDEX (in `dir`: the wrapper's no-match
// index never lands in the host's /run) as a unit file's Environment= would, a busybox image
// imported as `image`. stop() stops exactly these daemons, by pid, and removes what they leave
// outside `dir` when it was not there before: /run/containerd (the shim's fixed folder),
// /etc/docker (dockerd 20.10 writes key.json there, no flag moves it), their cgroups.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { alive, signal } = require('./pids.cjs');

const DOCKER = '/usr/bin/docker'; // docker.io's client, of the daemon's version

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** @param {string} dir @param {{ runtimeConfig: string, runtimes: Record<string, object>, rootfs: string, image: string }} o */
function startEngines(dir, o) {
  const before = {
    run: fs.existsSync('/run/containerd'),
    etc: fs.existsSync('/etc/docker'),
    key: fs.existsSync('/etc/docker/key.json'),
  };
  const cgroupParent = `ocihooks-docker-${process.pid}`;
  const ns = `ocihooks${process.pid}`;
  const pids = [];
  const stop = () => {
    for (const pid of [...pids].reverse()) {
      if (!alive(pid)) continue;
      signal(pid, 'SIGTERM');
      for (let i = 0; i < 200 && alive(pid); i++) sleep(100);
      if (alive(pid)) signal(pid, 'SIGKILL');
    }
    if (!before.run) fs.rmSync('/run/containerd', { recursive: true, force: true });
    if (!before.etc) fs.rmSync('/etc/docker', { recursive: true, force: true });
    else if (!before.key) fs.rmSync('/etc/docker/key.json', { force: true });
    for (const c of fs.readdirSync('/sys/fs/cgroup')) {
      for (const name of [cgroupParent, ns]) {
        const top = path.join('/sys/fs/cgroup', c, name);
        if (fs.existsSync(top)) spawnSync('find', [top, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
      }
    }
  };
  const daemon = (name, cmd, args, socket, env) => {
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    fs.closeSync(fd);
    child.unref();
    pids.push(child.pid);
    for (let i = 0; i < 200 && !fs.existsSync(socket) && alive(child.pid); i++) sleep(100);
    if (!fs.existsSync(socket)) {
      stop();
      throw new Error(
        `${name} did not start: ${fs.readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ')}`,
      );
    }
  };
  fs.writeFileSync(
    path.join(dir, 'containerd.toml'),
    `version = 2\nroot = "${dir}/containerd-root"\nstate = "${dir}/containerd-state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${dir}/containerd.sock"\n[ttrpc]\n  address = "${dir}/containerd.sock.ttrpc"\n`,
  );
  daemon(
    'containerd',
    'containerd',
    ['--config', path.join(dir, 'containerd.toml')],
    path.join(dir, 'containerd.sock'),
    {
      ...process.env,
      OCIHOOKS_RUNTIME_CONFIG: o.runtimeConfig,
      OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'runtime-index'),
    },
  );
  fs.writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify({ runtimes: o.runtimes }));
  daemon(
    'dockerd',
    'dockerd',
    [
      '--config-file',
      path.join(dir, 'daemon.json'),
      '--containerd',
      path.join(dir, 'containerd.sock'),
      '--data-root',
      path.join(dir, 'docker'),
      '--exec-root',
      path.join(dir, 'docker-exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '-H',
      `unix://${dir}/docker.sock`,
      '--bridge',
      'none',
      '--iptables=false',
      '--storage-driver',
      'vfs',
      '--cgroup-parent',
      cgroupParent,
    ],
    path.join(dir, 'docker.sock'),
    process.env,
  );
  const imported = spawnSync(
    'sh',
    ['-c', `tar -C "$1" -c . | ${DOCKER} -H unix://$2/docker.sock import - "$3"`, 'sh', o.rootfs, dir, o.image],
    { encoding: 'utf8' },
  );
  if (imported.status !== 0) {
    stop();
    throw new Error(`docker import: ${imported.stderr}`);
  }
  return {
    docker: [DOCKER, ['-H', `unix://${dir}/docker.sock`]],
    ctr: ['ctr', ['-a', path.join(dir, 'containerd.sock'), '-n', ns]],
    stop,
  };
}

module.exports = { DOCKER, startEngines };
