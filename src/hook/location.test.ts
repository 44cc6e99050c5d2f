import { LocationProbe, locateContainer } from './location';

/** A probe from a table: namespaces by pid, which pids have the rootfs as root, and mount points. */
function probe(t: {
  ns: Record<string, string>;
  rootIs?: number[];
  mountPoints?: Record<string, string[]>;
}): LocationProbe {
  return {
    mountNs: (pid) => t.ns[String(pid)],
    rootIs: (pid) => (t.rootIs ?? []).includes(pid),
    hasMountPoint: (pid, p) => (t.mountPoints?.[String(pid)] ?? []).includes(p),
  };
}

const R = '/bundle/rootfs';

describe('locateContainer: the "where am I" rule', () => {
  test.each([
    [
      'runc createContainer: pid 1 is host init, we are in another ns with the rootfs mounted',
      1,
      { ns: { self: 'mnt:[2]', 1: 'mnt:[1]' }, mountPoints: { self: [R] } },
      { kind: 'inside' },
    ],
    [
      'crun createContainer: pid 0',
      0,
      { ns: { self: 'mnt:[2]', 1: 'mnt:[1]' }, mountPoints: { self: [R] } },
      { kind: 'inside' },
    ],
    [
      'pid absent, inside',
      undefined,
      { ns: { self: 'mnt:[2]', 1: 'mnt:[1]' }, mountPoints: { self: [R] } },
      { kind: 'inside' },
    ],
    [
      'by hand: pid is a running container whose root is the rootfs',
      4242,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]', 4242: 'mnt:[3]' }, rootIs: [4242] },
      { kind: 'join', pid: 4242, pivoted: true },
    ],
    [
      'by hand from a private ns where podman mounted the rootfs: the running pid still wins',
      4242,
      { ns: { self: 'mnt:[5]', 1: 'mnt:[1]', 4242: 'mnt:[3]' }, rootIs: [4242], mountPoints: { self: [R] } },
      { kind: 'join', pid: 4242, pivoted: true },
    ],
    [
      'createRuntime: runtime ns is the host, container not pivoted yet',
      4242,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]', 4242: 'mnt:[3]' }, mountPoints: { 4242: [R] } },
      { kind: 'join', pid: 4242, pivoted: false },
    ],
  ])('%s', (_name, pid, table, expected) => {
    expect(locateContainer(pid, R, probe(table))).toMatchObject(expected);
  });

  test.each([
    [
      'on the host, pid 1, rootfs mounted in the host ns (podman overlay): never joins the host',
      1,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]' }, mountPoints: { self: [R], 1: [R] } },
      /cannot establish/,
    ],
    ['on the host, pid 0: nothing to join', 0, { ns: { self: 'mnt:[1]', 1: 'mnt:[1]' } }, /cannot establish/],
    [
      'a pid that does not exist',
      999999,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]' } },
      /state pid 999999: no such process/,
    ],
    [
      'a pid of an unrelated process in the host ns',
      77,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]', 77: 'mnt:[1]' } },
      /cannot establish/,
    ],
    [
      'a pid in another ns without the rootfs',
      77,
      { ns: { self: 'mnt:[1]', 1: 'mnt:[1]', 77: 'mnt:[9]' } },
      /cannot establish/,
    ],
  ])('%s -> refused', (_name, pid, table, message) => {
    expect(() => locateContainer(pid, R, probe(table))).toThrow(message);
  });
});
