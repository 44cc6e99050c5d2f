/**
 * ocihooks-runtime gives runc hooks.d: runc's own lifecycle passes through unchanged; bad hooks.d
 * content stops `create` before runc starts. (Under Slurm, on a real two-node cluster: slurm.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ORIGINAL_ANNOTATION } from '../../src/wrapper/bundle';
import {
  BIN,
  RUNC,
  containerId,
  makeBundle,
  makeBusyboxRootfs,
  makeGlibcRootfs,
  ok,
  requireBuilt,
  run,
  tmpDir,
  writeHooksD,
} from '../support/e2e';
import { fakeFourGpuNode } from '../support/fake-gpus';

const WRAPPER = () => [process.execPath, BIN('ocihooks-runtime')];

function markerHook(dir: string, marker: string) {
  return {
    version: '1.0.0',
    hook: {
      path: process.execPath,
      args: [
        'node',
        BIN('ocihook-mount'),
        `--log-file=${path.join(dir, 'hook.log')}`,
        `--mount=type=bind,src=${marker},dst=/etc/slurm-marker.txt,readonly`,
      ],
    },
    when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
    stages: ['createContainer'],
  };
}

/** `run` through the wrapper with hooks.d in hooksDir, runc's state in root. */
const wrapperRun = (hooksDir: string, root: string, bundle: string, id: string) =>
  run(process.execPath, [
    BIN('ocihooks-runtime'),
    '--hooks-dir',
    hooksDir,
    '--',
    `--root=${root}`,
    'run',
    '--bundle',
    bundle,
    id,
  ]);

describe('ocihooks-runtime passes runc through', () => {
  beforeAll(requireBuilt);

  /** create, state, start, state, kill, state, delete — through one command line or the other. */
  function lifecycle(cmd: string[], root: string, bundle: string, id: string) {
    const rt = (args: string[]) => {
      // create hands its stdio to the container: pipes would stay open until it exits.
      const io = args[0] === 'create' ? 'ignore' : 'pipe';
      const r = spawnSync(cmd[0] as string, [...cmd.slice(1), `--root=${root}`, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', io, io],
        timeout: 30_000,
      });
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
    for (let i = 0; i < 50 && status() !== 'stopped'; i++)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
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
    const { [ORIGINAL_ANNOTATION]: saved, ...annotations } = JSON.parse(
      fs.readFileSync(path.join(b2, 'config.json'), 'utf8'),
    ).annotations;
    expect({ ...JSON.parse(fs.readFileSync(path.join(b2, 'config.json'), 'utf8')), annotations }).toEqual({
      ...JSON.parse(saved),
      annotations: {},
    });
    expect(fs.readdirSync(b2)).toEqual(['config.json']);
    expect(ok(process.execPath, [BIN('ocihooks-runtime'), '--', '--version'])).toBe(ok(RUNC, ['--version']));
  });

  test('matched hooks land in their stages once, however often create runs', () => {
    const dir = tmpDir('inject');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, {
      args: ['true'],
      annotations: { 'com.hooks.slurm.activate': 'true' },
    });
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', markerHook(dir, '/etc/os-release'));
    for (const id of ['inj-1', 'inj-2']) {
      const r = wrapperRun(hooksDir, path.join(dir, 'root'), bundle, id);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    expect(config.hooks.createContainer).toHaveLength(1);
    expect(config.hooks.createContainer[0].args[1]).toBe(BIN('ocihook-mount'));
  });

  test('numbers past what JSON.parse holds exactly (RLIM_INFINITY, as --ulimit fsize=-1 writes it) reach runc as written', () => {
    const dir = tmpDir('numbers');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, {
      args: ['sh', '-c', 'ulimit -f; ulimit -n'],
      annotations: { 'com.hooks.slurm.activate': 'true' },
    });
    // 2^64-1: JSON.parse reads 18446744073709551616, written back 18446744073709552000, which runc's
    // uint64 refuses.
    const configPath = path.join(bundle, 'config.json');
    const unlimited = '18446744073709551615';
    const text = fs
      .readFileSync(configPath, 'utf8')
      .replace(
        /"rlimits": \[[^\]]*\]/,
        `"rlimits": [{"type": "RLIMIT_FSIZE", "hard": ${unlimited}, "soft": ${unlimited}}, {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096}]`,
      );
    expect(text).toContain(unlimited);
    fs.writeFileSync(configPath, text);
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', markerHook(dir, '/etc/os-release'));
    const r = wrapperRun(hooksDir, path.join(dir, 'root'), bundle, containerId('numbers'));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'unlimited\n4096\n', '']);
    const edited = fs.readFileSync(configPath, 'utf8');
    expect(edited).toContain(`"hard": ${unlimited}`);
    expect(JSON.parse(edited).hooks.createContainer).toHaveLength(1);
  });

  test('bad hooks.d content makes create fail with the file and reason before runc starts', () => {
    const dir = tmpDir('badhooks');
    const rootfs = makeBusyboxRootfs(path.join(dir, 'rootfs'));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, { args: ['true'] });
    const hooksDir = path.join(dir, 'hooks.d');
    const bad = writeHooksD(hooksDir, 'bad.json', {
      version: '1.0.0',
      hook: { path: '/bin/true', args: ['true'] },
      when: { annotations: { '(?=x)': '.*' } },
      stages: ['createContainer'],
    });
    const root = path.join(dir, 'root');
    const r = run(process.execPath, [
      BIN('ocihooks-runtime'),
      '--hooks-dir',
      hooksDir,
      '--',
      `--root=${root}`,
      'create',
      '--bundle',
      bundle,
      'bad-1',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `ocihooks-runtime: ${bad}: invalid annotation key "(?=x)": error parsing regexp: invalid or unsupported Perl syntax: \`(?=\`\n`,
    );
    expect(fs.existsSync(path.join(root, 'bad-1'))).toBe(false);
    // As containerd calls runc: the same line is a JSON error record in the runtime's --log, which it reads.
    const logJson = path.join(dir, 'log.json');
    const withLog = (log: string, id: string) => [
      BIN('ocihooks-runtime'),
      '--hooks-dir',
      hooksDir,
      '--',
      `--root=${root}`,
      '--log',
      log,
      '--log-format',
      'json',
      'create',
      '--bundle',
      bundle,
      id,
    ];
    const c = run(process.execPath, withLog(logJson, 'bad-2'));
    expect(c.status).toBe(2);
    const record = JSON.parse(fs.readFileSync(logJson, 'utf8').trim()) as { level: string; msg: string; time: string };
    expect({ ...record, time: new Date(record.time).toISOString() === record.time }).toEqual({
      level: 'error',
      msg: c.stderr.trimEnd(),
      time: true,
    });
    // An engine may have closed its end of the runtime's stderr: writing the line fails (EPIPE),
    // and the record in the --log still gets written, with the same exit code.
    const gone = path.join(dir, 'log-stderr-gone.json');
    const p = spawnSync(
      'bash',
      [
        '-c',
        '"$@" 2>&1 >/dev/null | (exec 0<&-; sleep 1); echo "${PIPESTATUS[0]}"',
        'bash',
        process.execPath,
        ...withLog(gone, 'bad-3'),
      ],
      { encoding: 'utf8' },
    );
    expect(p.stdout).toBe('2\n');
    expect(JSON.parse(fs.readFileSync(gone, 'utf8').trim()).msg).toBe(c.stderr.trimEnd());
  });

  test("with no arguments but the runtime's (as containerd and dockerd call it), the config file gives hooks folders and annotations; a bad one is exit 2 in the runtime log", () => {
    const dir = tmpDir('rtconfig');
    const marker = path.join(dir, 'marker.txt');
    fs.writeFileSync(marker, 'from the config file\n');
    const hooksDir = path.join(dir, 'hooks.d');
    writeHooksD(hooksDir, 'slurm.json', markerHook(dir, marker));
    const config = path.join(dir, 'runtime.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], annotations: { 'com.hooks.slurm.activate': 'true' } }),
    );
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
      args: ['cat', '/etc/slurm-marker.txt'],
    });
    const root = path.join(dir, 'root');
    const env = {
      ...process.env,
      OCIHOOKS_RUNTIME_CONFIG: config,
      OCIHOOKS_RUNTIME_INDEX: path.join(dir, 'runtime-index'),
    };
    const r = run(
      process.execPath,
      [BIN('ocihooks-runtime'), `--root=${root}`, 'run', '--bundle', bundle, 'rtconfig-1'],
      { env },
    );
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'from the config file\n']);
    fs.writeFileSync(config, JSON.stringify({ hooksDir: [hooksDir] }));
    const logJson = path.join(dir, 'log.json');
    const bad = run(
      process.execPath,
      [
        BIN('ocihooks-runtime'),
        `--root=${root}`,
        '--log',
        logJson,
        '--log-format',
        'json',
        'run',
        '--bundle',
        bundle,
        'rtconfig-2',
      ],
      { env },
    );
    expect([bad.status, bad.stderr]).toEqual([
      2,
      `ocihooks-runtime: runtime config ${config}: (top level): unknown field "hooksDir"\n`,
    ]);
    expect(JSON.parse(fs.readFileSync(logJson, 'utf8')).msg).toBe(bad.stderr.trimEnd());
  });

  test('a log file that cannot be opened is one warning line on stderr; the container still runs', () => {
    const dir = tmpDir('wrapper-log');
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['true'] });
    const r = run(WRAPPER()[0] as string, [
      ...WRAPPER().slice(1),
      '--hooks-dir',
      path.join(dir, 'none'),
      '--log-file',
      '/proc/no-such/wrapper.log',
      '--',
      '--root',
      path.join(dir, 'root'),
      'run',
      '-b',
      bundle,
      'log-warning',
    ]);
    expect([r.status, r.stderr.trim().split('\n')]).toEqual([
      0,
      [
        expect.stringMatching(
          /^ocihooks-runtime: warning: log file \/proc\/no-such\/wrapper.log: .*; logging disabled$/,
        ),
      ],
    ]);
  });

  test("an argument before -- that is not the wrapper's is refused, naming it; runc never starts", () => {
    const dir = tmpDir('misspelt');
    const root = path.join(dir, 'root');
    const bundle = makeBundle(path.join(dir, 'b'), makeBusyboxRootfs(path.join(dir, 'rootfs')), { args: ['true'] });
    const r = run(process.execPath, [
      BIN('ocihooks-runtime'),
      '--hook-dir',
      path.join(dir, 'hooks.d'),
      '--',
      `--root=${root}`,
      'run',
      '--bundle',
      bundle,
      'misspelt-1',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ocihooks-runtime: "--hook-dir" before --: not an option of ocihooks-runtime \(.*\)\n$/);
    expect(fs.existsSync(path.join(root, 'misspelt-1'))).toBe(false);
  });

  test("the installation's GPU precreate filter runs inside the wrapper: the same config as started as a program; a failure names the hook and the reason", () => {
    const dir = tmpDir('wrapper-precreate');
    const { cdi } = fakeFourGpuNode(dir);
    // The same filter started as a program: a script in front of it (not the GPU hook's own path).
    const started = path.join(dir, 'started-gpu-hook');
    fs.writeFileSync(started, `#!/bin/sh\nexec ${BIN('ocihook-gpu')} "$@"\n`, { mode: 0o755 });
    const create = (hookPath: string, device: string, name: string) => {
      const hooksDir = path.join(dir, `hooks-${name}`);
      writeHooksD(hooksDir, 'gpu-precreate.json', {
        version: '1.0.0',
        hook: {
          path: hookPath,
          args: ['ocihook-gpu', 'precreate', `--log-file=${path.join(dir, 'gpu.log')}`, `--cdi-spec-dir=${cdi}`],
        },
        when: { always: true },
        stages: ['precreate'],
      });
      const bundle = makeBundle(path.join(dir, name), makeBusyboxRootfs(path.join(dir, name, 'rootfs')), {
        args: ['true'],
        annotations: { 'cdi.k8s.io/gpu': device },
      });
      const r = run(process.execPath, [
        BIN('ocihooks-runtime'),
        '--runtime',
        '/bin/true',
        '--hooks-dir',
        hooksDir,
        `--log-file=${path.join(dir, `${name}.log`)}`,
        '--',
        'create',
        '--bundle',
        bundle,
        name,
      ]);
      return {
        r,
        config: () => JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')),
        log: () => fs.readFileSync(path.join(dir, `${name}.log`), 'utf8'),
      };
    };
    const inside = create(BIN('ocihook-gpu'), 'nvidia.com/gpu=2', 'inside');
    const program = create(started, 'nvidia.com/gpu=2', 'program');
    expect([inside.r.status, inside.r.stderr, program.r.status, program.r.stderr]).toEqual([0, '', 0, '']);
    expect(inside.log()).toContain('"added":["precreate gpu-precreate.json (in process)"]');
    expect(program.log()).toContain('"added":["precreate gpu-precreate.json"]');
    // Two bundles: all but their own rootfs path (also in the saved original) is the same.
    const withoutOriginal = (c: { annotations: Record<string, string> }) => ({
      ...c,
      root: undefined,
      annotations: { ...c.annotations, [ORIGINAL_ANNOTATION]: undefined },
    });
    expect(withoutOriginal(inside.config())).toEqual(withoutOriginal(program.config()));
    expect(inside.config().linux.devices.map((d: { path: string }) => d.path)).toContain('/dev/nvidia2');
    // The GPU hook's log has both runs, the one inside marked.
    const records = fs
      .readFileSync(path.join(dir, 'gpu.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'precreate');
    expect(records.map((l) => [l.ranIn ?? 'program', l.devices])).toEqual([
      ['ocihooks-runtime', ['nvidia.com/gpu=2']],
      ['program', ['nvidia.com/gpu=2']],
    ]);

    const bad = create(BIN('ocihook-gpu'), 'nvidia.com/gpu=9', 'bad');
    expect(bad.r.status).toBe(1);
    expect(bad.r.stderr).toMatch(
      new RegExp(
        `^ocihooks-runtime: precreate hook ${BIN('ocihook-gpu')} \\(${path.join(dir, 'hooks-bad', 'gpu-precreate.json')}\\): ocihook-gpu: .*nvidia\\.com/gpu=9.*\\n$`,
      ),
    );
  });

  test("the installation's hooks in a row run in one process: each with its own arguments, env and log; the first failure stops the container with its line", () => {
    const dir = tmpDir('wrapper-chain');
    const marker = path.join(dir, 'marker.txt');
    fs.writeFileSync(marker, 'chained\n');
    const rootfs = makeGlibcRootfs(path.join(dir, 'rootfs'));
    const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
    const hooksDir = path.join(dir, 'hooks.d');
    const when = { annotations: { '^com\\.hooks\\.test\\.chain$': '^true$' } };
    // The mount hook refreshes the linker cache through LDCONFIG_PATH from its own env list.
    writeHooksD(hooksDir, '01-mount.json', {
      version: '1.0.0',
      hook: {
        path: BIN('ocihook-mount'),
        args: [
          'ocihook-mount',
          `--log-file=${path.join(dir, 'mount.log')}`,
          `--mount=type=bind,src=${marker},dst=/etc/marker.txt,readonly`,
        ],
        env: [`LDCONFIG_PATH=${ldconfig}`],
        timeout: 30,
      },
      when,
      stages: ['createContainer'],
    });
    const ldconfigHook = (extra: string) => ({
      version: '1.0.0',
      hook: {
        path: BIN('ocihook-ldconfig'),
        args: ['ocihook-ldconfig', `--log-file=${path.join(dir, 'ldconfig.log')}`, extra, '--folder=/etc'],
        timeout: 30,
      },
      when,
      stages: ['createContainer'],
    });
    writeHooksD(hooksDir, '02-ldconfig.json', ldconfigHook(`--ldconfig-path=${ldconfig}`));
    const bundle = makeBundle(path.join(dir, 'b'), rootfs, {
      args: ['sh', '-c', 'cat /etc/marker.txt; grep -c " /etc/ld.so.cache " /proc/self/mountinfo'],
      annotations: { 'com.hooks.test.chain': 'true' },
    });
    const wrap = (id: string) =>
      run(
        process.execPath,
        [
          BIN('ocihooks-runtime'),
          '--runtime',
          'runc',
          '--hooks-dir',
          hooksDir,
          `--log-file=${path.join(dir, 'wrapper.log')}`,
          '--',
          '--root',
          path.join(dir, 'root'),
          'run',
          '--bundle',
          bundle,
          id,
        ],
        { timeoutMs: 60_000 },
      );
    const r = wrap(containerId('chain'));
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'chained\n1\n']);
    expect(fs.readFileSync(path.join(dir, 'wrapper.log'), 'utf8')).toContain(
      '"added":["createContainer 01-mount.json (chained)","createContainer 02-ldconfig.json (chained)"]',
    );
    const records = (log: string) =>
      fs
        .readFileSync(path.join(dir, log), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    const mount = records('mount.log');
    const ld = records('ldconfig.log');
    expect(mount.some((l) => l.msg === 'linker cache refreshed')).toBe(true); // its env reached it
    expect(ld.some((l) => l.msg === 'linker cache refreshed')).toBe(true);
    expect(new Set([...mount, ...ld].map((l) => l.pid)).size).toBe(1); // one process for both
    // The config.json runc ran: one hook, the chain.
    const hooks = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).hooks.createContainer;
    expect(
      hooks.map((h: { path: string; args: string[]; timeout?: number }) => [h.path, h.args[0], h.timeout]),
    ).toEqual([[BIN('ocihook-mount'), 'ocihook-chain', 60]]);

    writeHooksD(hooksDir, '02-ldconfig.json', ldconfigHook('--ldconfig-path=sbin/ldconfig'));
    const bad = wrap(containerId('chain-bad'));
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(
      /error running hook #0: .*exit status 2.*ocihook-ldconfig: --ldconfig-path \\*"sbin\/ldconfig\\*": must be an absolute path on the host/,
    ); // runc quotes the hook's stderr
  });
});
