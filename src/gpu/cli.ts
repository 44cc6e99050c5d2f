/**
 * ocihook-gpu's command line, and what it does in each of its two modes: the devices a container
 * gets planned for its createContainer stage, or written into its config.json (precreate). The
 * program (src/cmd/ocihook-gpu.ts) only chooses between them and NVIDIA's subcommands.
 */
import { DEFAULT_CDI_DIRS, type Registry } from '../cdi/registry';
import { Json, parseJson, parseWith } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import fs = require('node:fs');
import path = require('node:path');
import { UsageError, messageOf } from '../core/errors';
import type { Plan } from '../core/plan';
import type { HookContext } from '../hook/program/run-program';
import type { CliSpec, CommonArgs } from '../hook/program/options';
import type { PlanContext } from '../hook/container-hook';
import { realHost } from '../hook/real-host';
import { DEFAULT_DECODED_CACHE_DIR, decodedCache } from '../hook/decoded-cache';
import { containerEnv } from '../hook/inputs';
import type { Logger } from '../hook/log';
import type { Timing } from '../hook/timing';
import { planGpuCreateContainer } from './plan';
import { editConfigForPrecreate } from './precreate';
import { relayConfigHooks } from '../hook/program/chain-hooks';
import { handOffExit } from '../hook/server/hand-off';
import { type HookServer, hookServerSocket, openHookServerOrWarn, serveHooks } from '../hook/server/hook-server';
import { binDirOf } from '../hook/program/own-programs';
import { gpuRegistry, selectDevices } from './registry';

export interface GpuArgs extends CommonArgs {
  device: string[];
  'cdi-spec-dir'?: string[];
  'device-root': string;
  'cdi-cache-dir': string;
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
    'cdi-cache-dir': {
      type: 'string',
      default: DEFAULT_DECODED_CACHE_DIR,
      describe: 'where root keeps CDI specs decoded and checked between runs (absolute path), or none',
    },
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

/**
 * The registry of the CDI specs the arguments name, each kept decoded and checked in
 * --cdi-cache-dir between runs (hook/decoded-cache.ts says when it is used).
 */
function registryOf(args: GpuArgs, log: Logger): Registry {
  const dir = args['cdi-cache-dir'];
  if (dir !== 'none' && !path.isAbsolute(dir))
    throw new UsageError(`--cdi-cache-dir ${dir}: not an absolute path (or none)`);
  const kept =
    dir === 'none'
      ? undefined
      : decodedCache(dir, { readOnly: args['dry-run'], warn: (message) => log.warn({ cdiCacheDir: dir }, message) });
  for (const d of args['cdi-spec-dir'] ?? [])
    if (!path.isAbsolute(d))
      // A hook's working folder is the bundle's (runtimes start it there): a relative folder would
      // take specs, and the host programs their hooks name, from the container's owner.
      throw new UsageError(`--cdi-spec-dir ${JSON.stringify(d)}: not an absolute path`);
  return gpuRegistry(args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS, args['device-root'], log, kept);
}

/** precreate: the config with the selected devices' edits applied (`what` names it in errors). */
function precreateConfig(args: GpuArgs, log: Logger, raw: unknown, what: string, timing: Timing): Json {
  const config = parseWith(ociConfigSchema, raw, what); // raw is an OCI config object from here on
  timing.done('config');
  const reg = registryOf(args, log);
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
  timing.done('plan');
  log.info({ devices: sel.devices.map((d) => d.qualifiedName) }, 'precreate');
  return edited;
}

/** precreate: config.json on stdin (or --config-file), the edited one on stdout. */
export function precreate(args: GpuArgs, ctx: HookContext): void {
  if (args['config-file'] === '')
    throw new UsageError('--config-file: empty (a config.json, or leave it out for stdin)');
  const what = args['config-file'] !== undefined ? `config ${args['config-file']}` : 'config on stdin';
  let text: string;
  try {
    text = args['config-file'] !== undefined ? fs.readFileSync(args['config-file'], 'utf8') : ctx.inv.stdin();
  } catch (e) {
    throw new UsageError(`${what}: ${messageOf(e)}`, { cause: e });
  }
  let config = precreateConfig(args, ctx.log, parseJson(text, what), what, ctx.inv.timing);
  // Started apart by the hook launcher (as root): the config's first stages' hooks of this
  // installation ask this process, which stays to run them (hook/server/hook-server.ts). The server
  // is opened only for a config that has such hooks (a spec without hooks needs none).
  const h = ctx.inv.handOff;
  let server: HookServer | undefined;
  let served = 0;
  if (h) {
    const socket = hookServerSocket();
    const relayed = relayConfigHooks(config, binDirOf(ctx.inv.path), socket);
    server = relayed.served > 0 ? openHookServerOrWarn(h, ctx.log) : undefined;
    if (server?.socket === socket) ({ config, served } = relayed);
  }
  ctx.inv.stdout(JSON.stringify(config));
  if (!h || !server) return;
  try {
    if (served === 0) return;
    handOffExit(h, 0); // the filter's work is done: podman goes on, with the output
    serveHooks(server, served, ctx.inv.dispatch, ctx.log, `${ctx.inv.program} precreate`);
  } finally {
    server.close();
  }
}

/** createContainer: the devices the container asks for (annotations, --device, the image env if accepted), planned. */
export function createContainerPlan(p: PlanContext, args: GpuArgs, log: Logger): Plan {
  const annotations = { ...(p.bundle.config.annotations ?? {}), ...(p.state.annotations ?? {}) };
  const reg = registryOf(args, log);
  const sel = selectDevices(
    reg,
    { annotations, env: containerEnv(p.bundle.config), cliDevices: args.device, acceptEnv: args['accept-env'] },
    log,
  );
  return planGpuCreateContainer(p, sel, realHost);
}
