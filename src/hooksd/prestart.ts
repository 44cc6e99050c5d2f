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

/** What `podman --version` says ("podman version 5.4.2"): its version and its reading; undefined when it is not that. */
export function podmanReading(versionOutput: string): { version: string; prestartAs: PrestartAs } | undefined {
  const m = /^podman(?:-remote)? version (\d+)\.(\d+)(\S*)/m.exec(versionOutput);
  if (!m) return undefined;
  return {
    version: `${m[1]}.${m[2]}${m[3]}`,
    prestartAs: Number(m[1]) >= 5 ? 'createRuntime' : 'prestart',
  };
}
