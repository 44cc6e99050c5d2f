/**
 * chmod --mode OCTAL --path P ...: each path that exists in the container gets the mode. Paths are
 * resolved inside the rootfs (NVIDIA joins them to the root on the host and follows the image's
 * symlinks there); a missing path or one already at the mode is skipped.
 *
 * Only permission bits (at most 777): NVIDIA's hook hands the number to Go's os.Chmod as an
 * fs.FileMode, whose setuid, setgid and sticky flags are other bits, so 4755 sets 755 and says
 * nothing. A mode with those bits is refused here, naming them, rather than set (a setuid file
 * in the container) or silently cut; nvidia-ctk writes only --mode 755.
 */
import { UsageError } from '../../../core/errors';
import { newPlan } from '../../../core/plan';
import { CONTAINER_SPEC, NvidiaHook, listValues } from '../hook';

function parseMode(mode: unknown): number {
  const m = String(mode ?? '').trim();
  if (m === '') throw new UsageError('--mode: a non-empty mode must be specified');
  if (!/^[0-7]+$/.test(m) || Number.parseInt(m, 8) > 0xffffffff)
    throw new UsageError(`--mode ${JSON.stringify(m)}: failed to parse mode as octal`);
  const value = Number.parseInt(m, 8);
  if (value > 0o777) {
    const perm = (value & 0o777).toString(8);
    const special = SPECIAL_BITS.filter(([bit]) => value & bit).map(([, name]) => name);
    throw new UsageError(
      value > 0o7777
        ? `--mode ${JSON.stringify(m)}: not permission bits (at most 777); NVIDIA's hook would set ${perm}`
        : `--mode ${JSON.stringify(m)}: the ${special.join(' and ')} ${special.length > 1 ? 'bits are' : 'bit is'} not set by nvidia-cdi-hook (NVIDIA's drops ${special.length > 1 ? 'them' : 'it'} without a word): give the permission bits only, ${perm}`,
    );
  }
  return value;
}

const SPECIAL_BITS: [number, string][] = [
  [0o4000, 'setuid'],
  [0o2000, 'setgid'],
  [0o1000, 'sticky'],
];

function paths(args: { path?: unknown }): string[] {
  const list = listValues(args.path);
  if (list.some((p) => p.trim() === '')) throw new UsageError('--path: paths must not be empty');
  return list;
}

export const chmod: NvidiaHook = {
  name: 'chmod',
  describe: 'set the mode of container paths (--mode OCTAL --path P, repeatable)',
  options: {
    mode: { type: 'string', describe: 'octal mode, e.g. 755' },
    path: { type: 'string', array: true, default: [], describe: 'container path (repeatable)' },
    ...CONTAINER_SPEC,
  },
  check(args) {
    parseMode(args.mode);
    paths(args);
    return undefined;
  },
  plan(p, args) {
    const mode = parseMode(args.mode);
    return newPlan(
      'gpu chmod',
      p,
      paths(args).map((path) => ({ action: 'chmod' as const, path, mode })),
    );
  },
};
