/** Which cgroup enforces a process's device access, from /proc/<pid>/cgroup. */
import fs = require('node:fs');
import { ActionError, messageOf } from '../../core/errors';

export interface CgroupLine {
  hierarchy: number;
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): CgroupLine[] {
  const out: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m)
      out.push({
        hierarchy: Number(m[1]),
        controllers: m[2] === '' ? [] : (m[2] as string).split(','),
        path: m[3] as string,
      });
  }
  return out;
}

/** A cgroup path, relative to the reader's cgroup namespace root, and the version that controls devices there. */
export type DeviceCgroup = { version: 1 | 2; path: string };

/** Which hierarchy enforces device access for a process: the v1 devices controller if present, else v2. */
export function deviceCgroupOf(lines: CgroupLine[]): DeviceCgroup | undefined {
  const v1 = lines.find((l) => l.hierarchy !== 0 && l.controllers.includes('devices'));
  if (v1) return { version: 1, path: v1.path };
  const v2 = lines.find((l) => l.hierarchy === 0);
  return v2 ? { version: 2, path: v2.path } : undefined;
}

/** Reads a process's cgroup membership; "self" from inside a createContainer hook is the container's. */
export function deviceCgroupOfPid(pid: number | 'self'): DeviceCgroup {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch (e) {
    throw new ActionError(`cannot read /proc/${pid}/cgroup: ${messageOf(e)}`, { cause: e });
  }
  const cg = deviceCgroupOf(parseProcCgroup(text));
  if (!cg) throw new ActionError(`/proc/${pid}/cgroup names no devices controller and no cgroup v2 hierarchy`);
  return cg;
}
