/**
 * ocihook-gpu's options (both modes), and the CDI registry they name: the specs of --cdi-spec-dir,
 * kept decoded in --cdi-cache-dir, or device nodes discovered under --device-root.
 */
import path = require('node:path');
import { DEFAULT_CDI_DIRS, type Registry } from '../cdi/registry';
import { UsageError } from '../core/errors';
import { DEFAULT_DECODED_CACHE_DIR, decodedCache } from '../hook/decoded-cache';
import type { Logger } from '../hook/log';
import type { CliSpec, CommonArgs } from '../hook/program/options';
import { gpuRegistry } from './registry';

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
export function registryOf(args: GpuArgs, log: Logger, readOnly = args['dry-run']): Registry {
  const dir = args['cdi-cache-dir'];
  if (dir !== 'none' && !path.isAbsolute(dir))
    throw new UsageError(`--cdi-cache-dir ${dir}: not an absolute path (or none)`);
  const kept =
    dir === 'none'
      ? undefined
      : decodedCache(dir, { readOnly, warn: (message) => log.warn({ cdiCacheDir: dir }, message) });
  for (const d of args['cdi-spec-dir'] ?? [])
    if (!path.isAbsolute(d))
      // A hook's working folder is the bundle's (runtimes start it there): a relative folder would
      // take specs, and the host programs their hooks name, from the container's owner.
      throw new UsageError(`--cdi-spec-dir ${JSON.stringify(d)}: not an absolute path`);
  return gpuRegistry(args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS, args['device-root'], log, kept);
}
