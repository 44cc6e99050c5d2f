/**
 * Whether a hook applies to a container, as podman 4.3 decides it (containers/common When.Match):
 * always, then hasBindMounts, then each annotation pair (some annotation's key and value match,
 * unanchored RE2), all required — or, for a 0.1.0 file, any one enough; then, when the hook names
 * commands and the config has a process, a command match alone decides. A condition that is not
 * set counts for nothing: a hook with none never applies, and hasBindMounts: false never does.
 */
import { patternMatches } from './pattern';
import type { When } from './schema';

export interface ContainerFacts {
  annotations: Record<string, string>;
  /** The config's process, when it has one: args[0] is the command hooks match. */
  process?: { args: string[] };
  /** Whether the user asked for mounts (podman: the container's volumes). */
  hasBindMounts: boolean;
}

export class MatchError extends Error {
  override readonly name = 'MatchError';
}

export function whenMatches(when: When, c: ContainerFacts): boolean {
  let matches = 0;
  /** A condition that holds: with or, enough; otherwise counted. */
  const held = () => (when.or ? true : (matches++, undefined));
  if (when.always !== undefined) {
    if (when.always) {
      if (held()) return true;
    } else if (!when.or) return false;
  }
  if (when.hasBindMounts !== undefined) {
    if (when.hasBindMounts && c.hasBindMounts) {
      if (held()) return true;
    } else if (!when.or) return false;
  }
  for (const [keyPattern, valuePattern] of Object.entries(when.annotations ?? {})) {
    if (
      Object.entries(c.annotations).some(([k, v]) => patternMatches(keyPattern, k) && patternMatches(valuePattern, v))
    ) {
      if (held()) return true;
    } else if (!when.or) return false;
  }
  if (c.process && when.commands?.length) {
    const command = c.process.args[0];
    if (command === undefined) throw new MatchError('process.args must have at least one entry');
    return when.commands.some((p) => patternMatches(p, command));
  }
  return matches > 0;
}

/** Mounts engines and runtimes add by themselves: not ones the user asked for. */
export const ENGINE_MOUNTS: ReadonlySet<string> = new Set([
  '/proc',
  '/dev',
  '/dev/pts',
  '/dev/shm',
  '/dev/mqueue',
  '/sys',
  '/sys/fs/cgroup',
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/run/.containerenv',
  '/run/secrets',
]);

/**
 * A config.json as the facts a hook matches on. hasBindMounts is podman's "the user asked for
 * volumes" (-v, --mount, --tmpfs, named and image volumes) read from a config: any mount that no
 * engine adds by itself.
 */
export function factsFromConfig(
  config: { annotations?: Record<string, string>; process?: { args?: string[] }; mounts?: { destination: string }[] },
  extraAnnotations: Record<string, string> = {},
): ContainerFacts {
  return {
    annotations: { ...(config.annotations ?? {}), ...extraAnnotations },
    ...(config.process ? { process: { args: config.process.args ?? [] } } : {}),
    hasBindMounts: (config.mounts ?? []).some((m) => !ENGINE_MOUNTS.has(m.destination.replace(/\/+$/, '') || '/')),
  };
}
