/** cgroup v1: one "type major:minor access" line per write to devices.allow. */
import fs = require('node:fs');
import { DeviceAllow, describeRule } from '../../core/actions';
import { ActionError, messageOf } from '../../core/errors';
import { native } from '../native';

export function allowDevicesV1(dirFd: number, rules: DeviceAllow[]): void {
  const c = native().constants;
  const fd = native().openat(dirFd, 'devices.allow', c.O_WRONLY | c.O_CLOEXEC, 0);
  try {
    for (const r of rules) {
      try {
        fs.writeSync(fd, describeRule(r));
      } catch (e) {
        throw new ActionError(`devices.allow "${describeRule(r)}": ${messageOf(e)}`, { cause: e });
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
