/**
 * The installed front-end (share/ocihooks-runtime.sh) and the wrapper read a command line the
 * same way: for each line the script either hands it to the wrapper or execs the same runtime
 * with the same arguments the wrapper would; the wrapper's decision is computed from its own
 * parsers (options.ts, args.ts, config-file.ts). Calls the wrapper would refuse go to the wrapper.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseRuntimeArgs } from './args';
import { readRuntimeConfig } from './config-file';
import { parseWrapperOptions, resolveRuntime } from './options';

const SCRIPT = path.resolve(__dirname, '..', '..', 'share', 'ocihooks-runtime.sh');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-frontend-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const config = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const installed = config('installed.json', JSON.stringify({ runtime: 'crun', hooksDirs: ['/h'] }, null, 2) + '\n');
const absolute = config('absolute.json', JSON.stringify({ runtime: '/usr/sbin/runc' }, null, 2) + '\n');
const noRuntime = config('none.json', JSON.stringify({ hooksDirs: ['/h'] }, null, 2) + '\n');
const oneLine = config('one-line.json', JSON.stringify({ runtime: 'crun' }));
const broken = config('broken.json', '{"runtime": ');
// Laid out by hand: spacing, a last field without a comma and no final newline, "runtime" as a
// value elsewhere, an empty value, a value the script will not read.
const spaced = config('spaced.json', '{\n\t "hooksDirs" : ["/h"],\n   "runtime"   :   "crun"   \n}');
const mentioned = config('mentioned.json', JSON.stringify({ annotations: { what: '"runtime"' }, runtime: 'crun' }, null, 2) + '\n');
const mentionedOnly = config('mentioned-only.json', JSON.stringify({ annotations: { k: 'the "runtime" key' } }, null, 2) + '\n');
const empty = config('empty-runtime.json', '{\n  "runtime": ""\n}\n');
const escaped = config('escaped.json', '{\n  "runtime": "/usr/sbin/r\\u0075nc"\n}\n');

/** What the wrapper does with argv: runs its own code ("wrapper") or becomes the runtime. */
function wrapperDecision(argv: string[], env: NodeJS.ProcessEnv): string {
  try {
    const o = parseWrapperOptions(argv, readRuntimeConfig(env));
    if (o.answer || o.rootPerUser !== undefined) return 'wrapper'; // both run the wrapper's own code
    const cmd = parseRuntimeArgs(o.runtimeArgs, '/');
    if (cmd.subcommand === 'create' || cmd.subcommand === 'run') return 'wrapper';
    return `exec ${resolveRuntime(o.runtime)}${o.runtimeArgs.map((a) => ` [${a}]`).join('')}`;
  } catch {
    return 'wrapper'; // an error: the wrapper reports it
  }
}

const ROWS: [string, string[], string?][] = [
  ['pass-through after --', ['--', 'state', 'c1']],
  ['containerd delete, no options of ours', ['--root', '/run/containerd/runc/k8s.io/x', '--log', '/run/x/log.json', '--log-format', 'json', 'delete', 'c1']],
  ['containerd create', ['--root', '/r', '--log', '/l', '--log-format', 'json', 'create', '--bundle', '/b', '--pid-file', '/b/pid', 'c1']],
  ['run', ['--hooks-dir', '/h', '--', 'run', '-b', '/b', 'c1']],
  ['crun by name, = forms', ['--runtime=crun', '--hooks-dir=/h', '--annotation=k=v', '--log-file=/l', '--', 'kill', 'c1', 'KILL']],
  ['runtime by path', ['--runtime', '/usr/sbin/runc', '--', 'list']],
  ['a relative runtime path is refused', ['--runtime', 'bin/runc', '--', 'state', 'c1']],
  ['an unknown runtime is refused', ['--runtime', 'no-such-runtime', '--', 'state', 'c1']],
  ['a misspelt option before --', ['--hook-dir', '/h', '--', 'state', 'c1']],
  ['a bad annotation', ['--annotation', 'novalue', '--', 'state', 'c1']],
  ['an empty annotation key', ['--annotation==v', '--', 'state', 'c1']],
  ['an option without its value', ['--runtime']],
  ['--ocihooks-version', ['--ocihooks-version']],
  ['--root-per-user (Slurm 22.05 query)', ['--root-per-user', '/run/user/%U/runc', '--', 'state', 'c1']],
  ['--root-per-user= without --', ['--root-per-user=/run/user/%U/runc', 'delete', '--force', 'c1']],
  ['no subcommand', ['--version']],
  ['exec with its own options', ['--', '--root', '/r', 'exec', '--tty', 'c1', 'sh', '-c', 'echo run']],
  ['boolean globals before the subcommand', ['--debug', '--systemd-cgroup', 'pause', 'c1']],
  ['the config file names the runtime', ['--', 'state', 'c1'], installed],
  ['the config file names a path', ['state', 'c1'], absolute],
  ['the config file names none', ['state', 'c1'], noRuntime],
  ['--runtime wins over the file', ['--runtime', 'runc', '--', 'state', 'c1'], installed],
  ['a broken config file', ['state', 'c1'], broken],
  ['spacing, no comma, no final newline', ['state', 'c1'], spaced],
  ['"runtime" also inside a value', ['state', 'c1'], mentioned],
  ['"runtime" only inside a value', ['state', 'c1'], mentionedOnly],
  ['an empty runtime', ['state', 'c1'], empty],
  ['a named config file that is not there', ['state', 'c1'], path.join(dir, 'nope.json')],
];

// Every row has three entries: a two-entry row would make jest pass `done` as the third argument.
test.each(ROWS.map(([name, argv, configFile]) => [name, argv, configFile ?? ''] as const))('%s', (_name, argv, configFile) => {
  const env = { PATH: '/usr/bin:/bin', OCIHOOKS_FRONTEND_TRACE: '1', ...(configFile ? { OCIHOOKS_RUNTIME_CONFIG: configFile } : {}) };
  const script = spawnSync('sh', [SCRIPT, ...argv], { env, encoding: 'utf8' });
  expect(script.stderr).toBe('');
  expect(script.stdout.trim()).toBe(wrapperDecision(argv, env));
});

test.each([
  ['not laid out one field per line', oneLine, 'exec /usr/bin/crun [state] [c1]'],
  ['a runtime written with a JSON escape', escaped, 'exec /usr/sbin/runc [state] [c1]'],
])('a config file %s goes to the wrapper (which reads any JSON and then execs the runtime)', (_name, file, decision) => {
  const env = { PATH: '/usr/bin:/bin', OCIHOOKS_FRONTEND_TRACE: '1', OCIHOOKS_RUNTIME_CONFIG: file };
  expect(spawnSync('sh', [SCRIPT, 'state', 'c1'], { env, encoding: 'utf8' }).stdout.trim()).toBe('wrapper');
  expect(wrapperDecision(['state', 'c1'], env)).toBe(decision);
});
