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
import fc from 'fast-check';

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

  test('keys past ASCII that no decoding reads as one it looks for: relayed as any other', () => {
    const text = `{"é": 1, "hooks": {"ñ": [], "createContainer": [{"pâth": 1, "path": "${mount}", "args": ["ocihook-mount"]}]}}`;
    const r = filter(text);
    expect(r.stdout).toBe(root ? text.replace('["ocihook-mount"]', `["ocihook-mount","${relay}"]`) : text);
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
    // podman reads a precreate filter's output as Go does (the filter before this one may write any
    // JSON): escapes decoded, keys matched ignoring case (Unicode's folding: "argſ" is "args"), a
    // repeated key's last value kept. Read any other way, a site's hook could get the relay argument.
    [
      'a key of a hook written with an escape (here the last "path", a site hook)',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount", "--mount=x"], "\\u0070ath": "/usr/local/bin/site-hook"}]}}`,
    ],
    [
      '"path" twice in a hook',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"], "path": "/usr/local/bin/site-hook"}]}}`,
    ],
    [
      '"args" twice in a hook',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"], "args": ["ocihook-mount", "x"]}]}}`,
    ],
    [
      '"path" in another case',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"], "Path": "/usr/local/bin/site-hook"}]}}`,
    ],
    [
      '"args" with a letter that folds to ASCII',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"], "argſ": ["site-hook"]}]}}`,
    ],
    [
      'a served stage twice',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"]}], "createContainer": []}}`,
    ],
    [
      'a served stage written with an escape',
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"]}], "createC\\u006fntainer": []}}`,
    ],
    ['"hooks" twice', `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"]}]}, "hooks": {}}`],
    [
      '"hooks" with the Kelvin sign for its k',
      `{"hoo\u212As": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"]}]}}`,
    ],
    ['"hooks" in another case', `{"Hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount"]}]}}`],
    [
      "a hook's second argument written with an escape (it may say the hook is relayed already)",
      `{"hooks": {"createContainer": [{"path": "${mount}", "args": ["ocihook-mount", "\\u002d-ocihooks-relay=/run/x.sock"]}]}}`,
    ],
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

describe('random configs: the relayed config is the one an independent reading expects', () => {
  const served = ['prestart', 'createRuntime', 'createContainer'];
  const relayable = (h: { path?: unknown; args?: unknown }) =>
    [mount, gpu, ldconfig].includes(h.path as string) &&
    Array.isArray(h.args) &&
    typeof h.args[0] === 'string' &&
    !(
      typeof h.args[1] === 'string' &&
      (h.args[1].startsWith('--ocihooks-relay=') ||
        ['precreate', 'precreate-relay'].includes(h.args[1]) ||
        JSON.stringify(h.args[1]).includes('\\')) // written with an escape: what it says is not read
    );
  /** What the filter should write: the relay argument second in each relayable hook of a served stage. */
  const expected = (config: Record<string, unknown>) => {
    const hooks = config.hooks as Record<string, unknown> | undefined;
    if (!root || !hooks || typeof hooks !== 'object' || Array.isArray(hooks)) return config;
    const out: Record<string, unknown> = {};
    for (const [stage, list] of Object.entries(hooks))
      out[stage] =
        served.includes(stage) && Array.isArray(list)
          ? list.map((h) =>
              h && typeof h === 'object' && !Array.isArray(h) && relayable(h)
                ? { ...h, args: [(h.args as unknown[])[0], relay, ...(h.args as unknown[]).slice(1)] }
                : h,
            )
          : list;
    return { ...config, hooks: out };
  };
  const arg = fc.oneof(
    fc.constantFrom('ocihook-mount', 'precreate', 'precreate-relay', '--ocihooks-relay=/x', '--mount=a', 'é"\\'),
    fc.string(),
    fc.integer(),
  );
  const hook = fc.record(
    {
      path: fc.oneof(fc.constantFrom(mount, gpu, ldconfig, '/usr/bin/site'), fc.string(), fc.integer()),
      args: fc.oneof(fc.array(arg, { maxLength: 4 }), fc.string()),
      env: fc.array(fc.string(), { maxLength: 2 }),
      timeout: fc.integer({ min: 0, max: 60 }),
      x: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  );
  const stage = fc.constantFrom(...served, 'poststart', 'poststop', 'startContainer', 'other');
  const config = fc.record(
    {
      ociVersion: fc.constant('1.0.2'),
      hooks: fc.oneof(
        fc.dictionary(stage, fc.oneof(fc.array(hook, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }))),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      annotations: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      process: fc.jsonValue({ maxDepth: 3 }),
    },
    { requiredKeys: ['ociVersion'] },
  );

  test('as JSON.stringify writes them, compact or indented', () => {
    fc.assert(
      fc.property(config, fc.constantFrom(0, 2), (c, indent) => {
        const r = filter(JSON.stringify(c, null, indent));
        expect([r.status, r.stderr]).toEqual([0, '']);
        // Through JSON both sides: -0 and the like read back as JSON writes them.
        expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(expected(c))));
      }),
      { numRuns: 200 },
    );
  });
});
