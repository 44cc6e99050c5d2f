/**
 * `when` as podman decides it: the cases of containers/common v0.50.1 pkg/hooks/1.0.0/when_test.go
 * (or: false for 1.0.0 files, true for 0.1.0 ones), then how a config.json becomes the facts.
 */
import type { When } from './schema';
import { ContainerFacts, MatchError, factsFromConfig, whenMatches } from './when';

const facts = (c: Partial<ContainerFacts> = {}): ContainerFacts => ({ annotations: {}, hasBindMounts: false, ...c });
const sh = { process: { args: ['/bin/sh', 'a', 'b'] } };
const w = (o: Partial<When>, or = false): When => ({ ...o, or });

describe('TestNoMatch, TestAlways, TestHasBindMounts*', () => {
  test.each<[string, When, ContainerFacts, boolean]>([
    ['no match, or true', w({}, true), facts(), false],
    ['no match, or false', w({}), facts(), false],
    ...[true, false].flatMap((always) =>
      [true, false].flatMap((or) =>
        [sh, {}].map(
          (p) =>
            [`always ${always}, or ${or}, has process ${'process' in p}`, w({ always }, or), facts(p), always] as [
              string,
              When,
              ContainerFacts,
              boolean,
            ],
        ),
      ),
    ),
    ['hasBindMounts, and: container has none', w({ hasBindMounts: true }), facts(), false],
    ['hasBindMounts, and: container has some', w({ hasBindMounts: true }), facts({ hasBindMounts: true }), true],
    ['hasBindMounts, or: container has none', w({ hasBindMounts: true }, true), facts(), false],
    ['hasBindMounts, or: container has some', w({ hasBindMounts: true }, true), facts({ hasBindMounts: true }), true],
    ['hasBindMounts false never holds (podman)', w({ hasBindMounts: false }), facts(), false],
    [
      'hasBindMounts false with always true still fails (podman)',
      w({ hasBindMounts: false, always: true }),
      facts(),
      false,
    ],
  ])('%s', (_name, when, c, expected) => {
    expect(whenMatches(when, c)).toBe(expected);
  });
});

describe('TestAnnotations', () => {
  const annotations = { '^a$': '^b$', '^c$': '^d$' };
  test.each<[string, Record<string, string>, boolean, boolean]>([
    ['matching both, and', { a: 'b', c: 'd', e: 'f' }, false, true],
    ['matching one, and', { a: 'b' }, false, false],
    ['matching one, or', { a: 'b' }, true, true],
    ['key-only, or', { a: 'bc' }, true, false],
    ['value-only, or', { ac: 'b' }, true, false],
    ['unanchored patterns search anywhere', { 'com.hooks.slurm.activate': 'true' }, false, false],
  ])('%s', (_name, given, or, expected) => {
    expect(whenMatches(w({ annotations }, or), facts({ annotations: given }))).toBe(expected);
  });

  test('an unanchored pattern matches inside a key and a value', () => {
    expect(
      whenMatches(w({ annotations: { slurm: 'ru' } }), facts({ annotations: { 'com.hooks.slurm.activate': 'true' } })),
    ).toBe(true);
  });

  test("0.1.0's one value pattern for any key: the entries joined with |", () => {
    expect(whenMatches(w({ annotations: { '.*': '^x$|^y$' } }, true), facts({ annotations: { k: 'y' } }))).toBe(true);
  });
});

describe('TestCommands, TestCommandsEmptyProcessArgs, TestHasBindMountsAndCommands', () => {
  test.each<[string, ContainerFacts, boolean]>([
    ['good', facts(sh), true],
    ['extra characters', facts({ process: { args: ['/bin/shell', 'a', 'b'] } }), false],
    ['process unset', facts(), false],
  ])('%s', (_name, c, expected) => {
    expect(whenMatches(w({ commands: ['^/bin/sh$'] }), c)).toBe(expected);
  });

  test('a process without args is an error', () => {
    expect(() => whenMatches(w({ commands: ['^/bin/sh$'] }), facts({ process: { args: [] } }))).toThrow(
      new MatchError('process.args must have at least one entry'),
    );
  });

  test.each<[string, string, boolean, boolean, boolean]>([
    ['both, and', '/bin/sh', true, false, true],
    ['both, or', '/bin/sh', true, true, true],
    ['bind, and', '/bin/shell', true, false, false],
    ['bind, or', '/bin/shell', true, true, true],
    ['command, and', '/bin/sh', false, false, false],
    ['command, or', '/bin/sh', false, true, true],
    ['neither, and', '/bin/shell', false, false, false],
    ['neither, or', '/bin/shell', false, true, false],
  ])('%s', (_name, command, hasBindMounts, or, expected) => {
    expect(
      whenMatches(
        w({ hasBindMounts: true, commands: ['^/bin/sh$'] }, or),
        facts({ process: { args: [command] }, hasBindMounts }),
      ),
    ).toBe(expected);
  });
});

describe('facts from config.json', () => {
  test.each<[string, Parameters<typeof factsFromConfig>[0], Record<string, string>, ContainerFacts]>([
    ['no process, no mounts', {}, {}, { annotations: {}, hasBindMounts: false }],
    [
      'command and annotations; extra ones win',
      { process: { args: ['/bin/sh', '-c', 'x'] }, annotations: { a: '1', b: '2' } },
      { b: '3' },
      { annotations: { a: '1', b: '3' }, process: { args: ['/bin/sh', '-c', 'x'] }, hasBindMounts: false },
    ],
    ['a process without args', { process: {} }, {}, { annotations: {}, process: { args: [] }, hasBindMounts: false }],
    ['a user bind mount', { mounts: [{ destination: '/data' }] }, {}, { annotations: {}, hasBindMounts: true }],
    [
      'a user tmpfs counts too (podman: --tmpfs)',
      { mounts: [{ destination: '/scratch' }] },
      {},
      { annotations: {}, hasBindMounts: true },
    ],
    [
      'the mounts engines add do not',
      {
        mounts: [
          '/proc',
          '/dev',
          '/dev/pts',
          '/dev/shm',
          '/dev/mqueue',
          '/sys',
          '/sys/fs/cgroup',
          '/etc/hosts',
          '/etc/hostname',
          '/etc/resolv.conf',
          '/run/.containerenv',
          '/run/secrets',
        ].map((destination) => ({ destination })),
      },
      {},
      { annotations: {}, hasBindMounts: false },
    ],
  ])('%s', (_name, config, extra, expected) => {
    expect(factsFromConfig(config, extra)).toEqual(expected);
  });
});
