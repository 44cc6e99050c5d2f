import { CachePlace, RootMount, cachePlace } from './cache-place';

const overlay: RootMount = { fsType: 'overlay', root: '/', options: 'rw,relatime' };

test.each<[string, Parameters<typeof cachePlace>[0], RootMount | undefined, CachePlace]>([
  // podman, Docker, containerd, CRI-O, Sarus: an overlay mounted at the rootfs for this container alone.
  ['an overlay of its own', 'auto', overlay, { place: 'root', why: "the root is an overlay of the container's own" }],
  [
    'a bundle folder on a disk (runc, Slurm)',
    'auto',
    { fsType: 'ext4', root: '/', options: 'rw' },
    { place: 'mount', why: "the root is on ext4, not an overlay of the container's own" },
  ],
  [
    "a folder inside the host's overlay root (a diskless node)",
    'auto',
    { fsType: 'overlay', root: '/tmp/bundle/rootfs', options: 'rw' },
    { place: 'mount', why: 'the root is the folder /tmp/bundle/rootfs of an overlay, not an overlay of its own' },
  ],
  [
    "podman with fuse-overlayfs as its overlay's mount program",
    'auto',
    { fsType: 'fuse.fuse-overlayfs', root: '/', options: 'rw,nodev,noatime' },
    { place: 'root', why: "the root is an overlay of the container's own" },
  ],
  [
    'another FUSE file system',
    'auto',
    { fsType: 'fuse.sshfs', root: '/', options: 'rw' },
    { place: 'mount', why: "the root is on fuse.sshfs, not an overlay of the container's own" },
  ],
  [
    'a folder of a fuse-overlayfs mount',
    'auto',
    { fsType: 'fuse.fuse-overlayfs', root: '/bundle/rootfs', options: 'rw' },
    { place: 'mount', why: 'the root is the folder /bundle/rootfs of an overlay, not an overlay of its own' },
  ],
  [
    'an overlay mounted read-only',
    'auto',
    { fsType: 'overlay', root: '/', options: 'ro,relatime' },
    { place: 'mount', why: 'the root is mounted read-only' },
  ],
  ['no mount record', 'auto', undefined, { place: 'mount', why: "the root's mount is not in the mount table" }],
  [
    'root, on a disk',
    'root',
    { fsType: 'ext4', root: '/', options: 'rw' },
    { place: 'root', why: '--linker-cache=root' },
  ],
  [
    'mount, on an overlay of its own',
    'mount',
    overlay,
    { place: 'mount', why: '--linker-cache=mount or a read-only root in config.json' },
  ],
])('%s', (_name, planned, mount, expected) => {
  expect(cachePlace(planned, mount)).toEqual(expected);
});
