/**
 * What planners may know about the host: the kind of a host path and a device's numbers. The real
 * view stats the path; unit tests give planners a table instead.
 */
import fs = require('node:fs');
import type { HostNode, HostView } from '../core/host-view';
import { splitDev } from '../linux/dev';

export type { HostPath, HostView } from '../core/host-view';

/** The host this process sees. */
export const realHost: HostView = {
  describe(p) {
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(p, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        kind: 'missing',
        detail:
          code === 'ENOENT'
            ? 'no such file or directory'
            : code === 'EACCES'
              ? 'permission denied for this user (EACCES)'
              : (e as Error).message,
      };
    }
    if (st.isDirectory()) return { kind: 'directory' };
    if (st.isCharacterDevice() || st.isBlockDevice())
      return { kind: 'device', type: st.isCharacterDevice() ? 'c' : 'b', ...splitDev(st.rdev) };
    if (st.isFile()) return { kind: 'file' };
    if (st.isSocket()) return { kind: 'socket' };
    if (st.isFIFO()) return { kind: 'fifo' };
    return { kind: 'other', detail: 'a special file' };
  },
  lstatNode(p) {
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(p, { bigint: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        error:
          code === 'ENOENT'
            ? 'no such file or directory'
            : code === 'EACCES'
              ? 'permission denied'
              : (e as Error).message,
      };
    }
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
    if (!type) return { error: 'not a device node' };
    return { type, ...splitDev(st.rdev), mode: Number(st.mode) & 0o7777 } satisfies HostNode;
  },
};
