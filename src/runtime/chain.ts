/**
 * Several of this installation's hooks in one process: a run of consecutive hooks of one stage,
 * each the installation's own ocihook-mount, ocihook-gpu or ocihook-ldconfig (same real path as
 * bin/<program> beside the wrapper) with options only, becomes one hook that starts the launcher
 * once with --ocihooks-chain (src/cmd/launcher.ts runs them in order, each with its own arguments
 * and env, the first failure ending it). Each hook is a Node start of its own otherwise: ~65 ms.
 */
import * as path from 'node:path';
import type { OciHook } from '../hooksd/schema';
import { realpathOrUndefined } from '../linux/files';

/** The programs the launcher may chain (its CHAINABLE list). */
export const CHAINABLE = ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'] as const;
export const CHAIN_FLAG = '--ocihooks-chain=';

/** Which of our programs `hook` starts, when a chain may run it; undefined when it must be started. */
function chainableProgram(hook: OciHook, own: Map<string, string>): string | undefined {
  const real = realpathOrUndefined(hook.path);
  const program = real === undefined ? undefined : own.get(real);
  // Options only: a subcommand (precreate, NVIDIA's) may end its process itself.
  return program !== undefined && (hook.args ?? []).slice(1).every((a) => a.startsWith('--')) ? program : undefined;
}

/** The hooks with each run of two or more chainable ones as one; `chained[i]` says whether hook i went into a chain. */
export function chainHooks(hooks: OciHook[], binDir: string): { hooks: OciHook[]; chained: boolean[] } {
  const own = new Map<string, string>();
  for (const p of CHAINABLE) {
    const real = realpathOrUndefined(path.join(binDir, p));
    if (real !== undefined) own.set(real, p);
  }
  const programs = hooks.map((h) => chainableProgram(h, own));
  const out: OciHook[] = [];
  const chained = hooks.map(() => false);
  for (let i = 0; i < hooks.length;) {
    let j = i;
    while (j < hooks.length && programs[j] !== undefined) j++;
    if (j - i < 2) {
      out.push(hooks[i] as OciHook);
      i++;
      continue;
    }
    const run = hooks.slice(i, j);
    const list = run.map((h, k) => ({
      program: programs[i + k],
      args: h.args ?? [h.path],
      ...(h.env ? { env: h.env } : {}),
    }));
    const timeouts = run.map((h) => h.timeout);
    const chain: OciHook = {
      path: path.join(binDir, CHAINABLE[0]),
      args: ['ocihook-chain', `${CHAIN_FLAG}${JSON.stringify(list)}`],
    };
    if (timeouts.every((t) => t !== undefined))
      chain.timeout = timeouts.reduce((a, b) => (a as number) + (b as number), 0);
    out.push(chain);
    for (let k = i; k < j; k++) chained[k] = true;
    i = j;
  }
  return { hooks: out, chained };
}
