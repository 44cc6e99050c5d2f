/** The wrapper's reading of command lines: its own options, then the runtime's (as runc and crun read them). */
import { UsageError } from '../../core/errors';
import { parseRuntimeArgs } from './runtime-args';
import { parseWrapperOptions } from './options';

describe('runtime arguments', () => {
  test.each<[string, string[], { subcommand?: string; index: number; bundle: string }]>([
    [
      'slurm run',
      ['--root=/run/ocihooks-runc', 'run', 'c1', '-b', '/spool/b'],
      { subcommand: 'run', index: 1, bundle: '/spool/b' },
    ],
    [
      'containerd create',
      [
        '--root',
        '/run/containerd/runc/k8s.io',
        '--log',
        '/run/x/log.json',
        '--log-format',
        'json',
        'create',
        '--bundle',
        '/run/b',
        '--pid-file',
        '/run/b/init.pid',
        'c1',
      ],
      { subcommand: 'create', index: 6, bundle: '/run/b' },
    ],
    ['bundle in = form', ['create', '--bundle=/b2', 'c2'], { subcommand: 'create', index: 0, bundle: '/b2' }],
    ['-b= form', ['create', '-b=/b3', 'c3'], { subcommand: 'create', index: 0, bundle: '/b3' }],
    [
      'bundle relative to the working directory',
      ['create', '-b', 'bundle', 'c4'],
      { subcommand: 'create', index: 0, bundle: '/work/dir/bundle' },
    ],
    ['no bundle: the working directory', ['run', 'c5'], { subcommand: 'run', index: 0, bundle: '/work/dir' }],
    [
      'boolean globals',
      ['--debug', '--systemd-cgroup', 'state', 'c6'],
      { subcommand: 'state', index: 2, bundle: '/work/dir' },
    ],
    ['no subcommand', ['--version'], { index: 1, bundle: '/work/dir' }],
  ])('%s', (_name, args, expected) => {
    expect(parseRuntimeArgs(args, '/work/dir')).toEqual(expected);
  });
});

describe("the wrapper's own options", () => {
  test.each<[string, string[], object]>([
    [
      'defaults, runtime args after --',
      ['--', 'state', 'c1'],
      {
        runtime: 'runc',
        hooksDirs: [],
        annotations: {},
        cdiSpecDirs: [],
        prestartAs: 'createRuntime',
        runtimeArgs: ['state', 'c1'],
      },
    ],
    [
      'every option, both forms',
      [
        '--runtime',
        'crun',
        '--hooks-dir=/a',
        '--hooks-dir',
        '/b',
        '--annotation',
        'k=v=w',
        '--annotation=x=',
        '--log-file',
        '/l',
        '--root-per-user',
        '/run/user/%U/runc',
        '--cdi-spec-dir=/c1',
        '--cdi-spec-dir',
        '/c2',
        '--prestart-as=prestart',
        '--',
        '--root',
        '/r',
        'run',
        'c1',
      ],
      {
        runtime: 'crun',
        hooksDirs: ['/a', '/b'],
        annotations: { k: 'v=w', x: '' },
        logFile: '/l',
        rootPerUser: '/run/user/%U/runc',
        cdiSpecDirs: ['/c1', '/c2'],
        prestartAs: 'prestart',
        runtimeArgs: ['--root', '/r', 'run', 'c1'],
      },
    ],
    [
      'without --: the first foreign argument starts the runtime args',
      ['--runtime=runc', 'run', '--bundle', '/b', 'c1'],
      {
        runtime: 'runc',
        hooksDirs: [],
        annotations: {},
        cdiSpecDirs: [],
        prestartAs: 'createRuntime',
        runtimeArgs: ['run', '--bundle', '/b', 'c1'],
      },
    ],
    [
      '--ocihooks-version answers',
      ['--ocihooks-version'],
      {
        runtime: 'runc',
        hooksDirs: [],
        annotations: {},
        cdiSpecDirs: [],
        prestartAs: 'createRuntime',
        runtimeArgs: [],
        answer: 'version',
      },
    ],
  ])('%s', (_name, argv, expected) => {
    expect(parseWrapperOptions(argv)).toEqual(expected);
  });

  test.each([
    [['--runtime'], '--runtime needs a value'],
    [['--runtime', '--', '--version'], '--runtime needs a value'],
    [
      ['--runtime', 'runc', '--runtime=crun', '--', 'state'],
      '--runtime given 2 times, with different values ("runc", "crun"): it takes one',
    ],
    [
      ['--log-file=/a', '--log-file', '/b', 'state'],
      '--log-file given 2 times, with different values ("/a", "/b"): it takes one',
    ],
    [['--annotation', 'novalue', '--', 'run'], '--annotation "novalue": expected KEY=VALUE'],
    [['--annotation', '=v', '--', 'run'], '--annotation "=v": expected KEY=VALUE'],
    [
      ['--prestart-as', 'podman4', '--', 'run'],
      '--prestart-as "podman4": createRuntime (podman 5) or prestart (podman 4)',
    ],
    [['--prestart-as'], '--prestart-as needs a value'],
    [
      ['--hook-dir', '/h', '--', 'run'],
      '"--hook-dir" before --: not an option of ocihooks-runtime ([--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation KEY=VALUE]... [--log-file FILE] [--root-per-user PATTERN] [--cdi-spec-dir DIR]... [--prestart-as createRuntime|prestart] [--] <runtime arguments>)',
    ],
    [
      ['--runtime', 'runc', 'run', '--', 'x'],
      '"run" before --: not an option of ocihooks-runtime ([--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation KEY=VALUE]... [--log-file FILE] [--root-per-user PATTERN] [--cdi-spec-dir DIR]... [--prestart-as createRuntime|prestart] [--] <runtime arguments>)',
    ],
  ])('%j is refused', (argv, message) => {
    expect(() => parseWrapperOptions(argv)).toThrow(new UsageError(message));
  });
});
