/**
 * The host a spec is generated for, read only through the kernel's and the driver's files: procfs,
 * sysfs, device nodes, and the driver's folders, each under a root of its own ("/" on a real node;
 * a folder laid out like one in tests, or a driver container's root). A device node becomes a CDI
 * node the way nvidia-ctk writes one since v1.19: its numbers, its mode and its group as the host
 * has them, access rwm, and the group as an additional GID when the node is not open to everyone.
 * Every optional thing that is missing is noted (the CLI prints the notes), never a failure.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ActionError, errorCode, messageOf } from '../../core/errors';
import type { CdiDeviceNode } from '../../cdi/spec';
import { splitDev } from '../../linux/dev';

export interface HostRoots {
  /** Where procfs is (/proc). */
  proc: string;
  /** Where sysfs is (/sys). */
  sys: string;
  /** Under which /dev is (/): device nodes' hostPath is this root joined with /dev/... */
  dev: string;
  /** Under which the driver's files are (/): libraries, programs, firmware, sockets, configs. */
  driver: string;
}

export const HOST_ROOTS: HostRoots = { proc: '/proc', sys: '/sys', dev: '/', driver: '/' };

/** A device node for a spec, and the group to add to the container's process when it needs one. */
export interface HostNode {
  node: CdiDeviceNode;
  gid?: number;
}

export class Host {
  readonly notes: string[] = [];
  constructor(readonly roots: HostRoots) {}

  proc(rel: string): string {
    return path.join(this.roots.proc, rel);
  }
  sys(rel: string): string {
    return path.join(this.roots.sys, rel);
  }
  /** The host path of /dev/... */
  dev(p: string): string {
    return path.join(this.roots.dev, p);
  }
  /** The host path of a driver file named as the host sees it without the root. */
  driver(p: string): string {
    return path.join(this.roots.driver, p);
  }

  note(message: string): void {
    this.notes.push(message);
  }

  /** A file's text; undefined when it is not there; any other failure names the file. */
  text(file: string): string | undefined {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return undefined;
      throw new ActionError(`${file}: ${messageOf(e)}`, { cause: e });
    }
  }

  /** A folder's names, sorted; [] when it is not there. */
  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir).sort();
    } catch (e) {
      if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return [];
      throw new ActionError(`${dir}: ${messageOf(e)}`, { cause: e });
    }
  }

  exists(p: string): boolean {
    try {
      fs.lstatSync(p);
      return true;
    } catch {
      return false;
    }
  }

  /** The CDI node for `p` (/dev/...) as the host has it; undefined, with `why` noted, when it is missing or not a character device. */
  node(p: string, why?: string): HostNode | undefined {
    const hostPath = this.dev(p);
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(hostPath, { bigint: true });
    } catch {
      if (why) this.note(`skipped ${hostPath}: not there (${why})`);
      return undefined;
    }
    if (!st.isCharacterDevice()) {
      if (why) this.note(`skipped ${hostPath}: not a character device (${why})`);
      return undefined;
    }
    const { major, minor } = splitDev(st.rdev);
    const mode = Number(st.mode & 0o7777n);
    const gid = Number(st.gid);
    const node: CdiDeviceNode = {
      path: p,
      ...(hostPath !== p ? { hostPath } : {}),
      type: 'c',
      major,
      minor,
      fileMode: mode,
      permissions: 'rwm',
      ...(gid ? { gid } : {}),
    };
    // A node not open to everyone is opened through its group: the container's process gets it.
    return { node, ...(gid && (mode & 0o006) !== 0o006 ? { gid } : {}) };
  }

  /** Like node(), for a node the device cannot do without: missing is an error naming it. */
  requiredNode(p: string, what: string): HostNode {
    const n = this.node(p);
    if (!n) throw new ActionError(`${this.dev(p)}: not there or not a character device (${what})`);
    return n;
  }
}
