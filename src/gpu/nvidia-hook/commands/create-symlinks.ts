/**
 * create-symlinks --link TARGET::LINK ...: each link created (or replaced atomically) inside the
 * container, TARGET written as given. Unlike NVIDIA's no-op check (a host path join), the existing
 * link is read through the parent folder resolved in the rootfs.
 */
import { UsageError } from '../../../core/errors';
import { newPlan } from '../../../core/plan';
import type { SymlinkAction } from '../../../core/actions';
import { CONTAINER_SPEC, NvidiaHook, listValues } from '../hook';

function links(args: { link?: unknown }): SymlinkAction[] {
  const seen = new Set<string>();
  const out: SymlinkAction[] = [];
  for (const l of listValues(args.link)) {
    if (seen.has(l)) continue; // NVIDIA: "Link ... already processed"
    seen.add(l);
    const parts = l.split('::');
    if (parts.length !== 2) throw new UsageError(`--link ${JSON.stringify(l)}: invalid symlink specification ${l}`);
    if (parts[1] === '') throw new UsageError(`--link ${JSON.stringify(l)}: the link path is empty`);
    out.push({ action: 'symlink', target: parts[0] as string, link: parts[1] as string });
  }
  return out;
}

export const createSymlinks: NvidiaHook = {
  name: 'create-symlinks',
  describe: 'create symlinks in the container (--link TARGET::LINK, repeatable)',
  options: {
    link: {
      type: 'string',
      array: true,
      default: [],
      describe: 'TARGET::LINK; an existing file or link at LINK is replaced',
    },
    ...CONTAINER_SPEC,
  },
  check(args) {
    links(args);
    return undefined;
  },
  plan(p, args) {
    return newPlan('gpu create-symlinks', p, links(args));
  },
};
