/**
 * Planning for the mount hook: Sarus arguments + state + config -> Plan. Reads the host (what a
 * source is, device numbers) and, for <FI_PROVIDER_PATH>, the container's env and linker cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError, UsageError } from '../core/errors';
import { Bundle, containerEnv } from '../engine/inputs';
import type { LdCache } from '../linux/ldcache';
import { DEFAULT_LDCONFIG_TIMEOUT_MS, validateLdconfigPath } from '../linux/ldconfig';
import type { Location } from '../engine/location';
import { DeviceRequest, FI_PROVIDER_PATH_TOKEN, MountRequest, parseDeviceRequest, parseMountRequest } from './args';
import { Action, DeviceAllow, DeviceType, Plan, newPlan } from '../core/plan';
import type { OciState } from '../core/oci';

/** Splits a Linux dev_t (as Node's bigint rdev) into major and minor, as glibc's major()/minor() do. */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

export interface HostView {
  /** Kind of a host path: file, directory, char/block device with numbers, or a reason it cannot be used. */
  describe(p: string): { kind: 'file' | 'directory' } | { kind: 'device'; type: DeviceType; major: number; minor: number } | { kind: 'other' | 'missing'; detail: string };
}

export const realHost: HostView = {
  describe(p) {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(p, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { kind: 'missing', detail: code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied for this user (EACCES)' : (e as Error).message };
    }
    if (st.isDirectory()) return { kind: 'directory' };
    if (st.isCharacterDevice() || st.isBlockDevice()) return { kind: 'device', type: st.isCharacterDevice() ? 'c' : 'b', ...splitDev(st.rdev) };
    if (st.isFile()) return { kind: 'file' };
    return { kind: 'other', detail: st.isFIFO() ? 'a fifo' : st.isSocket() ? 'a socket' : 'a special file' };
  },
};

/**
 * The value <FI_PROVIDER_PATH> stands for: the container's FI_PROVIDER_PATH if set and non-empty;
 * else, when a host ldconfig is configured, <dir of the first libfabric.so.N in the container's
 * linker cache>/libfabric; else /usr/lib. The image controls the first two, so the result must be
 * an absolute path (it is then resolved inside the rootfs like every destination).
 */
export function fiProviderPath(env: Map<string, string>, ldconfigSet: boolean, cache: () => LdCache | undefined): { value: string; from: string } {
  const fromEnv = env.get('FI_PROVIDER_PATH');
  let result: { value: string; from: string } = { value: '/usr/lib', from: 'fallback' };
  if (fromEnv) result = { value: fromEnv, from: 'container env FI_PROVIDER_PATH' };
  else if (ldconfigSet) {
    const lib = cache()?.entries.find((e) => /^libfabric\.so\.\d/.test(e.name));
    if (lib) result = { value: `${path.posix.dirname(lib.path)}/libfabric`, from: `linker cache entry ${lib.name} => ${lib.path}` };
  }
  if (!path.posix.isAbsolute(result.value)) {
    throw new ActionError(`<FI_PROVIDER_PATH> from ${result.from} is ${JSON.stringify(result.value)}: not an absolute path`);
  }
  return result;
}

export interface MountHookInput {
  mounts: string[];
  devices: string[];
  /** LDCONFIG_PATH from the hook's environment (set by the admin in the hooks.d file). */
  ldconfigPath?: string;
}

/** Substitutes <FI_PROVIDER_PATH> in a --mount argument; the token is refused in the source (host side). */
function substituteToken(arg: string, value: () => string): string {
  if (!arg.includes(FI_PROVIDER_PATH_TOKEN)) return arg;
  for (const item of arg.split(',')) {
    const key = item.split('=')[0];
    if ((key === 'source' || key === 'src') && item.includes(FI_PROVIDER_PATH_TOKEN)) {
      throw new UsageError(`Invalid mount request '${arg}': ${FI_PROVIDER_PATH_TOKEN} may only be used in the destination (its value can come from the image)`);
    }
  }
  return arg.split(FI_PROVIDER_PATH_TOKEN).join(value());
}

/**
 * Checks the grammar of every argument (before any state or host is read). Returns the parsed
 * requests; a --mount with <FI_PROVIDER_PATH> is parsed again once the token's value is known.
 */
export function checkMountHookArgs(input: MountHookInput): { mounts: (MountRequest | undefined)[]; devices: DeviceRequest[] } {
  const mounts = input.mounts.map((arg) => {
    if (!arg.includes(FI_PROVIDER_PATH_TOKEN)) return parseMountRequest(arg);
    parseMountRequest(arg.split(FI_PROVIDER_PATH_TOKEN).join('/fi-provider-path'));
    return undefined;
  });
  return { mounts, devices: input.devices.map(parseDeviceRequest) };
}

export function planMountHook(
  state: OciState,
  bundle: Bundle,
  location: Location,
  input: MountHookInput,
  readCache: () => LdCache | undefined,
  host: HostView = realHost,
  checked: ReturnType<typeof checkMountHookArgs> = checkMountHookArgs(input),
): Plan {
  const actions: Action[] = [];
  const ldconfig = input.ldconfigPath !== undefined && input.ldconfigPath !== '' ? validateLdconfigPath(input.ldconfigPath, bundle.rootfs, 'LDCONFIG_PATH') : undefined;
  let fi: string | undefined;
  const fiValue = () => (fi ??= fiProviderPath(containerEnv(bundle.config), ldconfig !== undefined, readCache).value);

  const deviceRequests = checked.devices;

  for (const [i, arg] of input.mounts.entries()) {
    const req = checked.mounts[i] ?? parseMountRequest(substituteToken(arg, fiValue));
    const src = host.describe(req.source);
    if (src.kind === 'missing') throw new UsageError(`Invalid mount request '${arg}': source ${req.source}: ${src.detail}`);
    if (src.kind === 'other') throw new UsageError(`Invalid mount request '${arg}': source ${req.source} is ${src.detail}`);
    // A device given as a mount source is bound like a file (no cgroup rule: use --device for that).
    actions.push({ action: 'bind', source: req.source, destination: req.destination, kind: src.kind === 'directory' ? 'directory' : 'file', readonly: req.readonly });
  }
  const rules: DeviceAllow[] = [];
  deviceRequests.forEach((req, i) => {
    const d = host.describe(req.source);
    const arg = input.devices[i] as string;
    if (d.kind !== 'device') {
      const what = d.kind === 'missing' ? d.detail : d.kind === 'other' ? d.detail : `a ${d.kind}`;
      throw new UsageError(`Invalid device request '${arg}': ${req.source} is not a character or block device (${what})`);
    }
    actions.push({ action: 'device', source: req.source, destination: req.destination, type: d.type, major: d.major, minor: d.minor, access: req.access });
    rules.push({ type: d.type, major: d.major, minor: d.minor, access: req.access });
  });
  if (rules.length) actions.push({ action: 'allow-devices', rules });
  if (ldconfig) actions.push({ action: 'ldconfig', ldconfig, folders: [], timeoutMs: DEFAULT_LDCONFIG_TIMEOUT_MS });

  return newPlan('mount', state, bundle, location, actions);
}
