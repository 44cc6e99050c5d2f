/**
 * The hooks' fast argument parser (yargs-parser plus a one-pass reader of repeatable options):
 * what it reads, and what it leaves to full yargs (usage errors, --help, ambiguous forms).
 */
import type { CliSpec } from './options';
import { fastParse } from './options';

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

/** The options' values only (yargs-parser adds "_"). */
function options(args: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return args && Object.fromEntries(Object.entries(args).filter(([k]) => k !== '_'));
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
