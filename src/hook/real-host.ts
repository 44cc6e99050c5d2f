/**
 * What planners may know about the host: the kind of a host path and a device's numbers. The real
 * view stats the path (through the addon: node:fs builds a Stats object of BigInts for each, a
 * tenth of a millisecond per mount source); unit tests give planners a table instead.
 */
import fs = require('node:fs');
import type { HostNode, HostView } from '../core/host-view';
import { errorCode, messageOf } from '../core/errors';
import { native } from '../linux/native';

export type { HostPath, HostView } from '../core/host-view';

/** The host this process sees. */
export const realHost: HostView = {
  describe(p) {
    let mode: number, major: number, minor: number;
    try {
      [mode, major, minor] = native().stat(p);
    } catch (e) {
      const code = errorCode(e);
      return {
        kind: 'missing',
        detail:
          code === 'ENOENT'
            ? 'no such file or directory'
            : code === 'EACCES'
              ? 'permission denied for this user (EACCES)'
              : messageOf(e),
      };
    }
    const c = fs.constants;
    switch (mode & c.S_IFMT) {
      case c.S_IFDIR:
        return { kind: 'directory' };
      case c.S_IFCHR:
        return { kind: 'device', type: 'c', major, minor };
      case c.S_IFBLK:
        return { kind: 'device', type: 'b', major, minor };
      case c.S_IFREG:
        return { kind: 'file' };
      case c.S_IFSOCK:
        return { kind: 'socket' };
      case c.S_IFIFO:
        return { kind: 'fifo' };
      default:
        return { kind: 'other', detail: 'a special file' };
    }
  },
  lstatNode(p) {
    let mode: number, major: number, minor: number;
    try {
      [mode, major, minor] = native().lstat(p);
    } catch (e) {
      const code = errorCode(e);
      return {
        error: code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : messageOf(e),
      };
    }
    const c = fs.constants;
    const kind = mode & c.S_IFMT;
    const type = kind === c.S_IFCHR ? 'c' : kind === c.S_IFBLK ? 'b' : kind === c.S_IFIFO ? 'p' : undefined;
    if (!type) return { error: 'not a device node' };
    return { type, major, minor, mode: mode & 0o7777 } satisfies HostNode;
  },
};
