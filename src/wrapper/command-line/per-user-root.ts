/**
 * `--root-per-user PATTERN` (e.g. /run/user/%U/runc): the runtime's --root for the user whose
 * container it is, for Slurm before 23.02, whose oci.conf has no %U. There, RunTimeRun runs as the
 * job's user while RunTimeQuery, RunTimeKill and RunTimeDelete run as root at the step's end, so
 * one fixed --root cannot serve both: the user's rootless runc cannot write a shared root, and root
 * would look for the user's container in the wrong one. The wrapper expands %U itself:
 *  - run by an ordinary user: that user's uid;
 *  - run by root, for create/run: the owner of the bundle folder (Slurm's per-step folder belongs
 *    to the job's user);
 *  - run by root, for a container id: the user whose expansion holds a container of that id
 *    (runc and crun keep one folder per container under their root); uid 0 when none does, so
 *    the runtime answers "does not exist" as it would.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError } from '../../core/errors';
import type { RuntimeCommand } from './runtime-args';

export const USER = '%U';

/** The pattern's checks: absolute, %U a whole folder name. */
export function checkRootPattern(pattern: string): void {
  const parts = pattern.split('/');
  if (!path.isAbsolute(pattern) || !parts.includes(USER) || parts.some((p) => p !== USER && p.includes('%'))) {
    throw new UsageError(
      `--root-per-user ${JSON.stringify(pattern)}: must be an absolute path with ${USER} as one folder name (e.g. /run/user/${USER}/runc)`,
    );
  }
}

const expand = (pattern: string, uid: number) =>
  pattern
    .split('/')
    .map((p) => (p === USER ? String(uid) : p))
    .join('/');

/** The container id of a subcommand that names one: the first argument after it that is not an option. */
function containerId(args: string[], cmd: RuntimeCommand): string | undefined {
  return args.slice(cmd.index + 1).find((a) => !a.startsWith('-'));
}

/** Which user's root holds container `id`: the uids under the folder where %U is, in order. */
function ownerOfContainer(pattern: string, id: string): number | undefined {
  const parts = pattern.split('/');
  const at = parts.indexOf(USER);
  const parent = parts.slice(0, at).join('/') || '/';
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return undefined;
  }
  const uids = names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
  return uids.find((uid) => fs.existsSync(path.join(expand(pattern, uid), id)));
}

/** The runtime's --root for this call. */
export function rootForCall(
  pattern: string,
  args: string[],
  cmd: RuntimeCommand,
  uid = process.getuid?.() ?? 0,
): string {
  if (uid !== 0) return expand(pattern, uid);
  if (cmd.subcommand === 'create' || cmd.subcommand === 'run') {
    try {
      return expand(pattern, fs.statSync(cmd.bundle).uid);
    } catch {
      return expand(pattern, 0); // the runtime names the missing bundle
    }
  }
  const id = containerId(args, cmd);
  return expand(pattern, (id !== undefined && !id.includes('/') ? ownerOfContainer(pattern, id) : undefined) ?? 0);
}

/** The runtime arguments with --root for this call in front; the runtime's own --root is refused beside the pattern. */
export function withPerUserRoot(pattern: string, args: string[], cmd: RuntimeCommand): string[] {
  checkRootPattern(pattern);
  if (args.slice(0, cmd.index).some((a) => a === '--root' || a.startsWith('--root=')))
    throw new UsageError("--root-per-user and the runtime's --root: give one of them");
  return ['--root', rootForCall(pattern, args, cmd), ...args];
}
