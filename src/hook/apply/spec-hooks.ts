/** Hooks from CDI specs: run from the hook's own namespace, with the container state on stdin. */
import type { RunHookAction } from '../../core/actions';
import { runTrusted } from '../../linux/exec';

export function runSpecHook(a: RunHookAction, stateJson: string): void {
  runTrusted(a.path, { argv0: a.args[0], args: a.args.slice(1), env: a.env, input: stateJson, timeoutMs: a.timeoutMs });
}
