/**
 * ocihook-gpu: GPUs through CDI specs (or device-node discovery), NVIDIA and AMD.
 *   ocihook-gpu [options]             createContainer hook: device nodes, mounts, cgroup rules, spec hooks
 *   ocihook-gpu precreate [options]   podman precreate: config.json on stdin, edited config.json on stdout
 *   ocihook-gpu <nvidia-cdi-hook subcommand> [flags]   NVIDIA's CDI hooks (also installed as nvidia-cdi-hook)
 * Devices come from cdi.k8s.io/* annotations and --device; the image's NVIDIA_VISIBLE_DEVICES,
 * ROCR/HIP_VISIBLE_DEVICES only with --accept-env and only when neither is there (src/gpu/select.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { UsageError, messageOf } from '../core/errors';
import { parseJson } from '../core/json';
import { HookContext, runProgram } from '../engine/cli/program';
import { runContainerHook } from '../engine/container-hook';
import { realHost } from '../engine/host';
import { containerEnv } from '../engine/inputs';
import { GPU_SPEC, GpuArgs, precreateConfig } from '../gpu/cli';
import { planGpuCreateContainer } from '../gpu/plan';
import { NOOP, NVIDIA_HOOKS } from '../gpu/nvidia-hook';
import { inProcessNvidiaHooks } from '../gpu/nvidia-hook/in-process';
import { rootFlags, runNvidiaHook } from '../gpu/nvidia-hook/run';
import { gpuRegistry, selectDevices } from '../gpu/registry';

/** precreate: config.json on stdin (or --config-file), the edited one on stdout. */
function precreate(args: GpuArgs, ctx: HookContext): void {
  const what = args['config-file'] ? `config ${args['config-file']}` : 'config on stdin';
  let text: string;
  try {
    text = fs.readFileSync(args['config-file'] ?? 0, 'utf8');
  } catch (e) {
    throw new UsageError(`${what}: ${messageOf(e)}`, { cause: e });
  }
  process.stdout.write(JSON.stringify(precreateConfig(args, ctx.log, parseJson(text, what), what)));
}

function gpuHook(argv: string[]): void {
  const isPrecreate = argv[0] === 'precreate';
  runProgram<GpuArgs>(GPU_SPEC, isPrecreate ? argv.slice(1) : argv, (args, ctx) => {
    if (isPrecreate) return precreate(args, ctx);
    runContainerHook(
      args,
      ctx,
      (p) => {
        const annotations = { ...(p.bundle.config.annotations ?? {}), ...(p.state.annotations ?? {}) };
        const reg = gpuRegistry(args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS, args['device-root'], ctx.log);
        const sel = selectDevices(
          reg,
          { annotations, env: containerEnv(p.bundle.config), cliDevices: args.device, acceptEnv: args['accept-env'] },
          ctx.log,
        );
        return planGpuCreateContainer(p, sel, realHost);
      },
      inProcessNvidiaHooks(GPU_SPEC.program, process.argv[1]),
    );
  });
}

const invokedAs = path.basename(process.argv[1] ?? '');
const { rest: argv, logLevel } = rootFlags(process.argv.slice(2));
const first = argv[0];
const hook = first !== undefined && Object.hasOwn(NVIDIA_HOOKS, first) ? NVIDIA_HOOKS[first] : undefined;
if (hook) runNvidiaHook(GPU_SPEC.program, hook, argv.slice(1), logLevel);
else if (first === NOOP) process.exit(0);
else if (first !== undefined && first !== 'precreate' && !first.startsWith('-')) {
  // NVIDIA's rule: a hook a newer toolkit wrote into a spec must not break the container.
  process.stderr.write(`${GPU_SPEC.program}: warning: Unsupported CDI hook: ${first}\n`);
} else if (first === undefined && invokedAs === 'nvidia-cdi-hook')
  process.stderr.write(`${GPU_SPEC.program}: warning: No CDI hook specified\n`);
else gpuHook(argv);
