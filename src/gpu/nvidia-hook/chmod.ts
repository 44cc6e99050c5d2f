/**
 * chmod --mode OCTAL --path P ...: each path that exists in the container gets the mode. Paths are
 * resolved inside the rootfs (NVIDIA joins them to the root on the host and follows the image's
 * symlinks there); a missing path or one already at the mode is skipped.
 */
import { UsageError } from '../../core/errors';
import { newPlan } from '../../core/plan';
import { CONTAINER_SPEC, NvidiaHook, listValues } from './hook';

function parseMode(mode: unknown): number {
  const m = String(mode ?? '').trim();
  if (m === '') throw new UsageError('--mode: a non-empty mode must be specified');
  if (!/^[0-7]+$/.test(m) || Number.parseInt(m, 8) > 0xffffffff)
    throw new UsageError(`--mode ${JSON.stringify(m)}: failed to parse mode as octal`);
  return Number.parseInt(m, 8) & 0o7777;
}

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
