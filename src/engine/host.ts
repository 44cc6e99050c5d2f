/**
 * What planners may know about the host: the kind of a host path and a device's numbers. The real
 * view stats the path; unit tests give planners a table instead.
 */
import * as fs from 'node:fs';
import type { DeviceType } from '../core/actions';
import { splitDev } from '../linux/dev';

export type HostPath =
  | { kind: 'file' | 'directory' }
  | { kind: 'device'; type: DeviceType; major: number; minor: number }
  | { kind: 'other' | 'missing'; detail: string };

export interface HostView {
  /** Kind of a host path: file, directory, char/block device with numbers, or a reason it cannot be used. */
  describe(p: string): HostPath;
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
