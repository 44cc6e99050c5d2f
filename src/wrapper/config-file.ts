/**
 * The wrapper's settings from a file, for engines that cannot pass it arguments safely:
 * containerd's BinaryName and dockerd's runtime path take a path only, and Docker 20.10 splices
 * runtimeArgs into a shell line unquoted. /etc/ocihooks/runtime.json (or the file named by
 * OCIHOOKS_RUNTIME_CONFIG in the engine's environment) gives the runtime, the hooks folders,
 * annotations, the log file and the podman reading of prestart; arguments override it. A missing default file is no settings; a
 * named file that is missing, or a file that is not valid, is exit 2 naming the file and field.
 */
import fs = require('node:fs');
import * as z from 'zod/mini';
import { errorCode, UsageError, messageOf } from '../core/errors';
import { parseJson, parseWith } from '../core/json';
import { PRESTART_AS } from '../hooksd/prestart';

export const DEFAULT_RUNTIME_CONFIG = '/etc/ocihooks/runtime.json';

/** The file's format: every field optional, nothing else allowed (a misspelt field must not pass unseen). */
export const runtimeConfigSchema = z.strictObject({
  runtime: z.optional(z.string().check(z.minLength(1))),
  hooksDirs: z.optional(z.array(z.string().check(z.minLength(1)))),
  annotations: z.optional(z.record(z.string().check(z.minLength(1)), z.string())),
  logFile: z.optional(z.string().check(z.minLength(1))),
  /** Where the CDI specs are that the GPU hook reads (Slurm GPUs are matched to their devices there). */
  cdiSpecDirs: z.optional(z.array(z.string().check(z.minLength(1)))),
  /** Where a hooks.d file's prestart goes: createRuntime as podman 5 (the default), prestart as podman 4. */
  prestartAs: z.optional(z.enum(PRESTART_AS)),
  /**
   * false: the wrapper does not stay to run the hooks of a container's first stages (hook-server.ts);
   * each stage's hooks start Node themselves, as under runc alone.
   */
  serveHooks: z.optional(z.boolean()),
});

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

export function readRuntimeConfig(env: NodeJS.ProcessEnv): RuntimeConfig & { file?: string } {
  const named = env.OCIHOOKS_RUNTIME_CONFIG;
  const file = named || DEFAULT_RUNTIME_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (!named && errorCode(e) === 'ENOENT') return {};
    throw new UsageError(`runtime config ${file}${named ? ' (OCIHOOKS_RUNTIME_CONFIG)' : ''}: ${messageOf(e)}`, {
      cause: e,
    });
  }
  return {
    ...parseWith(runtimeConfigSchema, parseJson(text, `runtime config ${file}`), `runtime config ${file}`),
    file,
  };
}

/** The file as install writes it, checked against the schema it will be read with. */
export function runtimeConfigText(config: RuntimeConfig): string {
  return JSON.stringify(parseWith(runtimeConfigSchema, config, 'runtime config'), null, 2) + '\n';
}

/** What an admin adds to docker's and containerd's configuration to use the installed wrapper. */
export function engineSnippets(wrapper: string, configFile: string): string {
  return [
    `ocihooks-runtime reads ${configFile}${configFile === DEFAULT_RUNTIME_CONFIG ? '' : " (set OCIHOOKS_RUNTIME_CONFIG to it in the engine's environment)"}. To use it:`,
    `  /etc/docker/daemon.json:  { "runtimes": { "ocihooks": { "path": "${wrapper}" } } }   then: docker run --runtime ocihooks ...`,
    '  containerd config.toml (version 2):',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocihooks]',
    '      runtime_type = "io.containerd.runc.v2"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocihooks.options]',
    `      BinaryName = "${wrapper}"`,
    `  ctr: ctr run --runc-binary ${wrapper} ...`,
    '',
  ].join('\n');
}
