/** `ocihooks cdi generate`: a CDI spec for the NVIDIA GPUs, nodes, libraries and utilities this host has. */
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { generateNvidiaSpec } from '../../gpu/generate/nvidia';
import { writeFileAtomically } from '../../linux/files';
import { BIN_DIR, PROGRAM } from './common';

interface GenerateArgs {
  'driver-root': string;
  output?: string;
  format: 'json' | 'yaml';
}

const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'write a CDI spec for the NVIDIA GPUs, nodes, libraries and utilities this host has',
  builder: (g) =>
    g
      .option('driver-root', { type: 'string', default: '/', describe: 'where the driver files are (/dev, /proc/driver/nvidia, libraries)' })
      .option('output', { type: 'string', describe: 'file to write (default: stdout)' })
      .option('format', { choices: ['json', 'yaml'] as const, default: 'json' as const }),
  handler: (a) => {
    const spec = generateNvidiaSpec({ driverRoot: a['driver-root'], gpuHook: path.join(BIN_DIR, 'ocihook-gpu') });
    const text = a.format === 'yaml' ? (require('yaml') as typeof import('yaml')).stringify(spec.doc) : JSON.stringify(spec.doc, null, 2) + '\n';
    if (!a.output) {
      process.stdout.write(text);
      return;
    }
    writeFileAtomically(a.output, text);
    process.stderr.write(`${PROGRAM}: wrote ${a.output}: ${spec.devices.length} devices, ${spec.edits.mounts.length} mounts\n`);
  },
};

export const cdiCommand: CommandModule = {
  command: 'cdi <command>',
  describe: 'CDI specs',
  builder: (y: Argv) => y.command(generateCommand).demandCommand(1, 'name a cdi command'),
  handler: () => undefined,
};
