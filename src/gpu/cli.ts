/**
 * ocihook-gpu's command line and its precreate mode as a function: the program (src/cmd/ocihook-gpu.ts)
 * and the runtime wrapper, which runs an installed ocihook-gpu precreate filter in its own process
 * (src/cmd/ocihooks-runtime.ts), share both.
 */
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import { Json, parseWith } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import type { CliSpec, CommonArgs } from '../engine/cli/options';
import { realHost } from '../engine/host';
import { containerEnv } from '../engine/inputs';
import type { Logger } from '../engine/log';
import { phaseDone } from '../engine/timing';
import { editConfigForPrecreate } from './precreate';
import { gpuRegistry, selectDevices } from './registry';

export interface GpuArgs extends CommonArgs {
  device: string[];
  'cdi-spec-dir'?: string[];
  'device-root': string;
  'skip-cgroup': boolean;
  'config-file'?: string;
  'accept-env': boolean;
}

export const GPU_SPEC: CliSpec = {
  program: 'ocihook-gpu',
  usage: '$0 [precreate] [--device vendor.com/class=name]... [--cdi-spec-dir DIR]... [options]',
  options: {
    device: {
      type: 'string',
      array: true,
      default: [],
      describe: 'CDI device to inject (fully-qualified name), in addition to annotations and env',
    },
    'cdi-spec-dir': {
      type: 'string',
      array: true,
      describe: `CDI spec directory, later wins (default: ${DEFAULT_CDI_DIRS.join(' ')})`,
    },
    'device-root': { type: 'string', default: '/dev', describe: 'where to discover GPU nodes when no CDI spec exists' },
    'skip-cgroup': {
      type: 'boolean',
      default: false,
      describe: 'bind devices but leave the device cgroup alone (diagnostics)',
    },
    'config-file': { type: 'string', describe: 'precreate: read config.json from FILE instead of stdin' },
    'accept-env': {
      type: 'boolean',
      default: false,
      describe: "let the image's NVIDIA_/ROCR_/HIP_VISIBLE_DEVICES select devices when no annotation or --device does",
    },
  },
  epilogue: 'precreate reads the proposed config.json on stdin and writes the edited one on stdout.',
};

/** precreate: the config with the selected devices' edits applied (`what` names it in errors). */
export function precreateConfig(args: GpuArgs, log: Logger, raw: unknown, what: string): Json {
  const config = parseWith(ociConfigSchema, raw, what); // raw is an OCI config object from here on
  phaseDone('config');
  const reg = gpuRegistry(args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS, args['device-root'], log);
  const sel = selectDevices(
    reg,
    {
      annotations: config.annotations ?? {},
      env: containerEnv(config),
      cliDevices: args.device,
      acceptEnv: args['accept-env'],
    },
    log,
  );
  const edited = sel.devices.length ? editConfigForPrecreate(raw as Json, sel, realHost) : (raw as Json);
  phaseDone('plan');
  log.info({ devices: sel.devices.map((d) => d.qualifiedName) }, 'precreate');
  return edited;
}
