/**
 * disable-device-node-modification: when the host driver's params say ModifyDeviceFiles: 1, the
 * container sees the same params with ModifyDeviceFiles: 0 (so the driver libraries inside do not
 * try to create or chmod /dev/nvidia* nodes), as a read-only file bound over
 * /proc/driver/nvidia/params. Nothing to do when the host file is missing or already says 0.
 */
import fs = require('node:fs');
import { ActionError, errorCode, messageOf } from '../../../core/errors';
import { newPlan } from '../../../core/plan';
import { CONTAINER_SPEC, NvidiaHook } from '../hook';

export const HOST_PARAMS = '/proc/driver/nvidia/params';

/** The params with ModifyDeviceFiles: 1 turned to 0, or undefined when nothing is to change (NVIDIA's rules). */
export function paramsWithoutModification(text: string): string | undefined {
  let changed = false;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    if (line === 'ModifyDeviceFiles: 0') return undefined;
    if (line === 'ModifyDeviceFiles: 1') {
      out.push('ModifyDeviceFiles: 0');
      changed = true;
    } else out.push(line);
  }
  return changed ? out.map((l) => `${l}\n`).join('') : undefined;
}

function hostParams(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw new ActionError(`${file}: failed to load params file: ${messageOf(e)}`, { cause: e });
  }
}

export const disableDeviceNodeModification: NvidiaHook = {
  name: 'disable-device-node-modification',
  describe: 'show the container the driver params with ModifyDeviceFiles: 0',
  options: {
    'params-file': { type: 'string', default: HOST_PARAMS, describe: "the host driver's params file" },
    ...CONTAINER_SPEC,
  },
  check(args) {
    const text = hostParams(args['params-file'] as string);
    if (text === undefined) return `no ${args['params-file']} on this host`;
    return paramsWithoutModification(text) === undefined ? 'ModifyDeviceFiles is not 1 on this host' : undefined;
  },
  plan(p, args) {
    const content = paramsWithoutModification(hostParams(args['params-file'] as string) ?? '');
    return newPlan(
      'gpu disable-device-node-modification',
      p,
      content === undefined ? [] : [{ action: 'mount-file', destination: HOST_PARAMS, content, mode: 0o444 }],
    );
  },
};
