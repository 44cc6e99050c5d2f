/**
 * ocihooks-runtime gives runc hooks.d. A real single-node Slurm (slurmctld, slurmd and
 * munged started here, on localhost, with a minimal slurm.conf and an oci.conf that uses the
 * wrapper) runs `srun --container=<bundle>`; runc's own lifecycle passes through unchanged; bad
 * hooks.d content stops `create` before runc starts. Every daemon started here is stopped in
 * afterAll, also when a test fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ORIGINAL_ANNOTATION } from '../../src/runtime/bundle';
import { BIN, RUNC, makeBundle, makeBusyboxRootfs, ok, requireBuilt, requireTool, run, tmpDir, writeHooksD } from '../support/e2e';

const WRAPPER = () => [process.execPath, BIN('ocihooks-runtime')];

function markerHook(dir: string, marker: string) {
  return {
    version: '1.0.0',
    hook: { path: process.execPath, args: ['node', BIN('ocihook-mount'), `--log-file=${path.join(dir, 'hook.log')}`, `--mount=type=bind,src=${marker},dst=/etc/slurm-marker.txt,readonly`] },
    when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
    stages: ['createContainer'],
  };
}

describe('ocihooks-runtime with a real single-node Slurm', () => {
  const started: { name: string; pid: number }[] = [];
  let dir = '';
  let createdMungeDir = false;
  const env = () => ({ ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') });

  beforeAll(() => {
    requireBuilt();
    for (const t of ['slurmctld', 'slurmd', 'munged', 'srun', 'sinfo']) requireTool(t);
    dir = tmpDir('slurm');
    const host = os.hostname().split('.')[0] as string;
    for (const d of ['state', 'spool', 'runc', 'hooks.d']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'slurm.conf'), [
      'ClusterName=ocihooks', `SlurmctldHost=${host}`, 'SlurmUser=root', 'AuthType=auth/munge',
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'ReturnToService=2',
      `StateSaveLocation=${dir}/state`, `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`, `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`, `SlurmdLogFile=${dir}/slurmd.log`,
      `NodeName=${host} CPUs=${os.cpus().length} State=UNKNOWN`, 'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ].join('\n') + '\n');
    const w = `${WRAPPER().join(' ')} --runtime runc --hooks-dir ${dir}/hooks.d --log-file ${dir}/wrapper.log --`;
    fs.writeFileSync(path.join(dir, 'oci.conf'), [
      `RunTimeQuery="${w} --root=${dir}/runc state %n.%u.%j.%s.%t"`,
      `RunTimeKill="${w} --root=${dir}/runc kill -a %n.%u.%j.%s.%t"`,
      `RunTimeDelete="${w} --root=${dir}/runc delete --force %n.%u.%j.%s.%t"`,
      `RunTimeRun="${w} --root=${dir}/runc run %n.%u.%j.%s.%t -b %b"`,
    ].join('\n') + '\n');
    // munged: its socket folder, owned by munge, as a boot would make it.
    if (!fs.existsSync('/run/munge')) {
      fs.mkdirSync('/run/munge', { mode: 0o755 });
      createdMungeDir = true;
    }
    ok('chown', ['munge:munge', '/run/munge']);
    const pidOf = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());
    const mungePid = `/run/munge/ocihooks-test-${process.pid}.pid`; // munged runs as munge: its own folder
    ok('runuser', ['-u', 'munge', '--', '/usr/sbin/munged', '--pid-file', mungePid, '--socket', '/run/munge/munge.socket.2']);
    started.push({ name: 'munged', pid: pidOf(mungePid) });
    ok('slurmctld', ['-f', path.join(dir, 'slurm.conf')]);
    ok('slurmd', ['-f', path.join(dir, 'slurm.conf')]);
    for (let i = 0; i < 100 && !(fs.existsSync(path.join(dir, 'slurmctld.pid')) && fs.existsSync(path.join(dir, 'slurmd.pid'))); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    started.push({ name: 'slurmctld', pid: pidOf(path.join(dir, 'slurmctld.pid')) }, { name: 'slurmd', pid: pidOf(path.join(dir, 'slurmd.pid')) });
    let state = '';
    for (let i = 0; i < 100 && state !== 'idle'; i++) {
      state = run('sinfo', ['-h', '-o', '%t'], { env: env() }).stdout.trim();
      if (state !== 'idle') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
    if (state !== 'idle') throw new Error(`the Slurm node did not become idle (sinfo says "${state}"); see ${dir}/slurmd.log`);
  }, 60_000);

  afterAll(() => {
    for (const d of started.reverse()) {
      try {
        process.kill(d.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const d of started) {
      for (let i = 0; i < 50; i++) {
        try {
          process.kill(d.pid, 0);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
        } catch {
          break;
        }
      }
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // stopped
      }
    }
    // Also by their unique command lines, in case one started but never wrote its pid file.
    if (dir) spawnSync('pkill', ['-KILL', '-f', `${dir}/slurm.conf`]);
    spawnSync('pkill', ['-KILL', '-f', `ocihooks-test-${process.pid}.pid`]);
    fs.rmSync(`/run/munge/ocihooks-test-${process.pid}.pid`, { force: true });
    if (createdMungeDir) fs.rmSync('/run/munge', { recursive: true, force: true });
  });

  test('srun --container: the annotated bundle sees the host file the hook mounts; the other does not', () => {
    const marker = path.join(dir, 'marker.txt');
    const content = `host file for slurm ${Date.now()}`;
    fs.writeFileSync(marker, content + '\n');
    writeHooksD(path.join(dir, 'hooks.d'), 'slurm.json', markerHook(dir, marker));
    const withAnnotation = makeBundle(path.join(dir, 'A'), makeBusyboxRootfs(path.join(dir, 'A', 'rootfs')), { args: ['true'], annotations: { 'com.hooks.slurm.activate': 'true' } });
    const without = makeBundle(path.join(dir, 'B'), makeBusyboxRootfs(path.join(dir, 'B', 'rootfs')), { args: ['true'] });

    const a = run('srun', [`--container=${withAnnotation}`, 'cat', '/etc/slurm-marker.txt'], { env: env(), cwd: dir });
    expect(a.stdout).toBe(content + '\n');
    expect(a.status).toBe(0);
    const b = run('srun', [`--container=${without}`, 'cat', '/etc/slurm-marker.txt'], { env: env(), cwd: dir });
    expect(b.stdout).toBe('');
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/can't open '\/etc\/slurm-marker.txt'/);
  }, 120_000);
});

describe('ocihooks-runtime passes runc through', () => {
  beforeAll(requireBuilt);

  /** create, state, start, state, kill, state, delete — through one command line or the other. */
  function lifecycle(cmd: string[], root: string, bundle: string, id: string) {
    const rt = (args: string[]) => {
      // create hands its stdio to the container: pipes would stay open until it exits.
      const io = args[0] === 'create' ? 'ignore' : 'pipe';
      const r = spawnSync(cmd[0] as string, [...cmd.slice(1), `--root=${root}`, ...args], { encoding: 'utf8', stdio: ['ignore', io, io], timeout: 30_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const status = () => {
      const s = rt(['state', id]);
      return s.status === 0 ? (JSON.parse(s.stdout) as { status: string }).status : `exit ${s.status}`;
    };
    const steps: (string | number | null)[] = [];
    steps.push(rt(['create', '--bundle', bundle, id]).status, status());
    steps.push(rt(['start', id]).status, status());
    steps.push(rt(['kill', id, 'KILL']).status);
    for (let i = 0; i < 50 && status() !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    steps.push(status(), rt(['delete', id]).status, status());
    return steps;
  }

  test('create/start/state/kill/delete behave as with runc alone', () => {
    const dir = tmpDir('lifecycle');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const b1 = makeBundle(path.join(dir, 'b1'), rootfs, { args: ['sleep', '600'] });
    const b2 = makeBundle(path.join(dir, 'b2'), rootfs, { args: ['sleep', '600'] });
    const hooksDir = path.join(dir, 'hooks.d');
    fs.mkdirSync(hooksDir);
    const alone = lifecycle([RUNC], path.join(dir, 'root1'), b1, 'life-a');
    const wrapped = lifecycle([...WRAPPER(), '--hooks-dir', hooksDir, '--'], path.join(dir, 'root2'), b2, 'life-b');
    expect(alone).toEqual([0, 'created', 0, 'running', 0, 'stopped', 0, 'exit 1']);
    expect(wrapped).toEqual(alone);
    // With no hook matched the config is the same JSON but for the saved original; nothing is left beside it.
    const { [ORIGINAL_ANNOTATION]: saved, ...annotations } = JSON.parse(fs.readFileSync(path.join(b2, 'config.json'), 'utf8')).annotations;
    expect({ ...JSON.parse(fs.readFileSync(path.join(b2, 'config.json'), 'utf8')), annotations }).toEqual({ ...JSON.parse(saved), annotations: {} });
    expect(fs.readdirSync(b2)).toEqual(['config.json']);
    expect(ok(process.execPath, [BIN('ocihooks-runtime'), '--', '--version'])).toBe(ok(RUNC, ['--version']));
  });

  test('matched hooks land in their stages once, however often create runs', () => {
    const dir = tmpDir('inject');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, { args: ['true'], annotations: { 'com.hooks.slurm.activate': 'true' } });
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', markerHook(dir, '/etc/os-release'));
    for (const id of ['inj-1', 'inj-2']) {
      const r = run(process.execPath, [BIN('ocihooks-runtime'), '--hooks-dir', hooksDir, '--', `--root=${path.join(dir, 'root')}`, 'run', '--bundle', bundle, id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    expect(config.hooks.createContainer).toHaveLength(1);
    expect(config.hooks.createContainer[0].args[1]).toBe(BIN('ocihook-mount'));
  });

  test('bad hooks.d content makes create fail with the file and reason before runc starts', () => {
    const dir = tmpDir('badhooks');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, { args: ['true'] });
    const hooksDir = path.join(dir, 'hooks.d');
    const bad = writeHooksD(hooksDir, 'bad.json', { version: '1.0.0', hook: { path: '/bin/true', args: ['true'] }, when: { annotations: { '(?=x)': '.*' } }, stages: ['createContainer'] });
    const root = path.join(dir, 'root');
    const r = run(process.execPath, [BIN('ocihooks-runtime'), '--hooks-dir', hooksDir, '--', `--root=${root}`, 'create', '--bundle', bundle, 'bad-1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`ocihooks-runtime: ${bad}: invalid annotation key "(?=x)": error parsing regexp: invalid or unsupported Perl syntax: \`(?=\`\n`);
    expect(fs.existsSync(path.join(root, 'bad-1'))).toBe(false);
    // As containerd calls runc: the same line is a JSON error record in the runtime's --log, which it reads.
    const logJson = path.join(dir, 'log.json');
    const c = run(process.execPath, [BIN('ocihooks-runtime'), '--hooks-dir', hooksDir, '--', `--root=${root}`, '--log', logJson, '--log-format', 'json', 'create', '--bundle', bundle, 'bad-2']);
    expect(c.status).toBe(2);
    const record = JSON.parse(fs.readFileSync(logJson, 'utf8').trim()) as { level: string; msg: string; time: string };
    expect({ ...record, time: new Date(record.time).toISOString() === record.time }).toEqual({ level: 'error', msg: c.stderr.trimEnd(), time: true });
  });

  test('with no arguments but the runtime\'s (as containerd and dockerd call it), the config file gives hooks folders and annotations; a bad one is exit 2 in the runtime log', () => {
    const dir = tmpDir('rtconfig');
    const marker = path.join(dir, 'marker.txt');
    fs.writeFileSync(marker, 'from the config file\n');
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', markerHook(dir, marker));
    const config = path.join(dir, 'runtime.json');
    fs.writeFileSync(config, JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], annotations: { 'com.hooks.slurm.activate': 'true' } }));
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['cat', '/etc/slurm-marker.txt'] });
    const root = path.join(dir, 'root');
    const env = { ...process.env, OCIHOOKS_RUNTIME_CONFIG: config, OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'runtime-index') };
    const r = run(process.execPath, [BIN('ocihooks-runtime'), `--root=${root}`, 'run', '--bundle', bundle, 'rtconfig-1'], { env });
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'from the config file\n']);
    fs.writeFileSync(config, JSON.stringify({ hooksDir: [hooksDir] }));
    const logJson = path.join(dir, 'log.json');
    const bad = run(process.execPath, [BIN('ocihooks-runtime'), `--root=${root}`, '--log', logJson, '--log-format', 'json', 'run', '--bundle', bundle, 'rtconfig-2'], { env });
    expect([bad.status, bad.stderr]).toEqual([2, `ocihooks-runtime: runtime config ${config}: (top level): unknown field "hooksDir"\n`]);
    expect(JSON.parse(fs.readFileSync(logJson, 'utf8')).msg).toBe(bad.stderr.trimEnd());
  });

  test('a log file that cannot be opened is one warning line on stderr; the container still runs', () => {
    const dir = tmpDir('wrapper-log');
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['true'] });
    const r = run(WRAPPER()[0] as string, [...WRAPPER().slice(1), '--hooks-dir', path.join(dir, 'none'), '--log-file', '/proc/no-such/wrapper.log', '--', '--root', path.join(dir, 'root'), 'run', '-b', bundle, 'log-warning']);
    expect([r.status, r.stderr.trim().split('\n')]).toEqual([0, [expect.stringMatching(/^ocihooks-runtime: warning: log file \/proc\/no-such\/wrapper.log: .*; logging disabled$/)]]);
  });

  test('an argument before -- that is not the wrapper\'s is refused, naming it; runc never starts', () => {
    const dir = tmpDir('misspelt');
    const root = path.join(dir, 'root');
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['true'] });
    const r = run(process.execPath, [BIN('ocihooks-runtime'), '--hook-dir', path.join(dir, 'hooks.d'), '--', `--root=${root}`, 'run', '--bundle', bundle, 'misspelt-1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ocihooks-runtime: "--hook-dir" before --: not an option of ocihooks-runtime \(.*\)\n$/);
    expect(fs.existsSync(path.join(root, 'misspelt-1'))).toBe(false);
  });
});
