import { parseDeviceRequest, parseMountRequest } from './args';
import { UsageError } from '../core/errors';

describe('--mount grammar (Sarus wording)', () => {
  test.each([
    ['type=bind,src=/a,dst=/b', { source: '/a', destination: '/b', readonly: false }],
    ['type=bind,source=/a,destination=/b,readonly', { source: '/a', destination: '/b', readonly: true }],
    ['dst=/b,type=bind,src=/a', { source: '/a', destination: '/b', readonly: false }],
    ['type=bind,src=/a,target=/b,readonly=true', { source: '/a', destination: '/b', readonly: true }],
    ['type=bind,src=/a b,dst=/c d', { source: '/a b', destination: '/c d', readonly: false }],
    ['type=bind,src=/a=b,dst=/c', { source: '/a=b', destination: '/c', readonly: false }],
    ['type=bind,source=/a,target=/b,readonly', { source: '/a', destination: '/b', readonly: true }],
    ['type=bind,src=/,dst=/x/', { source: '/', destination: '/x/', readonly: false }],
  ])('%s', (arg, expected) => {
    expect(parseMountRequest(arg)).toEqual(expected);
  });

  test.each([
    ['src=/a,dst=/b', "Invalid mount request 'src=/a,dst=/b': 'type' must be specified"],
    [
      'type=volume,src=/a,dst=/b',
      "Invalid mount request 'type=volume,src=/a,dst=/b': 'volume' is not a valid mount type",
    ],
    [
      'type=bind,dst=/b',
      "Invalid mount request 'type=bind,dst=/b': no source specified. Use either 'source' or 'src'.",
    ],
    [
      'type=bind,src=/a',
      "Invalid mount request 'type=bind,src=/a': no destination specified. Use either 'destination', 'dst' or 'target'.",
    ],
    ['type=bind,src=a,dst=/b', "Invalid mount request 'type=bind,src=a,dst=/b': source must be an absolute path"],
    ['type=bind,src=/a,dst=b', "Invalid mount request 'type=bind,src=/a,dst=b': destination must be an absolute path"],
    ['type=bind,src=,dst=/b', "Invalid mount request 'type=bind,src=,dst=/b': source is empty"],
    ['type=bind,src=/a,dst=', "Invalid mount request 'type=bind,src=/a,dst=': destination is empty"],
    [
      'type=bind,src=/a,source=/a,dst=/b',
      "Invalid mount request 'type=bind,src=/a,source=/a,dst=/b': multiple formats used to specify mount source. Use either 'source' or 'src'.",
    ],
    [
      'type=bind,src=/a,dst=/b,target=/c',
      "Invalid mount request 'type=bind,src=/a,dst=/b,target=/c': multiple formats used to specify mount destination. Use one of 'destination', 'dst' or 'target'.",
    ],
    [
      'type=bind,src=/a,dst=/b,bind-propagation=slave',
      "Invalid mount request 'type=bind,src=/a,dst=/b,bind-propagation=slave': 'bind-propagation' is not a valid bind mount option",
    ],
    [
      'type=bind,src=/a,src=/c,dst=/b',
      "Invalid mount request 'type=bind,src=/a,src=/c,dst=/b': 'src' is given more than once",
    ],
    [
      'type=bind,src=/a,dst=/b,readonly=no',
      "Invalid mount request 'type=bind,src=/a,dst=/b,readonly=no': 'readonly' takes no value (got 'no')",
    ],
    [
      'type=bind,,src=/a,dst=/b',
      "Invalid mount request 'type=bind,,src=/a,dst=/b': empty option (two commas in a row?)",
    ],
    ['', "Invalid mount request '': empty request"],
    [
      'type=bind,src=/a,dst=/b,readonly,readonly',
      "Invalid mount request 'type=bind,src=/a,dst=/b,readonly,readonly': 'readonly' is given more than once",
    ],
    [
      'type=bind,src=/a,dst=/b,',
      "Invalid mount request 'type=bind,src=/a,dst=/b,': empty option (two commas in a row?)",
    ],
    [
      'type=bind,src=/a,dst=/b,type=bind',
      "Invalid mount request 'type=bind,src=/a,dst=/b,type=bind': 'type' is given more than once",
    ],
  ])('%s -> error', (arg, message) => {
    expect(() => parseMountRequest(arg)).toThrow(new UsageError(message));
  });
});

describe('--device grammar', () => {
  test.each([
    ['/dev/fuse', { source: '/dev/fuse', destination: '/dev/fuse', access: 'rwm' }],
    ['/dev/fuse:/dev/f2', { source: '/dev/fuse', destination: '/dev/f2', access: 'rwm' }],
    ['/dev/fuse:r', { source: '/dev/fuse', destination: '/dev/fuse', access: 'r' }],
    ['/dev/fuse:/dev/f2:wr', { source: '/dev/fuse', destination: '/dev/f2', access: 'wr' }],
    ['/dev/fuse:mwr', { source: '/dev/fuse', destination: '/dev/fuse', access: 'mwr' }],
  ])('%s', (arg, expected) => {
    expect(parseDeviceRequest(arg)).toEqual(expected);
  });

  test.each([
    ['', "Invalid device request '': empty request"],
    ['dev/fuse', "Invalid device request 'dev/fuse': host device path must be an absolute path"],
    [
      '/dev/fuse:rr',
      "Invalid device request '/dev/fuse:rr': 'rr' is not an absolute container path; as an access string: access 'rr' repeats the letter 'r' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:x',
      "Invalid device request '/dev/fuse:x': 'x' is not an absolute container path; as an access string: access 'x' has an invalid letter 'x' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:',
      "Invalid device request '/dev/fuse:': nothing after ':' (a container path or an access string): access is empty (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:/dev/f:',
      "Invalid device request '/dev/fuse:/dev/f:': access is empty (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:/dev/f:rwmr',
      "Invalid device request '/dev/fuse:/dev/f:rwmr': access 'rwmr' is longer than 3 characters (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:/dev/f:rww',
      "Invalid device request '/dev/fuse:/dev/f:rww': access 'rww' repeats the letter 'w' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    [
      '/dev/fuse:/dev/f:rW',
      "Invalid device request '/dev/fuse:/dev/f:rW': access 'rW' has an invalid letter 'W' (access is one to three of the letters 'r', 'w', 'm', each at most once)",
    ],
    ['/dev/fuse::r', "Invalid device request '/dev/fuse::r': container device path is empty"],
    ['/dev/fuse:f:r', "Invalid device request '/dev/fuse:f:r': container device path must be an absolute path"],
    [
      '/a:/b:r:x',
      "Invalid device request '/a:/b:r:x': too many tokens: expected <host path>[:<container path>][:<access>]",
    ],
    [':/dev/x', "Invalid device request ':/dev/x': host device path is empty"],
  ])('%s -> error', (arg, message) => {
    expect(() => parseDeviceRequest(arg)).toThrow(new UsageError(message));
  });
});
