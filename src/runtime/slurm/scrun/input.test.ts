import { parseStageInput, stageInSchema, stageOutSchema } from './input';

const IN = {
  id: '0f3c9e',
  bundle: '/home/u/.local/share/containers/storage/vfs-containers/0f3c9e/userdata',
  spoolDir: '/run/user/1001/scrun/0f3c9e/',
  configFile: '/home/u/.local/share/containers/storage/vfs-containers/0f3c9e/userdata/config.json',
  jobId: '12',
  userId: '1001',
  groupId: '1001',
};

test('stage-in: the flags as scrun.lua passes them', () => {
  expect(parseStageInput(stageInSchema, IN)).toEqual({ ...IN, jobId: 12, userId: 1001, groupId: 1001 });
});

test('stage-out: root_path and config_file may be absent (scrun passes nil)', () => {
  const out = { ...IN, origBundle: IN.bundle, rootPath: undefined, configFile: undefined };
  expect(parseStageInput(stageOutSchema, out)).toEqual({
    id: IN.id,
    bundle: IN.bundle,
    origBundle: IN.bundle,
    spoolDir: IN.spoolDir,
    jobId: 12,
    userId: 1001,
    groupId: 1001,
  });
});

test.each([
  ['a user id that is no number', { userId: '1001.0' }, '--user-id: expected number, got string'],
  ['a negative job id', { jobId: '-1' }, '--job-id: expected number, got string'],
  ['a relative spool folder', { spoolDir: 'scrun/x' }, '--spool-dir: must be an absolute path'],
  ['a bundle path of two lines', { bundle: '/a\nbundle=/etc' }, '--bundle: must be one line'],
  ['an id with a colon', { id: 'bad:id' }, '--id: must be a container id (letters, digits, _ . -)'],
  ['an id that climbs', { id: '..' }, '--id: must be a container id (letters, digits, _ . -)'],
  ['no config file', { configFile: undefined }, '--config-file: expected string, got missing'],
])('stage-in refuses %s, naming the flag', (_name, change, message) => {
  expect(() => parseStageInput(stageInSchema, { ...IN, ...change })).toThrow(message);
});
