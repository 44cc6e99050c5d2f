/**
 * Which createContainer GPU hooks a precreate filter leaves out of the config it wrote: only the
 * installation's ocihook-gpu in its createContainer mode whose own options find nothing left to do.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Json } from '../core/json';
import { Logger } from '../hook/log';
import { parseArgs } from '../hook/program/options';
import { chr, fakeHost, fakeInstallationBin, FILE } from '../../test/support/offline';
import { GPU_SPEC, type GpuArgs, registryOf } from './arguments';
import { editConfigForPrecreate } from './precreate';
import { selectDevices } from './registry';
import { withoutSettledGpuHooks } from './settled-hooks';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-settled-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const bin = fakeInstallationBin(dir);
const otherBin = path.join(dir, 'other-bin');
fs.mkdirSync(otherBin);
fs.writeFileSync(path.join(otherBin, 'ocihook-gpu'), '#!/bin/sh\n', { mode: 0o755 });
fs.symlinkSync(path.join(bin, 'ocihook-gpu'), path.join(otherBin, 'gpu-link'));

/** A spec folder holding `spec`. */
function specDir(name: string, spec: object): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'fake.json'), JSON.stringify(spec));
  return d;
}
const spec = {
  cdiVersion: '0.6.0',
  kind: 'example.com/gpu',
  devices: [
    { name: '0', containerEdits: { deviceNodes: [{ path: '/dev/fake0', type: 'c', major: 240, minor: 0 }] } },
    { name: '1', containerEdits: { deviceNodes: [{ path: '/dev/fake1', type: 'c', major: 240, minor: 1 }] } },
  ],
  containerEdits: {
    env: ['FAKE=1'],
    mounts: [{ hostPath: '/opt/fake/libfake.so', containerPath: '/usr/lib/libfake.so', options: ['ro', 'bind'] }],
    hooks: [
      {
        hookName: 'createContainer',
        path: path.join(bin, 'ocihook-gpu'),
        args: ['ocihook-gpu', 'update-ldcache', '--folder', '/usr/lib'],
      },
    ],
  },
};
const cdi = specDir('cdi', spec);
const sameElsewhere = specDir('cdi-same', spec);
const more = specDir('cdi-more', {
  ...spec,
  containerEdits: { ...spec.containerEdits, env: [...spec.containerEdits.env, 'MORE=1'] },
});
const host = fakeHost({ '/dev/fake0': chr(240, 0), '/dev/fake1': chr(240, 1), '/opt/fake/libfake.so': FILE });
const quiet = new Logger('silent', undefined);
const argsOf = (argv: string[]) => parseArgs<GpuArgs>(GPU_SPEC, argv, { stdout: () => undefined }) as GpuArgs;

/** The filter (its own options) and the config it writes for gpu=0, with `createContainer` as podman put it before. */
function filtered(
  createContainer: object[],
  annotations: Record<string, string> = { 'cdi.k8s.io/gpu': 'example.com/gpu=0' },
) {
  const args = argsOf([`--cdi-spec-dir=${cdi}`, '--cdi-cache-dir=none']);
  const reg = registryOf(args, quiet);
  const proposed = {
    ociVersion: '1.0.2',
    root: { path: 'rootfs' },
    process: { args: ['true'], env: ['PATH=/bin'] },
    annotations,
    hooks: { createContainer },
  };
  const sel = selectDevices(reg, { annotations, env: new Map(), cliDevices: [], acceptEnv: false }, quiet);
  const edited = editConfigForPrecreate(proposed, sel, host);
  return withoutSettledGpuHooks(edited, { binDir: bin, host, filter: { args, reg } }, quiet) as {
    hooks: { createContainer: Json[] };
  };
}

const gpuHook = (args: string[], more: object = {}) => ({
  path: path.join(bin, 'ocihook-gpu'),
  args: ['ocihook-gpu', ...args],
  timeout: 30,
  ...more,
});
const site = { path: '/usr/libexec/site-hook', args: ['site-hook'] };
/** The spec's hook, which precreate appends to the stage. */
const specHook = { path: spec.containerEdits.hooks[0]?.path, args: spec.containerEdits.hooks[0]?.args };

test.each([
  ['the same options as the filter', [`--cdi-spec-dir=${cdi}`, '--cdi-cache-dir=none']],
  [
    'its own log file and level',
    [`--cdi-spec-dir=${cdi}`, '--cdi-cache-dir=none', `--log-file=${dir}/gpu.log`, '--log-level=debug'],
  ],
  ['another folder with the same spec (read apart)', [`--cdi-spec-dir=${sameElsewhere}`, '--cdi-cache-dir=none']],
  ['--device naming the device the annotation asks for', [`--cdi-spec-dir=${cdi}`, '--device=example.com/gpu=0']],
])('left out, nothing left to do: %s', (_name, args) => {
  expect(filtered([site, gpuHook(args)]).hooks.createContainer).toEqual([site, specHook]);
});

test.each([
  ['another device by --device', gpuHook([`--cdi-spec-dir=${cdi}`, '--device=example.com/gpu=1'])],
  ['a spec folder whose spec adds more (env needs precreate)', gpuHook([`--cdi-spec-dir=${more}`])],
  ['its own env', gpuHook([`--cdi-spec-dir=${cdi}`], { env: ['PATH=/bin'] })],
  ['--dry-run (its output is asked for)', gpuHook([`--cdi-spec-dir=${cdi}`, '--dry-run'])],
  ['an option the program refuses', gpuHook([`--cdi-spec-dir=${cdi}`, '--no-such-option'])],
  ['a relative spec folder (the program refuses it)', gpuHook(['--cdi-spec-dir=cdi'])],
  ["NVIDIA's subcommand", gpuHook(['update-ldcache', '--folder', '/usr/lib'])],
  ["nvidia-ctk's form (`hook` first)", gpuHook(['hook', 'update-ldcache'])],
  [
    'ocihook-gpu of another installation',
    { ...gpuHook([`--cdi-spec-dir=${cdi}`]), path: path.join(otherBin, 'ocihook-gpu') },
  ],
  ['another program of the installation', { path: path.join(bin, 'ocihook-ldconfig'), args: ['ocihook-ldconfig'] }],
])('stays: %s', (_name, hook) => {
  expect(filtered([hook]).hooks.createContainer).toEqual([hook, specHook]);
});

test("a link to the installation's ocihook-gpu is that program: left out", () => {
  const linked = { ...gpuHook([`--cdi-spec-dir=${cdi}`]), path: path.join(otherBin, 'gpu-link') };
  expect(filtered([linked]).hooks.createContainer).toEqual([specHook]);
});

test("in a chain of ours (the wrapper's, with no hook server): the chain keeps the others; a relayed chain stays whole", () => {
  const ldconfigEntry = { program: 'ocihook-ldconfig', args: ['ocihook-ldconfig'] };
  const chain = (list: object[], relay: string[] = []) => ({
    path: path.join(bin, 'ocihook-mount'),
    args: ['ocihook-chain', ...relay, `--ocihooks-chain=${JSON.stringify(list)}`],
    timeout: 60,
  });
  const gpuEntry = { program: 'ocihook-gpu', args: ['ocihook-gpu', `--cdi-spec-dir=${cdi}`] };
  expect(filtered([chain([gpuEntry, ldconfigEntry])]).hooks.createContainer).toEqual([
    chain([ldconfigEntry]),
    specHook,
  ]);
  expect(filtered([chain([gpuEntry]), site]).hooks.createContainer).toEqual([site, specHook]);
  // Relayed by the relay filter, which ran first (a hooks.d file named before the GPU filter's):
  // the server it started waits for that chain.
  const relayed = chain([gpuEntry], ['--ocihooks-relay=/run/ocihooks/hook-servers/1.sock']);
  expect(filtered([relayed]).hooks.createContainer).toEqual([relayed, specHook]);
});

test('a config that asks for no device: the filter adds nothing, and the hook would find nothing to do either', () => {
  const hook = gpuHook([`--cdi-spec-dir=${cdi}`]);
  expect(filtered([site, hook], {}).hooks.createContainer).toEqual([site]);
  // Unless its own --device asks for one.
  const asks = gpuHook([`--cdi-spec-dir=${cdi}`, '--device=example.com/gpu=0']);
  expect(filtered([asks], {}).hooks.createContainer).toEqual([asks]);
});
