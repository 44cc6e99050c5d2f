/**
 * Sarus's <FI_PROVIDER_PATH> token in a --mount destination: where the image's libfabric looks
 * for providers. Its value may come from the image, so it is refused in a source (host side) and
 * must be an absolute path (then resolved inside the rootfs like every destination).
 */
import path = require('node:path');
import { ActionError, UsageError } from '../core/errors';
import type { LdCache } from '../linux/ldconfig/cache';
import { FI_PROVIDER_PATH_TOKEN } from './args';

/**
 * The value <FI_PROVIDER_PATH> stands for: the container's FI_PROVIDER_PATH if set and non-empty;
 * else, when a host ldconfig is configured, <dir of the first libfabric.so.N in the container's
 * linker cache>/libfabric; else /usr/lib.
 */
export function fiProviderPath(
  env: Map<string, string>,
  ldconfigSet: boolean,
  cache: () => LdCache | undefined,
): { value: string; from: string } {
  const fromEnv = env.get('FI_PROVIDER_PATH');
  let result: { value: string; from: string } = { value: '/usr/lib', from: 'fallback' };
  if (fromEnv) result = { value: fromEnv, from: 'container env FI_PROVIDER_PATH' };
  else if (ldconfigSet) {
    const lib = cache()?.entries.find((e) => /^libfabric\.so\.\d/.test(e.name));
    if (lib)
      result = {
        value: `${path.posix.dirname(lib.path)}/libfabric`,
        from: `linker cache entry ${lib.name} => ${lib.path}`,
      };
  }
  if (!path.posix.isAbsolute(result.value)) {
    throw new ActionError(
      `<FI_PROVIDER_PATH> from ${result.from} is ${JSON.stringify(result.value)}: not an absolute path`,
    );
  }
  return result;
}

/** Substitutes <FI_PROVIDER_PATH> in a --mount argument; the token is refused in the source. */
export function substituteToken(arg: string, value: () => string): string {
  if (!arg.includes(FI_PROVIDER_PATH_TOKEN)) return arg;
  for (const item of arg.split(',')) {
    const key = item.split('=')[0];
    if ((key === 'source' || key === 'src') && item.includes(FI_PROVIDER_PATH_TOKEN)) {
      throw new UsageError(
        `Invalid mount request '${arg}': ${FI_PROVIDER_PATH_TOKEN} may only be used in the destination (its value can come from the image)`,
      );
    }
  }
  return arg.split(FI_PROVIDER_PATH_TOKEN).join(value());
}

/** Whether an argument's grammar can be checked only once the token has a value. */
export function hasToken(arg: string): boolean {
  return arg.includes(FI_PROVIDER_PATH_TOKEN);
}

/** The argument with a stand-in value, to check its grammar before the container is known. */
export function withStandIn(arg: string): string {
  return arg.split(FI_PROVIDER_PATH_TOKEN).join('/fi-provider-path');
}
