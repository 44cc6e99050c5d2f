/**
 * The plan: a plain, serialisable list of actions that `apply` executes and `--dry-run` prints.
 * Planning reads the host (what a source is, a device's numbers) but changes nothing.
 */
import type { Bundle } from '../engine/inputs';
import type { Location } from '../engine/location';
import type { OciState } from './oci';

export type DeviceType = 'c' | 'b';

/** A device cgroup rule in OCI terms ("a" and "*" are wildcards; access is a subset of "rwm"). */
export interface DeviceAllow {
  type: DeviceType | 'a';
  major: number | '*';
  minor: number | '*';
  access: string;
}

export interface BindAction {
  action: 'bind';
  source: string;
  destination: string;
  /** What the source is on the host, hence what mount point to create. */
  kind: 'file' | 'directory';
  readonly: boolean;
}

export interface DeviceAction {
  action: 'device';
  source: string;
  destination: string;
  type: DeviceType;
  major: number;
  minor: number;
  access: string;
  /**
   * When a CDI spec sets the node's mode or owner, the node is created with mknod inside the
   * rootfs (a bind mount would show the host node's attributes); otherwise the host node is bound.
   */
  node?: { fileMode?: number; uid?: number; gid?: number };
}

/** A hook from a CDI spec, run with the container state on stdin. */
export interface RunHookAction {
  action: 'run-hook';
  path: string;
  args: string[];
  env: string[];
  timeoutMs: number;
}

export interface AllowDevicesAction {
  action: 'allow-devices';
  rules: DeviceAllow[];
}

export interface LdconfigAction {
  action: 'ldconfig';
  ldconfig: string;
  /** Container folders written to the drop-in before the cache is rebuilt. */
  folders: string[];
  timeoutMs: number;
}

export type Action = BindAction | DeviceAction | AllowDevicesAction | LdconfigAction | RunHookAction;

export interface Plan {
  hook: string;
  container: { id: string; bundle: string; rootfs: string; pid?: number };
  location: Location;
  /** Propagation of the injected mounts, from config linux.rootfsPropagation (default private). */
  propagation: 'private' | 'slave' | 'shared' | 'unbindable';
  actions: Action[];
  /** Edits this stage cannot make (logged; the precreate stage can). */
  deferred?: string[];
}

export function describeAction(a: Action): string {
  switch (a.action) {
    case 'bind':
      return `bind ${a.source} -> ${a.destination}${a.readonly ? ' (readonly)' : ''}`;
    case 'device':
      return `device ${a.source} -> ${a.destination} (${a.type} ${a.major}:${a.minor} ${a.access})`;
    case 'allow-devices':
      return `allow devices ${a.rules.map((r) => `${r.type} ${r.major}:${r.minor} ${r.access}`).join(', ')}`;
    case 'ldconfig':
      return `ldconfig ${a.ldconfig}${a.folders.length ? ` with ${a.folders.join(', ')}` : ''}`;
    case 'run-hook':
      return `run hook ${[a.path, ...a.args.slice(1)].join(' ')}`;
  }
}

export function propagationOf(rootfsPropagation: string | undefined): Plan['propagation'] {
  switch (rootfsPropagation) {
    case 'slave':
    case 'rslave':
      return 'slave';
    case 'shared':
    case 'rshared':
      return 'shared';
    case 'unbindable':
    case 'runbindable':
      return 'unbindable';
    default:
      return 'private';
  }
}

/** A plan for one container: what every hook's planner returns. */
export function newPlan(hook: string, state: OciState, bundle: Bundle, location: Location, actions: Action[], deferred?: string[]): Plan {
  return {
    hook,
    container: { id: state.id, bundle: bundle.dir, rootfs: bundle.rootfs, ...(state.pid ? { pid: state.pid } : {}) },
    location,
    propagation: propagationOf(bundle.config.linux?.rootfsPropagation),
    actions,
    ...(deferred ? { deferred } : {}),
  };
}
