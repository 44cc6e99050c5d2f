/**
 * `ocihooks match --config F`: which hooks a container would get at which stage, in podman's order
 * (prestart where the host's podman, or --prestart-as, puts it); exit 2 when podman would refuse to
 * start it (a broken hooks.d file, a failing match).
 */
import path = require('node:path');
import type { CommandModule } from 'yargs';
import { keyValueArgs } from '../../core/env';
import { followedReading } from '../../admin/podman';
import { UsageError, messageOf } from '../../core/errors';
import { matchHooks } from '../../hooksd/match';
import { DEFAULT_HOOKS_DIRS, readHooksDirs } from '../../hooksd/read';
import { factsFromConfig } from '../../hooksd/when';
import type { PrestartAs } from '../../hooksd/prestart';
import { PRESTART_AS_OPTION, PROGRAM, readConfigFile } from './common';

interface Args {
  config: string;
  annotation: string[];
  'hooks-dir'?: string[];
  json: boolean;
  'prestart-as'?: PrestartAs;
}

export const matchCommand: CommandModule<object, Args> = {
  command: 'match',
  describe: 'print which hooks a container would get at which stage, in podman order',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'the container config.json' })
      .option('annotation', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'KEY=VALUE, added to the config annotations',
      })
      .option('hooks-dir', {
        type: 'string',
        array: true,
        describe: "hooks directory, later ones preferred (default: podman's two)",
      })
      .option('prestart-as', PRESTART_AS_OPTION)
      .option('json', { type: 'boolean', default: false }),
  handler: (a) => {
    const config = readConfigFile(a.config);
    const reading = followedReading(a['prestart-as']);
    const read = readHooksDirs(a['hooks-dir'] ?? DEFAULT_HOOKS_DIRS, reading.hookPathCheck);
    if (read.refusal) throw new UsageError(`podman would refuse this container: ${read.refusal}`);
    for (const f of read.skipped)
      process.stderr.write(`${PROGRAM}: ${f.file}: ${f.error} (skipped, as podman skips it)\n`);
    let matched: ReturnType<typeof matchHooks>;
    try {
      matched = matchHooks(
        read.hooks,
        factsFromConfig(config, keyValueArgs(a.annotation, '--annotation')),
        reading.prestartAs,
      );
    } catch (e) {
      throw new UsageError(`podman would refuse this container: ${messageOf(e)}`, { cause: e });
    }
    if (a.json) {
      process.stdout.write(JSON.stringify(matched, null, 2) + '\n');
      return;
    }
    for (const [stage, hooks] of Object.entries(matched))
      for (const h of hooks)
        process.stdout.write(
          `${stage}\t${path.basename(h.file)}\t${[h.hook.path, ...(h.hook.args ?? []).slice(1)].join(' ')}\n`,
        );
  },
};
