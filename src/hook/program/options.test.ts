/**
 * The hooks' fast argument parser: what it reads, and what it leaves to full yargs (usage errors,
 * --help, ambiguous forms). yargs's own parser is the reference: every form the fast path reads, it
 * must read as yargs-parser does with yargs's settings for our hooks.
 */
import yargsParser from 'yargs-parser';
import type { CliSpec } from './options';
import { COMMON_OPTIONS, YARGS_CONFIGURATION, fastParse, logOptionsOf, settleYargsReading } from './options';

const spec: CliSpec = {
  program: 'test-hook',
  usage: '$0 [options]',
  options: {
    mount: { type: 'string', array: true, default: [], describe: 'repeatable' },
    device: { type: 'string', array: true, default: [], describe: 'repeatable' },
    'skip-cgroup': { type: 'boolean', default: false, describe: 'flag' },
    timeout: { type: 'number', default: 10, describe: 'number' },
  },
};

const DEFAULTS = { mount: [], device: [], 'skip-cgroup': false, timeout: 10, 'dry-run': false, 'log-level': 'info' };

/** The options' values only (yargs adds "_" and "$0"). */
function options(args: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return args && Object.fromEntries(Object.entries(args).filter(([k]) => k !== '_' && k !== '$0'));
}

describe('read by the fast path', () => {
  test.each<[string[], Record<string, unknown>]>([
    [[], DEFAULTS],
    [
      ['--mount=type=bind,src=/a,dst=/b', '--mount', 'type=bind,src=/c,dst=/d', '--device=/dev/null'],
      { ...DEFAULTS, mount: ['type=bind,src=/a,dst=/b', 'type=bind,src=/c,dst=/d'], device: ['/dev/null'] },
    ],
    [
      ['--state-file', '/s.json', '--dry-run', '--log-level=debug', '--log-file=-'],
      { ...DEFAULTS, 'state-file': '/s.json', 'dry-run': true, 'log-level': 'debug', 'log-file': '-' },
    ],
    [['--skip-cgroup', '--timeout', '2.5'], { ...DEFAULTS, 'skip-cgroup': true, timeout: 2.5 }],
    [['--no-skip-cgroup', '--timeout=3'], { ...DEFAULTS, timeout: 3 }],
    [
      ['--mount=a=b,c=d', '--log-file', '/var/log/x.log', '--mount=x'],
      { ...DEFAULTS, mount: ['a=b,c=d', 'x'], 'log-file': '/var/log/x.log' },
    ],
  ])('%j', (argv, expected) => {
    expect(options(fastParse(spec, argv))).toEqual(expected);
  });
});

describe('left to full yargs', () => {
  test.each([
    [['--mount']], // a repeatable option without its value
    [['--mount', '--dry-run']],
    [['--bogus']],
    [['--help']],
    [['--version']],
    [['--log-level', 'loud']],
    [['--timeout', 'soon']],
    [['--state-file', 'a', '--state-file', 'b']],
    [['--state-file']],
    [['stray']],
  ])('%j', (argv) => {
    expect(fastParse(spec, argv)).toBeUndefined();
  });
});

/** yargs-parser's reading of argv, with every option of the table declared by its type. */
function reference(argv: string[]): Record<string, unknown> | undefined {
  const table = { ...COMMON_OPTIONS, ...spec.options };
  const names = (t: string) => Object.keys(table).filter((n) => table[n]?.type === t);
  return options(
    yargsParser(argv, {
      string: names('string'),
      boolean: names('boolean'),
      number: names('number'),
      array: Object.keys(table).filter((n) => table[n]?.array),
      default: Object.fromEntries(
        Object.entries(table).flatMap(([n, o]) => (o.default !== undefined ? [[n, o.default]] : [])),
      ),
      configuration: YARGS_CONFIGURATION,
    }),
  );
}

describe('the fast path reads as yargs-parser does', () => {
  test.each<[string[]]>([
    [[]],
    [['--mount=type=bind,src=/a,dst=/b', '--mount', 'type=bind,src=/c,dst=/d', '--device=/dev/null']],
    [['--state-file', '/s.json', '--dry-run', '--log-level=debug', '--log-file=-']],
    [['--skip-cgroup', '--timeout', '2.5']],
    [['--no-skip-cgroup', '--timeout=3']],
    [['--skip-cgroup=true', '--dry-run=false']],
    [['--timeout=-1']],
    [['--timeout=0']],
    [['--state-file=a=b', '--log-file', 'x=y']],
    [['--mount=a', '--device=b', '--mount=c']],
    [['--dry-run', '--']],
    [['--log-level', 'error']],
  ])('%j', (argv) => {
    const fast = fastParse(spec, argv);
    expect(fast).toBeDefined();
    expect(options(fast)).toEqual(reference(argv));
  });
});

describe('forms the fast path leaves to full yargs', () => {
  test.each<[string[]]>([
    [['--timeout', '-1']], // a value that looks like an option
    [['--timeout=1e3']],
    [['--timeout=0x10']],
    [['--dry-run=yes']],
    [['--log-file=']],
    [['--mount=']],
    [['--state-file', '']],
    [['--mount=a', '--', 'x']],
    [['-x']],
    [['--no-state-file']],
    [['--dry-run', 'true']],
    [['--device', '-']],
  ])('%j', (argv) => {
    expect(fastParse(spec, argv)).toBeUndefined();
  });
});

describe("yargs's reading settled where a program would misread it", () => {
  /** yargs-parser's reading (as yargs reads a hook's line), then settleYargsReading. */
  const settle = (argv: string[], repeated?: 'last') => {
    const args = reference(argv) as Record<string, unknown>;
    const table: Record<string, { type: string; array?: boolean }> = { ...COMMON_OPTIONS, ...spec.options };
    settleYargsReading(
      argv,
      args,
      { isArray: (n) => table[n]?.array === true, isBoolean: (n) => table[n]?.type === 'boolean' },
      repeated,
    );
    return args;
  };
  test.each<[string[], string]>([
    // yargs reads any other value of a boolean as false: `--dry-run=yes` would act.
    [['--dry-run=yes'], '--dry-run=yes: --dry-run takes true or false'],
    [['--skip-cgroup=1'], '--skip-cgroup=1: --skip-cgroup takes true or false'],
    [['--dry-run='], '--dry-run=: --dry-run takes true or false'],
    // A single-valued option twice: yargs makes a list, which the program would read as "a,b".
    [
      ['--state-file', 'a', '--state-file', 'b'],
      '--state-file given 2 times, with different values ("a", "b"): it takes one',
    ],
    [['--timeout=1', '--timeout=2'], '--timeout given 2 times, with different values (1, 2): it takes one'],
  ])('%j refuses', (argv, message) => {
    expect(reference(argv)).toBeDefined(); // what yargs alone would let through
    expect(() => settle(argv)).toThrow(message);
  });

  test('the same value given twice is that value', () => {
    expect(settle(['--state-file', 'a', '--state-file', 'a', '--dry-run', '--dry-run'])).toMatchObject({
      'state-file': 'a',
      'dry-run': true,
    });
  });

  test("NVIDIA's subcommands (repeated: 'last'): the last value wins, as urfave/cli's", () => {
    expect(settle(['--state-file', 'a', '--state-file', 'b', '--timeout=1', '--timeout=2'], 'last')).toMatchObject({
      'state-file': 'b',
      timeout: 2,
    });
  });

  test('a repeatable option keeps every value; `--` ends the checks', () => {
    expect(settle(['--mount=a', '--mount=b', '--', '--dry-run=yes'])).toMatchObject({ mount: ['a', 'b'] });
  });
});

describe("a filter's log options, read for its server started apart: as yargs-parser reads them", () => {
  test.each<[string[]]>([
    [[]],
    [['--mount=type=bind,src=/a,dst=/b', '--log-file=/var/log/x.log', '--timeout', '3']],
    [['--log-file', '/l', '--log-level', 'warn', '--device=/dev/null']],
    [['--log-level=silent', '--log-file=-']],
    [['--log-file=/a=b', '--dry-run']],
    [['--state-file', '/s.json', '--log-level=debug', '--', '--log-file=/not-an-option']],
  ])('%j', (argv) => {
    const yargs = reference(argv) as Record<string, unknown>;
    const given = (name: string) => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    expect(logOptionsOf(argv)).toEqual({
      ...(yargs['log-file'] !== undefined ? { file: yargs['log-file'] } : {}),
      ...(given('log-level') ? { level: yargs['log-level'] } : {}),
    });
  });
  test('a level that is not one is left out', () => expect(logOptionsOf(['--log-level=loud'])).toEqual({}));
});
