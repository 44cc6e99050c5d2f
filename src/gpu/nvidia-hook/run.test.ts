/**
 * NVIDIA's root flags in front of a subcommand, as urfave/cli reads them for nvidia-cdi-hook and
 * `nvidia-ctk hook` (cmd/nvidia-cdi-hook/main.go: --debug/-d and --quiet, Go's bools, the env
 * variables behind them; internal/discover/hooks.go: `nvidia-ctk hook` in front of the subcommand).
 */
import { updateLdcache } from './commands/update-ldcache';
import { nvidiaLogLevel, rootFlags, rootFlagsAfter, takesValue } from './run';

test.each<[string, string[], object]>([
  ['nothing in front', ['update-ldcache', '--folder', '/l'], { rest: ['update-ldcache', '--folder', '/l'] }],
  ['--debug', ['--debug', 'chmod'], { rest: ['chmod'], debug: true }],
  ['-d', ['-d', 'chmod'], { rest: ['chmod'], debug: true }],
  ["Go's one dash", ['-debug', '-quiet', 'chmod'], { rest: ['chmod'], debug: true, quiet: true }],
  ['--debug=false', ['--debug=false', 'chmod'], { rest: ['chmod'], debug: false }],
  ['-d=0, --quiet=T', ['-d=0', '--quiet=T', 'chmod'], { rest: ['chmod'], debug: false, quiet: true }],
  ['the last of a flag wins', ['--quiet', '--quiet=false', 'chmod'], { rest: ['chmod'], quiet: false }],
  [
    '`hook` (nvidia-ctk hook …)',
    ['hook', 'create-symlinks', '--link', 'a::b'],
    { rest: ['create-symlinks', '--link', 'a::b'] },
  ],
  [
    'flags before and after `hook`',
    ['--debug', 'hook', '--quiet', 'update-ldcache'],
    { rest: ['update-ldcache'], debug: true, quiet: true },
  ],
  ['`hook` once only: a second is the subcommand', ['hook', 'hook'], { rest: ['hook'] }],
  ['`hook` alone', ['hook'], { rest: [] }],
  [
    'a flag of the subcommand stops the reading',
    ['--link', 'a::b', '--debug'],
    { rest: ['--link', 'a::b', '--debug'] },
  ],
  ['the subcommand ends the reading in front', ['chmod', '--debug'], { rest: ['chmod', '--debug'] }],
  [
    'a value that is no Go bool',
    ['--debug=yes', 'chmod'],
    { rest: [], problem: '--debug=yes: invalid boolean value "yes"' },
  ],
])('%s', (_name, argv, expected) => {
  expect(rootFlags(argv)).toEqual(expected);
});

test.each<[string, string[], Record<string, string>, string | undefined]>([
  ['default: info', [], {}, undefined],
  ['--debug', ['--debug'], {}, 'debug'],
  ['--quiet over --debug', ['--debug', '--quiet'], {}, 'error'],
  ["nvidia-ctk's spec env NVIDIA_CTK_DEBUG=false", [], { NVIDIA_CTK_DEBUG: 'false' }, undefined],
  ['NVIDIA_CTK_DEBUG=true', [], { NVIDIA_CTK_DEBUG: 'true' }, 'debug'],
  ['the deprecated NVIDIA_CDI_DEBUG', [], { NVIDIA_CDI_DEBUG: '1' }, 'debug'],
  ['NVIDIA_CTK_DEBUG before NVIDIA_CDI_DEBUG', [], { NVIDIA_CTK_DEBUG: 'false', NVIDIA_CDI_DEBUG: 'true' }, undefined],
  ['a flag over its env variable', ['--debug=false'], { NVIDIA_CTK_DEBUG: 'true' }, undefined],
  ['NVIDIA_CTK_QUIET over a debug flag', ['--debug'], { NVIDIA_CTK_QUIET: 'TRUE' }, 'error'],
  ['an empty env variable: false', [], { NVIDIA_CTK_DEBUG: '', NVIDIA_CDI_DEBUG: 'true' }, undefined],
])('log level: %s', (_name, argv, env, level) => {
  expect(nvidiaLogLevel(rootFlags([...argv, 'chmod']), env)).toEqual(level === undefined ? {} : { level });
});

test('an env value that is no bool refuses, naming it (urfave/cli: "could not parse … from environment variable")', () => {
  expect(nvidiaLogLevel(rootFlags(['chmod']), { NVIDIA_CTK_QUIET: 'verbose' })).toEqual({
    problem: 'NVIDIA_CTK_QUIET=verbose: invalid boolean value',
  });
});

// urfave/cli v3 takes a root command's flags after the subcommand too: `nvidia-cdi-hook
// update-ldcache --container-spec F --debug` logs at debug level (checked against NVIDIA's binary).
test.each<[string, string[], object]>([
  ['none', ['--folder', '/l'], { rest: ['--folder=/l'] }],
  ['--debug after', ['--folder', '/l', '--debug'], { rest: ['--folder=/l'], debug: true }],
  [
    '-d and --quiet=true between',
    ['-d', '--folder=/l', '--quiet=true'],
    { rest: ['--folder=/l'], debug: true, quiet: true },
  ],
  ["Go's one dash", ['-quiet', '-folder', '/l'], { rest: ['-folder=/l'], quiet: true }],
  ["a value-taking option's value stays its own", ['--folder', '--debug'], { rest: ['--folder=--debug'] }],
  ['a common option takes a value too', ['--log-file', '-d'], { rest: ['--log-file=-d'] }],
  ['its value may be `--`', ['--container-spec', '--', '--debug'], { rest: ['--container-spec=--'], debug: true }],
  ['a value-taking option last: left to the parser', ['--folder'], { rest: ['--folder'] }],
  ["a boolean option's neighbour is read", ['--dry-run', '--debug'], { rest: ['--dry-run'], debug: true }],
  ['after `--` nothing is taken', ['--', '--debug'], { rest: ['--', '--debug'] }],
  [
    'a value that is no Go bool',
    ['--folder', '/l', '--debug=yes'],
    { rest: [], problem: '--debug=yes: invalid boolean value "yes"' },
  ],
])('after the subcommand: %s', (_name, args, expected) => {
  expect(rootFlagsAfter({ rest: [] }, args, (n) => takesValue(updateLdcache.options, n))).toEqual(expected);
});

test('a flag after the subcommand wins over the same flag in front', () => {
  const front = rootFlags(['--debug', 'update-ldcache', '--debug=false']);
  expect(rootFlagsAfter(front, front.rest.slice(1), () => false)).toEqual({ rest: [], debug: false });
});
