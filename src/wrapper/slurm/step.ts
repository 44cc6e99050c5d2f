/**
 * Which Slurm step a runtime call belongs to, in a way the job's user cannot forge. Slurm 22.05
 * runs RunTimeRun as the user through /bin/sh -c, a child of the step's slurmstepd (root, its
 * process title "slurmstepd: [JOB.STEP]"), with slurmd's environment: no SLURM_JOB_ID, and the
 * job env in config.json is the user's to write. So the step comes from the nearest ancestor that
 * runs as root and carries that title; a user can start the wrapper by hand, but only under the
 * steps of their own jobs.
 */
import fs = require('node:fs');

export interface SlurmStep {
  job: string;
  step: string;
  /** The slurmstepd's pid. */
  pid: number;
}

const TITLE = /^slurmstepd: \[(\d+)\.([a-z0-9]+)\]/;

function parentAndUid(proc: string, pid: number): { ppid: number; uid: number } | undefined {
  try {
    const status = fs.readFileSync(`${proc}/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    return Number.isFinite(ppid) && Number.isFinite(uid) ? { ppid, uid } : undefined;
  } catch {
    return undefined;
  }
}

/** The step of the nearest slurmstepd ancestor (a few generations up), or undefined outside Slurm. */
export function slurmStepOf(pid: number = process.pid, proc = '/proc', generations = 6): SlurmStep | undefined {
  let current = parentAndUid(proc, pid)?.ppid;
  for (let i = 0; i < generations && current !== undefined && current > 1; i++) {
    const info = parentAndUid(proc, current);
    if (!info) return undefined;
    if (info.uid === 0) {
      let title = '';
      try {
        title = fs.readFileSync(`${proc}/${current}/cmdline`, 'utf8');
      } catch {
        // gone, or hidden: not a step we can vouch for
      }
      const m = TITLE.exec(title);
      if (m) return { job: m[1] as string, step: m[2] as string, pid: current };
    }
    current = info.ppid;
  }
  return undefined;
}
