/** Naming filesystems in refusals, and finding one mount in a mount table. */
import { mountInfoById, parseMountInfoLine } from './mountinfo';
import { describeMountInfo, fsTypeName } from './own-filesystems';

const TABLE = [
  '1850 1849 0:165 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
  '1851 1850 0:168 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '1852 1850 0:169 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
  '1853 1852 0:170 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k',
  '1854 1850 0:171 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro',
  '1855 1854 0:172 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw',
  '1856 1850 254:1 /srv/my\\040data /data rw,relatime - ext4 /dev/vda1 rw',
  '1857 1852 0:5 / /dev rw,nosuid - devtmpfs udev rw,size=4096k',
  '18 1850 0:5 / /x rw - tmpfs t rw',
].join('\n');

test.each<[number, string | undefined]>([
  [1851, "the kernel's proc filesystem"],
  [1854, "the kernel's sysfs filesystem"],
  [1855, "the kernel's cgroup2 filesystem"],
  [1853, 'tmpfs shm mounted into the container'],
  [1856, 'ext4 /dev/vda1 (its folder /srv/my data) mounted into the container'],
  [1857, 'devtmpfs udev mounted into the container'],
  [18, 'tmpfs t mounted into the container'],
  [185, undefined],
  [1, undefined],
])('mount %d: %s', (id, words) => {
  const m = mountInfoById(TABLE, id);
  expect(m && describeMountInfo(m)).toBe(words);
});

test('mountInfoById reads the line of that id only, as parseMountInfoLine does', () => {
  expect(mountInfoById(TABLE, 1852)).toEqual(parseMountInfoLine(TABLE.split('\n')[2] as string));
});

test.each<[number, string]>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x01021994, 'tmpfs'],
  [0xef53, 'ext4'],
  [0x12345678, 'filesystem type 0x12345678'],
])('statfs f_type %d is %s', (t, name) => expect(fsTypeName(t)).toBe(name));
