/**
 * The scrun.lua `ocihooks install` writes under its prefix (for an admin to copy to
 * /etc/slurm/scrun.lua): both stages call `ocihooks scrun stage-in|stage-out` (stage.ts) through
 * slurm.allocator_command, which runs a shell command as the job's user on scrun's node with the
 * job's environment, and answers its exit status and output. A failure is one line in scrun's log
 * (slurm.error) and slurm.ERROR, which makes scrun cancel the job. Numbers go through %d: Lua 5.3
 * and later would print a float id as "1001.0".
 */

/** The last line `ocihooks scrun` prints when a stage succeeded. */
export const STAGE_DONE = 'ocihooks scrun: done';

/** The first line of every scrun.lua this project writes: what doctor recognises it by. */
export const SCRUN_LUA_MARK = '-- scrun.lua written by ocihooks install';

const TEMPLATE = `${SCRUN_LUA_MARK}: stage-in and stage-out through
-- \`ocihooks scrun\` (docs/scrun.md). Copy it to /etc/slurm/scrun.lua on every node that runs scrun.
local OCIHOOKS = "@OCIHOOKS@"
local DONE = "@DONE@"

local function quote(s)
  return "'" .. (string.gsub(s, "'", "'\\\\''")) .. "'"
end

-- "--name='value'" for each pair whose value Slurm gave; numbers as integers.
local function command(stage, pairs)
  local words = { quote(OCIHOOKS), "scrun", stage }
  for _, p in ipairs(pairs) do
    local value = p[2]
    if type(value) == "number" then value = string.format("%d", value) end
    if value ~= nil then table.insert(words, "--" .. p[1] .. "=" .. quote(value)) end
  end
  return table.concat(words, " ") .. " 2>&1"
end

-- The command's output decides, not its exit status: scrun reaps its children in its SIGCHLD
-- handler, so allocator_command's waitpid can lose the race ("No child processes") and report a
-- status that is not the command's. Success is the DONE line the command prints last.
local function run(stage, pairs)
  local status, output = slurm.allocator_command(command(stage, pairs))
  output = output or ""
  if string.find(output, DONE, 1, true) then
    return output
  end
  -- Our own failure line, else the first line (a shell's "not found", node's own complaint).
  local line = string.match(output, "ocihooks: [^\\n]+") or string.match(output, "[^\\n]+")
    or ("exit status " .. tostring(status))
  slurm.error("scrun.lua " .. stage .. ": " .. line)
  return nil
end

function slurm_scrun_stage_in(id, bundle, spool_dir, config_file, job_id, user_id, group_id, job_env)
  local output = run("stage-in", {
    { "id", id }, { "bundle", bundle }, { "spool-dir", spool_dir }, { "config-file", config_file },
    { "job-id", job_id }, { "user-id", user_id }, { "group-id", group_id },
  })
  if output == nil then return slurm.ERROR end
  local new_bundle = string.match(output, "bundle=([^\\n]+)")
  local new_root = string.match(output, "root=([^\\n]+)")
  if new_bundle then slurm.set_bundle_path(new_bundle) end
  if new_root then slurm.set_root_path(new_root) end
  return slurm.SUCCESS
end

function slurm_scrun_stage_out(id, bundle, orig_bundle, root_path, orig_root_path, spool_dir, config_file, job_id, user_id, group_id)
  -- scrun runs the bundle it was given: stage-in made nothing to remove (root's container, or a
  -- stage-in that failed and has said why already).
  if bundle == orig_bundle then return slurm.SUCCESS end
  local output = run("stage-out", {
    { "id", id }, { "bundle", bundle }, { "orig-bundle", orig_bundle }, { "root-path", root_path },
    { "orig-root-path", orig_root_path }, { "spool-dir", spool_dir }, { "config-file", config_file },
    { "job-id", job_id }, { "user-id", user_id }, { "group-id", group_id },
  })
  if output == nil then return slurm.ERROR end
  return slurm.SUCCESS
end

return slurm.SUCCESS
`;

/** The scrun.lua that calls the `ocihooks` program at `ocihooks` (an absolute path). */
export function scrunLua(ocihooks: string): string {
  return TEMPLATE.replace('@DONE@', STAGE_DONE).replace(
    '@OCIHOOKS@',
    ocihooks.replace(/\\/g, '\\\\').replace(/"/g, '\\"'),
  );
}

export type ScrunLuaVerdict =
  | { kind: 'ours'; ocihooks: string }
  | { kind: 'changed'; ocihooks?: string }
  | { kind: 'other'; stageIn: boolean; stageOut: boolean };

/** Whether a scrun.lua is one `ocihooks install` wrote (for which program), one changed since, or another. */
export function recognizeScrunLua(text: string): ScrunLuaVerdict {
  if (!text.startsWith(SCRUN_LUA_MARK))
    return {
      kind: 'other',
      stageIn: /function\s+slurm_scrun_stage_in\s*\(/.test(text),
      stageOut: /function\s+slurm_scrun_stage_out\s*\(/.test(text),
    };
  const named = /^local OCIHOOKS = "((?:[^"\\]|\\.)*)"$/m.exec(text)?.[1]?.replace(/\\(.)/g, '$1');
  if (named !== undefined && text === scrunLua(named)) return { kind: 'ours', ocihooks: named };
  return named === undefined ? { kind: 'changed' } : { kind: 'changed', ocihooks: named };
}

/** Where `ocihooks install` writes scrun.lua, under its prefix. */
export const SCRUN_LUA = 'slurm/scrun.lua';

/** What `ocihooks install` prints for scrun sites. */
export function scrunSnippet(installed: string): string {
  return [
    'Slurm scrun (docs/scrun.md): on every node that runs scrun,',
    `  install -m 644 ${installed} /etc/slurm/scrun.lua`,
    '  and in oci.conf, besides the lines above:',
    '  EnvExclude="^SLURM_CONF="',
    '  RunTimeEnvExclude="^SLURM_CONF="',
    '',
  ].join('\n');
}
