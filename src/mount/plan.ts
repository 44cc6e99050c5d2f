/**
 * Planning for the mount hook: Sarus arguments + state + config -> Plan. The arguments' grammar
 * is checked first (checkMountHookArgs, before any state is read); planning then reads the host
 * (what a source is, device numbers) and, for <FI_PROVIDER_PATH>, the container's env and linker
 * cache.
 */
import type { Action, ContainerUser, DeviceAllow, MountRules } from '../core/actions';
import { UsageError } from '../core/errors';
import type { OciConfig } from '../core/oci';
import { Plan, PlanInput, newPlan } from '../core/plan';
import type { HostView } from '../hook/real-host';
import { containerEnv } from '../hook/inputs';
import type { LdCache } from '../linux/ldconfig/cache';
import { DEFAULT_LDCONFIG_TIMEOUT_MS, validateLdconfigPath } from '../linux/ldconfig/host-ldconfig';
import { ldconfigAction } from '../linux/ldconfig/action';
import type { LinkerCachePlace } from '../linux/ldconfig/cache-place';
import { DeviceRequest, MountRequest, parseDeviceRequest, parseMountRequest } from './args';
import { fiProviderPath, hasToken, substituteToken, withStandIn } from './fi-provider-path';

export interface MountHookArgs {
  mounts: string[];
  devices: string[];
  /**
   * The host ldconfig that refreshes the container's linker cache: --ldconfig-path, else Sarus's
   * LDCONFIG_PATH from the hook's environment (both set by the admin in the hooks.d file).
   */
  ldconfigPath?: string;
  /** Which of the two named it, for errors. */
  ldconfigFrom?: string;
  /** Where the refreshed cache goes (--linker-cache; auto when not given). */
  linkerCache?: LinkerCachePlace;
}

/** The arguments with their grammar checked: a --mount with <FI_PROVIDER_PATH> is parsed once its value is known. */
export interface CheckedMountHookArgs extends MountHookArgs {
  parsedMounts: (MountRequest | undefined)[];
  parsedDevices: DeviceRequest[];
}

/** What planning reads besides the container: the host's paths, and the container's linker cache when asked. */
export interface MountPlanSources {
  host: HostView;
  readCache: () => LdCache | undefined;
}

/**
 * Sarus's rules for every mount of this hook: the source as the container's user sees it
 * (config.json process.user; uid 0 when the config names none, as runtimes default), mount points
 * owned by that user, and the destination only on the container's own filesystems.
 */
export function mountRules(config: OciConfig): Required<MountRules> {
  const u = config.process?.user;
  const user: ContainerUser = { uid: u?.uid ?? 0, gid: u?.gid ?? 0 };
  if (u?.additionalGids?.length) user.additionalGids = u.additionalGids;
  return { user, ownFilesystems: true };
}

export function checkMountHookArgs(args: MountHookArgs): CheckedMountHookArgs {
  // An empty LDCONFIG_PATH is Sarus's "not set"; an empty option given on purpose is a mistake.
  if (args.ldconfigFrom === '--ldconfig-path' && args.ldconfigPath === '')
    throw new UsageError('--ldconfig-path: empty (the host ldconfig, an absolute path)');
  const parsedMounts = args.mounts.map((arg) => {
    if (!hasToken(arg)) return parseMountRequest(arg);
    parseMountRequest(withStandIn(arg));
    return undefined;
  });
  return { ...args, parsedMounts, parsedDevices: args.devices.map(parseDeviceRequest) };
}

export function planMountHook(p: PlanInput, args: CheckedMountHookArgs, sources: MountPlanSources): Plan {
  const { host } = sources;
  const actions: Action[] = [];
  const ldconfig = args.ldconfigPath
    ? validateLdconfigPath(args.ldconfigPath, p.bundle.rootfs, args.ldconfigFrom ?? 'LDCONFIG_PATH')
    : undefined;
  let fi: string | undefined;
  const fiValue = () =>
    (fi ??= fiProviderPath(containerEnv(p.bundle.config), ldconfig !== undefined, sources.readCache).value);

  const rules = mountRules(p.bundle.config);
  for (const [i, arg] of args.mounts.entries()) {
    const req = args.parsedMounts[i] ?? parseMountRequest(substituteToken(arg, fiValue));
    const src = host.describe(req.source);
    if (src.kind === 'missing')
      throw new UsageError(`Invalid mount request '${arg}': source ${req.source}: ${src.detail}`);
    if (src.kind === 'other')
      throw new UsageError(`Invalid mount request '${arg}': source ${req.source} is ${src.detail}`);
    // The root spelt out (a path through the image, `..` or a link, is found when applying): a
    // dry run says so too.
    if (req.destination.split('/').every((part) => part === '' || part === '.'))
      throw new UsageError(
        `Invalid mount request '${arg}': destination ${req.destination}: cannot mount over the container's root`,
      );
    // A device, socket or fifo given as a mount source is bound like a file (a device gets no
    // cgroup rule: use --device for that).
    actions.push({
      action: 'bind',
      source: req.source,
      destination: req.destination,
      kind: src.kind === 'directory' ? 'directory' : 'file',
      readonly: req.readonly,
      ...rules,
    });
  }
  const allow: DeviceAllow[] = [];
  args.parsedDevices.forEach((req, i) => {
    const d = host.describe(req.source);
    if (d.kind !== 'device') {
      const what = d.kind === 'missing' || d.kind === 'other' ? d.detail : `a ${d.kind}`;
      throw new UsageError(
        `Invalid device request '${args.devices[i]}': ${req.source} is not a character or block device (${what})`,
      );
    }
    actions.push({
      action: 'device',
      source: req.source,
      destination: req.destination,
      type: d.type,
      major: d.major,
      minor: d.minor,
      access: req.access,
      ...rules,
    });
    allow.push({ type: d.type, major: d.major, minor: d.minor, access: req.access });
  });
  if (allow.length) actions.push({ action: 'allow-devices', rules: allow });
  if (ldconfig)
    actions.push(
      ldconfigAction(p, {
        ldconfig,
        folders: [],
        timeoutMs: DEFAULT_LDCONFIG_TIMEOUT_MS,
        cache: args.linkerCache ?? 'auto',
      }),
    );

  return newPlan('mount', p, actions);
}
