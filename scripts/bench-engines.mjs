// The docker and containerd rows of `npm run bench`: a containerd and a dockerd of the bench's
// own (private roots and sockets under its scratch folder, no bridge, no iptables, vfs), stopped
// by pid afterwards with what they leave outside it (/run/containerd, /etc/docker, their cgroups)
// removed when it was not there before, as test/e2e/docker-containerd.test.ts does.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function startEngines(dir, { runtimeConfig, wrapper, rootfs }) {
  const before = { run: fs.existsSync('/run/containerd'), etc: fs.existsSync('/etc/docker'), key: fs.existsSync('/etc/docker/key.json') };
  const cgroupParent = `ocihooks-bench-${process.pid}`;
  const ns = `ocihooksbench${process.pid}`;
  const pids = [];
  const daemon = (name, cmd, args, socket, env) => {
    const fd = fs.openSync(path.join(dir, `${name}.log`), 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    fs.closeSync(fd);
    child.unref();
    pids.push(child.pid);
    for (let i = 0; i < 200 && !fs.existsSync(socket) && alive(child.pid); i++) sleep(100);
    if (!fs.existsSync(socket)) throw new Error(`${name} did not start: see ${path.join(dir, `${name}.log`)}`);
  };
  fs.writeFileSync(path.join(dir, 'containerd.toml'), `version = 2\nroot = "${dir}/containerd-root"\nstate = "${dir}/containerd-state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${dir}/containerd.sock"\n[ttrpc]\n  address = "${dir}/containerd.sock.ttrpc"\n`);
  daemon('containerd', 'containerd', ['--config', path.join(dir, 'containerd.toml')], path.join(dir, 'containerd.sock'), { ...process.env, OCIHOOKS_RUNTIME_CONFIG: runtimeConfig });
  fs.writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify({ runtimes: { ocihooks: { path: wrapper } } }));
  daemon('dockerd', 'dockerd', ['--config-file', path.join(dir, 'daemon.json'), '--containerd', path.join(dir, 'containerd.sock'), '--data-root', path.join(dir, 'docker'), '--exec-root', path.join(dir, 'docker-exec'), '--pidfile', path.join(dir, 'docker.pid'), '-H', `unix://${dir}/docker.sock`, '--bridge', 'none', '--iptables=false', '--storage-driver', 'vfs', '--cgroup-parent', cgroupParent], path.join(dir, 'docker.sock'), process.env);
  const imported = spawnSync('sh', ['-c', `tar -C "$1" -c . | /usr/bin/docker -H unix://$2/docker.sock import - ocihooks-bench`, 'sh', rootfs, dir]);
  if (imported.status !== 0) throw new Error(`docker import: ${imported.stderr}`);
  return {
    docker: ['/usr/bin/docker', ['-H', `unix://${dir}/docker.sock`]],
    ctr: ['ctr', ['-a', path.join(dir, 'containerd.sock'), '-n', ns]],
    stop() {
      for (const pid of [...pids].reverse()) {
        if (!alive(pid)) continue;
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 200 && alive(pid); i++) sleep(100);
        if (alive(pid)) process.kill(pid, 'SIGKILL');
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
    },
  };
}
