/**
 * `ocihooks plan --state-file F [--] <mount|gpu|ldconfig> [hook arguments]`: a hook's plan for a
 * container, from the hook's own --dry-run. The hook's arguments pass through untouched, so this
 * is read before yargs (which would take them for its own).
 */
import { spawnSync } from 'node:child_process';
import path = require('node:path');
import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors';
import { BIN_DIR } from './common';

const HOOKS = ['mount', 'gpu', 'ldconfig'];

export function runPlan(argv: string[]): void {
  let stateFile: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--state-file') stateFile = argv[++i];
    else if (a.startsWith('--state-file=')) stateFile = a.slice('--state-file='.length);
    else if (a === '--') {
      i++;
      break;
    } else if (a.startsWith('-'))
      throw new UsageError(`plan: ${a}: not an option of plan (plan --state-file F [--] <hook> [hook arguments])`);
    else break;
  }
  const hook = argv[i];
  if (!stateFile) throw new UsageError('plan: --state-file FILE is required');
  const name = hook?.startsWith('ocihook-') ? hook.slice(8) : hook;
  if (!name || !HOOKS.includes(name))
    throw new UsageError(`plan: name a hook (${HOOKS.join(', ')}), got ${JSON.stringify(hook ?? '')}`);
  const hookArgs = argv.slice(i + 1);
  // A plan never acts: the hook's own arguments may not turn its --dry-run off.
  const off = hookArgs.find((a) => /^--no-dry-run(=|$)/.test(a) || (/^--dry-run=/.test(a) && a !== '--dry-run=true'));
  if (off !== undefined) throw new UsageError(`plan: ${off}: a plan is the hook's --dry-run, it never acts`);
  // Nor does it write the hooks' log: what a person asks to see goes to the terminal alone.
  const log = hookArgs.some((a) => /^--log-file(=|$)/.test(a)) ? [] : ['--log-file=-'];
  const r = spawnSync(
    process.execPath,
    [path.join(BIN_DIR, `ocihook-${name}`), '--state-file', stateFile, '--dry-run', ...log, ...hookArgs],
    { stdio: 'inherit' },
  );
  process.exitCode = r.status ?? 1;
}

/** For --help and completion only: runPlan answers every real call. */
export const planCommand: CommandModule<object, { 'state-file'?: string }> = {
  command: 'plan',
  describe:
    "print a hook's plan for a container: plan --state-file F [--] <mount|gpu|ldconfig> [hook arguments] (forwards to the hook's --dry-run)",
  builder: (y) => y.option('state-file', { type: 'string', describe: 'the OCI state of the container' }),
  handler: () => undefined,
};
