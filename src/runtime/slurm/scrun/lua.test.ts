import { SCRUN_LUA_MARK, STAGE_DONE, recognizeScrunLua, scrunLua } from './lua';

const OURS = scrunLua('/usr/local/libexec/ocihooks/bin/ocihooks');

test('the script names the program, runs both stages through it, and reads success from the DONE line', () => {
  expect(OURS.startsWith(`${SCRUN_LUA_MARK}:`)).toBe(true);
  expect(OURS).toContain('local OCIHOOKS = "/usr/local/libexec/ocihooks/bin/ocihooks"\n');
  expect(OURS).toContain(`local DONE = "${STAGE_DONE}"\n`);
  expect(OURS).toContain(
    'function slurm_scrun_stage_in(id, bundle, spool_dir, config_file, job_id, user_id, group_id, job_env)',
  );
  expect(OURS).toContain(
    'function slurm_scrun_stage_out(id, bundle, orig_bundle, root_path, orig_root_path, spool_dir, config_file, job_id, user_id, group_id)',
  );
  expect(OURS).toContain('slurm.allocator_command(command(stage, pairs))');
  expect(OURS).toContain('return "\'" .. (string.gsub(s, "\'", "\'\\\\\'\'")) .. "\'"');
});

test.each([
  ['ours', OURS, { kind: 'ours', ocihooks: '/usr/local/libexec/ocihooks/bin/ocihooks' }],
  [
    'ours, for a prefix with a quote',
    scrunLua('/opt/o"h/bin/ocihooks'),
    { kind: 'ours', ocihooks: '/opt/o"h/bin/ocihooks' },
  ],
  [
    'ours, edited',
    OURS.replace('return slurm.SUCCESS\n', 'return 0\n'),
    { kind: 'changed', ocihooks: '/usr/local/libexec/ocihooks/bin/ocihooks' },
  ],
  ['ours, the program line gone', OURS.replace(/^local OCIHOOKS.*\n/m, ''), { kind: 'changed' }],
  [
    "scrun(1)'s example",
    "local json = require 'json'\nfunction slurm_scrun_stage_in(id, bundle)\nend\nfunction slurm_scrun_stage_out(id)\nend\n",
    { kind: 'other', stageIn: true, stageOut: true },
  ],
  [
    'a script with stage-in only',
    'function slurm_scrun_stage_in (id)\nend\n',
    { kind: 'other', stageIn: true, stageOut: false },
  ],
])('recognised: %s', (_name, text, verdict) => {
  expect(recognizeScrunLua(text)).toEqual(verdict);
});
