/**
 * ocihooks: the admin command. validate | match | install | code-cache | doctor | plan | cdi | completion.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import yargs from 'yargs';
import { VERSION } from '../engine/cli/options';
import { UsageError, messageOf } from '../core/errors';
import { doctor } from '../admin/doctor';
import { DEFAULT_HOOKS_DIRS, factsFromConfig, matchHooks, readHookFile, readHooksDirs } from '../hooksd/match';
import { DEFAULT_HOOKS_DIR, DEFAULT_PREFIX, PROGRAMS, install, uninstall } from '../admin/install';
import { writeCodeCaches } from '../admin/code-cache';
import { ociConfigSchema, parseJson, parseWith } from '../core/oci';
import { defaultLdconfig } from '../linux/ldconfig';
import { generateNvidiaSpec } from '../gpu/generate/nvidia';

const PROGRAM = 'ocihooks';
const here = __dirname; // dist/bin (or <prefix>/bin once installed)

function fail(e: unknown): never {
  process.stderr.write(`${PROGRAM}: ${messageOf(e).split('\n')[0]}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
}

function jsonFilesOf(p: string): string[] {
  if (!fs.existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  if (fs.statSync(p).isDirectory()) return fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f));
  return [p];
}

function annotationPairs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`--annotation ${JSON.stringify(a)}: expected KEY=VALUE`);
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** What install and code-cache did: files on stdout, problems on stderr (and exit 1). */
function printReport(report: { written: string[]; skipped?: string[]; problems: string[] }): void {
  for (const w of report.written) process.stdout.write(`wrote ${w}\n`);
  for (const s of report.skipped ?? []) process.stdout.write(`skipped ${s}\n`);
  for (const p of report.problems) process.stderr.write(`${PROGRAM}: ${p}\n`);
  if (report.problems.length) process.exitCode = 1;
}

/** `plan --state-file F [--] <hook> [hook args]`: the hook's own arguments pass through untouched. */
function plan(argv: string[]): void {
  let stateFile: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--state-file') stateFile = argv[++i];
    else if (a.startsWith('--state-file=')) stateFile = a.slice('--state-file='.length);
    else if (a === '--') {
      i++;
      break;
    } else break;
  }
  const hook = argv[i];
  const names = ['mount', 'gpu', 'ldconfig'];
  if (!stateFile) throw new UsageError('plan: --state-file FILE is required');
  const name = hook?.startsWith('ocihook-') ? hook.slice(8) : hook;
  if (!name || !names.includes(name)) throw new UsageError(`plan: name a hook (${names.join(', ')}), got ${JSON.stringify(hook ?? '')}`);
  const r = spawnSync(process.execPath, [path.join(here, `ocihook-${name}`), '--state-file', stateFile, '--dry-run', ...argv.slice(i + 1)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === 'plan' && !argv.includes('--help')) return plan(argv.slice(1));
  await yargs(argv)
    .scriptName(PROGRAM)
    .usage('$0 <command> [options]')
    .command(
      'validate [paths..]',
      'check hooks.d files (1.0.0 and 0.1.0) the way podman reads them',
      (y) => y.positional('paths', { type: 'string', array: true, describe: `files or directories (default: ${DEFAULT_HOOKS_DIRS.join(' ')})` }).option('path-check', { type: 'boolean', default: true, describe: 'require hook paths to exist and be executable here (--no-path-check skips it)' }),
      (a) => {
        const paths = a.paths?.length ? a.paths : DEFAULT_HOOKS_DIRS.filter((d) => fs.existsSync(d));
        let bad = 0;
        let count = 0;
        for (const p of paths) {
          for (const file of jsonFilesOf(p)) {
            count++;
            const f = readHookFile(file, { checkPath: a['path-check'] });
            for (const pr of f.problems) process.stdout.write(`${file}: ${pr.field}: ${pr.reason}\n`);
            if (f.problems.length) bad++;
          }
        }
        process.stdout.write(`${count} file(s) checked, ${bad} with problems\n`);
        if (bad) process.exitCode = 2;
      },
    )
    .command(
      'match',
      'print which hooks a container would get at which stage, in podman order',
      (y) =>
        y
          .option('config', { type: 'string', demandOption: true, describe: 'the container config.json' })
          .option('annotation', { type: 'string', array: true, default: [] as string[], describe: 'KEY=VALUE, added to the config annotations' })
          .option('hooks-dir', { type: 'string', array: true, describe: 'hooks directory, later ones preferred (default: podman\'s two)' })
          .option('json', { type: 'boolean', default: false }),
      (a) => {
        const what = `config ${a.config}`;
        let text: string;
        try {
          text = fs.readFileSync(a.config, 'utf8');
        } catch (e) {
          throw new UsageError(`${what}: ${messageOf(e)}`);
        }
        const config = parseWith(ociConfigSchema, parseJson(text, what), what);
        const files = readHooksDirs(a['hooks-dir'] ?? DEFAULT_HOOKS_DIRS);
        for (const f of files) for (const pr of f.problems) process.stderr.write(`${PROGRAM}: ${f.file}: ${pr.field}: ${pr.reason} (file ignored)\n`);
        const matched = matchHooks(files, factsFromConfig(config, annotationPairs(a.annotation)));
        if (a.json) {
          process.stdout.write(JSON.stringify(matched, null, 2) + '\n');
          return;
        }
        for (const [stage, hooks] of Object.entries(matched)) for (const h of hooks) process.stdout.write(`${stage}\t${path.basename(h.file)}\t${[h.hook.path, ...(h.hook.args ?? []).slice(1)].join(' ')}\n`);
      },
    )
    .command(
      'install',
      'install the hooks under a prefix and their hooks.d files',
      (y) =>
        y
          .option('prefix', { type: 'string', default: DEFAULT_PREFIX })
          .option('hooks-dir', { type: 'string', default: DEFAULT_HOOKS_DIR })
          .option('uninstall', { type: 'boolean', default: false, describe: 'remove exactly what install wrote' })
          .option('ldconfig', { type: 'string', describe: 'host ldconfig the hooks use (default: /sbin/ldconfig or /usr/sbin/ldconfig)' })
          .option('fi-provider-dir', { type: 'string', default: '/usr/lib/x86_64-linux-gnu/libfabric', describe: 'host libfabric provider folder for libfabric.json' }),
      (a) => {
        if (a.uninstall) {
          for (const r of uninstall(a.prefix)) process.stdout.write(`removed ${r}\n`);
          return;
        }
        const dist = path.resolve(here, '..');
        const templates = [path.resolve(here, '..', '..', 'hooks.d'), path.resolve(here, '..', 'hooks.d')].find((d) => fs.existsSync(path.join(d, 'slurm.json')));
        if (!templates) throw new UsageError('cannot find the shipped hooks.d templates beside this program');
        const ldconfig = a.ldconfig ?? defaultLdconfig();
        if (!ldconfig) throw new UsageError('no host ldconfig found: pass --ldconfig');
        printReport(install({ prefix: a.prefix, hooksDir: a['hooks-dir'], node: process.execPath, dist, templates, ldconfig, fiProviderDir: a['fi-provider-dir'] }));
      },
    )
    .command(
      'code-cache',
      "rewrite the V8 code caches of an installation's hooks (after a node upgrade; install does it too)",
      (y) => y.option('prefix', { type: 'string', default: path.resolve(here, '..'), describe: 'installation to refresh (bin/ and lib/ under it)' }),
      (a) => {
        printReport(writeCodeCaches(a.prefix, PROGRAMS));
      },
    )
    .command(
      'doctor',
      'what this host supports and what is missing',
      (y) => y.option('hooks-dir', { type: 'string', array: true, describe: 'hooks directories to inspect' }),
      (a) => {
        const checks = doctor(a['hooks-dir'] ?? [...DEFAULT_HOOKS_DIRS]);
        for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name}: ${c.detail}\n`);
        if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
      },
    )
    .command(
      'plan',
      "print a hook's plan for a container: plan --state-file F [--] <mount|gpu|ldconfig> [hook arguments] (forwards to the hook's --dry-run)",
      (y) => y.option('state-file', { type: 'string', describe: 'the OCI state of the container' }),
      () => undefined, // handled before yargs (see plan()), so that hook arguments pass untouched
    )
    .command('cdi <command>', 'CDI specs', (y) =>
      y
        .command(
          'generate',
          'write a CDI spec for the NVIDIA GPUs, nodes, libraries and utilities this host has',
          (g) =>
            g
              .option('driver-root', { type: 'string', default: '/', describe: 'where the driver files are (/dev, /proc/driver/nvidia, libraries)' })
              .option('output', { type: 'string', describe: 'file to write (default: stdout)' })
              .option('format', { choices: ['json', 'yaml'] as const, default: 'json' as const }),
          (a) => {
            const spec = generateNvidiaSpec({ driverRoot: a['driver-root'], ldconfigHook: path.join(here, 'ocihook-ldconfig') });
            const text = a.format === 'yaml' ? (require('yaml') as typeof import('yaml')).stringify(spec.doc) : JSON.stringify(spec.doc, null, 2) + '\n';
            if (!a.output) {
              process.stdout.write(text);
              return;
            }
            const tmp = `${a.output}.tmp-${process.pid}`;
            fs.writeFileSync(tmp, text, { mode: 0o644 });
            fs.renameSync(tmp, a.output);
            process.stderr.write(`${PROGRAM}: wrote ${a.output}: ${spec.devices.length} devices, ${spec.edits.mounts.length} mounts\n`);
          },
        )
        .demandCommand(1, 'name a cdi command'),
    )
    .completion('completion', 'print a bash completion script')
    .demandCommand(1, 'name a command')
    .strict()
    .version(VERSION)
    .help()
    .wrap(100)
    .fail((msg, err) => fail(err ?? new UsageError(msg)))
    .parseAsync();
}

main().catch(fail);
