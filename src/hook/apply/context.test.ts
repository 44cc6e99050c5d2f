/** How a refusal names a mount: one this hook run made, or the mount table's record. */
import { explainRefusal } from '../../linux/mount/mount-point';
import { mountDescriber } from './context';

const MOUNTINFO = '40 1 0:168 / /proc rw - proc proc rw\n41 1 254:1 /srv/vol /data rw - ext4 /dev/vda1 rw\n';
const made = [
  {
    id: 90,
    action: {
      action: 'bind' as const,
      source: '/host/ro',
      destination: '/ro',
      kind: 'directory' as const,
      readonly: true,
    },
  },
  {
    id: 91,
    action: {
      action: 'bind' as const,
      source: '/host/rw',
      destination: '/rw',
      kind: 'directory' as const,
      readonly: false,
    },
  },
];
const OWN = "not on the container's own filesystems (its root, and its /dev tmpfs)";

test.each<[number, string]>([
  [90, `destination /ro/x: /ro is on the read-only bind mount of /host/ro that this hook made at /ro, ${OWN}`],
  [91, `destination /ro/x: /ro is on the bind mount of /host/rw that this hook made at /rw, ${OWN}`],
  [40, `destination /ro/x: /ro is on the kernel's proc filesystem, ${OWN}`],
  [41, `destination /ro/x: /ro is on ext4 /dev/vda1 (its folder /srv/vol) mounted into the container, ${OWN}`],
  // Not in the table (a mount gone since): named by its statfs type.
  [77, `destination /ro/x: /ro is on tmpfs, ${OWN}`],
])('mount %d', (id, message) => {
  let reads = 0;
  const describe = mountDescriber(made, () => (reads++, MOUNTINFO));
  const refusal = { reason: 'foreign' as const, at: 'ro', mode: 0, mountId: id, fsType: 0x01021994 };
  expect(explainRefusal('/ro/x', 'file', refusal, describe)).toBe(message);
  // The mount table is read only for a mount this run did not make.
  expect(reads).toBe(id >= 90 ? 0 : 1);
});
