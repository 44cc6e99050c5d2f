/**
 * The GPU hook's two modes, offline: CDI specs (validated as the hook loads them) against a fake
 * container and a host made of a table. createContainer plans and precreate configs are compared
 * with golden files (testdata/); refusals with their exact line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OciConfig } from '../core/oci';
import { Registry, ResolvedDevice, loadSpecFile, resolveDevices } from '../cdi/registry';
import { CdiSpec, validateCdiSpec } from '../cdi/spec';
import { UsageError } from '../core/errors';
import { DIR, FILE, chr, expectGolden, fakeContainer, failureOf, fakeHost } from '../../test/support/offline';
import { planGpuCreateContainer } from './plan';
import { editConfigForPrecreate } from './precreate';
import { selectDevices } from './registry';

const host = fakeHost({
  '/dev/nvidiactl': chr(195, 255),
  '/dev/nvidia-uvm': chr(510, 0),
  '/dev/nvidia0': chr(195, 0),
  '/dev/nvidia1': chr(195, 1),
  '/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06': FILE,
  '/usr/bin/nvidia-smi': FILE,
  '/run/nvidia-persistenced': DIR,
  '/usr/local/libexec/ocihooks/bin/ocihook-ldconfig': FILE,
});

const nvidiaSpec = validateCdiSpec(
  {
    cdiVersion: '0.7.0',
    kind: 'nvidia.com/gpu',
    devices: [
      { name: '0', containerEdits: { deviceNodes: [{ path: '/dev/nvidia0' }] } },
      { name: '1', containerEdits: { deviceNodes: [{ path: '/dev/nvidia1', fileMode: 0o660, gid: 44 }] } },
      {
        name: 'all',
        containerEdits: { deviceNodes: [{ path: '/dev/nvidia0' }, { path: '/dev/nvidia1', fileMode: 0o660, gid: 44 }] },
      },
    ],
    containerEdits: {
      env: ['NVIDIA_VISIBLE_DEVICES=void'],
      deviceNodes: [{ path: '/dev/nvidiactl' }, { path: '/dev/nvidia-uvm', permissions: 'rw' }],
      mounts: [
        {
          hostPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06',
          containerPath: '/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06',
          options: ['ro', 'nosuid', 'nodev', 'bind'],
        },
        { hostPath: '/usr/bin/nvidia-smi', containerPath: '/usr/bin/nvidia-smi', options: ['ro', 'bind'] },
        { hostPath: '/run/nvidia-persistenced', containerPath: '/run/nvidia-persistenced', options: ['bind'] },
        { hostPath: '/dev/shm', containerPath: '/run/nvidia-scratch', type: 'tmpfs', options: ['size=1m'] },
      ],
      hooks: [
        {
          hookName: 'createContainer',
          path: '/usr/local/libexec/ocihooks/bin/ocihook-ldconfig',
          args: ['ocihook-ldconfig', '--folder=/usr/lib/x86_64-linux-gnu'],
        },
        {
          hookName: 'prestart',
          path: '/usr/local/libexec/ocihooks/bin/ocihook-ldconfig',
          args: ['ocihook-ldconfig'],
          timeout: 5,
        },
      ],
      additionalGids: [44],
    },
  },
  '/etc/cdi/nvidia.json',
);

/** A device node the host does not have, fully described: created with mknod. */
const extraSpec = validateCdiSpec(
  {
    cdiVersion: '0.6.0',
    kind: 'example.com/dev',
    devices: [
      {
        name: 'x',
        containerEdits: {
          deviceNodes: [{ path: '/dev/example', type: 'c', major: 240, minor: 7, fileMode: 0o600, uid: 1000 }],
        },
      },
    ],
  },
  '/etc/cdi/example.yaml',
);

function registryOf(...specs: CdiSpec[]): Registry {
  const devices = new Map<string, ResolvedDevice>();
  for (const spec of specs)
    for (const device of spec.devices)
      devices.set(`${spec.kind}=${device.name}`, { qualifiedName: `${spec.kind}=${device.name}`, spec, device });
  return { specs, devices, problems: [], conflicts: new Map() };
}
const reg = registryOf(nvidiaSpec, extraSpec);

function selection(names: string[]) {
  return { requested: names, devices: resolveDevices(reg, names) };
}

describe('GPU createContainer plans (golden)', () => {
  test.each([
    ['one-gpu', ['nvidia.com/gpu=0']],
    ['two-gpus', ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']],
    ['all', ['nvidia.com/gpu=all']],
    ['mknod-node', ['example.com/dev=x']],
  ])('%s', (name, names) => {
    expectGolden(__filename, `create-${name}`, planGpuCreateContainer(fakeContainer(), selection(names), host));
  });
});

describe('GPU precreate config edits (golden)', () => {
  const config = {
    ociVersion: '1.0.2',
    root: { path: 'rootfs' },
    process: {
      args: ['nvidia-smi'],
      env: ['PATH=/usr/bin', 'NVIDIA_VISIBLE_DEVICES=all'],
      user: { uid: 1000, gid: 1000, additionalGids: [10] },
    },
    mounts: [{ destination: '/usr/bin/nvidia-smi', source: '/tmp/old', type: 'bind', options: ['rbind'] }],
    linux: {
      devices: [{ path: '/dev/nvidia0', type: 'c', major: 1, minor: 1 }],
      resources: { devices: [{ allow: false, access: 'rwm' }] },
    },
    hooks: { prestart: [{ path: '/bin/true' }] },
  };
  test.each([
    ['one-gpu', ['nvidia.com/gpu=0']],
    ['two-gpus', ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']],
  ])('%s', (name, names) => {
    const before = structuredClone(config);
    expectGolden(__filename, `precreate-${name}`, editConfigForPrecreate(config, selection(names), host));
    expect(config).toEqual(before); // the input is not edited in place
  });
});

test("precreate on a config whose hooks are chains of ours already (the wrapper chains what it matched first): the spec's hooks in them are not added again", () => {
  const bin = '/usr/local/libexec/ocihooks/bin';
  const chain = (...args: string[][]) => ({
    path: `${bin}/ocihook-mount`,
    args: [
      'ocihook-chain',
      `--ocihooks-chain=${JSON.stringify(args.map((a) => ({ program: 'ocihook-ldconfig', args: a })))}`,
    ],
  });
  const hooks = {
    createContainer: [chain(['ocihook-ldconfig', '--folder=/usr/lib/x86_64-linux-gnu'])],
    prestart: [chain(['ocihook-ldconfig'], ['ocihook-ldconfig', '--folder=/opt'])],
  };
  const config = { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'] }, hooks };
  const out = editConfigForPrecreate(config, selection(['nvidia.com/gpu=0']), host) as { hooks: object };
  expect(out.hooks).toEqual(hooks);
  // A chain of other hooks: the spec's are added after it.
  const other = { createContainer: [chain(['ocihook-ldconfig', '--folder=/opt'])] };
  const added = editConfigForPrecreate({ ...config, hooks: other }, selection(['nvidia.com/gpu=0']), host) as {
    hooks: { createContainer: object[] };
  };
  expect(added.hooks.createContainer).toEqual([
    ...other.createContainer,
    { path: `${bin}/ocihook-ldconfig`, args: ['ocihook-ldconfig', '--folder=/usr/lib/x86_64-linux-gnu'] },
  ]);
});

test("zlayer's fixture (hooks keyed by stage) through precreate: /dev/nvidia0, NVIDIA_VISIBLE_DEVICES=0 and the createContainer hook", () => {
  const zlayer = loadSpecFile(path.join(__dirname, '..', 'cdi', 'testdata', 'zlayer-nvidia.json'));
  const config = { ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['true'], env: ['PATH=/usr/bin'] } };
  const sel = { requested: ['nvidia.com/gpu=0'], devices: resolveDevices(registryOf(zlayer), ['nvidia.com/gpu=0']) };
  // A host without /dev/nvidia0: the spec's type and numbers are enough (the reference's fillMissingInfo).
  expect(editConfigForPrecreate(config, sel, fakeHost({}))).toEqual({
    ...config,
    process: { args: ['true'], env: ['PATH=/usr/bin', 'NVIDIA_VISIBLE_DEVICES=0'] },
    linux: {
      devices: [{ path: '/dev/nvidia0', type: 'c', major: 195, minor: 0 }],
      resources: { devices: [{ allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' }] },
    },
    hooks: {
      createContainer: [
        { path: '/usr/bin/nvidia-container-runtime-hook', args: ['nvidia-container-runtime-hook', 'prestart'] },
      ],
    },
  });
});

test('a device requested twice is given once (the reference appends its edits twice: two cgroup rules, the hooks twice)', () => {
  const log = { info: () => undefined } as unknown as Parameters<typeof selectDevices>[2];
  const twice = selectDevices(
    reg,
    {
      annotations: { 'cdi.k8s.io/a': 'nvidia.com/gpu=0,nvidia.com/gpu=0', 'cdi.k8s.io/b': 'nvidia.com/gpu=0' },
      env: new Map(),
      cliDevices: ['nvidia.com/gpu=0'],
      acceptEnv: false,
    },
    log,
  );
  expect(twice.requested).toEqual(['nvidia.com/gpu=0']);
  const out = editConfigForPrecreate({ ociVersion: '1.0.2', process: { args: ['true'] } }, twice, host);
  expect(
    out.linux.resources.devices.filter((r: { major: number; minor: number }) => r.major === 195 && r.minor === 0),
  ).toEqual([{ allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' }]);
  expect(out.hooks.createContainer).toHaveLength(1);
  expect(out.hooks.prestart).toHaveLength(1);
});

describe("createContainer on a config that already has the devices (the engine's CDI or our precreate applied them)", () => {
  const precreated = JSON.parse(
    fs.readFileSync(path.join(__dirname, 'testdata', 'precreate-one-gpu.json'), 'utf8'),
  ) as Partial<OciConfig>;

  test('the config precreate wrote for gpu=0: nothing to do, nothing deferred', () => {
    const plan = planGpuCreateContainer(fakeContainer(precreated), selection(['nvidia.com/gpu=0']), host);
    expect({ actions: plan.actions, deferred: plan.deferred }).toEqual({ actions: [], deferred: [] });
  });

  test("the config precreate wrote, its hooks since made chains of ours (the wrapper's, a filter's hook server): the spec's hook is not run again", () => {
    const hooks = precreated.hooks as Record<string, { path: string; args?: string[] }[]>;
    const [own] = hooks.createContainer as [{ path: string; args: string[] }];
    const bin = path.dirname(own.path);
    const chain = (args: string[], relay: string[] = [], entry: { path?: string } = {}) => ({
      path: path.join(bin, 'ocihook-mount'),
      args: [
        'ocihook-chain',
        ...relay,
        `--ocihooks-chain=${JSON.stringify([{ program: 'ocihook-ldconfig', args, ...entry }])}`,
      ],
    });
    const plan = (createContainer: object[]) =>
      planGpuCreateContainer(
        fakeContainer({ ...precreated, hooks: { ...hooks, createContainer } } as Partial<OciConfig>),
        selection(['nvidia.com/gpu=0']),
        host,
      ).actions;
    expect(plan([chain(own.args)])).toEqual([]);
    expect(plan([chain(own.args, ['--ocihooks-relay=/run/ocihooks/hook-servers/1.sock'])])).toEqual([]);
    // Another hook in the chain, or one of another installation's bin/: the spec's hook is run.
    const runs = [{ action: 'run-hook', path: own.path, args: own.args, env: [], timeoutMs: 30_000 }];
    expect(plan([chain(['ocihook-ldconfig', '--folder=/opt'])])).toEqual(runs);
    expect(plan([{ ...chain(own.args), path: '/opt/other/bin/ocihook-mount' }])).toEqual(runs);
    // The spec's path reached through a link to another bin/: the chain notes the path config.json named.
    expect(plan([{ ...chain(own.args, [], { path: own.path }), path: '/opt/other/bin/ocihook-mount' }])).toEqual([]);
    // A hook that only looks like a chain is a hook as any other.
    expect(plan([{ path: path.join(bin, 'ocihook-mount'), args: ['ocihook-chain', '--ocihooks-chain=[{'] }])).toEqual(
      runs,
    );
  });

  test('the same config asked for gpu=1 too: only what gpu=1 adds', () => {
    const plan = planGpuCreateContainer(
      fakeContainer(precreated),
      selection(['nvidia.com/gpu=0', 'nvidia.com/gpu=1']),
      host,
    );
    expect({ actions: plan.actions, deferred: plan.deferred }).toEqual({
      actions: [
        {
          action: 'device',
          source: '/dev/nvidia1',
          destination: '/dev/nvidia1',
          type: 'c',
          major: 195,
          minor: 1,
          access: 'rwm',
          node: { fileMode: 0o660, uid: 1000, gid: 44 },
        },
        { action: 'allow-devices', rules: [{ type: 'c', major: 195, minor: 1, access: 'rwm' }] },
      ],
      deferred: [],
    });
  });

  test.each<[string, Partial<OciConfig>, object[]]>([
    [
      'the node without its rule: only the rule',
      { linux: { devices: [{ path: '/dev/x', type: 'c', major: 195, minor: 0 }] } as never },
      [{ action: 'allow-devices', rules: [{ type: 'c', major: 195, minor: 0, access: 'rwm' }] }],
    ],
    [
      'the rule without the node: only the node',
      { linux: { resources: { devices: [{ allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' }] } } },
      [
        {
          action: 'device',
          source: '/dev/nvidia0',
          destination: '/dev/x',
          type: 'c',
          major: 195,
          minor: 0,
          access: 'rwm',
        },
      ],
    ],
    [
      'a node of other numbers at the path: the node and the rule',
      { linux: { devices: [{ path: '/dev/x', type: 'c', major: 195, minor: 7 }] } as never },
      [
        {
          action: 'device',
          source: '/dev/nvidia0',
          destination: '/dev/x',
          type: 'c',
          major: 195,
          minor: 0,
          access: 'rwm',
        },
        { action: 'allow-devices', rules: [{ type: 'c', major: 195, minor: 0, access: 'rwm' }] },
      ],
    ],
    [
      'the mount read-write where the spec says read-only: bound again, read-only',
      {
        linux: {
          devices: [{ path: '/dev/x', type: 'c', major: 195, minor: 0 }],
          resources: { devices: [{ allow: true, type: 'c', major: 195, minor: 0, access: 'rwm' }] },
        } as never,
        mounts: [
          { destination: '/usr/bin/nvidia-smi', type: 'bind', source: '/usr/bin/nvidia-smi', options: ['rbind', 'rw'] },
        ],
      },
      [
        {
          action: 'bind',
          source: '/usr/bin/nvidia-smi',
          destination: '/usr/bin/nvidia-smi',
          kind: 'file',
          readonly: true,
        },
      ],
    ],
  ])('%s', (_name, config, actions) => {
    const registry = registryOf(
      validateCdiSpec(
        {
          cdiVersion: '0.6.0',
          kind: 'acc.example/dev',
          devices: [
            {
              name: 'x',
              containerEdits: {
                deviceNodes: [{ path: '/dev/x', hostPath: '/dev/nvidia0' }],
                ...((config.mounts ?? []).length
                  ? {
                      mounts: [
                        {
                          hostPath: '/usr/bin/nvidia-smi',
                          containerPath: '/usr/bin/nvidia-smi',
                          options: ['ro', 'bind'],
                        },
                      ],
                    }
                  : {}),
              },
            },
          ],
        },
        '/etc/cdi/acc.json',
      ),
    );
    const sel = { requested: ['acc.example/dev=x'], devices: resolveDevices(registry, ['acc.example/dev=x']) };
    expect(planGpuCreateContainer(fakeContainer(config), sel, host).actions).toEqual(actions);
  });
});

describe('GPU refusals', () => {
  const bad = (deviceNodes: object[], mounts: object[] = []) =>
    registryOf(
      validateCdiSpec(
        { cdiVersion: '0.6.0', kind: 'bad.com/gpu', devices: [{ name: 'd', containerEdits: { deviceNodes, mounts } }] },
        '/etc/cdi/bad.json',
      ),
    );
  test.each<[string, Registry, string]>([
    [
      'a node the host has as a file',
      bad([{ path: '/dev/x', hostPath: '/usr/bin/nvidia-smi' }]),
      'CDI device node /dev/x (from bad.com/gpu=d in /etc/cdi/bad.json): failed to stat CDI host device "/usr/bin/nvidia-smi": not a device node',
    ],
    [
      'a missing node without numbers',
      bad([{ path: '/dev/nope' }]),
      'CDI device node /dev/nope (from bad.com/gpu=d in /etc/cdi/bad.json): failed to stat CDI host device "/dev/nope": no such file or directory',
    ],
    [
      'a type the host contradicts',
      bad([{ path: '/dev/nvidia0', type: 'b' }]),
      'CDI device node /dev/nvidia0 (from bad.com/gpu=d in /etc/cdi/bad.json): CDI device ("/dev/nvidia0", "/dev/nvidia0"), host type mismatch (b, c)',
    ],
    [
      'a missing mount source',
      bad([], [{ hostPath: '/opt/nope', containerPath: '/opt/nope' }]),
      'CDI mount /opt/nope (from bad.com/gpu=d in /etc/cdi/bad.json): host path /opt/nope: no such file or directory',
    ],
    [
      'a relative bind source',
      bad([], [{ hostPath: 'opt/x', containerPath: '/opt/x', options: ['bind'] }]),
      'CDI mount /opt/x (from bad.com/gpu=d in /etc/cdi/bad.json): host path "opt/x" is not absolute',
    ],
  ])('%s', (_name, registry, message) => {
    const sel = { requested: ['bad.com/gpu=d'], devices: resolveDevices(registry, ['bad.com/gpu=d']) };
    expect(failureOf(() => planGpuCreateContainer(fakeContainer(), sel, host))).toEqual([UsageError, message]);
  });

  test("a spec's own edit is named by its file alone", () => {
    const registry = registryOf(
      validateCdiSpec(
        {
          cdiVersion: '0.6.0',
          kind: 'bad.com/gpu',
          containerEdits: { mounts: [{ hostPath: '/opt/nope', containerPath: '/opt/nope' }] },
          devices: [{ name: 'd', containerEdits: { env: ['A=1'] } }],
        },
        '/etc/cdi/bad.json',
      ),
    );
    const sel = { requested: ['bad.com/gpu=d'], devices: resolveDevices(registry, ['bad.com/gpu=d']) };
    expect(failureOf(() => planGpuCreateContainer(fakeContainer(), sel, host))).toEqual([
      UsageError,
      'CDI mount /opt/nope (from /etc/cdi/bad.json): host path /opt/nope: no such file or directory',
    ]);
  });

  test('numbers the spec gives win over the host node (the reference keeps a non-zero major): the node is made with mknod', () => {
    const registry = bad([{ path: '/dev/nvidia0', major: 195, minor: 3 }]);
    const plan = planGpuCreateContainer(
      fakeContainer(),
      { requested: ['bad.com/gpu=d'], devices: resolveDevices(registry, ['bad.com/gpu=d']) },
      host,
    );
    expect(plan.actions[0]).toEqual({
      action: 'device',
      source: '/dev/nvidia0',
      destination: '/dev/nvidia0',
      type: 'c',
      major: 195,
      minor: 3,
      access: 'rwm',
      node: { fileMode: 0o666 },
    });
  });

  test('permissions "none": the node, and no cgroup rule; the process user owns nodes that name no owner', () => {
    const registry = bad([
      { path: '/dev/nvidia0', permissions: 'none' },
      { path: '/dev/nvidia1', permissions: 'r', uid: 0 },
    ]);
    const p = fakeContainer({ process: { user: { uid: 1000, gid: 1000 } } as never });
    const plan = planGpuCreateContainer(
      p,
      { requested: ['bad.com/gpu=d'], devices: resolveDevices(registry, ['bad.com/gpu=d']) },
      host,
    );
    expect(plan.actions).toEqual([
      {
        action: 'device',
        source: '/dev/nvidia0',
        destination: '/dev/nvidia0',
        type: 'c',
        major: 195,
        minor: 0,
        access: '',
        node: { fileMode: 0o666, uid: 1000, gid: 1000 },
      },
      {
        action: 'device',
        source: '/dev/nvidia1',
        destination: '/dev/nvidia1',
        type: 'c',
        major: 195,
        minor: 1,
        access: 'r',
        node: { fileMode: 0o666, uid: 0, gid: 1000 },
      },
      { action: 'allow-devices', rules: [{ type: 'c', major: 195, minor: 1, access: 'r' }] },
    ]);
  });

  test.each([
    ['nvidia.com/gpu=7', 'CDI device nvidia.com/gpu=7: unknown (nvidia.com/gpu has 0, 1, all)'],
    ['amd.com/gpu=0', 'CDI device amd.com/gpu=0: unknown (no spec for amd.com/gpu)'],
    [
      'gpu0',
      'annotation cdi.k8s.io/x="gpu0": entry "gpu0" is not a CDI device name (vendor.com/class=name): unqualified device "gpu0", missing vendor',
    ],
  ])('request %s', (name, message) => {
    const log = { info: () => undefined } as unknown as Parameters<typeof selectDevices>[2];
    expect(() =>
      selectDevices(
        reg,
        { annotations: { 'cdi.k8s.io/x': name }, env: new Map(), cliDevices: [], acceptEnv: false },
        log,
      ),
    ).toThrow(new UsageError(message));
  });
});
