/** --help and --version from the option table (no yargs on a hook's path). */
import { helpOrVersion, helpText } from './help';

test('the help text: usage, the options with type, choices and default, the epilogue', () => {
  expect(
    helpText(
      { program: 'ocihook-x', usage: '$0 [--mount=M]... [options]', options: {}, epilogue: 'Environment: X=1.' },
      {
        'log-level': { type: 'string', choices: ['info', 'debug'], default: 'info', describe: 'log level' },
        mount: { type: 'string', array: true, default: [], describe: 'bind mount' },
        'dry-run': { type: 'boolean', default: false, describe: 'print the plan' },
      },
    ),
  ).toBe(
    [
      'ocihook-x [--mount=M]... [options]',
      '',
      'Options:',
      '  --version    Show version number [boolean]',
      '  --help       Show help [boolean]',
      '  --log-level  log level [string] [choices: "info", "debug"] [default: "info"]',
      '  --mount      bind mount [array] [default: []]',
      '  --dry-run    print the plan [boolean] [default: false]',
      '',
      'Environment: X=1.',
      '',
    ].join('\n'),
  );
});

test.each([
  [['--help'], 'help'],
  [['--mount=x', '--version'], 'version'],
  [['--version', '--help'], 'help'],
  [['--', '--help'], undefined],
  [['--mount=--help'], undefined],
])('%j asks for %s', (argv, asked) => expect(helpOrVersion(argv)).toBe(asked));
