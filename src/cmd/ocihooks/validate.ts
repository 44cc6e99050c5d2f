/**
 * `ocihooks validate [paths..]`: every hooks.d file checked the way podman reads it, each
 * problem with podman's verdict — it refuses to start containers (exit 2), it skips the file
 * without a word (exit 1) — and what it accepts but will not work as meant (warnings, exit 0).
 * Files are read as the host's podman (or the one --prestart-as names) reads them: where prestart
 * goes, and the words of a hook path it cannot look at.
 */
import fs = require('node:fs');
import type { CommandModule } from 'yargs';
import { followedReading } from '../../admin/podman';
import { UsageError } from '../../core/errors';
import type { HookPathCheck, PrestartAs } from '../../hooksd/prestart';
import { DEFAULT_HOOKS_DIRS, HookFile, readHookFile, readHooksDirs } from '../../hooksd/read';
import { hookWarnings } from '../../hooksd/warnings';
import { PRESTART_AS_OPTION } from './common';

interface Args {
  paths?: string[];
  'prestart-as'?: PrestartAs;
}

/** Each file of a path with podman's verdict on it: a folder is judged as podman judges it. */
function judged(p: string, check: HookPathCheck): { file: HookFile; verdict: 'ok' | 'refuse' | 'skip' }[] {
  if (!fs.existsSync(p)) throw new UsageError(`validate: ${p}: no such file or directory`);
  if (!fs.statSync(p).isDirectory()) {
    const f = readHookFile(p, check);
    return f ? [{ file: f, verdict: f.status === 'ok' ? 'ok' : f.status === 'missing-hook' ? 'skip' : 'refuse' }] : [];
  }
  const r = readHooksDirs([p], check);
  const firstFailure = r.files.find((f) => f.status !== 'ok');
  const failing = firstFailure?.status === 'missing-hook' ? 'skip' : 'refuse';
  return r.files.map((file) => ({ file, verdict: file.status === 'ok' ? 'ok' : failing }));
}

export const validateCommand: CommandModule<object, Args> = {
  command: 'validate [paths..]',
  describe: 'check hooks.d files (1.0.0 and 0.1.0) the way podman reads them',
  builder: (y) =>
    y
      .positional('paths', {
        type: 'string',
        array: true,
        describe: `files or directories (default: ${DEFAULT_HOOKS_DIRS.join(' ')})`,
      })
      .option('prestart-as', PRESTART_AS_OPTION)
      .epilogue(
        'Exit 2: podman would refuse to start containers; 1: it would skip a file without a word; 0: it loads them all (warnings aside).',
      ),
  handler: (a) => {
    const paths = a.paths?.length ? a.paths : DEFAULT_HOOKS_DIRS.filter((d) => fs.existsSync(d));
    const count = { files: 0, refuse: 0, skip: 0, warned: 0, prestart: 0 };
    const reading = followedReading(a['prestart-as']);
    for (const p of paths) {
      for (const { file, verdict } of judged(p, reading.hookPathCheck)) {
        count.files++;
        if (verdict === 'refuse')
          process.stdout.write(
            `${file.file}: ${file.error} (podman refuses to start containers while this file is there)\n`,
          );
        if (verdict === 'skip')
          process.stdout.write(`${file.file}: ${file.error} (podman skips this file without a word)\n`);
        if (verdict !== 'ok') count[verdict]++;
        if (verdict === 'ok' && file.def?.stages?.includes('prestart')) count.prestart++;
        const warnings = hookWarnings(file, reading.prestartAs);
        for (const w of warnings) process.stdout.write(`${file.file}: warning: ${w}\n`);
        if (warnings.length) count.warned++;
      }
    }
    if (count.prestart)
      process.stdout.write(
        `${count.prestart} file(s) name prestart: injected as ${reading.prestartAs} (${reading.why})\n`,
      );
    process.stdout.write(
      `${count.files} file(s) checked: ${count.refuse} podman would refuse, ${count.skip} it would skip, ${count.warned} with warnings\n`,
    );
    process.exitCode = count.refuse ? 2 : count.skip ? 1 : 0;
  },
};
