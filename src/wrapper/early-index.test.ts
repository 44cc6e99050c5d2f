/**
 * The early index: which hooks.d folders give slots (earlySlots), when the wrapper writes the index,
 * and what the installed front-end (native/front-end/early-create.c) does with it: the decision and
 * the config.json it writes, each expected config written out by hand.
 */
import { fakeHookLauncher } from '../../test/support/offline';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { FRONT_END } from '../../test/support/front-end';
import { frontEndFor } from '../admin/launcher-field';
import type { HookFile, HooksRead } from '../hooksd/read';
import type { HookDefinition } from '../hooksd/schema';
import {
  EarlyIndexCall,
  EarlyPlan,
  earlyIndexFile,
  earlyIndexText,
  earlyPlan,
  requiredKeyPrefix,
  updateEarlyIndex,
} from './early-index';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-early-'));
afterAll(() => fs.rmSync(base, { recursive: true }));

// An installation's bin/: the hook launcher is an ELF file (what the installed one is).
const bin = path.join(base, 'bin');
fs.mkdirSync(bin);
for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig']) fakeHookLauncher(path.join(bin, p));
const site = path.join(base, 'site-hook');
fs.writeFileSync(site, '#!/bin/sh\n', { mode: 0o755 });

const file = (
  name: string,
  hook: HookDefinition['hook'],
  stages: string[],
  when: HookDefinition['when'] = { annotations: { '^a$': '.' }, or: false },
): HookFile => ({
  file: `/h/${name}.json`,
  name: `${name}.json`,
  status: 'ok',
  def: { version: '1.0.0', hook, when, stages },
});
const anyContainer = { always: true, or: false };
const cdi = { annotations: { '^cdi\\.k8s\\.io/.+$': '.+' }, or: false };
const mount = (timeout?: number) => ({
  path: path.join(bin, 'ocihook-mount'),
  args: ['ocihook-mount', '--mount=x'],
  ...(timeout === undefined ? {} : { timeout }),
});
const read = (hooks: HookFile[], refusal?: string): HooksRead => ({
  hooks,
  skipped: [],
  files: hooks,
  ...(refusal ? { refusal } : {}),
});
const slotOf = (stage: string, timeout?: number) => ({
  path: path.join(bin, 'ocihook-mount'),
  args: ['ocihook-chain', '--ocihooks-relay=@SOCKET@', `--ocihooks-slot=${stage}`],
  ...(timeout === undefined ? {} : { timeout }),
});

describe('the key prefix a condition needs', () => {
  test.each<[string, HookDefinition['when'], string | undefined]>([
    ['an anchored literal key', cdi, 'cdi.k8s.io/'],
    [
      'an exact key',
      { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' }, or: false },
      'com.hooks.slurm.activate',
    ],
    ['an unanchored key (any key containing it)', { annotations: { 'cdi\\.k8s': '.' }, or: false }, undefined],
    ['a key that is a regexp', { annotations: { '^(a|b)$': '.' }, or: false }, undefined],
    ['or (a 0.1.0 file: any condition enough)', { ...cdi, or: true }, undefined],
    ['commands (they decide alone)', { ...cdi, commands: ['sh'] }, undefined],
    ['always and the key: both needed', { ...cdi, always: true }, 'cdi.k8s.io/'],
    ['no annotations', { always: true, or: false }, undefined],
  ])('%s', (_name, when, expected) => expect(requiredKeyPrefix(when)).toBe(expected));
});

describe('the early plan of a hooks.d', () => {
  const plain = (p?: EarlyPlan) => p && { slots: Object.fromEntries(p.slots), unless: p.unless };
  test.each<[string, HooksRead, 'createRuntime' | 'prestart', ReturnType<typeof plain>]>([
    [
      'the installation hooks of two stages: a slot each, timeouts summed',
      read([
        file('a', mount(5), ['createContainer']),
        file('b', { ...mount(7), path: path.join(bin, 'ocihook-ldconfig') }, ['createContainer']),
        file('c', mount(3), ['prestart']),
      ]),
      'createRuntime',
      {
        slots: { createRuntime: slotOf('createRuntime', 3), createContainer: slotOf('createContainer', 12) },
        unless: [],
      },
    ],
    [
      'prestart where podman 4 puts it; one hook without a timeout: the slot has none',
      read([file('a', mount(5), ['prestart']), file('b', mount(), ['prestart'])]),
      'prestart',
      { slots: { prestart: slotOf('prestart') }, unless: [] },
    ],
    [
      'a file naming prestart and createRuntime: createRuntime counted twice',
      read([file('a', mount(4), ['prestart', 'createRuntime'])]),
      'createRuntime',
      { slots: { createRuntime: slotOf('createRuntime', 8) }, unless: [] },
    ],
    [
      "the shipped set: the GPU precreate filter's cdi.k8s.io/ key goes to the wrapper, and with it the GPU hook's slot",
      read([
        file('slurm', mount(30), ['createRuntime'], {
          annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' },
          or: false,
        }),
        file(
          'gpu-precreate',
          { path: path.join(bin, 'ocihook-gpu'), args: ['ocihook-gpu', 'precreate'] },
          ['precreate'],
          cdi,
        ),
        file(
          'gpu',
          { path: path.join(bin, 'ocihook-gpu'), args: ['ocihook-gpu'], timeout: 30 },
          ['createContainer'],
          cdi,
        ),
        file('ldconfig', { ...mount(30), path: path.join(bin, 'ocihook-ldconfig') }, ['createContainer']),
      ]),
      'createRuntime',
      {
        slots: { createRuntime: slotOf('createRuntime', 30), createContainer: slotOf('createContainer', 30) },
        unless: ['cdi.k8s.io/'],
      },
    ],
    [
      'a site hook that needs a key',
      read([file('a', mount(), ['createContainer']), file('s', { path: site }, ['createContainer'], cdi)]),
      'createRuntime',
      { slots: { createContainer: slotOf('createContainer') }, unless: ['cdi.k8s.io/'] },
    ],
    [
      'only hooks that need the key: no slot (such containers go to the wrapper, the others to the runtime alone)',
      read([file('s', { path: site }, ['poststop'], cdi), file('g', mount(), ['createContainer'], cdi)]),
      'createRuntime',
      { slots: {}, unless: ['cdi.k8s.io/'] },
    ],
    ['no hooks at all: no slot either', read([]), 'createRuntime', { slots: {}, unless: [] }],
    [
      'a site hook that any container may match',
      read([file('a', mount(), ['createContainer']), file('s', { path: site }, ['createContainer'], anyContainer)]),
      'createRuntime',
      undefined,
    ],
    [
      'a poststop hook of ours (no hook server then) without a key',
      read([file('a', mount(), ['poststop'], { always: true, or: false })]),
      'createRuntime',
      undefined,
    ],
    [
      'hooks.d podman refuses',
      read([file('a', mount(), ['createContainer'])], 'x.json: broken'),
      'createRuntime',
      undefined,
    ],
  ])('%s', (_name, r, prestartAs, expected) => expect(plain(earlyPlan(r, bin, prestartAs))).toEqual(expected));

  test('a file podman skips for its missing program: no plan (the program may come, which no index sees)', () => {
    const skipped: HookFile = { file: '/h/s.json', name: 's.json', status: 'missing-hook', error: 'stat: gone' };
    const r = read([file('a', mount(), ['createContainer'])]);
    expect(earlyPlan(r, bin, 'createRuntime')?.slots.size).toBe(1);
    expect(earlyPlan({ ...r, skipped: [skipped], files: [...r.files, skipped] }, bin, 'createRuntime')).toBeUndefined();
  });
});

describe('the wrapper writes the early index only where the front-end may use it', () => {
  const index = path.join(base, 'writer', 'index.early');
  const call = (over: Partial<EarlyIndexCall> = {}): EarlyIndexCall => ({
    configFile: '/etc/ocihooks/runtime.json',
    configAnnotations: false,
    foldersOrStagesOnLine: false,
    inSlurmStep: false,
    canServe: true,
    binDir: bin,
    wrapper: '/p/libexec/ocihooks-runtime',
    prestartAs: 'createRuntime',
    dirs: ['/h'],
    read: read([file('a', mount(5), ['createContainer']), file('s', { path: site }, ['createContainer'], cdi)]),
    readAt: Date.now() - 5000,
    ...over,
  });

  test('written, with the wrapper whose installation the slots name, dated 50 ms before the folders were read', () => {
    const c = call();
    fs.rmSync(index, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateEarlyIndex(c, index)).toBe('written');
    expect(fs.readFileSync(index, 'utf8')).toBe(
      [
        'ocihooks-runtime early index 1',
        'config=/etc/ocihooks/runtime.json',
        'dir=/h',
        'wrapper=/p/libexec/ocihooks-runtime',
        'unless-key=cdi.k8s.io/',
        `slot=createContainer {"path":"${bin}/ocihook-mount","args":["ocihook-chain","--ocihooks-relay=@SOCKET@","--ocihooks-slot=createContainer"],"timeout":5}`,
        '',
      ].join('\n'),
    );
    expect(Math.abs(fs.statSync(index).mtimeMs - (c.readAt - 50))).toBeLessThan(2);
  });
  test.each<[string, Partial<EarlyIndexCall>]>([
    ['annotations from the config file (the front-end does not add those)', { configAnnotations: true }],
    ['no hook server (not root, a user namespace, serveHooks false)', { canServe: false }],
    [
      'a site hook any container may match',
      { read: read([file('s', { path: site }, ['createContainer'], anyContainer)]) },
    ],
    ['Node launchers in bin/ (a build): no hook launcher to ask a server', { binDir: base }],
  ])('removed with %s', (_name, over) => {
    fs.rmSync(index, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateEarlyIndex(call(), index)).toBe('written');
    expect(updateEarlyIndex(call(over), index)).toBe('removed');
    expect(fs.existsSync(index)).toBe(false);
  });
  test.each<[string, Partial<EarlyIndexCall>]>([
    ['--hooks-dir and the like on the line', { foldersOrStagesOnLine: true }],
    ['a Slurm step', { inSlurmStep: true }],
    ['no config file', { configFile: undefined }],
  ])('left as it is with %s', (_name, over) => {
    fs.rmSync(index, { force: true }); // none yet: written (an unchanged one is kept)
    expect(updateEarlyIndex(call(), index)).toBe('written');
    expect(updateEarlyIndex({ ...call(), ...over }, index)).toBe('left');
    expect(fs.existsSync(index)).toBe(true);
  });
  test('beside the no-match index, moved with it; none for a relative one', () => {
    expect(earlyIndexFile({})).toBe('/run/ocihooks/runtime-index.early');
    expect(earlyIndexFile({ OCIHOOKS_RUNTIME_INDEX: '/x/i' })).toBe('/x/i.early');
    expect(earlyIndexFile({ OCIHOOKS_RUNTIME_INDEX: 'i' })).toBeUndefined();
  });
});

describe('the front-end, given a fresh early index', () => {
  const dir = path.join(base, 'front');
  const hooksDir = path.join(dir, 'hooks.d');
  const config = path.join(dir, 'runtime.json');
  const index = path.join(dir, 'index');
  const bundle = path.join(dir, 'bundle');
  const wrapper = path.join(dir, 'libexec', 'ocihooks-runtime');
  // A front-end installed for `wrapper` (the index's wrapper= line must name it).
  const frontEnd = path.join(dir, 'ocihooks-runtime');
  const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const stages = (s: string[], unless: string[] = ['cdi.k8s.io/']): EarlyPlan => ({
    slots: new Map(s.map((stage) => [stage, { ...slotOf(stage), path: '/p/bin/ocihook-mount' }] as const)),
    unless,
  });
  const root = process.geteuid?.() === 0;

  /** The layout, then the index dated after it; the bundle's config.json as given. */
  function layout(bundleConfig: string, plan = stages(['createContainer']), indexWrapper = wrapper): void {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(hooksDir, { recursive: true });
    fs.mkdirSync(bundle);
    fs.mkdirSync(path.dirname(wrapper));
    fs.writeFileSync(wrapper, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    fs.writeFileSync(frontEnd, frontEndFor(fs.readFileSync(FRONT_END), FRONT_END, wrapper), { mode: 0o755 });
    fs.writeFileSync(path.join(hooksDir, 'a.json'), '{}');
    fs.writeFileSync(config, JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir] }, null, 2) + '\n');
    fs.writeFileSync(path.join(bundle, 'config.json'), bundleConfig);
    fs.writeFileSync(`${index}.early`, earlyIndexText(config, [hooksDir], indexWrapper, plan));
    pause(25);
    fs.utimesSync(`${index}.early`, new Date(), new Date());
    pause(25);
  }
  const decide = (options: string[] = [], env: Record<string, string> = {}) => {
    const r = spawnSync(frontEnd, [...options, 'create', '--bundle', bundle, 'c1'], {
      env: {
        PATH: '/usr/bin:/bin',
        OCIHOOKS_FRONTEND_TRACE: '1',
        OCIHOOKS_RUNTIME_CONFIG: config,
        OCIHOOKS_RUNTIME_INDEX: index,
        ...env,
      },
      encoding: 'utf8',
    });
    const [decision, ...rest] = r.stdout.split('\n');
    return { decision, config: rest.join('\n').trim(), stderr: r.stderr };
  };
  const early = `early exec /usr/sbin/runc [create] [--bundle] [${bundle}] [c1]`;
  const socket = '/run/ocihooks/hook-servers/';
  /** The slot as the front-end writes it: the socket is the front-end's pid's. */
  const slot = (stage: string) => ({
    path: '/p/bin/ocihook-mount',
    args: [
      'ocihook-chain',
      expect.stringMatching(new RegExp(`^--ocihooks-relay=${socket}\\d+\\.sock$`)),
      `--ocihooks-slot=${stage}`,
    ],
  });
  const edited = (bundleConfig: object, options: string[] = [], slots?: string[]) => {
    layout(JSON.stringify(bundleConfig, null, 2), slots && stages(slots));
    const d = decide(options);
    return { decision: d.decision, config: d.decision === early ? JSON.parse(d.config) : d.config };
  };

  // As an ordinary user there is no hook server (the wrapper's needs root): the wrapper decides.
  const expectEarly = (d: { decision?: string }) => expect(d.decision).toBe(root ? early : 'wrapper');
  const onlyAsRoot = (f: () => void) => (root ? f() : undefined);

  test.each<[string, object, string[] | undefined, object]>([
    [
      'no hooks: "hooks" made, with the slot',
      { ociVersion: '1.0.2', process: { args: ['true'] } },
      undefined,
      { ociVersion: '1.0.2', process: { args: ['true'] }, hooks: { createContainer: [slot('createContainer')] } },
    ],
    [
      "the stage's own hooks first, the slot after them (where the wrapper appends the matched ones)",
      { hooks: { createContainer: [{ path: '/own' }], poststop: [{ path: '/p' }] } },
      undefined,
      { hooks: { createContainer: [{ path: '/own' }, slot('createContainer')], poststop: [{ path: '/p' }] } },
    ],
    [
      'an empty stage',
      { hooks: { createContainer: [] } },
      undefined,
      { hooks: { createContainer: [slot('createContainer')] } },
    ],
    ['an empty "hooks"', { hooks: {} }, undefined, { hooks: { createContainer: [slot('createContainer')] } }],
    [
      'two slots, one stage there and one made',
      { hooks: { prestart: [{ path: '/docker-setkey' }], createRuntime: [{ path: '/r' }] } },
      ['createRuntime', 'createContainer'],
      {
        hooks: {
          createContainer: [slot('createContainer')],
          prestart: [{ path: '/docker-setkey' }],
          createRuntime: [{ path: '/r' }, slot('createRuntime')],
        },
      },
    ],
    ['an empty config', {}, undefined, { hooks: { createContainer: [slot('createContainer')] } }],
  ])('%s', (_name, bundleConfig, slots, expected) => {
    const d = edited(bundleConfig, [], slots);
    expectEarly(d);
    onlyAsRoot(() => expect(d.config).toEqual(expected));
  });

  test("the line's annotations go into the config's, as the wrapper adds them; escaped where JSON needs it", () => {
    const value = 'a"b\\c\nd\u0001';
    const d = edited({ annotations: { 'com.x': 'y' } }, ['--annotation', `com.hooks.a=${value}`, '--annotation=k=v']);
    expectEarly(d);
    onlyAsRoot(() =>
      expect(d.config).toEqual({
        annotations: { 'com.hooks.a': value, k: 'v', 'com.x': 'y' },
        hooks: { createContainer: [slot('createContainer')] },
      }),
    );
    const made = edited({ ociVersion: '1.0.2' }, ['--annotation=k=v', '--runtime', 'runc', '--log-file=/l']);
    expect(made.decision).toBe(root ? early.replace('[create]', '[create]') : 'wrapper');
    onlyAsRoot(() =>
      expect(made.config).toEqual({
        annotations: { k: 'v' },
        hooks: { createContainer: [slot('createContainer')] },
        ociVersion: '1.0.2',
      }),
    );
  });

  test('the rest of the text is kept as it was, byte for byte', () => {
    layout(
      '{"ociVersion" : "1.0.2",\n\t"hooks":{ "createContainer" : [ {"path":"/own"} ] } , "x":[1, 2.5e3,true,null]}\n',
    );
    const d = decide();
    expectEarly(d);
    onlyAsRoot(() =>
      expect(d.config.replace(/hook-servers\/\d+\.sock/, 'hook-servers/N.sock')).toBe(
        '{"ociVersion" : "1.0.2",\n\t"hooks":{ "createContainer" : [ {"path":"/own"} ,' +
          '{"path":"/p/bin/ocihook-mount","args":["ocihook-chain","--ocihooks-relay=/run/ocihooks/hook-servers/N.sock","--ocihooks-slot=createContainer"]}] } , "x":[1, 2.5e3,true,null]}',
      ),
    );
  });

  test.each<[string, string]>([
    ['a key written with an escape (it may spell "hooks")', '{"hoo\\u006bs": {}}'],
    ['"hooks" twice', '{"hooks": {}, "hooks": {}}'],
    ['"hooks" null', '{"hooks": null}'],
    ['the stage null', '{"hooks": {"createContainer": null}}'],
    ['the stage twice', '{"hooks": {"createContainer": [], "createContainer": []}}'],
    // The wrapper's schema wants each stage an array and each annotation a string (src/core/oci.ts).
    ['a stage no slot serves null', '{"hooks": {"poststop": null}}'],
    ['an annotation not a string', '{"annotations": {"com.y": null}}'],
    ['"annotations" not an object', '{"annotations": []}'],
    ['text after the end', '{} {}'],
    ['not JSON', '{"hooks": {'],
    ['a control character in a string', '{"a": "\u0001"}'],
    ['edited by the wrapper before', '{"annotations": {"org.ocihooks.runtime.original-config": "{}"}}'],
    [
      'a slot there already',
      '{"hooks": {"createContainer": [{"path": "/p", "args": ["x", "y", "--ocihooks-slot=createContainer"]}]}}',
    ],
    ['empty', ''],
  ])('to the wrapper: %s', (_name, text) => {
    layout(text);
    expect(decide().decision).toBe('wrapper');
  });

  test.each<[string, string[], () => void]>([
    ['--hooks-dir on the line', ['--hooks-dir', '/h'], () => undefined],
    ['--prestart-as on the line', ['--prestart-as=prestart'], () => undefined],
    ['--root-per-user on the line', ['--root-per-user', '/r/%U'], () => undefined],
    ['an annotation of the line the config has already', ['--annotation', 'com.x=z'], () => undefined],
    ['a hooks.d file changed after the index', [], () => fs.writeFileSync(path.join(hooksDir, 'a.json'), '{"x":1}')],
    ['the config file changed after the index', [], () => fs.appendFileSync(config, '\n')],
    [
      "the index of another installation's wrapper",
      [],
      () => layout('{"annotations": {"com.x": "y"}}', stages(['createContainer']), '/other/libexec/ocihooks-runtime'),
    ],
    ['a stage no hook server serves', [], () => layout('{"annotations": {"com.x": "y"}}', stages(['poststop']))],
    [
      'an annotation key the index sends to the wrapper (a hook that is no slot may match it)',
      [],
      () => layout('{"annotations": {"com.x": "y", "cdi.k8s.io/gpu": "example.com/gpu=0"}}'),
    ],
    ["such a key among the line's annotations", ['--annotation', 'cdi.k8s.io/x=y'], () => undefined],
    // Found so only once the config had its slots, the call failed with the slots left in it.
    ['the wrapper not runnable', [], () => fs.chmodSync(wrapper, 0o644)],
    // The wrapper writes org.ocihooks.runtime.original-config itself, over what the line says.
    [
      "a key of ours among the line's annotations",
      ['--annotation', 'org.ocihooks.runtime.original-config=x'],
      () => undefined,
    ],
    // Node reads the line as UTF-8, U+FFFD for bytes that are not: only the wrapper writes what it read.
    ["a byte past ASCII in a line's annotation", ['--annotation', 'com.hooks.a=caf\u00e9'], () => undefined],
  ])('to the wrapper: %s', (_name, options, change) => {
    layout('{"annotations": {"com.x": "y"}}');
    change();
    expect(decide(options).decision).toBe('wrapper');
  });

  test("no slot at all: no hook can match the container; the runtime alone, the config as it was or with the line's annotations", () => {
    const text = '{"annotations": {"com.x": "y"}}';
    layout(text, stages([]));
    const plain = decide();
    expect([plain.decision, plain.config]).toEqual(
      root ? [early.replace('early exec', 'exec'), text] : ['wrapper', ''],
    );
    const annotated = decide(['--annotation', 'k=v']);
    expect(annotated.decision).toBe(root ? early.replace('early exec', 'exec') : 'wrapper');
    onlyAsRoot(() => expect(JSON.parse(annotated.config)).toEqual({ annotations: { k: 'v', 'com.x': 'y' } }));
  });

  test.each<[string, string]>([
    ['a stage null', '{"annotations": {"com.x": "y"}, "hooks": {"poststop": null}}'],
    ['an annotation not a string', '{"annotations": {"com.x": null}}'],
  ])('no slot at all, and what the wrapper refuses: %s: to the wrapper', (_name, text) => {
    layout(text, stages([]));
    expect(decide().decision).toBe('wrapper');
  });

  test('the same layout, untouched, is early (the cases above differ from it by one thing)', () => {
    layout('{"annotations": {"com.x": "y"}}');
    expectEarly(decide());
  });

  test('the runtime config file gives annotations: to the wrapper (the front-end cannot add those)', () => {
    layout('{}');
    fs.writeFileSync(
      config,
      JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], annotations: { a: 'b' } }, null, 2) + '\n',
    );
    pause(25);
    fs.utimesSync(`${index}.early`, new Date(), new Date());
    pause(25);
    expect(decide().decision).toBe('wrapper');
  });

  test('random configs and line annotations: the written config is the one an independent reading expects', () => {
    const served = ['prestart', 'createRuntime', 'createContainer'];
    layout('{}', stages(served));
    // Keys the front-end reads without escapes; not the index's unless-key prefix; no '=' (KEY=VALUE).
    const key = fc
      .string({ minLength: 1, maxLength: 8 })
      .filter((k) => !/["\\=\u0000-\u001f]/.test(k) && !k.startsWith('cdi.k8s.io/'));
    const hook = fc.record(
      { path: fc.string(), args: fc.array(fc.string(), { maxLength: 2 }) },
      { requiredKeys: ['path'] },
    );
    const config = fc.record(
      {
        ociVersion: fc.constant('1.0.2'),
        annotations: fc.dictionary(key, fc.string(), { maxKeys: 3 }),
        hooks: fc.dictionary(fc.constantFrom(...served, 'poststop', 'x'), fc.array(hook, { maxLength: 2 })),
        process: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['ociVersion'] },
    );
    const lineValue = fc.string().filter((v) => !v.includes('\u0000'));
    fc.assert(
      fc.property(config, fc.dictionary(key, lineValue, { maxKeys: 3 }), fc.constantFrom(0, 2), (c, line, indent) => {
        fc.pre(Object.keys(line).every((k) => !(k in (c.annotations ?? {}))));
        fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(c, null, indent));
        const d = decide(Object.entries(line).map(([k, v]) => `--annotation=${k}=${v}`));
        expectEarly(d);
        if (!root) return;
        // Through JSON first: -0 and the like read back as JSON writes them.
        const read = JSON.parse(JSON.stringify(c)) as typeof c;
        const hooks: Record<string, unknown[]> = { ...(read.hooks ?? {}) };
        for (const stage of served) hooks[stage] = [...(hooks[stage] ?? []), slot(stage)];
        const annotations = { ...(read.annotations ?? {}), ...line };
        const expected = {
          ...read,
          ...(read.annotations || Object.keys(line).length ? { annotations } : {}),
          hooks,
        };
        expect(JSON.parse(d.config)).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });
});
