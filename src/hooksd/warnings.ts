/**
 * What podman accepts in a hooks.d file but an admin would want to hear about: a hook the OCI
 * runtime cannot start, a condition that can never hold, a hook injected nowhere.
 */
import fs = require('node:fs');
import path = require('node:path');
import type { PrestartAs } from './prestart';
import type { HookFile } from './read';
import type { When } from './schema';

/** Why a `when` can never hold, or undefined. */
export function neverApplies(when: When): string | undefined {
  const none =
    when.always === undefined &&
    when.hasBindMounts === undefined &&
    !Object.keys(when.annotations ?? {}).length &&
    !when.commands?.length;
  if (none) return 'no condition is set, so the hook never applies';
  if (!when.or && when.always === false) return '"always": false, so the hook never applies';
  if (!when.or && when.hasBindMounts === false)
    return '"hasBindMounts": false never holds in podman (it means nothing, not "no bind mounts")';
  return undefined;
}

export function hookWarnings(f: HookFile, prestartAs: PrestartAs): string[] {
  const def = f.def;
  if (!def || f.status !== 'ok') return [];
  const out: string[] = [];
  if (!path.isAbsolute(def.hook.path))
    out.push(
      `hook.path ${JSON.stringify(def.hook.path)} is relative: podman looks for it from its own working folder and the OCI runtime refuses it`,
    );
  else {
    const st = fs.statSync(def.hook.path);
    if (!st.isFile() || (st.mode & 0o111) === 0)
      out.push(`hook.path ${def.hook.path} is not an executable file: the runtime will fail to start it`);
  }
  if (def.hook.timeout !== undefined && def.hook.timeout <= 0)
    out.push(`hook.timeout ${def.hook.timeout}: the hook is killed at once`);
  if (def.stages?.length === 0) out.push('stages is empty: the hook is never injected');
  if (prestartAs === 'createRuntime' && def.stages?.includes('prestart') && def.stages.includes('createRuntime'))
    out.push(
      'stages has prestart and createRuntime: podman 5 injects prestart as createRuntime, so the hook runs twice there',
    );
  const never = neverApplies(def.when);
  if (never) out.push(`when: ${never}`);
  return out;
}
