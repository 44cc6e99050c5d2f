import { mapId, outerUid } from './userns';

test.each([
  ['the host (identity map)', 0, '         0          0 4294967295\n', 0],
  ['root of a rootless container (runc spec --rootless)', 0, '         0       1001          1\n', 1001],
  ['root of a podman user namespace', 0, '         0       1001          1\n         1     100000      65536\n', 1001],
  ['uid 5 of a subordinate range', 5, '         0       1001          1\n         1     100000      65536\n', 100004],
  ['an id the map does not hold stays as it is', 70000, '         0       1001          1\n', 70000],
])('%s', (_name, uid, map, expected) => expect(outerUid(uid, map)).toBe(expected));

test.each([
  ['in the first range', 0, '         0       1001          1\n         1     100000      65536\n', 1001],
  [
    'uid 1000 of a podman user namespace',
    1000,
    '         0       1001          1\n         1     100000      65536\n',
    100999,
  ],
  ['the last id of a range', 65536, '         0       1001          1\n         1     100000      65536\n', 165535],
  [
    'past the last range: unmapped',
    65537,
    '         0       1001          1\n         1     100000      65536\n',
    undefined,
  ],
])('mapId: %s', (_name, id, map, expected) => expect(mapId(id, map)).toBe(expected));
