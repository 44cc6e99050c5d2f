/**
 * Where a hooks.d file's `prestart` stage goes. containers/common v0.58 ("hooks: handle prestart
 * as createRuntime", first in podman 5.0) injects it as createRuntime: podman 5 gives a file with
 * `prestart` a createRuntime hook, a file naming both stages gets createRuntime twice, and the
 * order is that of the files (a.json on createRuntime and b.json on prestart: createRuntime
 * [a, b]). podman 4 (v0.50 to v0.57) keeps prestart. Nothing else in pkg/hooks that decides which
 * hooks a container gets changed between v0.50.1 and v0.62.2 (the podman 5.4 of Debian 13).
 * Engines that are not podman get the newest reading.
 */
export const PRESTART_AS = ['createRuntime', 'prestart'] as const;
export type PrestartAs = (typeof PRESTART_AS)[number];
export const DEFAULT_PRESTART_AS: PrestartAs = 'createRuntime';

/** The stage a file's stage is injected at. */
export function injectedStage(stage: string, prestartAs: PrestartAs): string {
  return stage === 'prestart' ? prestartAs : stage;
}

/**
 * How podman words a hook path it cannot look at (the same failure, the same verdict):
 * containers/common before v0.59 checks it with os.Stat ("stat PATH: …"; podman 4, and 5.0 on
 * v0.58), from v0.59 ("pkg/hooks: use fileutils.(Le|E)xists", podman 5.1) with faccessat(2)
 * ("faccessat PATH: …").
 */
export const HOOK_PATH_CHECKS = ['stat', 'faccessat'] as const;
export type HookPathCheck = (typeof HOOK_PATH_CHECKS)[number];
export const NEWEST_HOOK_PATH_CHECK: HookPathCheck = 'faccessat';

/** A podman's reading of hooks.d, where it differs between podman versions. */
export interface PodmanReading {
  prestartAs: PrestartAs;
  hookPathCheck: HookPathCheck;
}

/** The reading of a podman that injects prestart as `prestartAs` and whose minor version is unknown: the newest of its major. */
export function readingOf(prestartAs: PrestartAs): PodmanReading {
  return { prestartAs, hookPathCheck: prestartAs === 'prestart' ? 'stat' : NEWEST_HOOK_PATH_CHECK };
}

/** What `podman --version` says ("podman version 5.4.2"): its version and its reading; undefined when it is not that. */
export function podmanReading(versionOutput: string): ({ version: string } & PodmanReading) | undefined {
  const m = /^podman(?:-remote)? version (\d+)\.(\d+)(\S*)/m.exec(versionOutput);
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return {
    version: `${m[1]}.${m[2]}${m[3]}`,
    prestartAs: major >= 5 ? 'createRuntime' : 'prestart',
    hookPathCheck: major > 5 || (major === 5 && minor >= 1) ? 'faccessat' : 'stat',
  };
}
