/**
 * podman 5.4 (Debian 13's, containers/common 0.62) with ocihooks installed in its root as an admin
 * installs it (engines-session.ts, engines-site.ts): install writes the wrapper's config file with
 * podman 5's reading of prestart; podman reads the installed hooks.d from its own default folder;
 * a file's prestart runs at createRuntime (twice for a file naming both stages), as `ocihooks
 * match` and the wrapper say beside it; podman's own CDI (`--device vendor.com/class=x`) and the
 * installed GPU hooks on a `cdi.k8s.io/*` annotation for the same device give each edit once.
 * (test/e2e/hooksd-differential.test.ts holds podman 5.4 against generated hooks.d files.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, makeBundle, requireBuilt } from '../support/e2e';
import { EnginesSession, describeSession, startEnginesSession } from '../support/engines-session';
import {
  ACC_DEVICE,
  ACC_DEVICES,
  HOOKS_DIR,
  MARKER_KEY,
  MARKER_TEXT,
  SHOW,
  SHOWN_ACC_AND_MARKER,
  SHOWN_NOTHING,
  Site,
  accEditsIn,
  accHookRuns,
  imageTar,
  setUpSite,
} from '../support/engines-site';

const IMAGE = 'localhost/ocihooks-busybox:latest';
let s: EnginesSession | undefined;
let site: Site | undefined;
const S = () => s as EnginesSession;
const podman = (...args: string[]) => S().podman(args, { timeoutMs: 90_000 });
const run = (...args: string[]) => podman('run', '--rm', '--network', 'none', ...args);

beforeAll(() => {
  requireBuilt();
  s = startEnginesSession({ name: 'podman5', devices: ACC_DEVICES });
  process.stderr.write(describeSession(s, 'podman 5'));
  site = setUpSite(s);
  const imported = podman('import', imageTar(s.dir), IMAGE);
  if (imported.status !== 0) throw new Error(`podman import: ${imported.stderr}`);
}, 600_000);

afterAll(() => s?.stop(), 120_000);

test("install writes podman 5's reading of prestart into the wrapper's config file; doctor finds them agreeing", () => {
  expect(JSON.parse(fs.readFileSync(S().file('/etc/ocihooks/runtime.json'), 'utf8'))).toEqual({
    runtime: 'runc',
    hooksDirs: [HOOKS_DIR],
    prestartAs: 'createRuntime',
  });
  const doctor = S()
    .session.exec(S().node, [BIN('ocihooks'), 'doctor'])
    .stdout.split('\n')
    .find((l) => l.includes('runtime config'));
  expect(doctor).toMatch(/^ok    runtime config: \/etc\/ocihooks\/runtime\.json: .*; prestart as createRuntime$/);
});

test('podman 5 reads the installed hooks.d from its own folder: the marker annotation gets the mount, nothing else does', () => {
  const marked = run('--annotation', `${MARKER_KEY}=yes`, IMAGE, '/bin/sh', '-c', SHOW);
  const plain = run(IMAGE, '/bin/sh', '-c', SHOW);
  expect([marked.status, marked.stdout, plain.status, plain.stdout]).toEqual([
    0,
    SHOWN_NOTHING.replace('no-marker\n', MARKER_TEXT),
    0,
    SHOWN_NOTHING,
  ]);
});

test('prestart runs at createRuntime under podman 5, twice for a file on both stages, as match and the wrapper give it', () => {
  const dir = path.join(S().dir, 'prestart');
  const hooks = path.join(dir, 'hooks.d');
  fs.mkdirSync(hooks, { recursive: true });
  const log = path.join(dir, 'log');
  const recorded = path.join(dir, 'podman-config.json');
  const marker = (name: string) => {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho ${name} >> ${log}\n`, { mode: 0o755 });
    return path.join(dir, name);
  };
  const file = (name: string, stages: string[], hook: string) =>
    fs.writeFileSync(
      path.join(hooks, `${name}.json`),
      JSON.stringify({ version: '1.0.0', hook: { path: hook }, when: { always: true }, stages }),
    );
  file('a', ['createRuntime'], marker('a'));
  file('b', ['prestart', 'createRuntime'], marker('b'));
  file('c', ['prestart'], marker('c'));
  fs.writeFileSync(path.join(dir, 'record'), `#!/bin/sh\nexec /usr/bin/tee ${recorded}\n`, { mode: 0o755 });
  file('z', ['precreate'], path.join(dir, 'record'));
  const r = run('--hooks-dir', hooks, IMAGE, '/bin/true');
  expect([r.status, r.stderr]).toEqual([0, '']);
  const ran = fs.readFileSync(log, 'utf8');
  const podmanHooks = JSON.parse(fs.readFileSync(recorded, 'utf8')).hooks;
  const m = S().session.exec(S().node, [BIN('ocihooks'), 'match', '--config', recorded, '--hooks-dir', hooks]);
  // The wrapper + runc 1.1.15 beside podman, told nothing but the folder (the installed config file says createRuntime).
  fs.rmSync(log);
  const bundle = makeBundle(path.join(dir, 'bundle'), path.join(S().dir, 'image-rootfs'), { args: ['/bin/true'] });
  const w = S().session.exec(S().node, [
    BIN('ocihooks-runtime'),
    '--hooks-dir',
    hooks,
    '--',
    '--root',
    '/run/ocihooks-test-runc',
    'run',
    '--bundle',
    bundle,
    `prestart-${process.pid}`,
  ]);
  const wrapperRan = fs.readFileSync(log, 'utf8');
  const wrapperHooks = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).hooks;
  const injected = (p: string) => ({ path: path.join(dir, p) });
  expect({ ran, podmanHooks, match: m.stdout, wrapper: w.status, wrapperRan, wrapperHooks }).toEqual({
    ran: 'a\nb\nb\nc\n',
    podmanHooks: { createRuntime: [injected('a'), injected('b'), injected('b'), injected('c')] },
    wrapper: 0,
    wrapperRan: 'a\nb\nb\nc\n',
    wrapperHooks: { createRuntime: [injected('a'), injected('b'), injected('b'), injected('c')] },
    match: [
      `createRuntime\ta.json\t${path.join(dir, 'a')}`,
      `createRuntime\tb.json\t${path.join(dir, 'b')}`,
      `createRuntime\tb.json\t${path.join(dir, 'b')}`,
      `createRuntime\tc.json\t${path.join(dir, 'c')}`,
      `precreate\tz.json\t${path.join(dir, 'record')}`,
      '',
    ].join('\n'),
  });
});

describe("podman 5's own CDI next to the installed GPU hooks", () => {
  /** A container left running: what its main process saw, what its config.json holds, the spec hook's runs. */
  function runAndRead(...args: string[]) {
    const before = accHookRuns(site as Site).length;
    const r = podman(
      'run',
      '-d',
      '--network',
      'none',
      '--annotation',
      `${MARKER_KEY}=yes`,
      ...args,
      IMAGE,
      '/bin/sh',
      '-c',
      `{ ${SHOW}; } > /tmp/shown; exec sleep 600`,
    );
    if (r.status !== 0) throw new Error(`podman run ${args.join(' ')}: ${r.stderr}`);
    const id = r.stdout.trim();
    try {
      const configPath = podman('inspect', '--format', '{{.OCIConfigPath}}', id).stdout.trim();
      return {
        id,
        seen: {
          shown: podman('exec', id, '/bin/cat', '/tmp/shown').stdout,
          config: accEditsIn(JSON.parse(fs.readFileSync(S().file(configPath), 'utf8'))),
          hookRuns: accHookRuns(site as Site).slice(before),
        },
      };
    } finally {
      podman('rm', '--force', '--time', '0', id);
    }
  }
  const once = { node: 1, rule: 1, env: 1, mount: 1, hook: 1 };

  test('--device and the cdi.k8s.io annotation for the same device: each edit once, the spec hook run once', () => {
    const r = runAndRead('--device', ACC_DEVICE, '--annotation', `cdi.k8s.io/test=${ACC_DEVICE}`);
    expect(r.seen).toEqual({ shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [r.id] });
  });

  test('podman alone (--device) and the hooks alone (the annotation) give the same', () => {
    const podmanAlone = runAndRead('--device', ACC_DEVICE);
    const hooksAlone = runAndRead('--annotation', `cdi.k8s.io/test=${ACC_DEVICE}`);
    expect([podmanAlone.seen, hooksAlone.seen]).toEqual([
      { shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [podmanAlone.id] },
      { shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [hooksAlone.id] },
    ]);
  });
});
