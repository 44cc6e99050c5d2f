/**
 * What Slurm's scrun passes to scrun.lua's slurm_scrun_stage_in and slurm_scrun_stage_out
 * (scrun(1), "SCRUN.LUA"), as our scrun.lua hands it to `ocihooks scrun stage-in|stage-out`: one
 * zod schema per stage, the single source of both inputs. Paths are absolute and one line each
 * (the answer to scrun.lua is `key=value` lines); ids are numbers Lua formatted with %d.
 */
import * as z from 'zod/mini';
import { UsageError } from '../../../core/errors';
import { describeIssue } from '../../../core/json';

const path = z.string().check(
  z.refine((s) => s.startsWith('/'), 'must be an absolute path'),
  z.refine((s) => !/[\n\r\0]/.test(s), 'must be one line'),
);
const id = z.int().check(z.minimum(0));
/** A container id as podman and docker make them: a folder name in the spool. */
const containerId = z.string().check(
  z.minLength(1),
  z.refine((s) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s), 'must be a container id (letters, digits, _ . -)'),
);

export const stageInSchema = z.strictObject({
  id: containerId,
  bundle: path,
  spoolDir: path,
  configFile: path,
  jobId: id,
  userId: id,
  groupId: id,
});
export type StageIn = z.infer<typeof stageInSchema>;

export const stageOutSchema = z.strictObject({
  id: containerId,
  bundle: path,
  origBundle: path,
  rootPath: z.optional(path),
  origRootPath: z.optional(path),
  spoolDir: path,
  configFile: z.optional(path),
  jobId: id,
  userId: id,
  groupId: id,
});
export type StageOut = z.infer<typeof stageOutSchema>;

/** The folder of its own that stage-in writes a rootless bundle into, in scrun's spool_dir for the container. */
export const OWN_BUNDLE = 'ocihooks-bundle';

const NUMBERS = new Set(['jobId', 'userId', 'groupId']);
const flagOf = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The stage's input from its command-line flags (camelCase keys, string values as Lua gave them):
 * a decimal number where the schema wants one, then the schema; a bad flag is UsageError naming it.
 */
export function parseStageInput<T>(schema: z.ZodMiniType<T>, flags: Record<string, string | undefined>): T {
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined) continue;
    input[k] = NUMBERS.has(k) && /^\d+$/.test(v) ? Number(v) : v;
  }
  const r = z.safeParse(schema, input);
  if (r.success) return r.data;
  const issue = r.error.issues[0] as Parameters<typeof describeIssue>[0];
  const line = describeIssue(issue, input);
  const field = issue.path[0];
  throw new UsageError(
    typeof field === 'string'
      ? `${flagOf(field)}${line.slice(line.indexOf(':'))}`
      : line.replace('(top level)', 'arguments'),
  );
}
