/**
 * What the wrapper writes into config.json for create/run: matched hooks per stage in hooks.d
 * order, precreate filters run in order, a broken hooks.d file refuses, the original config is
 * kept and reused so a second run adds nothing twice.
 */
import { failureOf, fakeHookLauncher } from '../../test/support/offline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError, UsageError } from '../core/errors';
import type { Json } from '../core/json';
import type { HookFile, HooksRead } from '../hooksd/read';
import type { When } from '../hooksd/schema';
import { tmpDir } from '../../test/support/e2e';
import { ORIGINAL_ANNOTATION, rewriteBundleConfig } from './bundle';
import { injectHooks } from './inject';

const config = {
  ociVersion: '1.0.2',
  root: { path: 'rootfs' },
  process: { args: ['/bin/sh'] },
  annotations: { 'com.hooks.slurm.activate': 'true' },
  hooks: { poststop: [{ path: '/bin/cleanup' }] },
};

function hookFile(name: string, stages: string[], when: Omit<When, 'or'>, hookPath = `/opt/hooks/${name}`): HookFile {
  return {
    file: `/etc/containers/oci/hooks.d/${name}.json`,
    name: `${name}.json`,
    status: 'ok',
    def: { version: '1.0.0', hook: { path: hookPath, args: [name] }, when: { ...when, or: false }, stages },
  };
}

/** hooks.d as read: these files, all loaded, in this order. */
const read = (hooks: HookFile[]): HooksRead => ({ hooks, skipped: [], files: hooks });

describe('injectHooks', () => {
  test.each([
    ['createRuntime (podman 5, the default)', undefined, 'createRuntime'],
    ['prestart (podman 4)', 'prestart', 'prestart'],
  ] as const)(
    'matched hooks go to their stages in hooks.d order; others stay out; the input is not edited; prestart as %s',
    (_name, prestartAs, stage) => {
      const files = [
        hookFile('10-slurm', ['createContainer'], { annotations: { slurm: 'true' } }),
        hookFile('20-never', ['createContainer'], { always: false }),
        hookFile('30-all', ['prestart', 'poststop'], { always: true }),
      ];
      const before = structuredClone(config);
      const { config: out, added } = injectHooks(config, read(files), {}, '/b/config.json', { prestartAs });
      expect(out.hooks).toEqual({
        poststop: [{ path: '/bin/cleanup' }, { path: '/opt/hooks/30-all', args: ['30-all'] }],
        createContainer: [{ path: '/opt/hooks/10-slurm', args: ['10-slurm'] }],
        [stage]: [{ path: '/opt/hooks/30-all', args: ['30-all'] }],
      });
      expect(added).toEqual(['createContainer 10-slurm.json', `${stage} 30-all.json`, 'poststop 30-all.json']);
      expect(config).toEqual(before);
    },
  );

  test('--annotation values take part in matching and are written to the config', () => {
    const files = [hookFile('gpu', ['createContainer'], { annotations: { '^cdi\\.k8s\\.io/': '.' } })];
    const { config: out } = injectHooks(
      { ...config, annotations: {} },
      read(files),
      { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
      '/b/config.json',
    );
    expect(out.annotations).toEqual({ 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' });
    expect(out.hooks.createContainer).toHaveLength(1);
  });

  test('precreate filters run in order, each on the output of the one before', () => {
    const dir = tmpDir('precreate');
    const filter = (name: string, jq: string) => {
      const p = path.join(dir, name);
      fs.writeFileSync(
        p,
        `#!/usr/bin/env node\nlet s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const c=JSON.parse(s);${jq};process.stdout.write(JSON.stringify(c))})\n`,
        { mode: 0o755 },
      );
      return p;
    };
    const files = [
      hookFile('a', ['precreate'], { always: true }, filter('a', "c.process.env=['A=1']")),
      hookFile('b', ['precreate'], { always: true }, filter('b', "c.process.env.push('B='+c.process.env.length)")),
    ];
    const { config: out, added } = injectHooks(config, read(files), {}, '/b/config.json');
    expect(out.process.env).toEqual(['A=1', 'B=1']);
    expect(added).toEqual(['precreate a.json', 'precreate b.json']);
    fs.rmSync(dir, { recursive: true });
  });

  test('a filter that fails or prints no JSON names itself', () => {
    const files = (p: string) => [hookFile('x', ['precreate'], { always: true }, p)];
    expect(failureOf(() => injectHooks(config, read(files('/bin/false')), {}, '/b/config.json'))).toEqual([
      ActionError,
      'precreate hook /bin/false (/etc/containers/oci/hooks.d/x.json): exit 1',
    ]);
    expect(() => injectHooks(config, read(files('/bin/true')), {}, '/b/config.json')).toThrow(
      /^precreate hook \/bin\/true \(\/etc\/containers\/oci\/hooks.d\/x.json\): its output is not JSON/,
    );
  });

  test('a precreate filter the wrapper runs in its own process: its output is used, the program not started; declined: started; failing: named', () => {
    const files = [hookFile('gpu', ['precreate'], { always: true }, '/bin/false')]; // started, it would fail
    const inside = (hook: { path: string }, c: Json) =>
      hook.path === '/bin/false' ? { ...c, process: { args: ['/bin/sh'], env: ['FROM=inside'] } } : undefined;
    const ran = injectHooks(config, read(files), {}, '/b/config.json', { precreateInProcess: inside });
    expect([ran.config.process.env, ran.added]).toEqual([['FROM=inside'], ['precreate gpu.json (in process)']]);
    expect(
      failureOf(() => injectHooks(config, read(files), {}, '/b/config.json', { precreateInProcess: () => undefined })),
    ).toEqual([ActionError, 'precreate hook /bin/false (/etc/containers/oci/hooks.d/gpu.json): exit 1']);
    expect(
      failureOf(() =>
        injectHooks(config, read(files), {}, '/b/config.json', {
          precreateInProcess: () => {
            throw new UsageError('ocihook-gpu: unknown CDI device x.com/y=0');
          },
        }),
      ),
    ).toEqual([
      ActionError,
      'precreate hook /bin/false (/etc/containers/oci/hooks.d/gpu.json): ocihook-gpu: unknown CDI device x.com/y=0',
    ]);
  });

  test("with the hook server's socket, the installation's hooks of the first stages go to it, one request per run; later stages' do not", () => {
    const bin = tmpDir('relay-bin');
    const program = path.join(bin, 'ocihook-mount');
    fakeHookLauncher(program);
    const files = [
      hookFile('mount', ['createRuntime', 'createContainer', 'startContainer', 'poststop'], { always: true }, program),
      hookFile('site', ['createContainer'], { always: true }),
      hookFile('mount2', ['createContainer'], { always: true }, program),
    ];
    const socket = '/run/ocihooks/hook-servers/9.sock';
    const { config: out, served } = injectHooks(config, read(files), {}, '/b/config.json', {
      chainBin: bin,
      relaySocket: socket,
    });
    const relayed = (stage: string) =>
      (out.hooks[stage] as { args?: string[] }[]).map((h) => h.args?.[1] === `--ocihooks-relay=${socket}`);
    expect(['createRuntime', 'createContainer', 'startContainer', 'poststop'].map(relayed)).toEqual([
      [true],
      [true, false, true],
      [false],
      [false, false], // the config's own cleanup hook first
    ]);
    expect(served).toBe(3);
    expect(injectHooks(config, read(files), {}, '/b/config.json', { chainBin: bin }).served).toBe(0);
    fs.rmSync(bin, { recursive: true });
  });

  test("the installation's hooks a precreate filter adds (a CDI spec's) go to the hook server too; the matched run is not chained twice; the count is the final config's", () => {
    const bin = tmpDir('relay-bin-precreate');
    const [gpu, chain] = ['ocihook-gpu', 'ocihook-mount'].map((p) => path.join(bin, p)) as [string, string];
    for (const f of [gpu, chain]) fakeHookLauncher(f);
    const socket = '/run/ocihooks/hook-servers/7.sock';
    const files = [
      hookFile('gpu-hook', ['createContainer'], { always: true }, gpu),
      hookFile('filter', ['precreate'], { always: true }, '/opt/filter'),
    ];
    const specHook = (sub: string) => ({ path: gpu, args: ['ocihook-gpu', sub] });
    // The filter keeps what it was given and adds a site hook and two spec hooks of the installation.
    const filter = (_hook: unknown, c: Json) => ({
      ...c,
      hooks: {
        ...c.hooks,
        createContainer: [
          ...c.hooks.createContainer,
          { path: '/opt/site' },
          specHook('create-symlinks'),
          specHook('update-ldcache'),
        ],
        poststop: [...c.hooks.poststop, specHook('poststop-thing')],
      },
    });
    const out = injectHooks(config, read(files), {}, '/b/config.json', {
      chainBin: bin,
      relaySocket: socket,
      precreateInProcess: filter,
    });
    const relay = `--ocihooks-relay=${socket}`;
    expect(out.config.hooks.createContainer).toEqual([
      {
        path: chain,
        args: [
          'ocihook-chain',
          relay,
          `--ocihooks-chain=${JSON.stringify([{ program: 'ocihook-gpu', args: ['gpu-hook'] }])}`,
        ],
      },
      { path: '/opt/site' },
      {
        path: chain,
        args: [
          'ocihook-chain',
          relay,
          `--ocihooks-chain=${JSON.stringify([
            { program: 'ocihook-gpu', args: ['ocihook-gpu', 'create-symlinks'] },
            { program: 'ocihook-gpu', args: ['ocihook-gpu', 'update-ldcache'] },
          ])}`,
        ],
      },
    ]);
    expect(out.config.hooks.poststop).toEqual([{ path: '/bin/cleanup' }, specHook('poststop-thing')]);
    expect(out.served).toBe(2);
    // Without a filter that ran, the config's other hooks are left as they are (the matched run alone is relayed).
    const plain = injectHooks(config, read(files.slice(0, 1)), {}, '/b/config.json', {
      chainBin: bin,
      relaySocket: socket,
    });
    expect(plain.served).toBe(1);
    fs.rmSync(bin, { recursive: true });
  });

  test('with a hook server, a precreate filter reads the matched hooks as podman writes them; one it leaves out is not served', () => {
    const bin = tmpDir('relay-bin-filter-reads');
    const [gpu, ldconfig, chain] = ['ocihook-gpu', 'ocihook-ldconfig', 'ocihook-mount'].map((p) =>
      path.join(bin, p),
    ) as [string, string, string];
    for (const f of [gpu, ldconfig, chain]) fakeHookLauncher(f);
    const files = [
      hookFile('gpu-hook', ['createContainer'], { always: true }, gpu),
      hookFile('ldconfig', ['createContainer', 'poststop'], { always: true }, ldconfig),
      hookFile('filter', ['precreate'], { always: true }, '/opt/filter'),
    ];
    let seen: Json = {};
    // The filter drops the GPU hook (as the GPU filter leaves out one it made needless).
    const filter = (_hook: unknown, c: Json) => {
      seen = structuredClone(c.hooks);
      return { ...c, hooks: { ...c.hooks, createContainer: c.hooks.createContainer.slice(1) } };
    };
    const socket = '/run/ocihooks/hook-servers/8.sock';
    const out = injectHooks(config, read(files), {}, '/b/config.json', {
      chainBin: bin,
      relaySocket: socket,
      precreateInProcess: filter,
    });
    expect(seen).toEqual({
      poststop: [
        { path: '/bin/cleanup' },
        { path: ldconfig, args: ['ldconfig'] }, // a stage no server serves: as without one
      ],
      createContainer: [
        { path: gpu, args: ['gpu-hook'] },
        { path: ldconfig, args: ['ldconfig'] },
      ],
    });
    expect(out.config.hooks.createContainer).toEqual([
      {
        path: chain,
        args: [
          'ocihook-chain',
          `--ocihooks-relay=${socket}`,
          `--ocihooks-chain=${JSON.stringify([{ program: 'ocihook-ldconfig', args: ['ldconfig'] }])}`,
        ],
      },
    ]);
    expect(out.served).toBe(1);
    expect(out.added).toEqual([
      'createContainer gpu-hook.json (chained)',
      'createContainer ldconfig.json (chained)',
      'poststop ldconfig.json',
      'precreate filter.json (in process)',
    ]);
    fs.rmSync(bin, { recursive: true });
  });

  test('hooks.d that podman refuses refuses the container with its reason', () => {
    const refused: HooksRead = {
      hooks: [],
      skipped: [],
      files: [],
      refusal: '/etc/containers/oci/hooks.d/bad.json: unknown stage "later"',
    };
    expect(() => injectHooks(config, refused, {}, '/b/config.json')).toThrow(
      new UsageError('/etc/containers/oci/hooks.d/bad.json: unknown stage "later"'),
    );
  });

  test('a command condition on a process without args refuses, naming the hook; without a process it is ignored', () => {
    const files = [hookFile('cmd', ['prestart'], { commands: ['sh'] })];
    const noArgs = { ...config, process: { args: [] } };
    expect(failureOf(() => injectHooks(noArgs, read(files), {}, '/b/config.json'))).toEqual([
      UsageError,
      'config /b/config.json: matching hook "cmd.json": process.args must have at least one entry',
    ]);
    const { process: _, ...noProcess } = config;
    expect(injectHooks(noProcess, read(files), {}, '/b/config.json').added).toEqual([]);
  });

  test('a config.json that is not one names the field', () => {
    expect(() => injectHooks({ ociVersion: '1.0.2' }, read([]), {}, '/b/config.json')).toThrow(
      new UsageError('config /b/config.json: root: expected object, got missing'),
    );
  });
});

describe('rewriteBundleConfig', () => {
  test('leaves nothing beside config.json, keeps its mode, owner and group, and starts from the original on every run', () => {
    const bundle = tmpDir('bundle');
    const file = path.join(bundle, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    fs.chmodSync(file, 0o750); // Slurm's mode for a step's config.json
    const gid = process.getuid?.() === 0 ? 12345 : (process.getgid?.() as number);
    fs.chownSync(file, fs.statSync(file).uid, gid); // and the job's group (as root)
    const files = [hookFile('10-slurm', ['createContainer'], { always: true })];
    rewriteBundleConfig(bundle, read(files), { 'com.example/extra': 'yes' });
    rewriteBundleConfig(bundle, read(files), { 'com.example/extra': 'yes' });
    expect(fs.readdirSync(bundle)).toEqual(['config.json']);
    const st = fs.statSync(file);
    expect([st.mode & 0o7777, st.gid]).toEqual([0o750, gid]);
    const out = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(out.hooks.createContainer).toEqual([{ path: '/opt/hooks/10-slurm', args: ['10-slurm'] }]);
    expect(out.annotations['com.example/extra']).toBe('yes');
    expect(JSON.parse(out.annotations[ORIGINAL_ANNOTATION])).toEqual(config);
    fs.rmSync(bundle, { recursive: true });
  });

  test('a broken saved original names the annotation', () => {
    const bundle = tmpDir('bundle');
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({ ...config, annotations: { [ORIGINAL_ANNOTATION]: '{' } }),
    );
    expect(() => rewriteBundleConfig(bundle, read([]), {})).toThrow(
      `config ${bundle}/config.json: annotation ${ORIGINAL_ANNOTATION}`,
    );
    fs.rmSync(bundle, { recursive: true });
  });
});
