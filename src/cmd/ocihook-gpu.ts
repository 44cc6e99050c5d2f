/**
 * ocihook-gpu: GPUs through CDI specs (or device-node discovery), NVIDIA and AMD.
 *   ocihook-gpu [options]             createContainer hook: device nodes, mounts, cgroup rules, spec hooks
 *   ocihook-gpu precreate [options]   podman precreate: config.json on stdin, edited config.json on stdout
 * Devices come from cdi.k8s.io/* annotations, NVIDIA_VISIBLE_DEVICES, ROCR/HIP_VISIBLE_DEVICES and --device.
 */
import * as fs from 'node:fs';
import { CommonArgs, parseArgs, runProgram } from '../engine/cli/options';
import { UsageError } from '../core/errors';
import { runContainerHook } from '../engine/container-hook';
import { containerEnv } from '../engine/inputs';
import { DEFAULT_CDI_DIRS, Registry, loadRegistry, resolveDevices } from '../cdi/registry';
import { discoverGpuSpecs } from '../gpu/discover';
import { GpuSelection, editConfigForPrecreate, planGpuCreateContainer } from '../gpu/plan';
import { requestedDeviceNames } from '../gpu/select';
import { ociConfigSchema, parseJson, parseWith } from '../core/oci';
import { phaseDone } from '../engine/timing';
import type { Logger } from '../engine/log';

const PROGRAM = 'ocihook-gpu';
const precreate = process.argv[2] === 'precreate';
const argv = process.argv.slice(precreate ? 3 : 2);

function registry(dirs: string[], deviceRoot: string, log: Logger): Registry {
  const reg = loadRegistry(dirs);
  for (const p of reg.problems) log.warn({ cdi: p }, 'CDI spec skipped');
  if (reg.specs.length === 0) {
    // No CDI spec at all: fall back to the device nodes that exist.
    for (const spec of discoverGpuSpecs(deviceRoot)) {
      reg.specs.push(spec);
      for (const device of spec.devices) reg.devices.set(`${spec.kind}=${device.name}`, { qualifiedName: `${spec.kind}=${device.name}`, spec, device });
    }
    log.info({ deviceRoot, kinds: reg.specs.map((s) => s.kind) }, 'no CDI spec found: discovered device nodes');
  }
  return reg;
}

function select(reg: Registry, annotations: Record<string, string>, env: Map<string, string>, cli: string[]): GpuSelection {
  const requested = requestedDeviceNames(annotations, env, cli);
  return { requested, devices: requested.length ? resolveDevices(reg, requested) : [] };
}

interface Args extends CommonArgs {
  device: string[];
  'cdi-spec-dir'?: string[];
  'device-root': string;
  'skip-cgroup': boolean;
  'config-file'?: string;
}

runProgram(
  PROGRAM,
  () =>
    parseArgs<Args>(
      {
        program: PROGRAM,
        usage: '$0 [precreate] [--device vendor.com/class=name]... [--cdi-spec-dir DIR]... [options]',
        options: {
          device: { type: 'string', array: true, default: [], describe: 'CDI device to inject (fully-qualified name), in addition to annotations and env' },
          'cdi-spec-dir': { type: 'string', array: true, describe: `CDI spec directory, later wins (default: ${DEFAULT_CDI_DIRS.join(' ')})` },
          'device-root': { type: 'string', default: '/dev', describe: 'where to discover GPU nodes when no CDI spec exists' },
          'skip-cgroup': { type: 'boolean', default: false, describe: 'bind devices but leave the device cgroup alone (diagnostics)' },
          'config-file': { type: 'string', describe: 'precreate: read config.json from FILE instead of stdin' },
        },
        epilogue: 'precreate reads the proposed config.json on stdin and writes the edited one on stdout.',
      },
      argv,
    ),
  (args, ctx) => {
    const dirs = args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS;
    const deviceRoot = args['device-root'];
    if (precreate) {
      const what = args['config-file'] ? `config ${args['config-file']}` : 'config on stdin';
      let text: string;
      try {
        text = fs.readFileSync(args['config-file'] ?? 0, 'utf8');
      } catch (e) {
        throw new UsageError(`${what}: ${(e as Error).message}`);
      }
      const raw = parseJson(text, what);
      const config = parseWith(ociConfigSchema, raw, what);
      phaseDone('config');
      const sel = select(registry(dirs, deviceRoot, ctx.log), config.annotations ?? {}, containerEnv(config), args.device);
      const edited = sel.devices.length ? editConfigForPrecreate(raw as Record<string, unknown>, sel) : raw;
      phaseDone('plan');
      ctx.log.info({ devices: sel.devices.map((d) => d.qualifiedName) }, 'precreate');
      process.stdout.write(JSON.stringify(edited));
      return;
    }
    runContainerHook(args, ctx, ({ state, bundle, location }) => {
      const annotations = { ...(bundle.config.annotations ?? {}), ...(state.annotations ?? {}) };
      const sel = select(registry(dirs, deviceRoot, ctx.log), annotations, containerEnv(bundle.config), args.device);
      return planGpuCreateContainer(state, bundle, location, sel);
    });
  },
);
