/** NAME=value lists: OCI `env` entries, and KEY=VALUE arguments such as --annotation. */
import { UsageError } from './errors';

/** An environment: a process's, or a hook's env list read as one. */
export type Env = Record<string, string | undefined>;

/** OCI `env` entries as a map; later entries win, as getenv would see them; entries without "=" are ignored. */
export function envList(entries: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

/** KEY=VALUE arguments of `option` as an object (later wins); anything else is a UsageError naming it. */
export function keyValueArgs(list: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of list) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} ${JSON.stringify(arg)}: expected KEY=VALUE`);
    // Defined, not assigned: a key "__proto__" is an annotation like any other, not the prototype.
    Object.defineProperty(out, arg.slice(0, eq), {
      value: arg.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
