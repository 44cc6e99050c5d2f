/**
 * A two-node Slurm cluster on one machine, the way the Slurm e2e tests need it: munged and
 * slurmctld on the host, and one slurmd per node, each in a network and UTS namespace of its own
 * (a veth on a bridge the cluster creates, an address of its own, the node's name as hostname).
 * Debian's Slurm 22.05 and munge, state and spool under `dir`, fake GPUs (mknod'd /dev/nvidia<N>)
 * listed in gres.conf, an oci.conf given by the caller, and each slurmd's environment carrying its node's
 * OCIHOOKS_RUNTIME_CONFIG (as a node's own /etc would). stop() stops exactly what start() started,
 * by pid, and removes the namespaces, the bridge and /run/munge when it made them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mknod } from './fake-gpus';
import { alive, signal } from './pids.cjs';
import { ok, requireTool, run } from './e2e';

export interface SlurmNode {
  name: string;
  addr: string;
  netns: string;
  /** The node's own runtime config file (OCIHOOKS_RUNTIME_CONFIG in its slurmd's environment). */
  runtimeConfig: string;
  /** A file holding the hostname its slurmd sees (written from inside the node's UTS namespace). */
  hostnameFile: string;
  /** The node's fake GPU device files, in gres.conf order. */
  gpus: string[];
}

export interface SlurmCluster {
  dir: string;
  nodes: SlurmNode[];
  /** The environment that points Slurm's clients at this cluster. */
  env: NodeJS.ProcessEnv;
  slurmdLog(node: SlurmNode): string;
  stop(): void;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
/** The pid a daemon wrote to its pid file, waiting while the file is still empty (never 0). */
function pidOf(file: string): number {
  for (let i = 0; i < 100; i++) {
    const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : 0;
    if (Number.isInteger(pid) && pid > 0) return pid;
    sleep(100);
  }
  throw new Error(`${file}: no pid in it after 10 s`);
}

/**
 * The fake GPUs are /dev/nvidia<N> of the host (made here when missing, removed at stop): a rootless
 * runc makes a container's device nodes by binding the host's node at the same path, so the nodes
 * must be where real GPUs' are. Both nodes list the same files in gres.conf.
 */
export function startSlurmCluster(
  dir: string,
  o: { ociConf: (dir: string) => string[]; runtimeConfig: (node: SlurmNode) => object; gpusPerNode: number },
): SlurmCluster {
  for (const t of ['slurmctld', 'slurmd', 'munged', 'srun', 'sinfo', 'scontrol', 'ip', 'unshare', 'nsenter'])
    requireTool(t);
  const tag = `oc${process.pid % 100000}`;
  const bridge = `${tag}br`;
  const host = os.hostname().split('.')[0] as string;
  const pids: { name: string; pid: number }[] = [];
  const made = { bridge: false, netns: [] as string[], mungeDir: false, devices: [] as string[] };
  const nodes: SlurmNode[] = ['node1', 'node2'].map((name, i) => ({
    name,
    addr: `10.77.0.${11 + i}`,
    netns: `${tag}n${i + 1}`,
    runtimeConfig: path.join(dir, name, 'runtime.json'),
    hostnameFile: path.join(dir, name, 'hostname'),
    gpus: Array.from({ length: o.gpusPerNode }, (_, g) => `/dev/nvidia${g}`),
  }));
  const stop = () => {
    for (const d of [...pids].reverse()) {
      if (!alive(d.pid)) continue;
      signal(d.pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(d.pid); i++) sleep(100);
      if (alive(d.pid)) signal(d.pid, 'SIGKILL');
    }
    // Whatever still runs in a node's namespace (a step's slurmstepd, a container) goes with it.
    for (const ns of made.netns) {
      for (const pid of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
        .stdout.split('\n')
        .map(Number)
        .filter((p) => Number.isInteger(p) && p > 0)) {
        signal(pid, 'SIGKILL');
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    if (made.bridge) spawnSync('ip', ['link', 'del', bridge]);
    for (const d of made.devices) fs.rmSync(d, { force: true });
    fs.rmSync(`/run/munge/${tag}.pid`, { force: true });
    if (made.mungeDir) fs.rmSync('/run/munge', { recursive: true, force: true });
  };
  try {
    fs.chmodSync(dir, 0o755);
    for (const d of ['state', 'spool']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
    // The network: a bridge with the controller's address, a veth per node into its namespace.
    ok('ip', ['link', 'add', bridge, 'type', 'bridge']);
    made.bridge = true;
    ok('ip', ['addr', 'add', '10.77.0.1/24', 'dev', bridge]);
    ok('ip', ['link', 'set', bridge, 'up']);
    for (const [i, n] of nodes.entries()) {
      ok('ip', ['netns', 'add', n.netns]);
      made.netns.push(n.netns);
      const [outer, inner] = [`${tag}v${i + 1}`, `${tag}p${i + 1}`];
      ok('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
      ok('ip', ['link', 'set', outer, 'master', bridge, 'up']);
      ok('ip', ['link', 'set', inner, 'netns', n.netns]);
      const inNs = (...args: string[]) => ok('ip', ['netns', 'exec', n.netns, 'ip', ...args]);
      inNs('addr', 'add', `${n.addr}/24`, 'dev', inner);
      inNs('link', 'set', inner, 'up');
      inNs('link', 'set', 'lo', 'up');
      fs.mkdirSync(path.join(dir, n.name), { mode: 0o755 });
      n.gpus.forEach((file, g) => {
        if (fs.existsSync(file)) return; // a real GPU's, or the other node's
        mknod(file, 195, g, '666');
        made.devices.push(file);
      });
      fs.writeFileSync(n.runtimeConfig, JSON.stringify(o.runtimeConfig(n), null, 2) + '\n', { mode: 0o644 });
    }
    const conf = path.join(dir, 'slurm.conf');
    fs.writeFileSync(
      conf,
      [
        'ClusterName=ocihooks',
        `SlurmctldHost=${host}(10.77.0.1)`,
        'SlurmUser=root',
        'AuthType=auth/munge',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'ReturnToService=2',
        'MpiDefault=none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core',
        'GresTypes=gpu',
        'SlurmdDebug=debug',
        `StateSaveLocation=${dir}/state`,
        `SlurmdSpoolDir=${dir}/spool/%n`,
        `SlurmctldPidFile=${dir}/slurmctld.pid`,
        `SlurmdPidFile=${dir}/slurmd-%n.pid`,
        `SlurmctldLogFile=${dir}/slurmctld.log`,
        `SlurmdLogFile=${dir}/slurmd-%n.log`,
        ...nodes.map(
          (n) =>
            `NodeName=${n.name} NodeAddr=${n.addr} NodeHostname=${n.name} CPUs=2 Gres=gpu:${o.gpusPerNode} State=UNKNOWN`,
        ),
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      ].join('\n') + '\n',
    );
    fs.writeFileSync(
      path.join(dir, 'gres.conf'),
      nodes.map((n) => `NodeName=${n.name} Name=gpu File=/dev/nvidia[0-${o.gpusPerNode - 1}]`).join('\n') + '\n',
    );
    fs.writeFileSync(path.join(dir, 'oci.conf'), o.ociConf(dir).join('\n') + '\n');
    // munged: its socket folder, owned by munge, as a boot would make it.
    if (!fs.existsSync('/run/munge')) {
      fs.mkdirSync('/run/munge', { mode: 0o755 });
      made.mungeDir = true;
    }
    ok('chown', ['munge:munge', '/run/munge']);
    ok('runuser', [
      '-u',
      'munge',
      '--',
      '/usr/sbin/munged',
      '--pid-file',
      `/run/munge/${tag}.pid`,
      '--socket',
      '/run/munge/munge.socket.2',
    ]);
    pids.push({ name: 'munged', pid: pidOf(`/run/munge/${tag}.pid`) });
    ok('slurmctld', ['-f', conf]);
    for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'slurmctld.pid')); i++) sleep(100);
    pids.push({ name: 'slurmctld', pid: pidOf(path.join(dir, 'slurmctld.pid')) });
    for (const n of nodes) {
      // Its own hostname, then slurmd with the node's runtime config in its environment.
      // nsenter, not `ip netns exec`: that one remounts /sys for the namespace, without /sys/fs/cgroup.
      ok(
        'nsenter',
        [
          `--net=/run/netns/${n.netns}`,
          'unshare',
          '--uts',
          'sh',
          '-c',
          `hostname ${n.name} && hostname > ${path.join(dir, n.name, 'hostname')} && exec slurmd -N ${n.name} -f ${conf}`,
        ],
        { env: { ...process.env, SLURM_CONF: conf, OCIHOOKS_RUNTIME_CONFIG: n.runtimeConfig } },
      );
      const pidFile = path.join(dir, `slurmd-${n.name}.pid`);
      for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) sleep(100);
      pids.push({ name: `slurmd ${n.name}`, pid: pidOf(pidFile) });
    }
    const env = { ...process.env, SLURM_CONF: conf };
    let state = '';
    for (let i = 0; i < 150 && state !== 'idle'; i++) {
      state = [...new Set(run('sinfo', ['-h', '-o', '%t'], { env }).stdout.trim().split('\n'))].join(',');
      if (state !== 'idle') sleep(200);
    }
    if (state !== 'idle')
      throw new Error(
        `the Slurm nodes did not become idle (sinfo says "${state}"): ${nodes
          .map((n) =>
            fs
              .readFileSync(path.join(dir, `slurmd-${n.name}.log`), 'utf8')
              .trim()
              .split('\n')
              .slice(-3)
              .join(' | '),
          )
          .join(' || ')}`,
      );
    return { dir, nodes, env, slurmdLog: (n) => fs.readFileSync(path.join(dir, `slurmd-${n.name}.log`), 'utf8'), stop };
  } catch (e) {
    stop();
    throw e;
  }
}
