/**
 * The device cgroup step. The cgroup is found from the hook's own namespace, while /proc still
 * shows the host; the rules are written after the mounts. In a user namespace (rootless podman,
 * runc --rootless, scrun) the host's device cgroup is out of reach: the step is skipped with a
 * warning, and only nodes this user may open are bound.
 */
import fs = require('node:fs');
import { AllowDevicesAction, DeviceAction, DeviceAllow, describeAction } from '../../core/actions';
import { ActionError, errorCode } from '../../core/errors';
import { allowDevices } from '../../linux/cgroups/device-cgroup';
import { DeviceCgroup, deviceCgroupOfPid } from '../../linux/cgroups/membership';
import { inUserNamespace } from '../../linux/userns';
import { ApplyRun, containerPid, step } from './context';

export const USERNS_CGROUP_SKIPPED =
  'device cgroup step skipped: the container has its own user namespace, and whitelisting devices needs privilege on the host';

/** A device bound into a user-namespaced container must be one this user may open as asked. */
export function checkDeviceReachable(a: DeviceAction): void {
  const mode = (a.access.includes('r') ? fs.constants.R_OK : 0) | (a.access.includes('w') ? fs.constants.W_OK : 0);
  try {
    fs.accessSync(a.source, mode || fs.constants.F_OK);
  } catch (e) {
    throw new ActionError(
      `device ${a.source}: cannot be opened for "${a.access}" by this user (${errorCode(e)}); a user-namespaced container can only get devices its user may open`,
      { cause: e },
    );
  }
}

/**
 * Before entering: the cgroup to write the rules to, or undefined when the step is skipped (no
 * rules, --skip-cgroup, or a user namespace). Only a plan with devices asks whether the container
 * has its own user namespace (one read of uid_map, not on every hook's start).
 */
export function deviceCgroupToAllow(
  run: ApplyRun,
  devices: DeviceAction[],
  rules: DeviceAllow[],
): DeviceCgroup | undefined {
  const userns = (devices.length > 0 || rules.length > 0) && inUserNamespace(containerPid(run.location));
  if (userns) devices.forEach(checkDeviceReachable);
  if (rules.length === 0) return undefined;
  if (userns) {
    run.opts.log.warn({ rules }, USERNS_CGROUP_SKIPPED);
    return undefined;
  }
  if (run.opts.skipCgroup) return undefined;
  return deviceCgroupOfPid(containerPid(run.location));
}

/** After the mounts: allows the rules in the cgroup found before, or says why it did not. */
export function allowDeviceAccess(
  run: ApplyRun,
  cgroup: DeviceCgroup | undefined,
  actions: AllowDevicesAction[],
): void {
  const rules = actions.flatMap((a) => a.rules);
  if (cgroup) {
    run.cgroup = step(describeAction(actions[0] as AllowDevicesAction), () => allowDevices(cgroup, rules));
    run.opts.log.info(run.cgroup);
  } else if (rules.length > 0 && run.opts.skipCgroup) {
    run.opts.log.warn({ rules }, 'device cgroup step skipped (--skip-cgroup)');
  }
}
