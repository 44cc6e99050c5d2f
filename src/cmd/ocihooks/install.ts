/** `ocihooks install [--uninstall]`: the hooks under a prefix and their hooks.d files. */
import fs = require('node:fs');
import path = require('node:path');
import type { CommandModule } from 'yargs';
import { FRONT_END, HOOK_LAUNCHER } from '../../admin/launcher-field';
import { SEPARATE_MARK } from '../../hook/program/chain-hooks';
import { DEFAULT_HOOKS_DIR, DEFAULT_PREFIX, install, uninstall } from '../../admin/install';
import { HOOK_PROGRAMS } from '../../hook/program/own-programs';
import { hostPodman } from '../../admin/podman';
import { UsageError } from '../../core/errors';
import { defaultLdconfig } from '../../linux/ldconfig/host-ldconfig';
import { hostSourcesOf } from '../../mount/args';
import { DEFAULT_RUNTIME_CONFIG, engineSnippets, runtimeConfigText } from '../../wrapper/config-file';
import { slurmSnippet } from '../../wrapper/slurm/oci-conf';
import { SCRUN_LUA, scrunLua, scrunSnippet } from '../../wrapper/slurm/scrun/lua';
import BUNDLES from '../bundles.json';
import { PREFIX, printReport } from './common';

interface Args {
  prefix: string;
  'hooks-dir': string;
  uninstall: boolean;
  ldconfig?: string;
  'fi-provider-dir': string;
  'nvidia-cdi-hook': boolean;
  'runtime-config': string;
  'one-process-per-hook': boolean;
}

/** The shipped hooks.d templates: beside a build (dist/../hooks.d) or an installation. */
function templatesDir(): string {
  const found = [path.resolve(PREFIX, '..', 'hooks.d'), path.resolve(PREFIX, 'hooks.d')].find((d) =>
    fs.existsSync(path.join(d, 'slurm.json')),
  );
  if (!found) throw new UsageError('cannot find the shipped hooks.d templates beside this program');
  return found;
}

/** A built freestanding program (native/front-end/, native/hook-launcher/), in the build. */
function builtProgram(name: string): string {
  const file = path.join(PREFIX, 'native', name);
  if (!fs.existsSync(file)) throw new UsageError(`${file}: missing; run npm run build first`);
  return file;
}

export const installCommand: CommandModule<object, Args> = {
  command: 'install',
  describe: 'install the hooks under a prefix and their hooks.d files',
  builder: (y) =>
    y
      .option('prefix', { type: 'string', default: DEFAULT_PREFIX })
      .option('hooks-dir', { type: 'string', default: DEFAULT_HOOKS_DIR })
      .option('uninstall', { type: 'boolean', default: false, describe: 'remove exactly what install wrote' })
      .option('ldconfig', {
        type: 'string',
        describe: 'host ldconfig the hooks use (default: /sbin/ldconfig or /usr/sbin/ldconfig)',
      })
      .option('fi-provider-dir', {
        type: 'string',
        default: '/usr/lib/x86_64-linux-gnu/libfabric',
        describe: 'host libfabric provider folder for libfabric.json',
      })
      .option('nvidia-cdi-hook', {
        type: 'boolean',
        default: false,
        describe:
          'also install <prefix>/bin/nvidia-cdi-hook (ocihook-gpu under that name), for CDI specs written by nvidia-ctk',
      })
      .option('one-process-per-hook', {
        type: 'boolean',
        default: false,
        describe:
          'start each hook as a Node process of its own (default: the first of a run of these hooks in a stage runs the run)',
      })
      .option('runtime-config', {
        type: 'string',
        default: DEFAULT_RUNTIME_CONFIG,
        describe:
          "ocihooks-runtime's settings for docker and containerd (written only where there is none; 'none': not written)",
      }),
  handler: (a) => {
    if (a.uninstall) {
      for (const r of uninstall(a.prefix)) process.stdout.write(`removed ${r}\n`);
      return;
    }
    const ldconfig = a.ldconfig ?? defaultLdconfig();
    if (!ldconfig) throw new UsageError('no host ldconfig found: pass --ldconfig');
    // The wrapper reads prestart as the host's podman does, so that both give a container the same hooks.
    const podman = hostPodman();
    const prestartAs = typeof podman === 'string' ? {} : { prestartAs: podman.prestartAs };
    const configFiles =
      a['runtime-config'] === 'none'
        ? []
        : [
            {
              file: a['runtime-config'],
              text: runtimeConfigText({ runtime: 'runc', hooksDirs: [a['hooks-dir']], ...prestartAs }),
            },
          ];
    printReport(
      install({
        prefix: a.prefix,
        hooksDir: a['hooks-dir'],
        node: process.execPath,
        dist: PREFIX,
        templates: templatesDir(),
        ldconfig,
        fiProviderDir: a['fi-provider-dir'],
        bundles: BUNDLES,
        hostSourcesOf,
        nvidiaCdiHook: a['nvidia-cdi-hook'],
        configFiles,
        prefixFiles: [{ name: SCRUN_LUA, text: scrunLua(path.join(a.prefix, 'bin', 'ocihooks')) }],
        frontEnds: [
          { program: 'ocihooks-runtime', file: builtProgram('runtime-front-end'), field: FRONT_END },
          ...HOOK_PROGRAMS.map((program) => ({
            program,
            file: builtProgram('hook-launcher'),
            field: HOOK_LAUNCHER,
            ...(a['one-process-per-hook'] ? { mark: SEPARATE_MARK } : {}),
          })),
        ],
      }),
    );
    if (configFiles.length)
      process.stdout.write(engineSnippets(path.join(a.prefix, 'bin', 'ocihooks-runtime'), a['runtime-config']));
    process.stdout.write(slurmSnippet(path.join(a.prefix, 'bin', 'ocihooks-runtime')));
    process.stdout.write(scrunSnippet(path.join(a.prefix, SCRUN_LUA)));
  },
};
