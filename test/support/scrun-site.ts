/**
 * A scrun site in a Debian 13 session (debian-session.ts): munged, slurmctld and one slurmd
 * (Slurm 24.11, state and logs in the session's own overlay, its own network namespace, so every
 * port is free), podman 5 configured as SchedMD's container guide says (containers.conf, vfs
 * storage), ocihooks installed inside the root by `ocihooks install` as an admin does it, the
 * scrun.lua it writes copied to /etc/slurm/scrun.lua, and the oci.conf lines install prints.
 * Fake GPUs (/dev/nvidia<N> in the session's /dev) are in gres.conf and in a CDI spec in /etc/cdi.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebianRoot, debianRoot } from './debian-root';
import { DebianSession, describeProcesses, startDebianSession } from './debian-session';
import { BIN, ROOT, type Run, ok, requireTool, tmpDir } from './e2e';
import { TEST_USER, ensureTestUser } from './test-user';

/** What the root holds: scrun is in slurm-client; node (bound from the host) needs libstdc++. */
export const SCRUN_ROOT = {
  suite: 'trixie',
  packages: ['slurm-client', 'slurmctld', 'slurmd', 'munge', 'podman', 'runc', 'uidmap', 'libstdc++6'],
} as const;
export const HOSTNAME = 'scrun13';
/** The session's address: not slurm-cluster.ts's 10.77.0.0/24 (and in a namespace of its own anyway). */
export const ADDRESS = '10.78.0.1';
export const IMAGE = 'localhost/ocihooks-scrun';
export const GPUS = 2;

export interface PodmanRun extends Run {
  /** scrun anchors killed because they spun after their job had ended (scrun's own fault, docs/scrun.md). */
  anchorsKilled: string[];
}

/** CPU seconds a process has used (utime + stime), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface ScrunSite {
  session: DebianSession;
  root: DebianRoot;
  /** The site's folder: the same path inside and outside (the install prefix, hooks.d, the image). */
  dir: string;
  prefix: string;
  hooksDir: string;
  uid: number;
  /** What `ocihooks install` printed. */
  installOutput: string;
  /** The seconds the start took: the root (made or cached), then the site. */
  timings: { root: number; site: number };
  /**
   * podman with scrun as its runtime, as root or the test user, bounded (a call that does not
   * return in time fails saying what was left running); `env` adds SCRUN_* settings.
   */
  podman(args: string[], o?: { user?: boolean; env?: Record<string, string>; timeoutMs?: number }): Promise<PodmanRun>;
  /** A file inside the session, as the host sees it. */
  file(inside: string): string;
  stop(): void;
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** The busybox image the containers run: merged /usr, as Debian's images are (podman looks up sh there). */
function imageTar(dir: string): string {
  const rootfs = path.join(dir, 'image-rootfs');
  const bin = path.join(rootfs, 'usr/bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(requireTool('busybox'), path.join(bin, 'busybox'));
  fs.chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const a of ['sh', 'cat', 'ls', 'echo', 'env', 'id', 'true', 'false', 'sleep', 'grep', 'test'])
    fs.symlinkSync('busybox', path.join(bin, a));
  fs.symlinkSync('usr/bin', path.join(rootfs, 'bin'));
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'run']) fs.mkdirSync(path.join(rootfs, d));
  fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const tar = path.join(dir, 'image.tar');
  const r = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar of the image failed: ${r.stderr}`);
  fs.chmodSync(tar, 0o644);
  return tar;
}

export function startScrunSite(o: {
  hooks: (site: { dir: string; prefix: string }) => Record<string, object>;
}): ScrunSite {
  const started = Date.now();
  const root = debianRoot(SCRUN_ROOT);
  const rootSeconds = (Date.now() - started) / 1000;
  const slurm = root.versions['slurm-client'] ?? '';
  const podmanVersion = root.versions.podman ?? '';
  if (!/^24\.11\./.test(slurm) || !/^5\./.test(podmanVersion))
    throw new Error(
      `the ${root.suite} root has Slurm ${slurm} and podman ${podmanVersion}; the scrun tests are for 24.11 and 5`,
    );
  const uid = ensureTestUser();
  const gid = Number(ok('id', ['-g', TEST_USER]).trim());
  const dir = tmpDir('scrun');
  fs.chmodSync(dir, 0o755);
  const work = tmpDir('scrun-session');
  const prefix = path.join(dir, 'prefix');
  const hooksDir = path.join(dir, 'hooks.d');
  const node = fs.realpathSync(process.execPath);
  const session = startDebianSession(root, {
    work,
    hostname: HOSTNAME,
    address: `${ADDRESS}/24`,
    binds: [{ path: ROOT, readonly: true }, { path: node, readonly: true }, { path: dir }],
    devices: Array.from({ length: GPUS }, (_, i) => ({ name: `nvidia${i}`, major: 195, minor: i })),
  });
  const file = session.file;
  let installOutput = '';
  const sh = (script: string, timeoutMs = 60_000) => {
    const r = session.exec('/bin/sh', ['-ec', script], { timeoutMs });
    if (r.status !== 0)
      throw new Error(`in the ${root.suite} session: ${script.split('\n')[0]}: exit ${r.status}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  try {
    // The user, with the host's uid (files in the shared folder mean the same on both sides).
    fs.appendFileSync(file('/etc/passwd'), `${TEST_USER}:x:${uid}:${gid}::/home/${TEST_USER}:/bin/sh\n`);
    fs.appendFileSync(file('/etc/group'), `${TEST_USER}:x:${gid}:\n`);
    for (const f of ['/etc/subuid', '/etc/subgid']) fs.appendFileSync(file(f), `${TEST_USER}:300000:65536\n`);
    fs.writeFileSync(file('/etc/hosts'), `127.0.0.1 localhost\n${ADDRESS} ${HOSTNAME}\n`);
    sh(
      [
        `mkdir -p /home/${TEST_USER} /run/user/${uid} /run/user/0 /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/cdi`,
        `chown ${uid}:${gid} /home/${TEST_USER} /run/user/${uid} && chmod 700 /run/user/${uid} /run/user/0`,
        'chown munge:munge /run/munge',
        'dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null',
        'chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key',
      ].join('\n'),
    );
    // Installed as an admin installs it, from inside the root: the runtime config names our hooks.d.
    const install = session.exec(node, [BIN('ocihooks'), 'install', '--prefix', prefix, '--hooks-dir', hooksDir]);
    if (install.status !== 0)
      throw new Error(
        `ocihooks install in the ${root.suite} root failed: ${install.stderr.split('\n').find((l) => /error/i.test(l)) ?? install.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    installOutput = install.stdout;
    for (const [name, content] of Object.entries(o.hooks({ dir, prefix })))
      fs.writeFileSync(path.join(hooksDir, name), JSON.stringify(content, null, 2));
    sh(`install -m 644 ${path.join(prefix, 'slurm/scrun.lua')} /etc/slurm/scrun.lua`);
    fs.writeFileSync(file('/etc/slurm/oci.conf'), ociConfFromInstall(install.stdout).join('\n') + '\n');
    fs.writeFileSync(
      file('/etc/slurm/slurm.conf'),
      [
        'ClusterName=scrun',
        `SlurmctldHost=${HOSTNAME}(${ADDRESS})`,
        'SlurmUser=root',
        'AuthType=auth/munge',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'ReturnToService=2',
        'MpiDefault=none',
        'SelectType=select/cons_tres',
        'GresTypes=gpu',
        'SlurmdDebug=debug',
        'StateSaveLocation=/var/spool/slurmctld',
        'SlurmdSpoolDir=/var/spool/slurmd',
        'SlurmctldPidFile=/run/slurmctld.pid',
        'SlurmdPidFile=/run/slurmd.pid',
        'SlurmctldLogFile=/var/log/slurm/slurmctld.log',
        'SlurmdLogFile=/var/log/slurm/slurmd.log',
        `NodeName=node1 NodeAddr=${ADDRESS} NodeHostname=${HOSTNAME} CPUs=2 Gres=gpu:${GPUS} State=UNKNOWN`,
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      ].join('\n') + '\n',
    );
    fs.writeFileSync(file('/etc/slurm/gres.conf'), `NodeName=node1 Name=gpu File=/dev/nvidia[0-${GPUS - 1}]\n`);
    fs.writeFileSync(
      file('/etc/cdi/fake-gpus.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'nvidia.com/gpu',
        devices: Array.from({ length: GPUS }, (_, i) => ({
          name: String(i),
          containerEdits: { deviceNodes: [{ path: `/dev/nvidia${i}` }] },
        })),
        containerEdits: {},
      }),
    );
    fs.mkdirSync(file('/etc/containers'), { recursive: true });
    fs.writeFileSync(file('/etc/containers/containers.conf'), CONTAINERS_CONF);
    fs.writeFileSync(file('/etc/containers/storage.conf'), STORAGE_CONF);
    sh(
      ['runuser -u munge -- /usr/sbin/munged --pid-file /run/munge/munged.pid', 'slurmctld', 'slurmd -N node1'].join(
        '\n',
      ),
    );
    let state = '';
    for (let i = 0; i < 150 && state !== 'idle'; i++) {
      state = session.exec('sinfo', ['-h', '-o', '%t']).stdout.trim();
      if (state !== 'idle') sleep(200);
    }
    if (state !== 'idle')
      throw new Error(
        `slurmd did not become idle (sinfo: "${state}"): ${fs.readFileSync(file('/var/log/slurm/slurmd.log'), 'utf8').trim().split('\n').slice(-3).join(' | ')}`,
      );
    const tar = imageTar(dir);
    sh(`podman import ${tar} ${IMAGE} >/dev/null`, 120_000);
    const user = session.exec('podman', ['import', tar, IMAGE], {
      user: TEST_USER,
      cwd: '/tmp',
      env: userEnv(uid),
      timeoutMs: 120_000,
    });
    if (user.status !== 0) throw new Error(`podman import as ${TEST_USER} failed: ${user.stderr}`);
  } catch (e) {
    const left = describeProcesses(session.processes());
    session.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}${left ? ` (running: ${left})` : ''}`, { cause: e });
  }
  const named = (prefix: string) =>
    session.processes().filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(prefix);
      } catch {
        return false;
      }
    });
  const podman: ScrunSite['podman'] = async (args, x = {}) => {
    const limitMs = x.timeoutMs ?? 60_000;
    const child = session.spawn(
      'podman',
      ['--runtime', '/usr/bin/scrun', '--runtime-flag', `root=/run/user/${x.user ? uid : 0}/scrun`, ...args],
      {
        user: x.user ? TEST_USER : undefined,
        cwd: '/tmp',
        env: { ...(x.user ? userEnv(uid) : {}), PODMAN_IGNORE_CGROUPSV1_WARNING: '1', ...(x.env ?? {}) },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const started = Date.now();
    const samples = new Map<number, number[]>();
    const killed: string[] = [];
    for (;;) {
      const code = await Promise.race([closed, new Promise<'tick'>((r) => setTimeout(() => r('tick'), 500))]);
      if (code !== 'tick') return { status: code, stdout, stderr, anchorsKilled: killed };
      // scrun's anchor ("scrun: <id>") left spinning after its job ended: it never exits, so podman
      // never returns. Seen as about 1 call in 10 here, with a scrun.lua that does nothing too.
      const anchors = named('scrun: ');
      for (const p of anchors) {
        const cpu = [...(samples.get(p) ?? []), cpuSeconds(p)].slice(-5);
        samples.set(p, cpu);
        const used = (cpu.at(-1) as number) - (cpu[0] as number);
        if (cpu.length < 5 || used < 1.5 || session.exec('squeue', ['-h', '-o', '%i']).stdout.trim() !== '') continue;
        killed.push(`${p} (${used.toFixed(1)} s of CPU in 2 s after its job ended)`);
        process.kill(p, 'SIGKILL');
      }
      if (Date.now() - started > limitMs) {
        const verdict = anchors
          .map((p) => {
            const cpu = samples.get(p) ?? [];
            return `${p} ${(cpu.at(-1) ?? 0) - (cpu[0] ?? 0) > 1 ? 'spinning' : 'waiting'}`;
          })
          .join(', ');
        const left = [...named('podman'), ...named('/usr/bin/conmon'), ...named('scrun'), ...named('/usr/bin/scrun')];
        const text = describeProcesses(left);
        for (const p of left) process.kill(p, 'SIGKILL');
        await closed;
        throw new Error(
          `podman ${args.join(' ')} did not return in ${limitMs / 1000} s: ${
            anchors.length ? `scrun's anchor still there (${verdict})` : 'no scrun anchor left: podman or the job hung'
          }; jobs: ${session.exec('squeue', ['-h', '-o', '%i %T']).stdout.trim() || 'none'}; ended: ${text}; output so far: ${stdout}${stderr}`,
        );
      }
    }
  };
  return {
    session,
    root,
    dir,
    prefix,
    hooksDir,
    uid,
    installOutput,
    timings: { root: rootSeconds, site: (Date.now() - started) / 1000 - rootSeconds },
    podman,
    file,
    stop: () => {
      session.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const userEnv = (uid: number) => ({ XDG_RUNTIME_DIR: `/run/user/${uid}` });

/** The oci.conf lines `ocihooks install` prints for Slurm and scrun (runc's, not the crun variant). */
export function ociConfFromInstall(output: string): string[] {
  const lines = output.split('\n').map((l) => l.trim());
  const picked = lines.filter((l) => /^(RunTime\w+|EnvExclude)=/.test(l) && !l.includes('--runtime crun'));
  if (!picked.some((l) => l.startsWith('RunTimeRun=')) || !picked.some((l) => l.startsWith('EnvExclude=')))
    throw new Error(`ocihooks install printed no oci.conf lines for scrun:\n${output}`);
  return picked;
}

/** podman's containers.conf as SchedMD's container guide has it for scrun (docs/scrun.md shows this file). */
export const CONTAINERS_CONF = `[containers]
netns = "host"
pidns = "host"
utsns = "host"
userns = "host"
cgroupns = "host"
no_hosts = true
label = false
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

/** vfs: a container's rootfs is a plain folder the compute node's runtime can read (docs/scrun.md). */
export const STORAGE_CONF = `[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
`;
