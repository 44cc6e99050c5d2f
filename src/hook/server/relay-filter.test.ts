/**
 * The relay filter (native/hook-launcher/precreate-relay.c, `bin/ocihook-mount precreate-relay`):
 * which hooks of podman's config it relays and the config it writes, each expected config written
 * out by hand (OCIHOOKS_RELAY_TRACE=1: the socket named TRACE, nothing made or started). The
 * served run itself: test/e2e/hook-runs.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const built = path.resolve(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'hook-launcher');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-relay-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
// The filter knows the installation's hooks by its own folder: bin/ocihook-{mount,gpu,ldconfig}.
const bin = path.join(dir, 'bin');
fs.mkdirSync(bin);
fs.copyFileSync(built, path.join(bin, 'ocihook-mount'));
fs.chmodSync(path.join(bin, 'ocihook-mount'), 0o755);
const mount = path.join(bin, 'ocihook-mount');
const gpu = path.join(bin, 'ocihook-gpu');
const ldconfig = path.join(bin, 'ocihook-ldconfig');
const root = process.geteuid?.() === 0;

const filter = (input: string) =>
  spawnSync(mount, ['precreate-relay'], {
    input,
    env: { PATH: '/usr/bin:/bin', OCIHOOKS_RELAY_TRACE: '1' },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
const relay = '--ocihooks-relay=TRACE';

describe('the hooks it relays', () => {
  test.each<[string, object, object]>([
    [
      "the installation's hooks of a stage, a site's between them: each of ours relayed in its place",
      {
        hooks: {
          createContainer: [
            { path: mount, args: ['ocihook-mount', '--mount=x'], timeout: 5 },
            { path: '/usr/bin/site-hook', args: ['site-hook', 'a'] },
            { path: ldconfig, args: ['ocihook-ldconfig'], env: ['A=1'] },
          ],
        },
      },
      {
        hooks: {
          createContainer: [
            { path: mount, args: ['ocihook-mount', relay, '--mount=x'], timeout: 5 },
            { path: '/usr/bin/site-hook', args: ['site-hook', 'a'] },
            { path: ldconfig, args: ['ocihook-ldconfig', relay], env: ['A=1'] },
          ],
        },
      },
    ],
    [
      'the three first stages relayed; a later stage not (no server by then)',
      {
        hooks: {
          prestart: [{ path: gpu, args: ['ocihook-gpu'] }],
          createRuntime: [{ path: mount, args: ['ocihook-mount'] }],
          poststop: [{ path: mount, args: ['ocihook-mount'] }],
          startContainer: [{ path: mount, args: ['ocihook-mount'] }],
        },
      },
      {
        hooks: {
          prestart: [{ path: gpu, args: ['ocihook-gpu', relay] }],
          createRuntime: [{ path: mount, args: ['ocihook-mount', relay] }],
          poststop: [{ path: mount, args: ['ocihook-mount'] }],
          startContainer: [{ path: mount, args: ['ocihook-mount'] }],
        },
      },
    ],
    [
      'relayed already (the GPU precreate filter serves them), no args, another installation: as they were',
      {
        hooks: {
          createContainer: [
            { path: mount, args: ['ocihook-chain', '--ocihooks-relay=/run/x.sock', '--ocihooks-chain=[]'] },
            { path: mount },
            { path: '/other/bin/ocihook-mount', args: ['ocihook-mount'] },
            { path: mount, args: ['ocihook-mount'] },
          ],
        },
      },
      {
        hooks: {
          createContainer: [
            { path: mount, args: ['ocihook-chain', '--ocihooks-relay=/run/x.sock', '--ocihooks-chain=[]'] },
            { path: mount },
            { path: '/other/bin/ocihook-mount', args: ['ocihook-mount'] },
            { path: mount, args: ['ocihook-mount', relay] },
          ],
        },
      },
    ],
  ])('%s', (_name, config, expected) => {
    const r = filter(JSON.stringify(config, null, 2));
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual(root ? expected : config);
  });

  test('the rest of the text as it came, byte for byte', () => {
    const text = `{"ociVersion" : "1.0.2",\n "hooks":{"createContainer":[ {"path":"${mount}", "args": [ "ocihook-mount" , "--mount=x"]} ]}, "x":[1,2.5e3,null]}\n`;
    const r = filter(text);
    expect(r.stdout).toBe(
      root
        ? `{"ociVersion" : "1.0.2",\n "hooks":{"createContainer":[ {"path":"${mount}", "args": [ "ocihook-mount","${relay}" , "--mount=x"]} ]}, "x":[1,2.5e3,null]}\n`
        : text,
    );
  });
});

describe('what it passes through unchanged, byte for byte', () => {
  test.each<[string, string]>([
    ['no hooks', '{"ociVersion": "1.0.2", "process": {"args": ["true"]}}'],
    ['only hooks of others', `{"hooks": {"createContainer": [{"path": "/usr/bin/x", "args": ["x"]}]}}`],
    [
      'a path written with an escape',
      `{"hooks": {"createContainer": [{"path": "${mount.replace('/bin/', '\\/bin\\/')}", "args": ["m"]}]}}`,
    ],
    ['"hooks" written with an escape', `{"hoo\\u006bs": {"createContainer": [{"path": "${mount}", "args": ["m"]}]}}`],
    ['not JSON', `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["m"]`],
    ['text after the end', `{"hooks": {}} {}`],
    ['empty', ''],
  ])('%s', (_name, text) => {
    const r = filter(text);
    expect([r.status, r.stdout, r.stderr]).toEqual([0, text, '']);
  });

  test('larger than it reads whole (4 MiB): passed through as it streams', () => {
    const big = JSON.stringify({
      hooks: { createContainer: [{ path: mount, args: ['ocihook-mount'] }] },
      pad: 'x'.repeat(5 << 20),
    });
    const r = filter(big);
    expect([r.status, r.stdout.length, r.stdout === big]).toEqual([0, big.length, true]);
  });
});
