import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readHooksDirs } from '../hooksd/read';
import { relayOrderCheck } from './relay-order';

let base: string;
let bin: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-relay-order-'));
  bin = path.join(base, 'bin');
  fs.mkdirSync(bin);
  for (const p of ['ocihook-mount', 'ocihook-gpu', 'site-filter']) fs.writeFileSync(path.join(bin, p), '');
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const RELAY = { program: 'ocihook-mount', args: ['precreate-relay'], stage: 'precreate' };
const GPU_FILTER = { program: 'ocihook-gpu', args: ['precreate'], stage: 'precreate' };
const GPU_HOOK = { program: 'ocihook-gpu', args: [], stage: 'createContainer' };
const SITE_FILTER = { program: 'site-filter', args: [], stage: 'precreate' };
type Hook = typeof RELAY;

/** Each folder's files, read as podman reads them. */
function checkOf(folders: Record<string, Hook>[]) {
  const dirs = folders.map((files, i) => {
    const dir = path.join(base, `case-${Math.random().toString(36).slice(2)}-${i}`);
    fs.mkdirSync(dir);
    for (const [name, h] of Object.entries(files))
      fs.writeFileSync(
        path.join(dir, name),
        JSON.stringify({
          version: '1.0.0',
          hook: { path: path.join(bin, h.program), args: [h.program, ...h.args] },
          when: { always: true },
          stages: [h.stage],
        }),
      );
    return dir;
  });
  const read = readHooksDirs(dirs);
  expect(read.refusal).toBeUndefined();
  return relayOrderCheck(read.hooks);
}

test.each<[string, Record<string, Hook>[], ReturnType<typeof relayOrderCheck>]>([
  ['no relay filter: nothing to say', [{ '50-ocihooks-gpu-precreate.json': GPU_FILTER }], undefined],
  [
    'the installed names: the relay filter last',
    [
      {
        '50-ocihooks-gpu-precreate.json': GPU_FILTER,
        '60-ocihooks-gpu.json': GPU_HOOK,
        '99-ocihooks-relay.json': RELAY,
      },
    ],
    { name: 'precreate order', status: 'ok', detail: '99-ocihooks-relay.json is the last precreate hook' },
  ],
  [
    'the relay filter renamed before the GPU filter',
    [{ '10-ocihooks-relay.json': RELAY, '50-ocihooks-gpu-precreate.json': GPU_FILTER }],
    {
      name: 'precreate order',
      status: 'warn',
      detail:
        '10-ocihooks-relay.json sorts before 50-ocihooks-gpu-precreate.json: podman runs precreate hooks in name order, so a container both match starts Node twice; name the relay filter after them (ocihooks install names it 99-ocihooks-relay.json)',
    },
  ],
  [
    'a later folder renames nothing but adds a GPU filter sorting after the relay filter',
    [{ '99-ocihooks-relay.json': RELAY }, { 'zz-gpu.json': GPU_FILTER }],
    {
      name: 'precreate order',
      status: 'warn',
      detail: expect.stringMatching(/^99-ocihooks-relay\.json sorts before zz-gpu\.json: /),
    },
  ],
  [
    "podman's order is the names lower-cased: Z- after a-",
    [{ 'Z-relay.json': RELAY, 'a-gpu.json': GPU_FILTER }],
    { name: 'precreate order', status: 'ok', detail: 'Z-relay.json is the last precreate hook' },
  ],
  [
    'a createContainer hook of ours after it is no filter',
    [{ '10-relay.json': RELAY, '60-ocihooks-gpu.json': GPU_HOOK }],
    { name: 'precreate order', status: 'ok', detail: '10-relay.json is the last precreate hook' },
  ],
  [
    "a site's filter after it",
    [{ '99-ocihooks-relay.json': RELAY, 'zz-site.json': SITE_FILTER }],
    {
      name: 'precreate order',
      status: 'ok',
      detail:
        '99-ocihooks-relay.json runs before zz-site.json, not of ocihooks: hooks of ours they add to a config start Node of their own',
    },
  ],
])('%s', (_, folders, expected) => {
  const got = checkOf(folders);
  if (expected === undefined) expect(got).toBeUndefined();
  else expect(got).toEqual(expected);
});
