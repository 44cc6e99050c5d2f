/**
 * `ocihooks cdi generate`: a CDI spec for the GPUs this host has, from the kernel's and the
 * driver's files only (src/gpu/generate/). What was skipped is said on stderr, one line each.
 */
import path = require('node:path');
import type { Argv, CommandModule } from 'yargs';
import { UsageError, messageOf } from '../../core/errors';
import { writeGoYaml } from '../../cdi/go/yaml';
import { MODES, Mode, generateSpec } from '../../gpu/generate';
import { NAME_STRATEGIES, NameStrategy } from '../../gpu/generate/naming';
import { writeFileAtomically } from '../../linux/files';
import { BIN_DIR, PROGRAM } from './common';

interface GenerateArgs {
  vendor: string;
  class?: string;
  mode: Mode;
  'device-name-strategy'?: NameStrategy[];
  'driver-root': string;
  'dev-root'?: string;
  'proc-root': string;
  'sys-root': string;
  'library-search-path': string[];
  output?: string;
  format?: 'json' | 'yaml';
}

const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe:
    'write a CDI spec for the NVIDIA or AMD GPUs this host has, read from procfs, sysfs, /dev and the driver files',
  builder: (g) =>
    g
      .option('vendor', {
        type: 'string',
        default: 'auto',
        describe:
          'auto (the loaded driver), nvidia, amd, or the CDI vendor of the kind (nvidia.com, management.nvidia.com, amd.com, ...)',
      })
      .option('class', {
        type: 'string',
        describe: 'the CDI class of the kind (default: gpu; imex-channel for --mode imex)',
      })
      .option('mode', {
        choices: MODES,
        default: 'auto' as Mode,
        describe:
          'auto/proc: GPUs and MIG devices; management: one "all" device with every NVIDIA node (kind management.nvidia.com/gpu); imex: IMEX channels (kind nvidia.com/imex-channel)',
      })
      .option('device-name-strategy', {
        choices: NAME_STRATEGIES,
        array: true,
        describe:
          'index ("0", "0:1"), uuid ("GPU-..."), type-index ("gpu0", "mig0:1"); repeatable (default: index and uuid for NVIDIA, index for AMD)',
      })
      .option('driver-root', {
        type: 'string',
        default: '/',
        describe:
          "where the driver's libraries, programs, firmware, sockets and configs are (a driver container's root)",
      })
      .option('dev-root', {
        type: 'string',
        describe: 'under which /dev is (default: the driver root); device nodes are written with this hostPath',
      })
      .option('proc-root', { type: 'string', default: '/proc', describe: 'where procfs is read' })
      .option('sys-root', { type: 'string', default: '/sys', describe: 'where sysfs is read' })
      .option('library-search-path', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'a folder (under the driver root) to look for driver libraries in first; repeatable',
      })
      .option('output', { type: 'string', describe: 'file to write, e.g. /etc/cdi/nvidia.yaml (default: stdout)' })
      .option('format', {
        choices: ['json', 'yaml'] as const,
        describe: 'default: yaml for an --output ending in .yaml or .yml, json otherwise',
      })
      .epilogue('Exit 0: written; 1: no driver, no GPU or a required node missing (named); 2: a bad option.'),
  handler: (a) => {
    const driver = path.resolve(a['driver-root']);
    const r = generateSpec({
      vendor: a.vendor,
      ...(a.class !== undefined ? { class: a.class } : {}),
      mode: a.mode,
      ...(a['device-name-strategy'] ? { strategies: a['device-name-strategy'] } : {}),
      roots: {
        driver,
        dev: path.resolve(a['dev-root'] ?? driver),
        proc: path.resolve(a['proc-root']),
        sys: path.resolve(a['sys-root']),
      },
      librarySearchPaths: a['library-search-path'],
      gpuHook: path.join(BIN_DIR, 'ocihook-gpu'),
    });
    for (const n of r.notes) process.stderr.write(`${PROGRAM}: cdi generate: ${n}\n`);
    // YAML that the CDI reference (go-yaml v2, YAML 1.1) reads back as written: "0:0" and "0o17" quoted.
    const yaml = a.format === 'yaml' || (a.format === undefined && /\.ya?ml$/.test(a.output ?? ''));
    const text = yaml ? writeGoYaml(r.doc) : JSON.stringify(r.doc, null, 2) + '\n';
    if (!a.output) {
      process.stdout.write(text);
      return;
    }
    try {
      writeFileAtomically(a.output, text);
    } catch (e) {
      // The path the admin gave, and the cause (not the scratch file beside it the error names).
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such folder' : code === 'EISDIR' ? 'a folder' : (code ?? messageOf(e));
      throw new UsageError(`--output ${a.output}: cannot write it (${why})`, { cause: e });
    }
    process.stderr.write(
      `${PROGRAM}: wrote ${a.output}: ${r.spec.kind}, ${r.spec.devices.length} devices, ${r.spec.edits.mounts.length} mounts\n`,
    );
  },
};

export const cdiCommand: CommandModule = {
  command: 'cdi',
  describe: 'CDI specs',
  builder: (y: Argv) => y.command(generateCommand).demandCommand(1, 'name a cdi command: generate'),
  handler: () => undefined,
};
