/**
 * Where a hook's start-up goes, phase by phase, from the process' own clock (process.uptime(),
 * zero at exec). The launcher (scripts/build.mjs) records its first phases in
 * globalThis.__ocihooksPhases before the bundle exists; the hook adds its own. With
 * OCIHOOKS_TIMINGS=1 the process writes one line `ocihooks-timings {"node":41.2,...}` (ms per
 * phase) on stderr at exit; `npm run bench` reads it. Recording costs a few array pushes.
 */
type Mark = [phase: string, seconds: number];

const g = globalThis as { __ocihooksPhases?: Mark[] };
const marks: Mark[] = (g.__ocihooksPhases ??= [['node', process.uptime()]]);

/** Records that `phase` ends now. */
export function phaseDone(phase: string): void {
  marks.push([phase, process.uptime()]);
}

/** ms per phase: the first is everything before the launcher ran (node's own start). */
function phaseDurations(): Record<string, number> {
  const out: Record<string, number> = {};
  let last = 0;
  for (const [phase, t] of marks) {
    out[phase] = Math.round((t - last) * 1e5) / 100;
    last = t;
  }
  return out;
}

export function reportTimingsAtExit(): void {
  if (process.env.OCIHOOKS_TIMINGS !== '1') return;
  process.once('exit', () => {
    phaseDone('exit');
    process.stderr.write(`ocihooks-timings ${JSON.stringify(phaseDurations())}\n`);
  });
}
