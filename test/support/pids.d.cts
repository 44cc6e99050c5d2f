/** Types of pids.cjs (see there). */
export function alive(pid: number): boolean;
export function signal(pid: number, sig: NodeJS.Signals): boolean;
