/** `ocihooks doctor`: what this host supports and what is missing. */
import type { CommandModule } from 'yargs';
import { doctor } from '../../admin/doctor';
import { DEFAULT_HOOKS_DIRS } from '../../hooksd/read';

export const doctorCommand: CommandModule<object, { 'hooks-dir'?: string[] }> = {
  command: 'doctor',
  describe: 'what this host supports and what is missing',
  builder: (y) => y.option('hooks-dir', { type: 'string', array: true, describe: 'hooks directories to inspect' }),
  handler: (a) => {
    const checks = doctor(a['hooks-dir'] ?? [...DEFAULT_HOOKS_DIRS]);
    for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name}: ${c.detail}\n`);
    if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
  },
};
