/**
 * update-application-profile: restricts EGL to the GPUs the container has — an application
 * profile whose EGLVisibleDGPUDevices mask has bit N for each /dev/nvidiaN character device
 * (N its minor, 0..63) directly under the container's /dev.
 */
import fs = require('node:fs');
import { newPlan } from '../../../core/plan';
import { splitDev } from '../../../linux/dev';
import { openInRootfs } from '../../../linux/mount/rootfs';
import { CONTAINER_SPEC, NvidiaHook } from '../hook';

export const APPLICATION_PROFILE = '/etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf';

/** NVIDIA's profile for a mask of device minors: one line, no newline, lower-case hex. */
export function applicationProfile(mask: bigint): string {
  return `{"profiles":[{"name":"_container_","settings":["EGLVisibleDGPUDevices",0x${mask.toString(16)}]}],"rules":[{"pattern":[],"profile":"_container_"}]}`;
}

/**
 * The minors of the /dev/nvidia<N> character devices in the container's /dev (resolved in root).
 * Each is lstat'ed, not judged by its directory entry: a node bound over a file shows the file's
 * type there. A symlink named nvidia0 does not count.
 */
export function gpuMinors(rootFd: number): number[] {
  const dev = openInRootfs(rootFd, '/dev');
  if (dev === undefined) return [];
  try {
    const dir = `/proc/self/fd/${dev}`;
    return fs
      .readdirSync(dir)
      .filter((name) => /^nvidia[0-9]+$/.test(name))
      .map((name) => fs.lstatSync(`${dir}/${name}`, { bigint: true }))
      .filter((st) => st.isCharacterDevice())
      .map((st) => splitDev(st.rdev).minor);
  } finally {
    fs.closeSync(dev);
  }
}

export const updateApplicationProfile: NvidiaHook = {
  name: 'update-application-profile',
  describe: "restrict EGL to the container's GPUs (an application profile)",
  options: { ...CONTAINER_SPEC },
  check: () => undefined,
  plan(p) {
    let mask = 0n;
    for (const minor of p.withRoot(gpuMinors)) if (minor >= 0 && minor <= 63) mask |= 1n << BigInt(minor);
    return newPlan(
      'gpu update-application-profile',
      p,
      mask === 0n
        ? []
        : [{ action: 'write-file', path: APPLICATION_PROFILE, content: applicationProfile(mask), mode: 0o444 }],
    );
  },
};
