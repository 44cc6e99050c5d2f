/** `ocihooks validate [paths..]`: checks hooks.d files (1.0.0 and 0.1.0) the way podman reads them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors';
import { DEFAULT_HOOKS_DIRS, readHookFile } from '../../hooksd/read';

interface Args {
  paths?: string[];
  'path-check': boolean;
}

function jsonFilesOf(p: string): string[] {
  if (!fs.existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  if (fs.statSync(p).isDirectory()) return fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(p, f));
  return [p];
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate [paths..]',
  describe: 'check hooks.d files (1.0.0 and 0.1.0) the way podman reads them',
  builder: (y) =>
    y
      .positional('paths', { type: 'string', array: true, describe: `files or directories (default: ${DEFAULT_HOOKS_DIRS.join(' ')})` })
      .option('path-check', { type: 'boolean', default: true, describe: 'require hook paths to exist and be executable here (--no-path-check skips it)' }),
  handler: (a) => {
    const paths = a.paths?.length ? a.paths : DEFAULT_HOOKS_DIRS.filter((d) => fs.existsSync(d));
    let bad = 0;
    let count = 0;
    for (const p of paths) {
      for (const file of jsonFilesOf(p)) {
        count++;
        const f = readHookFile(file, { checkPath: a['path-check'] });
        for (const pr of f.problems) process.stdout.write(`${file}: ${pr.field}: ${pr.reason}\n`);
        if (f.problems.length) bad++;
      }
    }
    process.stdout.write(`${count} file(s) checked, ${bad} with problems\n`);
    if (bad) process.exitCode = 2;
  },
};
