/** Which hooks the wrapper runs in one process, and the one hook it writes for them. */
import { fakeHookLauncher, fakeInstallationBin } from '../../../test/support/offline';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chainHooks, hooksRun, asksHookServer, relayConfigHooks, withoutHooks } from './chain-hooks';
import { installationBinOf } from './own-programs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-chain-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const bin = fakeInstallationBin(dir);
const elsewhere = path.join(dir, 'elsewhere');
fs.mkdirSync(elsewhere);
fs.writeFileSync(path.join(elsewhere, 'ocihook-mount'), '#!/bin/sh\n', { mode: 0o755 });
fs.symlinkSync(path.join(bin, 'ocihook-ldconfig'), path.join(elsewhere, 'ldconfig-link'));

const mount = {
  path: path.join(bin, 'ocihook-mount'),
  args: ['ocihook-mount', '--mount=type=bind,src=/a,dst=/a'],
  env: ['LDCONFIG_PATH=/sbin/ldconfig'],
  timeout: 30,
};
const gpu = { path: path.join(bin, 'ocihook-gpu'), args: ['ocihook-gpu', '--cdi-spec-dir=/etc/cdi'], timeout: 10 };
const ldconfig = {
  path: path.join(bin, 'ocihook-ldconfig'),
  args: ['ocihook-ldconfig', '--ldconfig-path=/sbin/ldconfig'],
  timeout: 5,
};
const site = { path: '/usr/libexec/site-hook', args: ['site-hook'] };
/** The one hook a chain becomes: in `dir`'s ocihook-mount, with the server's socket in front when relayed. */
const chainOf = (list: object[], timeout?: number, dir = bin, relay?: string) => ({
  path: path.join(dir, 'ocihook-mount'),
  args: [
    'ocihook-chain',
    ...(relay === undefined ? [] : [`--ocihooks-relay=${relay}`]),
    `--ocihooks-chain=${JSON.stringify(list)}`,
  ],
  ...(timeout === undefined ? {} : { timeout }),
});

test('two or more of ours in a row become one hook; their arguments, env lists and timeouts kept', () => {
  expect(chainHooks([mount, gpu, ldconfig], bin)).toEqual({
    hooks: [
      chainOf(
        [
          { program: 'ocihook-mount', args: mount.args, env: ['LDCONFIG_PATH=/sbin/ldconfig'] },
          { program: 'ocihook-gpu', args: gpu.args },
          { program: 'ocihook-ldconfig', args: ldconfig.args },
        ],
        45,
      ),
    ],
    chained: [true, true, true],
  });
});

test('a hook of the site between them splits the run; a run of one stays as it is', () => {
  expect(chainHooks([mount, site, gpu, ldconfig], bin)).toEqual({
    hooks: [
      mount,
      site,
      chainOf(
        [
          { program: 'ocihook-gpu', args: gpu.args },
          { program: 'ocihook-ldconfig', args: ldconfig.args },
        ],
        15,
      ),
    ],
    chained: [false, false, true, true],
  });
  expect(chainHooks([site, mount, site], bin)).toEqual({ hooks: [site, mount, site], chained: [false, false, false] });
});

test.each([
  [
    'precreate (a config filter, no hook of a stage)',
    { ...gpu, args: ['ocihook-gpu', 'precreate', '--cdi-spec-dir=/etc/cdi'] },
  ],
  ['a program of the same name elsewhere', { ...mount, path: path.join(elsewhere, 'ocihook-mount') }],
  ['a path that does not exist', { ...mount, path: path.join(dir, 'nowhere', 'ocihook-mount') }],
])('not chained: %s', (_name, hook) => {
  expect(chainHooks([hook, ldconfig], bin)).toEqual({ hooks: [hook, ldconfig], chained: [false, false] });
});

test('a link to our program counts (its real path); a hook without a timeout leaves the chain without one', () => {
  const linked = { path: path.join(elsewhere, 'ldconfig-link'), args: ['ocihook-ldconfig'] };
  expect(chainHooks([mount, linked], bin)).toEqual({
    hooks: [
      chainOf([
        { program: 'ocihook-mount', args: mount.args, env: ['LDCONFIG_PATH=/sbin/ldconfig'] },
        { program: 'ocihook-ldconfig', args: ['ocihook-ldconfig'], path: linked.path },
      ]),
    ],
    chained: [true, true],
  });
});

test("NVIDIA's subcommands of ocihook-gpu chain too: each program runs as a function and returns", () => {
  const ldcache = {
    path: path.join(bin, 'ocihook-gpu'),
    args: ['ocihook-gpu', 'update-ldcache', '--folder', '/usr/lib'],
  };
  expect(chainHooks([ldcache, ldconfig], bin)).toEqual({
    hooks: [
      chainOf([
        { program: 'ocihook-gpu', args: ldcache.args },
        { program: 'ocihook-ldconfig', args: ldconfig.args },
      ]),
    ],
    chained: [true, true],
  });
});

test("for the hook server every run of ours is a chain, one hook long too, with the server's socket in front", () => {
  // The installed hook launcher is an ELF file; Node launchers (a build's bin/) cannot ask a server.
  const launchers = path.join(dir, 'launchers');
  fs.mkdirSync(launchers);
  for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fakeHookLauncher(path.join(launchers, p));
  const inLaunchers = (h: { path: string }) => ({ ...h, path: path.join(launchers, path.basename(h.path)) });
  const relayed = (list: object[], timeout?: number) =>
    chainOf(list, timeout, launchers, '/run/ocihooks/hook-servers/7.sock');
  const hooks = [mount, site, gpu, ldconfig].map((h) => (h === site ? h : inLaunchers(h)));
  expect(chainHooks(hooks, launchers, '/run/ocihooks/hook-servers/7.sock')).toEqual({
    hooks: [
      relayed([{ program: 'ocihook-mount', args: mount.args, env: ['LDCONFIG_PATH=/sbin/ldconfig'] }], 30),
      site,
      relayed(
        [
          { program: 'ocihook-gpu', args: gpu.args },
          { program: 'ocihook-ldconfig', args: ldconfig.args },
        ],
        15,
      ),
    ],
    chained: [true, false, true, true],
  });
  expect(chainHooks([site], launchers, '/s.sock')).toEqual({ hooks: [site], chained: [false] });
  // bin/ of Node launchers: chains as without a server.
  expect(chainHooks([mount, site, gpu, ldconfig], bin, '/s.sock')).toEqual(
    chainHooks([mount, site, gpu, ldconfig], bin),
  );
  // The hook launchers of an installation of one process per hook ask no server either.
  const separate = path.join(dir, 'separate-launchers');
  fs.mkdirSync(separate);
  for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fakeHookLauncher(path.join(separate, p), true);
  const inSeparate = [mount, site, gpu, ldconfig].map((h) =>
    h === site ? h : { ...h, path: path.join(separate, path.basename(h.path)) },
  );
  expect(chainHooks(inSeparate, separate, '/s.sock')).toEqual(chainHooks(inSeparate, separate));
  expect(asksHookServer(path.join(separate, 'ocihook-mount'))).toBe(false);
  expect(asksHookServer(path.join(launchers, 'ocihook-mount'))).toBe(true);
});

test("relayConfigHooks counts the chains it relays to its own server, not one another server relayed before (the relay filter's, run first)", () => {
  const launchers = path.join(dir, 'launchers-two-servers');
  fs.mkdirSync(launchers);
  for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fakeHookLauncher(path.join(launchers, p));
  const gpuHere = { path: path.join(launchers, 'ocihook-gpu'), args: ['ocihook-gpu'] };
  const theirs = chainOf([{ program: 'ocihook-gpu', args: ['ocihook-gpu'] }], undefined, launchers, '/run/theirs.sock');
  const { config, served } = relayConfigHooks(
    { hooks: { createContainer: [theirs, gpuHere, gpuHere] } },
    launchers,
    '/run/mine.sock',
  );
  expect(config.hooks.createContainer).toEqual([
    theirs,
    chainOf(
      [
        { program: 'ocihook-gpu', args: ['ocihook-gpu'] },
        { program: 'ocihook-gpu', args: ['ocihook-gpu'] },
      ],
      undefined,
      launchers,
      '/run/mine.sock',
    ),
  ]);
  expect(served).toBe(1);
});

describe('hooksRun: a chain read back as the hooks a runtime would have started', () => {
  const linked = { path: path.join(elsewhere, 'ldconfig-link'), args: ['ocihook-ldconfig'] };
  const inChain = ({ timeout, ...h }: { path: string; args?: string[]; env?: string[]; timeout?: number }) => ({
    ...h,
    args: h.args ?? [h.path],
    inChain: true,
  });
  test.each([
    ['three of ours', [mount, gpu, ldconfig], [inChain(mount), inChain(gpu), inChain(ldconfig)]],
    [
      'a site hook between runs, kept in its place',
      [mount, gpu, site, ldconfig, gpu],
      [inChain(mount), inChain(gpu), site, inChain(ldconfig), inChain(gpu)],
    ],
    ['a link to our program, read back by the path config.json named', [gpu, linked], [inChain(gpu), inChain(linked)]],
    ['a hook without args', [{ path: gpu.path }, ldconfig], [inChain({ path: gpu.path }), inChain(ldconfig)]],
  ])('%s', (_name, hooks, expected) => {
    expect(hooksRun(chainHooks(hooks, bin).hooks)).toEqual(expected);
  });

  test("a relayed chain (a precreate filter's output) reads the same", () => {
    const launchers = path.join(dir, 'launchers-read-back');
    fs.mkdirSync(launchers);
    for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fakeHookLauncher(path.join(launchers, p));
    const link = path.join(elsewhere, 'gpu-link');
    fs.symlinkSync(path.join(launchers, 'ocihook-gpu'), link);
    const linkedGpu = { path: link, args: ['ocihook-gpu', 'update-ldcache'], timeout: 5 };
    const { config } = relayConfigHooks({ hooks: { createContainer: [linkedGpu, site] } }, launchers, '/run/x.sock');
    expect(config.hooks.createContainer[0].args[1]).toBe('--ocihooks-relay=/run/x.sock');
    expect(hooksRun(config.hooks.createContainer)).toEqual([inChain(linkedGpu), site]);
  });

  test('a hook that only looks like a chain stays as it is', () => {
    const odd = { path: '/usr/bin/x', args: ['x', '--ocihooks-chain=not json'] };
    expect(hooksRun([odd])).toEqual([odd]);
  });
});

describe('withoutHooks: hooks left out of a stage, one in a chain too', () => {
  const isGpu = (h: { path: string }) => h.path === gpu.path;
  const asRun = ({ timeout, ...h }: { path: string; args?: string[]; env?: string[]; timeout?: number }) => ({
    ...h,
    args: h.args ?? [h.path],
  });
  test('a hook as it is: out; the others in their places', () => {
    expect(withoutHooks([mount, gpu, site], isGpu)).toEqual({ hooks: [mount, site], left: [gpu] });
  });
  test("in a chain: the chain keeps the others and its timeout (the sum of all its hooks'); a relayed chain stays whole", () => {
    const mountEntry = { program: 'ocihook-mount', args: mount.args, env: mount.env };
    const gpuEntry = { program: 'ocihook-gpu', args: gpu.args };
    const ldconfigEntry = { program: 'ocihook-ldconfig', args: ldconfig.args };
    expect(withoutHooks([site, chainOf([mountEntry, gpuEntry, ldconfigEntry], 45)], isGpu)).toEqual({
      hooks: [site, chainOf([mountEntry, ldconfigEntry], 45)],
      left: [asRun(gpu)],
    });
    // The server it asks (started by the relay filter before) expects it as it is.
    const relayed = chainOf([mountEntry, gpuEntry, ldconfigEntry], 45, bin, '/s.sock');
    expect(withoutHooks([relayed], isGpu)).toEqual({ hooks: [relayed], left: [] });
  });
  test('a chain left empty goes; a chain without such hooks stays the same object', () => {
    const lone = chainOf([{ program: 'ocihook-gpu', args: gpu.args }], 10);
    const other = chainHooks([mount, ldconfig], bin).hooks[0] as { path: string };
    const out = withoutHooks([lone, other], isGpu);
    expect(out).toEqual({ hooks: [other], left: [asRun(gpu)] });
    expect(out.hooks[0]).toBe(other);
  });
  test('a hook that only looks like a chain is a hook as any other', () => {
    const odd = { path: gpu.path, args: ['x', '--ocihooks-chain=not json'] };
    expect(withoutHooks([odd], isGpu)).toEqual({ hooks: [], left: [odd] });
    expect(withoutHooks([odd], () => false)).toEqual({ hooks: [odd], left: [] });
  });
});

test("installationBinOf: bin/ for a program of bin/ (or a link to it) and for libexec/'s Node launcher beside it", () => {
  const prefix = path.join(dir, 'prefix');
  for (const d of ['bin', 'libexec']) {
    fs.mkdirSync(path.join(prefix, d), { recursive: true });
    fs.writeFileSync(path.join(prefix, d, 'ocihook-gpu'), '#!/bin/sh\n', { mode: 0o755 });
  }
  fs.symlinkSync(path.join(prefix, 'bin', 'ocihook-gpu'), path.join(elsewhere, 'gpu-of-prefix'));
  expect(installationBinOf(path.join(prefix, 'bin', 'ocihook-gpu'))).toBe(path.join(prefix, 'bin'));
  expect(installationBinOf(path.join(prefix, 'libexec', 'ocihook-gpu'))).toBe(path.join(prefix, 'bin'));
  expect(installationBinOf(path.join(elsewhere, 'gpu-of-prefix'))).toBe(path.join(prefix, 'bin'));
  expect(installationBinOf(path.join(elsewhere, 'ocihook-mount'))).toBe(elsewhere);
});
