/**
 * Running one nvidia-cdi-hook subcommand: its flags, then nothing to do (decided before the state
 * is read, where NVIDIA's hook does so) or the usual container-hook flow with its planner. The
 * state comes from stdin, --state-file, or NVIDIA's --container-spec.
 */
import type { Invocation } from '../../hook/program/invocation';
import type { CliSpec, CommonArgs } from '../../hook/program/options';
import { runProgram } from '../../hook/program/run-program';
import { runContainerHook } from '../../hook/container-hook';
import type { HookArgs, NvidiaHook } from './hook';

/** NVIDIA's root flags (before the subcommand) as this project's log levels. */
export function rootFlags(argv: string[]): { rest: string[]; logLevel?: string } {
  let logLevel: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--debug' || a === '-d') logLevel ??= 'debug';
    else if (a === '--quiet')
      logLevel = 'error'; // quiet wins, as NVIDIA's does
    else break;
  }
  return { rest: argv.slice(i), ...(logLevel ? { logLevel } : {}) };
}

/** The command line of one subcommand. */
function hookCliSpec(program: string, hook: NvidiaHook): CliSpec {
  return { program, usage: `$0 ${hook.name} [options]`, options: hook.options, epilogue: hook.describe };
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
