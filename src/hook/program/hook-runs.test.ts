/**
 * Which hooks the first of a run runs for the others (planHookRun), and the digests it leaves for
 * them: the same FNV-1a 64 the hook launcher computes (expected values computed apart, by a
 * Python one-liner over the UTF-8 bytes, each argument followed by a NUL). The launcher itself
 * reads real markers in test/e2e/hook-runs.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { OciStageHook } from '../../core/oci';
import { hookDigest, planHookRun } from './hook-runs';
import { stageHookProgram } from './own-programs';

test.each([
  [[], 'cbf29ce484222325'],
  [[''], 'af63bd4c8601b7df'],
  [['ocihook-mount'], '1febf768aaefd51f'],
  [['ocihook-mount', '--mount=type=bind,src=/a,dst=/a'], '40703ea48f52fe92'],
  [['ocihook-gpu', 'update-ldcache', '--folder', '/usr/lib/x86_64-linux-gnu'], 'bfacd7ec8fde62b9'],
  [['é', 'a b'], 'b967d91098a01860'],
])('digest of %j', (argv, digest) => expect(hookDigest(argv)).toBe(digest));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-hook-runs-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const bin = path.join(dir, 'bin');
fs.mkdirSync(bin);
for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fs.writeFileSync(path.join(bin, p), '');
const programOf = (h: OciStageHook) => stageHookProgram(h, bin);

const mount = { path: path.join(bin, 'ocihook-mount'), args: ['ocihook-mount', '--mount=type=bind,src=/a,dst=/a'] };
const gpu = { path: path.join(bin, 'ocihook-gpu'), args: ['ocihook-gpu', '--device=x.com/gpu=0'] };
const ldconfig = { path: path.join(bin, 'ocihook-ldconfig'), args: ['ocihook-ldconfig'] };
const site = { path: '/usr/libexec/site-hook', args: ['site-hook'] };
const mount2 = { ...mount, args: ['ocihook-mount', '--mount=type=bind,src=/b,dst=/b'] };
const own = (h: OciStageHook, env: Record<string, string> = { PATH: '/bin' }) => ({
  realPath: h.path,
  argv: (h.args ?? []).slice(1),
  env,
});

test('the first of three: the three, itself first; the digests of the other two', () => {
  expect(planHookRun({ createContainer: [mount, gpu, ldconfig] }, own(mount), programOf)).toEqual({
    hooks: [
      { program: 'ocihook-mount', args: mount.args },
      { program: 'ocihook-gpu', args: gpu.args },
      { program: 'ocihook-ldconfig', args: ldconfig.args },
    ],
    others: [hookDigest(gpu.args), hookDigest(ldconfig.args)],
  });
});

test("a site's hook ends the run: the hooks after it are a run of their own", () => {
  const stages = { createContainer: [mount, site, gpu, ldconfig] };
  expect(planHookRun(stages, own(mount), programOf)).toEqual({ alone: 'no hook of the installation follows it' });
  expect(planHookRun(stages, own(gpu), programOf)).toEqual({
    hooks: [
      { program: 'ocihook-gpu', args: gpu.args },
      { program: 'ocihook-ldconfig', args: ldconfig.args },
    ],
    others: [hookDigest(ldconfig.args)],
  });
});

test('a precreate filter is no hook of a stage', () => {
  const filter = { ...gpu, args: ['ocihook-gpu', 'precreate'] };
  expect(planHookRun({ createContainer: [mount, filter, ldconfig] }, own(mount), programOf)).toEqual({
    alone: 'no hook of the installation follows it',
  });
});

test('a hook relayed to a hook server ends the run: the server runs it, once, and a run goes on only after it', () => {
  // A hook the relay filter did not relay (its path a link to bin/<program>, say) may come before
  // one it did: the first runs alone, the relayed one is asked of its server.
  const relayed = {
    ...gpu,
    args: ['ocihook-gpu', '--ocihooks-relay=/run/ocihooks/hook-servers/1-2.sock', ...gpu.args.slice(1)],
  };
  const stages = { createContainer: [mount, relayed, ldconfig, mount2] };
  expect(planHookRun(stages, own(mount), programOf)).toEqual({ alone: 'no hook of the installation follows it' });
  expect(planHookRun({ createContainer: [mount, ldconfig, relayed] }, own(mount), programOf)).toEqual({
    hooks: [
      { program: 'ocihook-mount', args: mount.args },
      { program: 'ocihook-ldconfig', args: ldconfig.args },
    ],
    others: [hookDigest(ldconfig.args)],
  });
  // The wrapper's relayed chains and an early create's slots are such hooks too.
  const slot = { ...mount, args: ['ocihook-chain', '--ocihooks-relay=/run/x.sock', '--ocihooks-slot=createContainer'] };
  expect(planHookRun({ createContainer: [ldconfig, slot] }, own(ldconfig), programOf)).toEqual({
    alone: 'no hook of the installation follows it',
  });
  expect(planHookRun(stages, own(ldconfig), programOf)).toEqual({
    hooks: [
      { program: 'ocihook-ldconfig', args: ldconfig.args },
      { program: 'ocihook-mount', args: mount2.args },
    ],
    others: [hookDigest(mount2.args)],
  });
});

test('env lists: each its own; after a first with one, the run stops at a hook without one', () => {
  const withEnv = { ...mount, env: ['LDCONFIG_PATH=/sbin/ldconfig'] };
  const gpuEnv = { ...gpu, env: ['A=1'] };
  expect(
    planHookRun(
      { createContainer: [withEnv, gpuEnv, ldconfig] },
      own(withEnv, { LDCONFIG_PATH: '/sbin/ldconfig' }),
      programOf,
    ),
  ).toEqual({
    hooks: [
      { program: 'ocihook-mount', args: mount.args, env: withEnv.env },
      { program: 'ocihook-gpu', args: gpu.args, env: gpuEnv.env },
    ],
    others: [hookDigest(gpu.args)],
  });
  // A first without one: the runtime's environment is its own, so any hook may follow.
  expect(planHookRun({ createContainer: [mount, gpuEnv, ldconfig] }, own(mount), programOf)).toMatchObject({
    others: [hookDigest(gpu.args), hookDigest(ldconfig.args)],
  });
});

test.each([
  ['not in config.json (run by hand)', { createContainer: [gpu, ldconfig] }, own(mount), 'it is not in config.json'],
  [
    'there twice (which one is unknown)',
    { createRuntime: [mount, gpu], createContainer: [mount, ldconfig] },
    own(mount),
    'it is in config.json more than once',
  ],
  [
    "another env list than the entry's",
    { createContainer: [{ ...mount, env: ['A=1'] }, gpu] },
    own(mount, { A: '2' }),
    'it is not in config.json',
  ],
  ['the last of its stage', { createContainer: [gpu, mount] }, own(mount), 'no hook of the installation follows it'],
])('alone: %s', (_name, stages, me, alone) => expect(planHookRun(stages, me, programOf)).toEqual({ alone }));
