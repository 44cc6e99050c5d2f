/**
 * Kept precreate edits: the launcher's way of applying them (replayKeptEdits, each expected config
 * written out by hand), which edits of the CDI reference's application it can stand for
 * (keptEditsOf), and the entry's encoding. The launcher's C against the Node filter, on real
 * configs and specs: test/e2e/kept-precreate.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Json } from '../core/json';
import { tmpDir } from '../../test/support/e2e';
import { chr, fakeHost } from '../../test/support/offline';
import { applyContainerEdits } from '../cdi/apply';
import { type ContainerEdits, emptyEdits } from '../cdi/edits';
import {
  type KeptEdits,
  entryBytes,
  entryName,
  keptEditsOf,
  pruneEntries,
  readRecords,
  replayKeptEdits,
} from './kept-edits';

const none: KeptEdits = { env: [], set: [], mounts: [], hooks: [], leave: [], busy: [] };
const k = (o: Partial<KeptEdits>): KeptEdits => ({ ...none, ...o });
const q = JSON.stringify;
const hook = (p: string, ...args: string[]) => ({ path: p, args: [p, ...args] });

describe('the launcher applying kept edits (replayKeptEdits)', () => {
  test.each<[string, Json, KeptEdits, Json | undefined]>([
    [
      "env: the config's last entry of a name replaced in its place, a new name appended",
      { process: { env: ['A=1', 'NVIDIA_VISIBLE_DEVICES=all', 'B=2', 'NVIDIA_VISIBLE_DEVICES=0'] } },
      k({
        env: [
          { name: 'NVIDIA_VISIBLE_DEVICES', value: q('NVIDIA_VISIBLE_DEVICES=void') },
          { name: 'C', value: q('C=3') },
        ],
      }),
      { process: { env: ['A=1', 'NVIDIA_VISIBLE_DEVICES=all', 'B=2', 'NVIDIA_VISIBLE_DEVICES=void', 'C=3'] } },
    ],
    [
      'env without a list to edit: not applied',
      { process: {} },
      k({ env: [{ name: 'C', value: q('C=3') }] }),
      undefined,
    ],
    [
      "a member's whole value replaced, or added to its parent",
      { process: { user: { uid: 0, gid: 0 } }, linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } } },
      k({
        set: [
          { member: 'process.user', value: q({ uid: 0, gid: 0, additionalGids: [44] }) },
          { member: 'linux.devices', value: q([{ path: '/dev/x', type: 'c', major: 1, minor: 3 }]) },
          { member: 'linux.resources.devices', value: q([{ allow: false, access: 'rwm' }, { allow: true }]) },
        ],
      }),
      {
        process: { user: { uid: 0, gid: 0, additionalGids: [44] } },
        linux: {
          devices: [{ path: '/dev/x', type: 'c', major: 1, minor: 3 }],
          resources: { devices: [{ allow: false, access: 'rwm' }, { allow: true }] },
        },
      },
    ],
    [
      'a member whose parent is missing: not applied',
      { linux: {} },
      k({ set: [{ member: 'linux.resources.devices', value: '[]' }] }),
      undefined,
    ],
    [
      'mounts: appended, then all sorted by depth, stably (the config first at each depth)',
      { mounts: [{ destination: '/a/b' }, { destination: '/proc' }, { destination: '/d' }] },
      k({
        mounts: [
          { depth: 1, destination: '/e', value: q({ destination: '/e' }) },
          { depth: 2, destination: '/f/g', value: q({ destination: '/f/g' }) },
          { depth: 3, destination: '/h/i/j', value: q({ destination: '/h/i/j' }) },
        ],
      }),
      {
        mounts: [
          { destination: '/proc' },
          { destination: '/d' },
          { destination: '/e' },
          { destination: '/a/b' },
          { destination: '/f/g' },
          { destination: '/h/i/j' },
        ],
      },
    ],
    ...['rel', '/c/../d', '/e/', '/a//b', '/.'].map((destination): [string, Json, KeptEdits, Json | undefined] => [
      `a config mount destination not written clean (${destination}): not applied (the launcher compares bytes)`,
      { mounts: [{ destination }] },
      k({ mounts: [{ depth: 1, destination: '/e', value: q({ destination: '/e' }) }] }),
      undefined,
    ]),
    [
      'a mount destination the config has: not applied',
      { mounts: [{ destination: '/e', source: '/other' }] },
      k({ mounts: [{ depth: 1, destination: '/e', value: q({ destination: '/e' }) }] }),
      undefined,
    ],
    [
      "hooks: after the stage's own, a new stage, a hooks member made",
      { hooks: { createContainer: [hook('/site')] } },
      k({
        hooks: [
          { stage: 'createContainer', value: q(hook('/bin/x', 'one')) },
          { stage: 'createRuntime', value: q(hook('/bin/x', 'two')) },
          { stage: 'createContainer', value: q(hook('/bin/x', 'three')) },
        ],
        busy: ['/bin/x'],
      }),
      {
        hooks: {
          createContainer: [hook('/site'), hook('/bin/x', 'one'), hook('/bin/x', 'three')],
          createRuntime: [hook('/bin/x', 'two')],
        },
      },
    ],
    [
      'no hooks member: one made',
      {},
      k({ hooks: [{ stage: 'prestart', value: q(hook('/p')) }] }),
      { hooks: { prestart: [hook('/p')] } },
    ],
    [
      'a hook left out: the first of its stage written so; a busy path is allowed there alone',
      {
        hooks: {
          createContainer: [hook('/site'), hook('/bin/ocihook-gpu', '--x'), hook('/bin/ocihook-gpu', '--x')],
        },
      },
      k({
        leave: [
          { stage: 'createContainer', value: q(hook('/bin/ocihook-gpu', '--x')) },
          { stage: 'createContainer', value: q(hook('/bin/ocihook-gpu', '--x')) },
        ],
        hooks: [{ stage: 'createContainer', value: q(hook('/bin/ocihook-gpu', 'update-ldcache')) }],
        busy: ['/bin/ocihook-gpu'],
      }),
      { hooks: { createContainer: [hook('/site'), hook('/bin/ocihook-gpu', 'update-ldcache')] } },
    ],
    [
      'a hook to leave out that the config does not have: not applied',
      { hooks: { createContainer: [hook('/bin/ocihook-gpu', '--y')] } },
      k({ leave: [{ stage: 'createContainer', value: q(hook('/bin/ocihook-gpu', '--x')) }] }),
      undefined,
    ],
    [
      'a busy path in a hook not left out: not applied',
      { hooks: { createContainer: [hook('/bin/ocihook-gpu', '--x'), hook('/bin/ocihook-gpu', '--y')] } },
      k({
        leave: [{ stage: 'createContainer', value: q(hook('/bin/ocihook-gpu', '--x')) }],
        busy: ['/bin/ocihook-gpu'],
      }),
      undefined,
    ],
    [
      'a busy hook path in any stage: not applied',
      { hooks: { poststop: [hook('/bin/ocihook-gpu')] } },
      k({ busy: ['/bin/ocihook-gpu'] }),
      undefined,
    ],
  ])('%s', (_name, input, kept, expected) => {
    const before = structuredClone(input);
    expect(replayKeptEdits(input, kept)).toEqual(expected);
    expect(input).toEqual(before);
  });
});

describe('which edits can be kept (keptEditsOf)', () => {
  const host = fakeHost({ '/dev/nvidia0': chr(195, 0, 0o666) });
  const e = (o: Partial<ContainerEdits>): ContainerEdits => ({ ...emptyEdits(), ...o });
  const podmanLike = (extra: Json = {}): Json => ({
    process: { user: { uid: 1000, gid: 1000 }, env: ['PATH=/bin', 'NVIDIA_VISIBLE_DEVICES=all'] },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
    ],
    linux: { resources: { devices: [{ allow: false, access: 'rwm' }] }, namespaces: [{ type: 'mount' }] },
    hooks: { createContainer: [hook('/site')] },
    ...extra,
  });
  const gpu = e({
    env: ['NVIDIA_VISIBLE_DEVICES=void', 'X=1', 'X=2'],
    deviceNodes: [{ path: '/dev/nvidia0' }],
    mounts: [{ hostPath: '/lib/libcuda.so', containerPath: '/usr/lib/libcuda.so', options: ['ro', 'bind'] }],
    hooks: [{ hookName: 'createContainer', path: '/bin/ocihook-gpu', args: ['ocihook-gpu', 'update-ldcache'] }],
  });
  const busy = ['/prefix/bin/ocihook-gpu', '/bin/ocihook-gpu'];

  test("a GPU's edits on a podman config: each kind as the launcher applies it", () => {
    const input = podmanLike();
    const kept = keptEditsOf(input, applyContainerEdits(input, gpu, host), gpu, busy);
    expect(kept).toEqual({
      env: [
        { name: 'NVIDIA_VISIBLE_DEVICES', value: '"NVIDIA_VISIBLE_DEVICES=void"' },
        { name: 'X', value: '"X=2"' },
      ],
      set: [
        {
          member: 'linux.devices',
          value: '[{"path":"/dev/nvidia0","type":"c","major":195,"minor":0,"fileMode":438,"uid":1000,"gid":1000}]',
        },
        {
          member: 'linux.resources.devices',
          value: '[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":195,"minor":0,"access":"rwm"}]',
        },
      ],
      mounts: [
        {
          depth: 3,
          destination: '/usr/lib/libcuda.so',
          value: '{"destination":"/usr/lib/libcuda.so","source":"/lib/libcuda.so","options":["ro","bind"]}',
        },
      ],
      hooks: [
        { stage: 'createContainer', value: '{"path":"/bin/ocihook-gpu","args":["ocihook-gpu","update-ldcache"]}' },
      ],
      leave: [],
      busy,
    });
  });

  test('with a user namespace: the mount as the reference makes it there (idmap)', () => {
    const input = podmanLike({ linux: { namespaces: [{ type: 'user' }], resources: { devices: [] } } });
    const kept = keptEditsOf(input, applyContainerEdits(input, gpu, host), gpu, busy);
    expect(kept?.mounts.map((m) => JSON.parse(m.value).options)).toEqual([['ro', 'bind', 'idmap']]);
  });

  test("a gid where the config's process has no user: the user the reference makes, added to process", () => {
    const input = { ...podmanLike(), process: { env: [] } };
    const gids = e({ additionalGids: [44] });
    const kept = keptEditsOf(input, applyContainerEdits(input, gids, host), gids, busy);
    expect(kept?.set).toEqual([{ member: 'process.user', value: '{"uid":0,"gid":0,"additionalGids":[44]}' }]);
  });

  test("the installation's createContainer GPU hook the filter left out: kept as a hook to leave out", () => {
    const own = { path: '/prefix/bin/ocihook-gpu', args: ['ocihook-gpu', '--cdi-spec-dir=/etc/cdi'] };
    const input = podmanLike({ hooks: { createContainer: [hook('/site'), own] } });
    const edited = applyContainerEdits(input, gpu, host);
    const stage = edited.hooks.createContainer.filter((h: Json) => h.path !== own.path);
    const planned = { ...edited, hooks: { createContainer: stage } };
    const kept = keptEditsOf(input, planned, gpu, busy, [{ stage: 'createContainer', hook: own }]);
    expect(kept && { leave: kept.leave, hooks: kept.hooks }).toEqual({
      leave: [
        {
          stage: 'createContainer',
          value: '{"path":"/prefix/bin/ocihook-gpu","args":["ocihook-gpu","--cdi-spec-dir=/etc/cdi"]}',
        },
      ],
      hooks: [
        { stage: 'createContainer', value: '{"path":"/bin/ocihook-gpu","args":["ocihook-gpu","update-ldcache"]}' },
      ],
    });
    // Without it named, the hook with the installation's path stands in the way.
    expect(keptEditsOf(input, planned, gpu, busy)).toBeUndefined();
  });

  test('nothing selected: kept, with no edits', () => {
    const input = podmanLike();
    expect(keptEditsOf(input, input, e({}), busy)).toEqual({ ...none, busy });
  });

  test.each<[string, Json, ContainerEdits]>([
    [
      'a net device (the launcher makes none)',
      podmanLike(),
      e({ netDevices: [{ hostInterfaceName: 'eth1', name: 'n' }] }),
    ],
    ['intelRdt', podmanLike(), e({ intelRdt: { closID: 'c' } })],
    [
      'env into a config without an env list',
      { ...podmanLike(), process: { user: { uid: 0, gid: 0 } } },
      e({ env: ['A=1'] }),
    ],
    [
      'a device where the config has no linux member',
      { ...podmanLike(), linux: undefined },
      e({ deviceNodes: [{ path: '/dev/nvidia0' }] }),
    ],
    [
      'a gid where the config has no process member',
      { ...podmanLike(), process: undefined },
      e({ additionalGids: [44] }),
    ],
    [
      "a spec hook the config's hooks have already",
      podmanLike({
        hooks: { createContainer: [{ path: '/bin/ocihook-gpu', args: ['ocihook-gpu', 'update-ldcache'] }] },
      }),
      gpu,
    ],
    [
      "a mount at a destination the config's mounts have",
      podmanLike({ mounts: [{ destination: '/usr/lib/libcuda.so', source: '/elsewhere' }] }),
      gpu,
    ],
    [
      // The plan skips it (the reference's hasMountEntry): a config of the same key without it would need it.
      "the spec's mount, the same, in the config's mounts already",
      podmanLike({
        mounts: [{ destination: '/usr/lib/libcuda.so', source: '/lib/libcuda.so', options: ['ro', 'bind'] }],
      }),
      gpu,
    ],
    [
      "the spec's mount in the config's mounts already, its destination written otherwise",
      podmanLike({
        mounts: [{ destination: '/usr/lib//libcuda.so/', source: '/lib/libcuda.so', options: ['ro', 'bind'] }],
      }),
      gpu,
    ],
    [
      'a spec mount whose destination is not written clean (the launcher compares bytes)',
      podmanLike(),
      e({ mounts: [{ hostPath: '/lib/libcuda.so', containerPath: '/usr/lib/./libcuda.so' }] }),
    ],
  ])('not kept: %s', (_name, input, edits) => {
    expect(keptEditsOf(input, applyContainerEdits(input, edits, host), edits, busy)).toBeUndefined();
  });
});

describe("the entry's encoding", () => {
  test.each([
    // FNV-1a 64's published test vectors (Fowler, Noll and Vo's reference).
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('the file name of a key %j: FNV-1a 64 %s', (key, name) => {
    expect(entryName(Buffer.from(key))).toBe(name);
  });

  test('records of any bytes, read back as written', () => {
    const key = Buffer.from('build 3\nabc\narg 2\n\n\n\n');
    const text = Buffer.from([0, 10, 255, 32]);
    const bytes = entryBytes(
      key,
      [
        { dir: '/etc/cdi', names: [{ name: 'a.json', text }, { name: 'README' }] },
        { dir: '/var/run/cdi', missing: true },
      ],
      { nodes: new Map([['/dev/nvidia0', 'c 195 0 438']]), paths: new Map([['/lib/libcuda.so', 'file']]) },
      k({ env: [{ name: 'A', value: '"A=1"' }], busy: ['/b'] }),
      { file: '/var/log/x.log', lines: ['{"time":"\x01","pid":\x02}\n', 'two\n'] },
    );
    expect(bytes.subarray(0, 26).toString()).toBe('ocihooks kept precreate 2\n');
    expect(readRecords(bytes.subarray(26)).map((r) => [r.tag, r.value.toString('latin1')])).toEqual([
      ['key', key.toString()],
      ['dir', '/etc/cdi'],
      ['name', 'a.json'],
      ['text', text.toString('latin1')],
      ['name', 'README'],
      ['no-dir', '/var/run/cdi'],
      ['node', '/dev/nvidia0'],
      ['stat', 'c 195 0 438'],
      ['path', '/lib/libcuda.so'],
      ['kind', 'file'],
      ['env', 'A'],
      ['value', '"A=1"'],
      ['busy', '/b'],
      ['log', '/var/log/x.log'],
      ['line', '{"time":"\x01","pid":\x02}\n'],
      ['line', 'two\n'],
      ['end', ''],
    ]);
    // No records written: no log record in the entry.
    const quiet = entryBytes(key, [], { nodes: new Map(), paths: new Map() }, k({}));
    expect(readRecords(quiet.subarray(26)).map((r) => r.tag)).toEqual(['key', 'end']);
  });

  test.each([
    ['no length', 'key\n'],
    ['shorter than its length', 'key 5\nab\n'],
    ['no newline after the bytes', 'key 2\nabc'],
  ])('a record with %s: an error', (_name, text) => {
    expect(() => readRecords(Buffer.from(text))).toThrow(/record at byte 0/);
  });
});

describe('the folder of entries', () => {
  test('pruned to the ones used last: the oldest modification times go first', () => {
    const dir = tmpDir('kept-prune');
    try {
      ['a', 'b', 'c', 'd'].forEach((name, i) => {
        fs.writeFileSync(path.join(dir, name), name);
        fs.utimesSync(path.join(dir, name), 1000 + i, 1000 + [3, 1, 4, 2][i]!);
      });
      pruneEntries(dir, 4);
      expect(fs.readdirSync(dir).sort()).toEqual(['a', 'b', 'c', 'd']);
      pruneEntries(dir, 2);
      expect(fs.readdirSync(dir).sort()).toEqual(['a', 'c']);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
