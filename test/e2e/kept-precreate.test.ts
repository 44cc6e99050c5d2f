/**
 * The GPU precreate filter's kept edits (native/hook-launcher/kept-precreate.c, src/gpu/kept-edits.ts):
 * the installed `bin/ocihook-gpu precreate` as podman starts it, as root. Its first run for a key is
 * the Node filter, which keeps its edits; the next applies them in the launcher. For each config,
 * the launcher's output must be the config the Node filter writes for it (run directly, without a
 * launcher: the reference). Anything the edits depend on that changed — a spec's text or folder, a
 * host device node, the selection — and the launcher says why and Node plans again.
 * (OCIHOOKS_KEPT_TRACE=1: the launcher's outcome on stderr; OCIHOOKS_RELAY_TRACE=1: its relay
 * arguments name the socket TRACE and nothing is started. Under podman: test/e2e/hook-runs.test.ts.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { installOcihooks, ok, requireBuilt, tmpDir } from '../support/e2e';

requireBuilt();
const dir = tmpDir('kept-precreate');
fs.chmodSync(dir, 0o755);
const prefix = path.join(dir, 'prefix');
installOcihooks(prefix, path.join(dir, 'shipped'));
const launcher = path.join(prefix, 'bin', 'ocihook-gpu');
const nodeFilter = path.join(prefix, 'libexec', 'ocihook-gpu');
const log = path.join(dir, 'hooks.log');
// The entries this file's runs make name its spec folders: the run's teardown removes them with the
// folders (test/support/global-teardown.cjs).
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hostNode = path.join(dir, 'nvidia0');
ok('mknod', ['-m', '0666', hostNode, 'c', '1', '3']);
const lib = path.join(dir, 'libcuda.so.1');
fs.writeFileSync(lib, 'not a library\n');

/** A spec folder of its own (each case its own key) with example.com/gpu=0; `hooks`: the spec's three hooks. */
function specFolder(name: string, opts: { hooks: boolean; env?: string }): string {
  const cdi = fs.mkdtempSync(path.join(dir, `cdi-${name}-`));
  const specHook = (sub: string[]) => ({ hookName: 'createContainer', path: launcher, args: ['ocihook-gpu', ...sub] });
  fs.writeFileSync(
    path.join(cdi, 'example.json'),
    JSON.stringify({
      cdiVersion: '0.7.0',
      kind: 'example.com/gpu',
      devices: [
        {
          name: '0',
          containerEdits: { deviceNodes: [{ path: '/dev/nvidia0', hostPath: hostNode }], additionalGids: [44] },
        },
      ],
      containerEdits: {
        env: [opts.env ?? 'NVIDIA_VISIBLE_DEVICES=void', 'CUDA_CACHE_DISABLE=1'],
        mounts: [{ hostPath: lib, containerPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.1', options: ['ro', 'bind'] }],
        hooks: opts.hooks
          ? [
              specHook(['create-symlinks', '--link', 'libcuda.so.1::/usr/lib/libcuda.so']),
              specHook(['update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu']),
              specHook(['disable-device-node-modification']),
            ]
          : [],
      },
    }),
  );
  return cdi;
}

const args = (cdi: string, logFile = log) => ['precreate', `--cdi-spec-dir=${cdi}`, `--log-file=${logFile}`];
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', OCIHOOKS_KEPT_TRACE: '1', OCIHOOKS_RELAY_TRACE: '1' };

/** The installed filter as podman starts it (a shell in podman's place: the process it serves for ends after it). */
function filter(cdi: string, text: string, logFile = log) {
  const r = spawnSync('sh', ['-c', '"$0" "$@"', launcher, ...args(cdi, logFile)], {
    input: text,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`the filter exited ${r.status}: ${r.stderr}`);
  return { config: JSON.parse(r.stdout), trace: r.stderr };
}

/** The Node filter's output for the config, run directly (no launcher: no key, nothing relayed). */
function reference(cdi: string, text: string) {
  const r = spawnSync(nodeFilter, args(cdi), {
    input: text,
    env: { PATH: env.PATH },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`the Node filter exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The launcher's relay arguments taken out (the Node filter's reference has none). */
function withoutRelay(config: { hooks?: Record<string, { args?: string[] }[]> }) {
  for (const list of Object.values(config.hooks ?? {}))
    for (const h of list) if (h.args) h.args = h.args.filter((a) => a !== '--ocihooks-relay=TRACE');
  return config;
}

const annotated = { 'cdi.k8s.io/gpu': 'example.com/gpu=0', 'org.example/other': 'x' };
const podmanLike = (extra: Record<string, unknown> = {}) => ({
  ociVersion: '1.0.2-dev',
  process: {
    user: { uid: 0, gid: 0 },
    args: ['sh'],
    env: ['PATH=/usr/bin:/bin', 'NVIDIA_VISIBLE_DEVICES=all', 'TERM=xterm'],
    cwd: '/',
  },
  root: { path: '/var/lib/containers/x/merged' },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts' },
    { destination: '/etc/hosts', type: 'bind', source: '/run/containers/x/hosts', options: ['bind'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs' },
    // Deeper than the spec's mount, and as deep (4): the sort puts it between them.
    { destination: '/run/secrets/site/a/b', type: 'bind', source: '/run/containers/x/b', options: ['bind'] },
    { destination: '/opt/site/lib/x', type: 'bind', source: '/run/containers/x/x', options: ['bind'] },
  ],
  linux: {
    resources: { devices: [{ allow: false, access: 'rwm' }] },
    namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/netns-1' }, { type: 'mount' }],
  },
  hooks: { createContainer: [{ path: '/usr/libexec/site-hook', args: ['site-hook'] }] },
  annotations: annotated,
  ...extra,
});

describe("kept edits applied by the launcher: the Node filter's config for each", () => {
  test.each<[string, unknown, ((c: unknown) => string)?]>([
    ["podman's config: the image's NVIDIA_VISIBLE_DEVICES replaced, the spec's hooks after the site's", podmanLike()],
    [
      'written with blanks and newlines, no hooks member, no linux.devices',
      podmanLike({ hooks: undefined }),
      (c) => JSON.stringify(c, null, 2),
    ],
    [
      'a user 1000 and devices of its own (owner of the node, devices list replaced whole)',
      podmanLike({
        process: { user: { uid: 1000, gid: 1000, additionalGids: [5] }, args: ['sh'], env: ['A=1'], cwd: '/' },
        linux: {
          devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
          resources: {
            devices: [
              { allow: false, access: 'rwm' },
              { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
            ],
          },
          namespaces: [{ type: 'mount' }],
        },
      }),
    ],
    [
      'a user namespace (the mount idmapped), hooks of another stage only, NVIDIA_VISIBLE_DEVICES twice',
      podmanLike({
        process: {
          user: { uid: 0, gid: 0 },
          args: ['sh'],
          env: ['NVIDIA_VISIBLE_DEVICES=0', 'B=2', 'NVIDIA_VISIBLE_DEVICES=all'],
          cwd: '/',
        },
        linux: { resources: { devices: [] }, namespaces: [{ type: 'user' }, { type: 'mount' }] },
        hooks: { createRuntime: [{ path: '/usr/libexec/site-hook', args: ['site-hook'] }] },
      }),
    ],
    [
      'empty lists and objects: env, mounts, hooks',
      podmanLike({
        process: { user: { uid: 0, gid: 0 }, args: ['sh'], env: [], cwd: '/' },
        mounts: [],
        hooks: {},
      }),
    ],
    ['no device asked for: the config as it came', podmanLike({ annotations: { 'org.example/other': 'x' } })],
  ])('%s', (name, config, write = JSON.stringify) => {
    const cdi = specFolder(name.replace(/[^a-z]+/gi, '-').slice(0, 40), { hooks: true });
    const text = write(config);
    const first = filter(cdi, text);
    expect(first.trace).toMatch(/^ocihook-gpu precreate: not kept: (no entry for this key|no kept entries)/);
    const second = filter(cdi, text);
    expect(second.trace).toBe('ocihook-gpu precreate: kept edits applied\n');
    expect(withoutRelay(second.config)).toEqual(reference(cdi, text));
  });
});

/**
 * podman's config with both installed GPU files: the installation's createContainer GPU hook (as
 * install's 60-ocihooks-gpu.json names it, reading the same specs) among the site's hooks.
 */
const bothFiles = (cdi: string) =>
  JSON.stringify(
    podmanLike({
      hooks: {
        createContainer: [
          { path: '/usr/libexec/site-hook', args: ['site-hook'] },
          { path: launcher, args: ['ocihook-gpu', `--cdi-spec-dir=${cdi}`, `--log-file=${log}`] },
        ],
      },
    }),
  );

test('both installed GPU files: the createContainer GPU hook the Node filter left out, left out by the launcher too', () => {
  const cdi = specFolder('both-files', { hooks: true });
  const text = bothFiles(cdi);
  expect(filter(cdi, text).trace).toMatch(/^ocihook-gpu precreate: not kept: /);
  const second = filter(cdi, text);
  expect(second.trace).toBe('ocihook-gpu precreate: kept edits applied\n');
  const expected = reference(cdi, text);
  expect(withoutRelay(second.config)).toEqual(expected);
  // The site's hook, then the spec's three: the installation's own hook is not among them.
  expect(expected.hooks.createContainer.map((h: { args: string[] }) => h.args[1] ?? h.args[0])).toEqual([
    'site-hook',
    'create-symlinks',
    'update-ldcache',
    'disable-device-node-modification',
  ]);
});

/** A log's records, each parsed. */
const recordsOf = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("the Node filter's log records, written again by the launcher with its own time and pid", () => {
  const cdi = specFolder('log-records', { hooks: true });
  const text = bothFiles(cdi);
  const own = path.join(dir, 'records.log'); // this test's runs alone write it
  expect(filter(cdi, text, own).trace).toMatch(/^ocihook-gpu precreate: not kept: /);
  const nodePid = recordsOf(own)[0]!.pid;
  expect(filter(cdi, text, own).trace).toBe('ocihook-gpu precreate: kept edits applied\n');
  // Node's planning records (the selection's, the devices, the hook it left out), then its hook
  // server's, which the launcher's relay leaves to the server it starts — written when the shell
  // it serves for has ended, maybe after the launcher's: told apart by the pid.
  const nodeRecords = recordsOf(own).filter((r) => r.pid === nodePid);
  const launcherRecords = recordsOf(own).filter((r) => r.pid !== nodePid);
  const planning = [
    'image env NVIDIA_VISIBLE_DEVICES=all: explicit requests (annotations, --device) win',
    'precreate',
    'createContainer GPU hook left out: the config has all it would add',
  ];
  expect(nodeRecords.map((r) => r.msg).slice(0, 3)).toEqual(planning);
  expect(launcherRecords.map((r) => r.msg)).toEqual(planning);
  const without = (r: Record<string, unknown>) => {
    const { time: _t, pid: _p, ...rest } = r;
    return rest;
  };
  expect(launcherRecords.map(without)).toEqual(nodeRecords.slice(0, 3).map(without));
  // Keys in the order Node writes them (pino's).
  expect(launcherRecords.map((r) => Object.keys(r))).toEqual(nodeRecords.slice(0, 3).map((r) => Object.keys(r)));
  for (const r of launcherRecords) {
    expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(r.time as string) - Date.now())).toBeLessThan(60_000);
    expect(r.pid).toBe(launcherRecords[0]!.pid);
    expect(typeof r.pid).toBe('number');
  }
});

test('a log file the launcher cannot open: Node plans, and says why on stderr', () => {
  const cdi = specFolder('log-unopened', { hooks: false });
  const own = path.join(dir, 'unopened.log');
  filter(cdi, JSON.stringify(podmanLike()), own);
  expect(filter(cdi, JSON.stringify(podmanLike()), own).trace).toBe('ocihook-gpu precreate: kept edits applied\n');
  fs.rmSync(own);
  fs.mkdirSync(own); // a folder where the log file was
  try {
    const again = filter(cdi, JSON.stringify(podmanLike()), own);
    expect(again.trace.split('\n')[0]).toBe('ocihook-gpu precreate: not kept: the log file did not open');
    expect(again.trace).toMatch(/warning: log file .*unopened\.log: .*logging disabled/);
    expect(again.config).toEqual(reference(cdi, JSON.stringify(podmanLike())));
  } finally {
    fs.rmSync(own, { recursive: true });
  }
});

test('an entry applied is marked used (its modification time): the oldest used are pruned first', () => {
  const cdi = specFolder('used', { hooks: false });
  const text = JSON.stringify(podmanLike());
  filter(cdi, text);
  const kept = '/run/ocihooks/kept-precreate';
  const entry = fs
    .readdirSync(kept)
    .map((name) => path.join(kept, name))
    .filter((f) => fs.readFileSync(f).includes(`dir ${Buffer.byteLength(cdi)}\n${cdi}\n`));
  expect(entry).toHaveLength(1);
  fs.utimesSync(entry[0]!, 1_000_000, 1_000_000);
  expect(filter(cdi, text).trace).toBe('ocihook-gpu precreate: kept edits applied\n');
  expect(Math.abs(fs.statSync(entry[0]!).mtimeMs - Date.now())).toBeLessThan(60_000);
});

describe('what the launcher does not apply: Node plans, and says why', () => {
  test.each<[string, string, string]>([
    [
      'an escaped env entry',
      JSON.stringify(podmanLike()).replace('"TERM=xterm"', '"TERM=\\u0078term"'),
      'an escaped env entry',
    ],
    [
      "a mount at the spec's mount destination",
      JSON.stringify(
        podmanLike({
          mounts: [{ destination: '/usr/lib/x86_64-linux-gnu/libcuda.so.1', source: '/other', options: ['bind'] }],
        }),
      ),
      'a mount destination the config has',
    ],
    ['a repeated key', JSON.stringify(podmanLike()).replace('"mounts":', '"mounts":[],"mounts":'), 'a repeated key'],
    [
      // JSON.parse keeps the last: no user namespace for Node, and none may be read here.
      "a namespace's type twice",
      JSON.stringify(podmanLike()).replace('{"type":"pid"}', '{"type":"user","type":"pid"}'),
      'a repeated key',
    ],
    [
      // Node compares cleaned destinations: the spec's mount is there already, and it adds none.
      "the spec's mount in the config already, its destination not written clean",
      JSON.stringify(
        podmanLike({
          mounts: [{ destination: '/usr/lib/x86_64-linux-gnu/libcuda.so.1/', source: lib, options: ['ro', 'bind'] }],
        }),
      ),
      'a mount destination not written clean',
    ],
    [
      'a config larger than the launcher reads (4 MiB): Node gets it whole',
      JSON.stringify(podmanLike({ annotations: { ...annotated, 'org.example/big': 'x'.repeat(5 << 20) } })),
      'a config too large',
    ],
  ])('%s', (name, text, reason) => {
    const cdi = specFolder(`miss-${name.replace(/[^a-z]+/gi, '-')}`, { hooks: false });
    // Kept for podman's config first: the key does not hold the mounts.
    filter(cdi, JSON.stringify(podmanLike()));
    expect(filter(cdi, JSON.stringify(podmanLike())).trace).toBe('ocihook-gpu precreate: kept edits applied\n');
    const again = filter(cdi, text);
    expect(again.trace).toBe(`ocihook-gpu precreate: not kept: ${reason}\n`);
    expect(again.config).toEqual(reference(cdi, text));
  });
});

test("a config with the spec's mount already: Node adds none and keeps nothing, so the next config without it gets it", () => {
  const cdi = specFolder('mount-there', { hooks: false });
  const spec = { destination: '/usr/lib/x86_64-linux-gnu/libcuda.so.1', source: lib, options: ['ro', 'bind'] };
  const withMount = JSON.stringify(podmanLike({ mounts: [spec] }));
  expect(filter(cdi, withMount).config.mounts).toEqual([spec]);
  const text = JSON.stringify(podmanLike());
  const next = filter(cdi, text);
  expect(next.trace).toBe('ocihook-gpu precreate: not kept: no entry for this key\n');
  expect(next.config).toEqual(reference(cdi, text));
  expect(next.config.mounts).toContainEqual(spec);
});

test('an entry whose record names a length past any number: Node plans', () => {
  const cdi = specFolder('huge-length', { hooks: false });
  const text = JSON.stringify(podmanLike());
  filter(cdi, text);
  const kept = '/run/ocihooks/kept-precreate';
  const [entry, ...more] = fs
    .readdirSync(kept)
    .map((name) => path.join(kept, name))
    .filter((f) => fs.readFileSync(f).includes(`dir ${Buffer.byteLength(cdi)}\n${cdi}\n`));
  expect([entry, more]).toEqual([expect.any(String), []]);
  const bytes = fs.readFileSync(entry!, 'latin1');
  expect(bytes).toMatch(/\nvalue \d+\n/);
  fs.writeFileSync(entry!, bytes.replace(/\nvalue \d+\n/, '\nvalue 18446744073709551615\n'), 'latin1');
  const r = filter(cdi, text);
  expect(r.trace).toMatch(/^ocihook-gpu precreate: not kept: /);
  expect(r.config).toEqual(reference(cdi, text));
});

describe('what the kept edits depend on, changed: Node plans again, and keeps the new edits', () => {
  const text = JSON.stringify(podmanLike());
  const keptOnce = (cdi: string, config = text) => {
    filter(cdi, config);
    expect(filter(cdi, config).trace).toBe('ocihook-gpu precreate: kept edits applied\n');
  };
  const planned = (cdi: string, reason: string) => {
    const r = filter(cdi, text);
    expect(r.trace).toBe(`ocihook-gpu precreate: not kept: ${reason}\n`);
    expect(r.config).toEqual(reference(cdi, text));
    const next = filter(cdi, text);
    expect(next.trace).toBe('ocihook-gpu precreate: kept edits applied\n');
    expect(next.config).toEqual(reference(cdi, text));
    return next.config;
  };

  test("a spec's text", () => {
    const cdi = specFolder('spec-text', { hooks: false });
    keptOnce(cdi);
    const spec = path.join(cdi, 'example.json');
    fs.writeFileSync(
      spec,
      fs.readFileSync(spec, 'utf8').replace('NVIDIA_VISIBLE_DEVICES=void', 'NVIDIA_VISIBLE_DEVICES=none'),
    );
    expect(planned(cdi, 'a CDI spec changed').process.env).toContain('NVIDIA_VISIBLE_DEVICES=none');
  });

  test("a spec folder's listing (a spec added)", () => {
    const cdi = specFolder('spec-listing', { hooks: false });
    keptOnce(cdi);
    fs.writeFileSync(
      path.join(cdi, 'other.json'),
      JSON.stringify({
        cdiVersion: '0.6.0',
        kind: 'example.com/other',
        devices: [{ name: 'a', containerEdits: { env: ['O=1'] } }],
      }),
    );
    planned(cdi, "a spec folder's listing changed");
  });

  test('a host device node (other numbers)', () => {
    const cdi = specFolder('host-node', { hooks: false });
    keptOnce(cdi);
    const node = path.join(dir, 'nvidia0');
    try {
      fs.rmSync(node);
      ok('mknod', ['-m', '0666', node, 'c', '1', '5']);
      const devices = planned(cdi, 'a device node changed').linux.devices;
      expect(devices).toEqual([expect.objectContaining({ path: '/dev/nvidia0', major: 1, minor: 5 })]);
    } finally {
      fs.rmSync(node, { force: true });
      ok('mknod', ['-m', '0666', node, 'c', '1', '3']);
    }
  });

  test("the spec's mount source gone (what the createContainer GPU hook's plan looked at)", () => {
    const cdi = specFolder('host-path', { hooks: true });
    const both = bothFiles(cdi);
    keptOnce(cdi, both);
    fs.renameSync(lib, `${lib}.away`);
    try {
      expect(filter(cdi, both).trace).toBe('ocihook-gpu precreate: not kept: a host path changed\n');
      // The hook would fail on the missing source: the Node filter leaves it in, to run and say so
      // (and keeps nothing for such a config: the launcher finds the same again).
      const own = reference(cdi, both).hooks.createContainer.filter((h: { args: string[] }) =>
        h.args[1]?.startsWith('--cdi-spec-dir'),
      );
      expect(own).toHaveLength(1);
      expect(filter(cdi, both).trace).toBe('ocihook-gpu precreate: not kept: a host path changed\n');
    } finally {
      fs.renameSync(`${lib}.away`, lib);
    }
  });

  test('another selection (the annotation): another key', () => {
    const cdi = specFolder('selection', { hooks: false });
    keptOnce(cdi);
    const other = JSON.stringify(podmanLike({ annotations: { 'cdi.k8s.io/gpu': 'example.com/gpu=all' } }));
    const r = filter(cdi, other);
    expect(r.trace).toBe('ocihook-gpu precreate: not kept: no entry for this key\n');
    expect(r.config).toEqual(reference(cdi, other));
  });
});
