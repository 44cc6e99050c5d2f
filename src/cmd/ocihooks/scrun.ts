/**
 * `ocihooks scrun stage-in|stage-out`: what our scrun.lua (runtime/slurm/scrun/lua.ts) calls from
 * Slurm's scrun for each container, with the arguments scrun gives the Lua functions as flags.
 * stage-in prints `bundle=PATH` and `root=PATH` lines when scrun is to use a bundle of ours; both
 * end with the STAGE_DONE line, which is how scrun.lua tells success (lua.ts says why).
 */
import type { Argv, CommandModule } from 'yargs';
import { parseStageInput, stageInSchema, stageOutSchema } from '../../wrapper/slurm/scrun/input';
import { STAGE_DONE } from '../../wrapper/slurm/scrun/lua';
import { stageIn, stageInAnswer, stageOut } from '../../wrapper/slurm/scrun/stage';

const COMMON = ['id', 'bundle', 'spool-dir', 'config-file', 'job-id', 'user-id', 'group-id'];
const OUT_ONLY = ['orig-bundle', 'root-path', 'orig-root-path'];

const camel = (flag: string) => flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
function options(y: Argv, flags: string[]): Argv {
  for (const f of flags) y.option(f, { type: 'string', describe: `scrun's ${f.replace(/-/g, '_')}` });
  return y;
}
function flagsOf(a: Record<string, unknown>, flags: string[]): Record<string, string | undefined> {
  // A repeated flag is an array: its last value, as a shell reader expects; the schema checks the rest.
  const one = (v: unknown) => (Array.isArray(v) ? v.at(-1) : v);
  return Object.fromEntries(flags.map((f) => [camel(f), one(a[f]) === undefined ? undefined : String(one(a[f]))]));
}

const stageInCommand: CommandModule = {
  command: 'stage-in',
  describe: "scrun.lua's slurm_scrun_stage_in: a rootless bundle in the spool for a user's container",
  builder: (y) => options(y, COMMON),
  handler: (a) => {
    const input = parseStageInput(stageInSchema, flagsOf(a, COMMON));
    process.stdout.write(`${stageInAnswer(stageIn(input))}${STAGE_DONE}\n`);
  },
};

const stageOutCommand: CommandModule = {
  command: 'stage-out',
  describe: "scrun.lua's slurm_scrun_stage_out: removes the bundle stage-in made",
  builder: (y) => options(y, [...COMMON, ...OUT_ONLY]),
  handler: (a) => {
    stageOut(parseStageInput(stageOutSchema, flagsOf(a, [...COMMON, ...OUT_ONLY])));
    process.stdout.write(`${STAGE_DONE}\n`);
  },
};

export const scrunCommand: CommandModule = {
  command: 'scrun',
  describe: "Slurm scrun's stage-in and stage-out (called by the scrun.lua install writes)",
  builder: (y) =>
    y.command(stageInCommand).command(stageOutCommand).demandCommand(1, 'name a stage: stage-in or stage-out'),
  handler: () => undefined,
};
