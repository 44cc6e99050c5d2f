/**
 * Whether a hook's `when` conditions hold for a container, with podman's semantics: every
 * condition set must match; `annotations`: each key/value pattern pair must match some
 * annotation; `commands`: process.args[0] matches one pattern.
 */
import { checkPattern } from './regex';
import type { HookDefinition } from './schema';

export interface ContainerFacts {
  annotations: Record<string, string>;
  command?: string;
  hasBindMounts: boolean;
}

function test(pattern: string, value: string): boolean {
  return checkPattern(pattern).regex?.test(value) ?? false;
}

export function whenMatches(when: HookDefinition['when'], c: ContainerFacts): boolean {
  let matches = 0;
  if (when.always !== undefined) {
    if (!when.always) return false;
    matches++;
  }
  if (when.hasBindMounts !== undefined) {
    if (!(when.hasBindMounts && c.hasBindMounts)) return false;
    matches++;
  }
  for (const [keyPattern, valuePattern] of Object.entries(when.annotations ?? {})) {
    if (!Object.entries(c.annotations).some(([k, v]) => test(keyPattern, k) && test(valuePattern, v))) return false;
    matches++;
  }
  if (when.commands && when.commands.length) {
    if (c.command === undefined || !when.commands.some((p) => test(p, c.command as string))) return false;
    matches++;
  }
  return matches > 0;
}

/** Mount destinations podman adds itself: not "host-to-container bind mounts the caller requested". */
const RUNTIME_BINDS = new Set(['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/run/.containerenv', '/dev/shm']);

export function factsFromConfig(config: { annotations?: Record<string, string>; process?: { args?: string[] }; mounts?: { destination: string; type?: string; options?: string[] }[] }, extraAnnotations: Record<string, string> = {}): ContainerFacts {
  const binds = (config.mounts ?? []).filter((m) => (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')) && !RUNTIME_BINDS.has(m.destination));
  return {
    annotations: { ...(config.annotations ?? {}), ...extraAnnotations },
    ...(config.process?.args?.[0] !== undefined ? { command: config.process.args[0] } : {}),
    hasBindMounts: binds.length > 0,
  };
}
