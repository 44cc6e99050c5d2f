/**
 * Where a program's start-up goes, phase by phase, from the process' own clock (process.uptime(),
 * zero at exec). The launcher (src/cmd/launcher.ts) records its first phases (node, read, compile)
 * before the bundle runs and hands them over in the invocation; the program adds its own. With
 * OCIHOOKS_TIMINGS=1 in its environment a program writes one line `ocihooks-timings {"node":41.2,...}`
 * (ms per phase) on stderr when it ends; `npm run bench` reads it. Recording costs a few array pushes.
 */
export type Mark = [phase: string, seconds: number];

export class Timing {
  constructor(private readonly marks: Mark[] = [['node', process.uptime()]]) {}

  /** Records that `phase` ends now. */
  done(phase: string): void {
    this.marks.push([phase, process.uptime()]);
  }

  /** ms per phase: the first is everything before the launcher ran (node's own start). */
  durations(): Record<string, number> {
    const out: Record<string, number> = {};
    let last = 0;
    for (const [phase, t] of this.marks) {
      out[phase] = Math.round((t - last) * 1e5) / 100;
      last = t;
    }
    return out;
  }

  /** The line OCIHOOKS_TIMINGS=1 asks for, with the phase that ends now. */
  line(): string {
    this.done('exit');
    return `ocihooks-timings ${JSON.stringify(this.durations())}\n`;
  }
}
