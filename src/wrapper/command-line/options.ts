/**
 * The wrapper's own options, before `--` (or, without `--`, before the first argument that is not
 * one of them, as when an engine calls the wrapper in runc's place):
 *   [--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation K=V]... [--log-file F] [--root-per-user PATTERN] [--cdi-spec-dir DIR]... [--prestart-as createRuntime|prestart]
 * Everything after them is the runtime's, passed on untouched. With `--` present, an argument
 * before it that is not ours is refused.
 */
import path = require('node:path');
import { keyValueArgs } from '../../core/env';
import { UsageError } from '../../core/errors';
import { DEFAULT_PRESTART_AS, PRESTART_AS, PrestartAs } from '../../hooksd/prestart';
import { findHostProgram } from '../../linux/programs';
import type { RuntimeConfig } from '../config-file';

export const WRAPPER_USAGE =
  '[--runtime runc|crun|PATH] [--hooks-dir DIR]... [--annotation KEY=VALUE]... [--log-file FILE] [--root-per-user PATTERN] [--cdi-spec-dir DIR]... [--prestart-as createRuntime|prestart] [--] <runtime arguments>';

export interface WrapperOptions {
  runtime: string;
  hooksDirs: string[];
  annotations: Record<string, string>;
  logFile?: string;
  /** --root-per-user: the runtime's --root, %U the container's user (per-user-root.ts). */
  rootPerUser?: string;
  /** --cdi-spec-dir: the CDI spec folders Slurm's GPUs are looked up in (default /etc/cdi, /var/run/cdi). */
  cdiSpecDirs: string[];
  /** --prestart-as: where a hooks.d file's prestart goes (createRuntime as podman 5, prestart as podman 4). */
  prestartAs: PrestartAs;
  /** --ocihooks-help / --ocihooks-version: answer instead of running anything. */
  answer?: 'help' | 'version';
  runtimeArgs: string[];
}

/** The options on the line, over `defaults` (the runtime config file): given ones win, annotations key by key. */
export function parseWrapperOptions(argv: string[], defaults: RuntimeConfig = {}): WrapperOptions {
  const o: WrapperOptions = {
    runtime: defaults.runtime ?? 'runc',
    hooksDirs: [],
    annotations: {},
    runtimeArgs: [],
    cdiSpecDirs: [],
    prestartAs: defaults.prestartAs ?? DEFAULT_PRESTART_AS,
    ...(defaults.logFile ? { logFile: defaults.logFile } : {}),
  };
  const annotations: string[] = [];
  // A single-valued option given again with another value refuses the line (the front-end,
  // native/front-end/options.c, hands such a line here); the same value again is that value.
  const given = new Map<string, string>();
  const once = (name: string, v: string): string => {
    const before = given.get(name);
    if (before !== undefined && before !== v)
      throw new UsageError(
        `${name} given 2 times, with different values (${JSON.stringify(before)}, ${JSON.stringify(v)}): it takes one`,
      );
    given.set(name, v);
    return v;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (name: string): string => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      const v = argv[++i];
      if (v === undefined || v === '--') throw new UsageError(`${name} needs a value`);
      return v;
    };
    const is = (name: string) => a === name || a.startsWith(`${name}=`);
    if (a === '--') {
      i++;
      break;
    } else if (is('--runtime')) o.runtime = once('--runtime', value('--runtime'));
    else if (is('--hooks-dir')) o.hooksDirs.push(value('--hooks-dir'));
    else if (is('--annotation')) annotations.push(value('--annotation'));
    else if (is('--log-file')) o.logFile = once('--log-file', value('--log-file'));
    else if (is('--root-per-user')) o.rootPerUser = once('--root-per-user', value('--root-per-user'));
    else if (is('--cdi-spec-dir')) o.cdiSpecDirs.push(value('--cdi-spec-dir'));
    else if (is('--prestart-as')) {
      const v = once('--prestart-as', value('--prestart-as'));
      if (!(PRESTART_AS as readonly string[]).includes(v))
        throw new UsageError(`--prestart-as ${JSON.stringify(v)}: createRuntime (podman 5) or prestart (podman 4)`);
      o.prestartAs = v as PrestartAs;
    } else if (a === '--ocihooks-help') return { ...o, answer: 'help' };
    else if (a === '--ocihooks-version') return { ...o, answer: 'version' };
    // With `--` on the line, everything before it is ours: a misspelt option must not reach runc.
    else if (argv.includes('--'))
      throw new UsageError(`${JSON.stringify(a)} before --: not an option of ocihooks-runtime (${WRAPPER_USAGE})`);
    else break;
  }
  o.annotations = { ...(defaults.annotations ?? {}), ...keyValueArgs(annotations, '--annotation') };
  if (o.hooksDirs.length === 0 && defaults.hooksDirs) o.hooksDirs = [...defaults.hooksDirs];
  if (o.cdiSpecDirs.length === 0 && defaults.cdiSpecDirs) o.cdiSpecDirs = [...defaults.cdiSpecDirs];
  o.runtimeArgs = argv.slice(i);
  return o;
}

/**
 * Whether these options of the wrapper (the line before the runtime's arguments) change which
 * hooks.d folders are read or where their hooks go: the front-end then never starts the runtime
 * early (native/front-end/options.c reads the same).
 */
export function foldersOrStagesOnLine(options: readonly string[]): boolean {
  const named = ['--hooks-dir', '--prestart-as', '--cdi-spec-dir', '--root-per-user'];
  return options.some((a) => named.some((n) => a === n || a.startsWith(`${n}=`)));
}

/** The runtime's path: an absolute path as given, or a name looked up in the host's program folders. */
export function resolveRuntime(runtime: string): string {
  if (runtime === '') throw new UsageError('--runtime: empty (runc, crun or an absolute path)');
  if (runtime.includes('/')) {
    if (!path.isAbsolute(runtime)) throw new UsageError(`--runtime ${runtime}: a path must be absolute`);
    return runtime;
  }
  const found = findHostProgram(runtime);
  if (!found) throw new UsageError(`--runtime ${runtime}: not found`);
  return found;
}
