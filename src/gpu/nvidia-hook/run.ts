/**
 * Running one nvidia-cdi-hook subcommand: its flags, then nothing to do (decided before the state
 * is read, where NVIDIA's hook does so) or the usual container-hook flow with its planner. The
 * state comes from stdin, --state-file, or NVIDIA's --container-spec.
 */
import type { Invocation } from '../../hook/program/invocation';
import { COMMON_OPTIONS, CliSpec, CommonArgs, OptionTable } from '../../hook/program/options';
import { runProgram } from '../../hook/program/run-program';
import { runContainerHook } from '../../hook/container-hook';
import type { HookArgs, NvidiaHook } from './hook';

/** Go's strconv.ParseBool, which NVIDIA's flags and their environment variables go through. */
function goBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

const ROOT_FLAG = /^--?(debug|d|quiet)(?:=(.*))?$/;
/** NVIDIA's root flags and the environment variables behind them, first found wins (urfave/cli's Sources). */
const ROOT_FLAG_ENV = {
  debug: ['NVIDIA_CTK_DEBUG', 'NVIDIA_CDI_DEBUG'],
  quiet: ['NVIDIA_CTK_QUIET', 'NVIDIA_CDI_QUIET'],
};

export interface RootFlags {
  /** The arguments from the subcommand on. */
  rest: string[];
  debug?: boolean;
  quiet?: boolean;
  /** A root flag's value that is no boolean: the line to say. */
  problem?: string;
}

/**
 * Reads `a` into `out` when it is a root flag: true when it was one, false when not, the line to
 * say when its value is no Go bool.
 */
function takeRootFlag(a: string, out: RootFlags): boolean | string {
  const m = ROOT_FLAG.exec(a);
  if (!m) return false;
  const value = m[2] === undefined ? true : goBool(m[2]);
  if (value === undefined) return `${a}: invalid boolean value "${m[2]}"`;
  if (m[1] === 'quiet') out.quiet = value;
  else out.debug = value;
  return true;
}

/**
 * NVIDIA's root flags in front of the subcommand: `--debug`/`-d`, `--quiet`, in Go's forms (one
 * dash or two, `=<bool>`), and the word `hook` with the flags around it — `nvidia-ctk [flags] hook
 * [flags] <subcommand>`, the form nvidia-ctk's specs call when written with
 * `--nvidia-cdi-hook-path=…/nvidia-ctk` (internal/discover/hooks.go).
 */
export function rootFlags(argv: string[]): RootFlags {
  const out: RootFlags = { rest: [] };
  let i = 0;
  let hookWord = false;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === 'hook' && !hookWord) {
      hookWord = true;
      continue;
    }
    const taken = takeRootFlag(a, out);
    if (typeof taken === 'string') return { ...out, problem: taken };
    if (!taken) break;
  }
  out.rest = argv.slice(i);
  return out;
}

/**
 * NVIDIA's root flags among a subcommand's own (`update-ldcache --folder /l --debug`): urfave/cli v3
 * reads a root command's flags after the subcommand too. Taken out of `args` into `flags` (a later
 * one wins, as in front); a flag's value and everything after `--` stay the subcommand's. A
 * value-taking flag and its value come out as one argument (`--folder --debug` → `--folder=--debug`):
 * Go's flag package takes the next argument as the value whatever it starts with.
 */
export function rootFlagsAfter(flags: RootFlags, args: string[], takesValue: (name: string) => boolean): RootFlags {
  const out: RootFlags = { ...flags, rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      out.rest.push(...args.slice(i));
      break;
    }
    const taken = takeRootFlag(a, out);
    if (typeof taken === 'string') return { ...out, rest: [], problem: taken };
    if (taken) continue;
    const name = /^--?([^=]+)$/.exec(a)?.[1];
    // Joined into one argument: the parser after reads a value that starts with a dash as the value.
    out.rest.push(name !== undefined && takesValue(name) && i + 1 < args.length ? `${a}=${args[++i] as string}` : a);
  }
  return out;
}

/** Whether a subcommand's option (or a common one) reads the next argument as its value. */
export function takesValue(options: OptionTable, name: string): boolean {
  const o = Object.hasOwn(options, name)
    ? options[name]
    : Object.hasOwn(COMMON_OPTIONS, name)
      ? COMMON_OPTIONS[name]
      : undefined;
  return o !== undefined && o.type !== 'boolean';
}

/**
 * The log level NVIDIA's hook would log at: a flag over its environment variable (an empty one
 * is false, one that is no bool refuses, as urfave/cli's does), quiet over debug; `level`
 * undefined for the default (info).
 */
export function nvidiaLogLevel(
  flags: RootFlags,
  env: Readonly<Record<string, string | undefined>>,
): { level?: string; problem?: string } {
  let problem: string | undefined;
  const fromEnv = (names: string[]) => {
    for (const n of names) {
      const v = env[n]?.trim();
      if (v === undefined) continue;
      const b = v === '' ? false : goBool(v);
      if (b === undefined) problem ??= `${n}=${v}: invalid boolean value`;
      return b ?? false;
    }
    return false;
  };
  const debug = flags.debug ?? fromEnv(ROOT_FLAG_ENV.debug);
  const quiet = flags.quiet ?? fromEnv(ROOT_FLAG_ENV.quiet);
  if (problem !== undefined) return { problem };
  return quiet ? { level: 'error' } : debug ? { level: 'debug' } : {};
}

/** The command line of one subcommand. */
function hookCliSpec(program: string, hook: NvidiaHook): CliSpec {
  return {
    program,
    usage: `$0 ${hook.name} [options]`,
    options: hook.options,
    epilogue: hook.describe,
    repeated: 'last',
  };
}

export function runNvidiaHook(inv: Invocation, hook: NvidiaHook, argv: string[], logLevel?: string): number {
  const spec = hookCliSpec(inv.program, hook);
  // Run inside another hook (a CDI spec's hook inside the GPU hook): its records go to that hook's log.
  const ran = inv.log ? { ...inv, log: inv.log.child({ specHook: hook.name }) } : inv;
  return runProgram<CommonArgs & HookArgs>(
    spec,
    ran,
    (args, ctx) => {
      const containerSpec = args['container-spec'] as string | undefined;
      if (containerSpec !== undefined && containerSpec !== '' && containerSpec !== '-')
        args['state-file'] = containerSpec;
      const nothing = hook.check(args);
      if (nothing !== undefined) {
        ctx.log.info({ hook: hook.name }, `${nothing}: nothing to do`);
        return;
      }
      runContainerHook(args, ctx, (p) => hook.plan(p, args));
    },
    logLevel ? [`--log-level=${logLevel}`, ...argv] : argv,
  );
}
