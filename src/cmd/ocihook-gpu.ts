/**
 * ocihook-gpu: GPUs through CDI specs (or device-node discovery), NVIDIA and AMD.
 *   ocihook-gpu [options]             createContainer hook: device nodes, mounts, cgroup rules, spec hooks
 *   ocihook-gpu precreate [options]   podman precreate: config.json on stdin, edited config.json on stdout
 *   ocihook-gpu <nvidia-cdi-hook subcommand> [flags]   NVIDIA's CDI hooks (also installed as nvidia-cdi-hook)
 * Devices come from cdi.k8s.io/* annotations and --device; the image's NVIDIA_VISIBLE_DEVICES,
 * ROCR/HIP_VISIBLE_DEVICES only with --accept-env and only when neither is there (src/gpu/select.ts).
 */
import path = require('node:path');
import type { Invocation } from '../hook/program/invocation';
import { runProgram } from '../hook/program/run-program';
import { runContainerHook } from '../hook/container-hook';
import { GPU_SPEC, type GpuArgs } from '../gpu/arguments';
import { createContainerPlan, precreate } from '../gpu/cli';
import { NOOP, NVIDIA_HOOKS } from '../gpu/nvidia-hook';
import { nvidiaLogLevel, rootFlags, rootFlagsAfter, runNvidiaHook, takesValue } from '../gpu/nvidia-hook/run';

export function main(inv: Invocation): number {
  const flags = rootFlags(inv.argv);
  if (flags.problem !== undefined) return badInput(inv, flags.problem);
  const argv = flags.rest;
  const first = argv[0];
  const hook = first !== undefined && Object.hasOwn(NVIDIA_HOOKS, first) ? NVIDIA_HOOKS[first] : undefined;
  if (hook) {
    const all = rootFlagsAfter(flags, argv.slice(1), (name) => takesValue(hook.options, name));
    if (all.problem !== undefined) return badInput(inv, all.problem);
    const { level, problem } = nvidiaLogLevel(all, inv.env);
    return problem === undefined ? runNvidiaHook(inv, hook, all.rest, level) : badInput(inv, problem);
  }
  if (first === NOOP) return 0;
  if (first !== undefined && first !== 'precreate' && !first.startsWith('-')) {
    // NVIDIA's rule: a hook a newer toolkit wrote into a spec must not break the container.
    inv.stderr(`${GPU_SPEC.program}: warning: Unsupported CDI hook: ${first}\n`);
    return 0;
  }
  if (first === undefined && (path.basename(inv.path) === 'nvidia-cdi-hook' || inv.argv.includes('hook'))) {
    inv.stderr(`${GPU_SPEC.program}: warning: No CDI hook specified\n`);
    return 0;
  }
  if (first === 'precreate') return runProgram<GpuArgs>(GPU_SPEC, inv, precreate, argv.slice(1));
  return runProgram<GpuArgs>(GPU_SPEC, inv, (args, ctx) =>
    runContainerHook(args, ctx, (p) => createContainerPlan(p, args, ctx.log)),
  );
}

/** A root flag (or its env variable) NVIDIA's hook would refuse too: one line, exit 2. */
function badInput(inv: Invocation, problem: string): number {
  inv.stderr(`${GPU_SPEC.program}: ${problem}\n`);
  return 2;
}
