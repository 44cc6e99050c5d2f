import { rootlessConfig } from './rootless';

/** config.json as rootless podman 5 hands it to scrun (abridged to what the rewrite reads). */
const PODMAN = {
  ociVersion: '1.2.0',
  process: {
    user: { uid: 0, gid: 0, additionalGids: [0, 10] },
    args: ['sh'],
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }],
  },
  root: { path: '/home/u/.local/share/containers/storage/vfs/dir/abc' },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'gid=5', 'mode=620', 'ptmxmode=666'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['uid=1000', 'gid=1000', 'size=65536k'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'ro'] },
  ],
  hooks: { prestart: [{ path: '/usr/libexec/podman/netns' }], createRuntime: [{ path: '/x' }] },
  annotations: { 'com.hooks.slurm.activate': 'true', 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
  linux: {
    namespaces: [{ type: 'mount' }, { type: 'user', path: '/proc/42/ns/user' }, { type: 'pid' }],
    uidMappings: [{ containerID: 0, hostID: 1, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 1, size: 65536 }],
    cgroupsPath: 'user.slice:libpod:abc',
    resources: { pids: { limit: 2048 } },
    sysctl: { 'net.ipv4.ping_group_range': '0 0' },
  },
};

test("rootless podman's config: the user mapped to the process's ids, no cgroup, rlimit, prestart or uid/gid settings; annotations and the rest kept", () => {
  expect(
    rootlessConfig(PODMAN, { uid: 1001, gid: 1002, rootPath: '/home/u/.local/share/containers/storage/vfs/dir/abc' }),
  ).toEqual({
    ociVersion: '1.2.0',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'] },
    root: { path: '/home/u/.local/share/containers/storage/vfs/dir/abc' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'mode=620', 'ptmxmode=666'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['size=65536k'] },
    ],
    hooks: { createRuntime: [{ path: '/x' }] },
    annotations: { 'com.hooks.slurm.activate': 'true', 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' },
    linux: {
      namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'user' }],
      uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1002, size: 1 }],
      sysctl: { 'net.ipv4.ping_group_range': '0 0' },
    },
  });
});

test('the input is not changed', () => {
  const before = JSON.stringify(PODMAN);
  rootlessConfig(PODMAN, { uid: 1, gid: 1, rootPath: '/r' });
  expect(JSON.stringify(PODMAN)).toBe(before);
});

test.each([
  [
    'an image USER: its ids are the ones mapped',
    { process: { user: { uid: 1000, gid: 100 } }, root: { path: 'rootfs' } },
    {
      process: { user: { uid: 1000, gid: 100 } },
      root: { path: '/b/rootfs' },
      linux: {
        namespaces: [{ type: 'user' }],
        uidMappings: [{ containerID: 1000, hostID: 1001, size: 1 }],
        gidMappings: [{ containerID: 100, hostID: 1001, size: 1 }],
      },
    },
  ],
  [
    'no process user, no linux section, only prestart hooks: root mapped, no hooks left',
    { root: { path: '/abs', readonly: true }, hooks: { prestart: [{ path: '/n' }] } },
    {
      root: { path: '/b/rootfs', readonly: true },
      process: { user: { uid: 0, gid: 0 } },
      linux: {
        namespaces: [{ type: 'user' }],
        uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 1001, size: 1 }],
      },
    },
  ],
  [
    'a cgroup2 mount at another place goes too; a mount without options stays as it is',
    {
      root: { path: 'r' },
      mounts: [
        { destination: '/cg', type: 'cgroup2', source: 'cgroup2' },
        { destination: '/data', type: 'bind', source: '/data' },
      ],
    },
    {
      root: { path: '/b/rootfs' },
      process: { user: { uid: 0, gid: 0 } },
      mounts: [{ destination: '/data', type: 'bind', source: '/data' }],
      linux: {
        namespaces: [{ type: 'user' }],
        uidMappings: [{ containerID: 0, hostID: 1001, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 1001, size: 1 }],
      },
    },
  ],
])('%s', (_name, config, expected) => {
  expect(rootlessConfig(config, { uid: 1001, gid: 1001, rootPath: '/b/rootfs' })).toEqual(expected);
});
