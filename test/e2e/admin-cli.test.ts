/**
 * The admin command: `ocihooks validate` on a table of broken files and on the shipped ones; `match`
 * against real podman's own choice ("hook X matched"); `install` then a podman container with
 * the annotation gets the mounts; `install --uninstall` leaves the directories as they were.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HOOK_LAUNCHER, launcherOf } from '../../src/admin/launcher-field';
import {
  BIN,
  makeBusyboxRootfs,
  makeBundle,
  podmanArgs,
  requireBuilt,
  requireTool,
  run,
  tmpDir,
  installForm,
  installOcihooks,
} from '../support/e2e';

const OCIHOOKS = () => BIN('ocihooks');
const good = {
  version: '1.0.0',
  hook: { path: '/bin/true', args: ['true'] },
  when: { annotations: { '^a$': '^b$' } },
  stages: ['createContainer'],
};

beforeAll(requireBuilt);

describe('ocihooks validate', () => {
  const dir = tmpDir('validate');
  const notExecutable = path.join(dir, 'not-exec');
  fs.writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
  const REFUSE = '(podman refuses to start containers while this file is there)';
  const SKIP = '(podman skips this file without a word)';
  // Each verdict is podman 4.3's (containers/common v0.50.1 Read + Validate); the differential
  // test in hooksd-differential.test.ts checks the verdicts against podman itself.
  test.each([
    ['not JSON', '{"version": ', 2, `parsing hook "(file)": version check: Unexpected end of JSON input ${REFUSE}`],
    [
      'unknown version',
      { ...good, version: '2.0.0' },
      2,
      `parsing hook "(file)": unrecognized hook version: "2.0.0" ${REFUSE}`,
    ],
    [
      'no hook',
      { version: '1.0.0', when: { always: true }, stages: ['prestart'] },
      2,
      `missing required property: hook.path ${REFUSE}`,
    ],
    [
      'hook of the wrong type',
      { ...good, hook: '/bin/true' },
      2,
      `parsing hook "(file)": 1.0.0: hook: expected object, got string ${REFUSE}`,
    ],
    [
      'hook path that does not exist',
      { ...good, hook: { path: '/nonexistent/hook' } },
      1,
      `stat /nonexistent/hook: no such file or directory ${SKIP}`,
    ],
    [
      'relative hook path',
      { ...good, hook: { path: 'bin/true' } },
      1,
      `stat bin/true: no such file or directory ${SKIP}`,
    ],
    ['no stages', { ...good, stages: undefined }, 2, `missing required property: stages ${REFUSE}`],
    ['unknown stage', { ...good, stages: ['preStart'] }, 2, `unknown stage "preStart" ${REFUSE}`],
    [
      'lookahead in a key',
      { ...good, when: { annotations: { '^a(?=b)': '.*' } } },
      2,
      'invalid annotation key "^a(?=b)": error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ],
    [
      'back-reference in a value',
      { ...good, when: { annotations: { '^a$': '(x)\\1' } } },
      2,
      'invalid annotation value "(x)\\\\1": error parsing regexp: invalid escape sequence: `\\1`',
    ],
    [
      'a command that does not compile',
      { ...good, when: { commands: ['(unclosed'] } },
      2,
      'invalid command "(unclosed": error parsing regexp: missing closing ): `(unclosed`',
    ],
    [
      '0.1.0 with both stages and stage',
      { hook: '/bin/true', stages: ['prestart'], stage: ['prestart'] },
      2,
      `parsing hook "(file)": 0.1.0 (no version): cannot set both 'stage' and 'stages' ${REFUSE}`,
    ],
    [
      '0.1.0 hook of the wrong type',
      { hook: ['/bin/true'], stages: ['prestart'] },
      2,
      'parsing hook "(file)": 0.1.0 (no version): hook: expected string, got array',
    ],
    [
      'a hook path that is not executable',
      { ...good, hook: { path: notExecutable } },
      0,
      `warning: hook.path ${notExecutable} is not an executable file: the runtime will fail to start it`,
    ],
    [
      'zero timeout',
      { ...good, hook: { path: '/bin/true', timeout: 0 } },
      0,
      'warning: hook.timeout 0: the hook is killed at once',
    ],
    ['empty stages', { ...good, stages: [] }, 0, 'warning: stages is empty: the hook is never injected'],
    ['empty when', { ...good, when: {} }, 0, 'warning: when: no condition is set, so the hook never applies'],
    [
      'hasBindMounts false',
      { ...good, when: { hasBindMounts: false } },
      0,
      'warning: when: "hasBindMounts": false never holds in podman',
    ],
  ] as [string, unknown, number, string][])('%s', (name, content, exit, message) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    const r = run(process.execPath, [OCIHOOKS(), 'validate', file]);
    expect(r.stdout).toContain(`${file}: ${message.replace('(file)', file)}`);
    expect(r.status).toBe(exit);
  });

  test('in a folder the first failing file decides: a missing hook path first skips them all, anything else first refuses', () => {
    const skipFirst = tmpDir('validate-skip-first');
    fs.writeFileSync(path.join(skipFirst, 'a.json'), JSON.stringify({ ...good, hook: { path: '/nonexistent/hook' } }));
    fs.writeFileSync(path.join(skipFirst, 'b.json'), '{');
    fs.writeFileSync(path.join(skipFirst, 'c.json'), JSON.stringify(good));
    const skipped = run(process.execPath, [OCIHOOKS(), 'validate', skipFirst]);
    expect(skipped.stdout).toContain(`${path.join(skipFirst, 'b.json')}: parsing hook`);
    expect(skipped.stdout).toContain('3 file(s) checked: 0 podman would refuse, 2 it would skip, 0 with warnings\n');
    expect(skipped.status).toBe(1);
    fs.renameSync(path.join(skipFirst, 'b.json'), path.join(skipFirst, '0.json'));
    const refused = run(process.execPath, [OCIHOOKS(), 'validate', skipFirst]);
    expect(refused.stdout).toContain(
      `${path.join(skipFirst, 'a.json')}: stat /nonexistent/hook: no such file or directory ${REFUSE}`,
    );
    expect(refused.stdout).toContain('3 file(s) checked: 2 podman would refuse, 0 it would skip, 0 with warnings\n');
    expect(refused.status).toBe(2);
  });

  test('accepts a good 1.0.0 and a good 0.1.0 file; a path that does not exist is a usage error', () => {
    const d = tmpDir('validate-good');
    fs.writeFileSync(path.join(d, 'a.json'), JSON.stringify(good));
    fs.writeFileSync(
      path.join(d, 'b.json'),
      JSON.stringify({ hook: '/bin/true', arguments: ['x'], cmds: ['.*/init$'], stages: ['prestart'] }),
    );
    const r = run(process.execPath, [OCIHOOKS(), 'validate', d]);
    // Read as this host's podman (Debian 12's 4.3.1) reads prestart.
    expect(r.stdout).toBe(
      '1 file(s) name prestart: injected as prestart (as podman 4.3.1 (/usr/bin/podman))\n' +
        '2 file(s) checked: 0 podman would refuse, 0 it would skip, 0 with warnings\n',
    );
    expect(r.status).toBe(0);
    const missing = run(process.execPath, [OCIHOOKS(), 'validate', path.join(d, 'nope')]);
    expect(missing.stderr).toBe(`ocihooks: validate: ${path.join(d, 'nope')}: no such file or directory\n`);
    expect(missing.status).toBe(2);
  });
});

test('validate --prestart-as createRuntime: a file naming prestart and createRuntime is warned of (podman 5 runs it twice)', () => {
  const d = tmpDir('validate-prestart');
  const both = path.join(d, 'both.json');
  fs.writeFileSync(both, JSON.stringify({ ...good, stages: ['prestart', 'createRuntime'] }));
  const podman5 = run(process.execPath, [OCIHOOKS(), 'validate', '--prestart-as', 'createRuntime', d]);
  expect([podman5.status, podman5.stdout]).toEqual([
    0,
    `${both}: warning: stages has prestart and createRuntime: podman 5 injects prestart as createRuntime, so the hook runs twice there\n` +
      '1 file(s) name prestart: injected as createRuntime (--prestart-as)\n' +
      '1 file(s) checked: 0 podman would refuse, 0 it would skip, 1 with warnings\n',
  ]);
  const podman4 = run(process.execPath, [OCIHOOKS(), 'validate', '--prestart-as', 'prestart', d]);
  expect([podman4.status, podman4.stdout]).toEqual([
    0,
    '1 file(s) name prestart: injected as prestart (--prestart-as)\n' +
      '1 file(s) checked: 0 podman would refuse, 0 it would skip, 0 with warnings\n',
  ]);
});

describe('ocihooks install', () => {
  test('installed shipped files validate; a podman container with the annotation gets the mounts; uninstall restores the directories', () => {
    const base = tmpDir('install');
    const prefix = path.join(base, 'opt', 'libexec', 'ocihooks');
    const hooksDir = path.join(base, 'hooks.d');
    fs.mkdirSync(hooksDir);
    fs.writeFileSync(path.join(hooksDir, 'someone-elses.json'), JSON.stringify(good));
    const providers = path.join(base, 'providers');
    fs.mkdirSync(providers);
    fs.writeFileSync(path.join(providers, 'libtest-fi.so'), 'provider from the host\n');
    const listing = () =>
      run('find', [base, '-path', path.join(base, 'rootfs'), '-prune', '-o', '-print'])
        .stdout.split('\n')
        .sort();
    const before = listing();

    const runtimeConfig = path.join(base, 'etc', 'ocihooks', 'runtime.json');
    const installHere = () =>
      run(process.execPath, [
        OCIHOOKS(),
        'install',
        ...installForm(),
        '--prefix',
        prefix,
        '--hooks-dir',
        hooksDir,
        '--fi-provider-dir',
        providers,
        '--runtime-config',
        runtimeConfig,
      ]);
    const inst = installHere();
    expect(inst.stderr).toBe('');
    expect(inst.status).toBe(0);
    // The wrapper's settings for docker and containerd, and what to add to their configuration.
    // prestart as this host's podman (4.3) reads it.
    expect(JSON.parse(fs.readFileSync(runtimeConfig, 'utf8'))).toEqual({
      runtime: 'runc',
      hooksDirs: [hooksDir],
      prestartAs: 'prestart',
    });
    expect(inst.stdout).toContain(
      `/etc/docker/daemon.json:  { "runtimes": { "ocihooks": { "path": "${path.join(prefix, 'bin', 'ocihooks-runtime')}" } } }`,
    );
    expect(inst.stdout).toContain(`BinaryName = "${path.join(prefix, 'bin', 'ocihooks-runtime')}"`);
    // And Slurm's oci.conf lines, as docs/slurm.md shows them.
    expect(inst.stdout).toContain(
      `  RunTimeRun="${path.join(prefix, 'bin', 'ocihooks-runtime')} --root-per-user /run/user/%%U/runc -- run %n.%u.%j.%s.%t -b %b"`,
    );
    const doctorRuntime = run(process.execPath, [OCIHOOKS(), 'doctor', '--hooks-dir', hooksDir], {
      env: { ...process.env, OCIHOOKS_RUNTIME_CONFIG: runtimeConfig },
    })
      .stdout.split('\n')
      .find((l) => l.includes('runtime config'));
    expect(doctorRuntime).toMatch(
      new RegExp(
        `^ok    runtime config: ${runtimeConfig}: runtime /\\S+/runc; hooks folders ${hooksDir}; prestart as prestart$`,
      ),
    );
    // A file that reads prestart otherwise than this host's podman: doctor says what to set.
    const podman5Config = path.join(base, 'podman5.json');
    fs.writeFileSync(
      podman5Config,
      JSON.stringify({ runtime: 'runc', hooksDirs: [hooksDir], prestartAs: 'createRuntime' }),
    );
    const differs = run(process.execPath, [OCIHOOKS(), 'doctor', '--hooks-dir', hooksDir], {
      env: { ...process.env, OCIHOOKS_RUNTIME_CONFIG: podman5Config },
    })
      .stdout.split('\n')
      .find((l) => l.includes('runtime config'));
    expect(differs).toMatch(
      new RegExp(
        `^warn  runtime config: ${podman5Config}: runtime /\\S+/runc; hooks folders ${hooksDir}; prestart as createRuntime; podman 4\\.3\\.1 here injects prestart as prestart: set "prestartAs": "prestart"$`,
      ),
    );
    fs.rmSync(podman5Config);
    // A hook's Node launcher names the node that installed it: the libexec/ one that the hook
    // launcher in bin/ starts, in both forms (--one-process-per-hook: `separate:` before its path).
    const hookLauncher = fs.readFileSync(path.join(prefix, 'bin', 'ocihook-mount'));
    const nodeLauncher = path.join(prefix, 'libexec', 'ocihook-mount');
    expect(launcherOf(hookLauncher, HOOK_LAUNCHER)).toBe(nodeLauncher);
    expect(hookLauncher.toString('latin1')).toContain(
      `ocihooks-hook-launcher=${installForm().length ? 'separate:' : ''}${nodeLauncher}\0`,
    );
    expect(fs.readFileSync(nodeLauncher, 'utf8').split('\n')[0]).toBe(`#!${process.execPath}`);
    // The installed doctor checks the installed front-end and the wrapper it runs.
    const frontEnd = path.join(prefix, 'bin', 'ocihooks-runtime');
    const wrapperProgram = path.join(prefix, 'libexec', 'ocihooks-runtime');
    const doctorFrontEnd = () =>
      run(path.join(prefix, 'bin', 'ocihooks'), ['doctor', '--hooks-dir', hooksDir])
        .stdout.split('\n')
        .find((l) => l.includes('runtime front-end'));
    expect(doctorFrontEnd()).toBe(
      `ok    runtime front-end: ${frontEnd}: pass-through calls exec the runtime, the rest run ${wrapperProgram}`,
    );
    fs.renameSync(wrapperProgram, `${wrapperProgram}.away`);
    expect(doctorFrontEnd()).toBe(
      `fail  runtime front-end: ${frontEnd}: runs ${wrapperProgram}, which is not there (create, run and errors fail); run ocihooks install again`,
    );
    fs.renameSync(`${wrapperProgram}.away`, wrapperProgram);
    // The libraries kept apart from the bundles (yaml, yargs, re2js) are checked too: `--version`
    // does not need them, a YAML CDI spec or a usage error does.
    const doctorLibraries = () =>
      run(path.join(prefix, 'bin', 'ocihooks'), ['doctor', '--hooks-dir', hooksDir])
        .stdout.split('\n')
        .find((l) => l.includes('libraries:'));
    const libDir = path.join(prefix, 'lib');
    expect(doctorLibraries()).toMatch(/^ok {4}libraries: .*ocihooks-yaml\.js/);
    fs.renameSync(path.join(libDir, 'ocihooks-yaml.js'), path.join(libDir, 'yaml.away'));
    expect(doctorLibraries()).toBe(
      `fail  libraries: ${libDir}: missing ocihooks-yaml.js (the programs fail where they need them); run ocihooks install again`,
    );
    fs.renameSync(path.join(libDir, 'yaml.away'), path.join(libDir, 'ocihooks-yaml.js'));
    // The relay filter is installed last of the precreate hooks (one Node start for a GPU
    // container); a site's renaming that puts it before the GPU filter is warned about.
    // --one-process-per-hook installs no relay filter: nothing to say.
    const doctorOrder = () =>
      run(process.execPath, [OCIHOOKS(), 'doctor', '--hooks-dir', hooksDir])
        .stdout.split('\n')
        .filter((l) => l.includes('precreate order'));
    const relayFile = path.join(hooksDir, '99-ocihooks-relay.json');
    if (installForm().length) {
      expect(fs.existsSync(relayFile)).toBe(false);
      expect(doctorOrder()).toEqual([]);
    } else {
      expect(doctorOrder()).toEqual(['ok    precreate order: 99-ocihooks-relay.json is the last precreate hook']);
      fs.renameSync(relayFile, path.join(hooksDir, '10-ocihooks-relay.json'));
      expect(doctorOrder()).toEqual([
        'warn  precreate order: 10-ocihooks-relay.json sorts before 50-ocihooks-gpu-precreate.json: podman runs precreate hooks in name order, so a container both match starts Node twice; name the relay filter after them (ocihooks install names it 99-ocihooks-relay.json)',
      ]);
      fs.renameSync(path.join(hooksDir, '10-ocihooks-relay.json'), relayFile);
    }
    const again = installHere();
    expect(again.status).toBe(0); // idempotent
    expect(again.stdout).not.toContain(`skipped ${runtimeConfig}`);

    // Every installed program starts from a code cache its bundle accepts; a cache that does not
    // fit (here one whose V8 version field says another node wrote it) is reported and `code-cache`
    // writes good ones again.
    const programs = ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig', 'ocihooks', 'ocihooks-runtime'];
    const cacheReport = (p: string) =>
      run(path.join(prefix, 'bin', p), [p === 'ocihooks-runtime' ? '--ocihooks-version' : '--version'], {
        env: { ...process.env, OCIHOOKS_CODE_CACHE_REPORT: '1' },
      }).stderr;
    // The admin command reads its arguments with yargs, a library with a code cache of its own.
    const expectedReport = (p: string) =>
      p === 'ocihooks' ? 'code cache: used\ncode cache of ocihooks-yargs.js: used\n' : 'code cache: used\n';
    for (const p of programs) expect([p, cacheReport(p)]).toEqual([p, expectedReport(p)]);
    const cacheOf = (p: string) =>
      path.join(libDir, fs.readdirSync(libDir).find((f) => f.endsWith(`.${p}.cache`)) as string);
    const mountCache = fs.readFileSync(cacheOf('ocihook-mount'));
    mountCache.writeInt32LE(~mountCache.readInt32LE(4), 4); // V8's version hash: bytes 4-7
    fs.writeFileSync(cacheOf('ocihook-mount'), mountCache);
    expect(cacheReport('ocihook-mount')).toBe('code cache: rejected\n');
    const doctorHookLines = () =>
      run(process.execPath, [OCIHOOKS(), 'doctor', '--hooks-dir', hooksDir])
        .stdout.split('\n')
        .filter((l) => / hook \S*ocihooks/.test(l));
    // One line per installed hooks.d file that runs ocihook-mount (libfabric's only where the host has libfabric).
    const mountFiles = fs
      .readdirSync(hooksDir)
      .filter((f) => fs.readFileSync(path.join(hooksDir, f), 'utf8').includes('/bin/ocihook-mount"'));
    expect(mountFiles.length).toBeGreaterThan(0);
    expect(doctorHookLines().filter((l) => l.includes('ocihook-mount'))).toEqual(
      mountFiles.map((f) =>
        expect.stringMatching(
          new RegExp(
            `^warn  hook ${f}: .*ocihook-mount starts .* but its V8 code cache is rejected: .*run ocihooks code-cache$`,
          ),
        ),
      ),
    );
    const cc = run(process.execPath, [OCIHOOKS(), 'code-cache', '--prefix', prefix]);
    expect(cc.stderr).toBe('');
    // The programs' caches, and those of the two libraries the training runs load (yaml for a CDI
    // spec in YAML, yargs for the admin command's arguments).
    const libraryCache = (name: string) =>
      path.join(
        libDir,
        fs.readdirSync(libDir).find((f) => new RegExp(`^ocihooks-${name}\\.\\w+\\.cache$`).test(f)) ??
          `no ${name} cache`,
      );
    expect(cc.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        ...programs.map((p) => `wrote ${cacheOf(p)}`),
        `wrote ${libraryCache('yaml')}`,
        `wrote ${libraryCache('yargs')}`,
      ].sort(),
    );
    // A CDI spec written in YAML (as nvidia-ctk writes them) is read through the yaml library's cache.
    const yamlSpecs = path.join(base, 'yaml-cdi');
    fs.mkdirSync(yamlSpecs);
    fs.writeFileSync(
      path.join(yamlSpecs, 'example.yaml'),
      'cdiVersion: 0.6.0\nkind: example.com/gpu\ndevices:\n- name: "0"\n  containerEdits:\n    env:\n    - EXAMPLE=1\n',
    );
    const yamlRun = run(
      path.join(prefix, 'bin', 'ocihook-gpu'),
      // Decoded here, not from what the host keeps in /run/ocihooks/cdi-specs.
      [
        'precreate',
        `--cdi-spec-dir=${yamlSpecs}`,
        '--cdi-cache-dir=none',
        '--device=example.com/gpu=0',
        '--log-file=-',
      ],
      {
        env: { ...process.env, OCIHOOKS_CODE_CACHE_REPORT: '1' },
        input: JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' }, process: { args: ['sh'], env: [] } }),
      },
    );
    expect(yamlRun.stderr).toContain('code cache of ocihooks-yaml.js: used\n');
    expect(JSON.parse(yamlRun.stdout).process.env).toEqual(['EXAMPLE=1']);
    fs.rmSync(yamlSpecs, { recursive: true }); // the listing below compares the folder with its start
    expect(cacheReport('ocihook-mount')).toBe('code cache: used\n');
    expect(doctorHookLines().length).toBeGreaterThan(0);
    for (const l of doctorHookLines()) expect(l).toMatch(/^ok    hook .* starts \(version .*, code cache used\)$/);

    const v = run(process.execPath, [OCIHOOKS(), 'validate', hooksDir]);
    expect(v.stdout).toMatch(/ file\(s\) checked: 0 podman would refuse, 0 it would skip, 0 with warnings\n$/);
    expect(v.status).toBe(0);

    const rootfs = makeBusyboxRootfs(path.join(base, 'rootfs'));
    const r = run(
      requireTool('podman'),
      podmanArgs({
        rootfs,
        hooksDir,
        annotations: { 'com.hooks.mpi.enabled': 'true', 'com.hooks.mpi.type': 'libfabric' },
        args: ['cat', '/usr/lib/libtest-fi.so'],
      }),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('provider from the host\n');

    const un = run(process.execPath, [OCIHOOKS(), 'install', '--prefix', prefix, '--uninstall']);
    expect(un.status).toBe(0);
    expect(listing()).toEqual(before);
  });

  test("--nvidia-cdi-hook installs ocihook-gpu under NVIDIA's name too (opt-in); uninstall removes it", () => {
    const base = tmpDir('install-nv');
    const prefix = path.join(base, 'prefix');
    const hooksDir = path.join(base, 'hooks.d');
    installOcihooks(prefix, hooksDir, installForm());
    expect(fs.existsSync(path.join(prefix, 'bin', 'nvidia-cdi-hook'))).toBe(false);
    installOcihooks(prefix, hooksDir, [...installForm(), '--nvidia-cdi-hook']);
    const hook = path.join(prefix, 'bin', 'nvidia-cdi-hook');
    expect(fs.readlinkSync(hook)).toBe('ocihook-gpu');
    const unknown = run(hook, ['a-hook-from-a-newer-toolkit'], { input: '' });
    expect([unknown.status, unknown.stderr]).toEqual([
      0,
      'ocihook-gpu: warning: Unsupported CDI hook: a-hook-from-a-newer-toolkit\n',
    ]);
    expect(run(process.execPath, [OCIHOOKS(), 'install', '--prefix', prefix, '--uninstall']).status).toBe(0);
    expect(fs.existsSync(hook) || fs.existsSync(prefix)).toBe(false);
    fs.rmSync(base, { recursive: true, force: true });
  });

  test("the runtime config is written where there is none, an admin's edited file is kept and survives uninstall", () => {
    const base = tmpDir('install-rtconf');
    const prefix = path.join(base, 'prefix');
    const hooksDir = path.join(base, 'hooks.d');
    const config = path.join(base, 'runtime.json');
    const install = () =>
      run(process.execPath, [
        OCIHOOKS(),
        'install',
        ...installForm(),
        '--prefix',
        prefix,
        '--hooks-dir',
        hooksDir,
        '--runtime-config',
        config,
      ]);
    expect(install().status).toBe(0);
    fs.writeFileSync(config, JSON.stringify({ runtime: 'crun', hooksDirs: [hooksDir] }));
    const again = install();
    expect(again.stdout).toContain(
      `skipped ${config}: kept as it is (it differs from what install would write: an admin's file)`,
    );
    expect(run(process.execPath, [OCIHOOKS(), 'install', '--prefix', prefix, '--uninstall']).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(config, 'utf8'))).toEqual({ runtime: 'crun', hooksDirs: [hooksDir] });
  });
});

describe('ocihooks match agrees with podman', () => {
  test.each([
    [{ x: '1' }],
    [{ y: '1' }],
    [{ x: '1', y: '1' }],
    [{ 'com.hooks.slurm.activate': 'true' }],
    [{ 'com.hooks.slurm.activate': 'truex' }],
    [{ 'cdi.k8s.io/gpu': 'nvidia.com/gpu=0' }],
    [{}],
  ])('annotations %j', (annotations) => {
    const base = tmpDir('match');
    const d1 = path.join(base, 'd1');
    const d2 = path.join(base, 'd2');
    const write = (dir: string, name: string, content: object) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, name), JSON.stringify(content));
    };
    const hook = { path: '/bin/true', args: ['true'] };
    write(d1, '10-x.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^x$': '^1$' } },
      stages: ['createContainer'],
    });
    write(d1, '20-masked.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^x$': '^1$' } },
      stages: ['createContainer'],
    });
    write(d2, '20-masked.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^y$': '^1$' } },
      stages: ['createContainer', 'prestart'],
    });
    write(d2, '30-both.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^x$': '1', '^y$': '1' } },
      stages: ['poststart'],
    });
    write(d2, '40-slurm.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^com\\.hooks\\.slurm\\.activate$': '^true$' } },
      stages: ['createContainer'],
    });
    write(d2, '50-cdi.json', {
      version: '1.0.0',
      hook,
      when: { annotations: { '^cdi\\.k8s\\.io/.+$': '.+' } },
      stages: ['startContainer'],
    });
    write(d2, '60-command.json', {
      version: '1.0.0',
      hook,
      when: { commands: ['^/bin/true$', 'true$'] },
      stages: ['prestart'],
    });
    write(d2, '70-never.json', { version: '1.0.0', hook, when: { always: false }, stages: ['prestart'] });
    // (poststop is left out: podman 4.3 waits ~20 s for a container with poststop hooks to be cleaned up)
    write(d2, '05-Upper.json', { hook: '/bin/true', annotations: ['^1$'], stages: ['prestart'] });

    const rootfs = makeBusyboxRootfs(path.join(base, 'rootfs'));
    // podman matches hooks when it initialises a container; `run --log-level debug` would also
    // wait ~20 s in its clean-up, `create` + `init` + `rm` shows the same matching at once.
    const podman = requireTool('podman');
    const name = `ocihooks-match-${process.pid}-${
      Object.keys(annotations)
        .join('-')
        .replace(/[^a-z0-9-]/gi, '') || 'none'
    }`;
    const create = podmanArgs({ rootfs, annotations, args: ['/bin/true'], name, detach: true })
      .map((a) => (a === 'run' ? 'create' : a))
      .filter((a) => a !== '-d');
    expect(run(podman, create).status).toBe(0);
    let p;
    try {
      p = run(podman, [
        '--log-level',
        'debug',
        '--runtime',
        'runc',
        '--hooks-dir',
        d1,
        '--hooks-dir',
        d2,
        'init',
        name,
      ]);
    } finally {
      run(podman, ['rm', '--force', name]);
    }
    expect(p.status).toBe(0);
    const podmanMatched = [...p.stderr.matchAll(/hook (\S+) matched; adding to stages \[([^\]]*)\]/g)]
      .map((m) => `${m[1]} ${(m[2] as string).split(' ').sort().join(' ')}`)
      .sort();

    const bundle = makeBundle(path.join(base, 'bundle'), rootfs, { args: ['/bin/true'], annotations });
    const ours = run(process.execPath, [
      OCIHOOKS(),
      'match',
      '--config',
      path.join(bundle, 'config.json'),
      '--hooks-dir',
      d1,
      '--hooks-dir',
      d2,
      '--json',
    ]);
    expect(ours.status).toBe(0);
    const byFile = new Map<string, string[]>();
    for (const [stage, hooks] of Object.entries(JSON.parse(ours.stdout) as Record<string, { file: string }[]>)) {
      for (const h of hooks) byFile.set(path.basename(h.file), [...(byFile.get(path.basename(h.file)) ?? []), stage]);
    }
    const oursMatched = [...byFile].map(([f, stages]) => `${f} ${stages.sort().join(' ')}`).sort();
    expect(oursMatched).toEqual(podmanMatched);
  });
});

describe('ocihooks plan and completion', () => {
  test('plan --state-file F -- mount <args> prints the mount hook plan', () => {
    const dir = tmpDir('plan');
    const bundle = makeBundle(path.join(dir, 'bundle'), makeBusyboxRootfs(path.join(dir, 'rootfs')), {
      args: ['true'],
    });
    const state = path.join(dir, 'state.json');
    fs.writeFileSync(state, JSON.stringify({ ociVersion: '1.0.2', id: 'p', pid: 0, bundle }));
    const r = run(process.execPath, [
      OCIHOOKS(),
      'plan',
      '--state-file',
      state,
      '--',
      'mount',
      '--log-file=-',
      '--mount=type=bind,src=/etc,dst=/x,readonly',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).actions).toEqual([
      {
        action: 'bind',
        source: '/etc',
        destination: '/x',
        kind: 'directory',
        readonly: true,
        user: { uid: 0, gid: 0 },
        ownFilesystems: true,
      },
    ]);
    const bad = run(process.execPath, [OCIHOOKS(), 'plan', '--state-file', state, 'nosuchhook']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('ocihooks: plan: name a hook (mount, gpu, ldconfig), got "nosuchhook"\n');
    // A plan never acts, nor writes the hooks' log (the default one, as root).
    for (const off of ['--dry-run=false', '--no-dry-run']) {
      const acting = run(process.execPath, [OCIHOOKS(), 'plan', '--state-file', state, 'mount', off]);
      expect([acting.status, acting.stderr]).toEqual([
        2,
        `ocihooks: plan: ${off}: a plan is the hook's --dry-run, it never acts\n`,
      ]);
    }
    const unknown = run(process.execPath, [OCIHOOKS(), 'plan', '--bogus', '--state-file', state, 'mount']);
    expect([unknown.status, unknown.stderr]).toEqual([
      2,
      'ocihooks: plan: --bogus: not an option of plan (plan --state-file F [--] <hook> [hook arguments])\n',
    ]);
    const defaultLog = '/var/log/ocihooks/ocihook-mount.log';
    const sizeOf = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : -1);
    const before = sizeOf(defaultLog);
    expect(run(process.execPath, [OCIHOOKS(), 'plan', '--state-file', state, 'mount']).status).toBe(0);
    expect(sizeOf(defaultLog)).toBe(before);
  });

  test('the command line read as meant: an option given twice with different values, a boolean given another value, a stray word, a bad choice: one line, exit 2', () => {
    const cases: [string[], string][] = [
      [
        ['cdi', 'generate', '--vendor', 'nvidia', '--vendor', 'amd'],
        '--vendor given 2 times, with different values ("nvidia", "amd"): it takes one',
      ],
      [['match', '--json=maybe', '--config', '/x'], '--json=maybe: --json takes true or false'],
      [['match', '--config', '/x', 'extra'], '"extra": not an argument of ocihooks match'],
      [['cdi'], 'name a cdi command: generate'],
      [['cdi', 'bogus'], 'Unknown argument: bogus'],
      [['scrun'], 'name a stage: stage-in or stage-out'],
      [
        ['validate', '--prestart-as', 'bogus', '/nonexistent'],
        'Invalid values: Argument: prestart-as, Given: "bogus", Choices: "createRuntime", "prestart"',
      ],
    ];
    for (const [args, line] of cases) {
      const r = run(process.execPath, [OCIHOOKS(), ...args]);
      expect([r.status, r.stderr]).toEqual([2, `ocihooks: ${line}\n`]);
    }
  });

  test('every subcommand answers --help, and completion prints a bash script', () => {
    for (const sub of [
      ['validate'],
      ['match'],
      ['install'],
      ['code-cache'],
      ['doctor'],
      ['plan'],
      ['cdi', 'generate'],
    ]) {
      const r = run(process.execPath, [OCIHOOKS(), ...sub, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`ocihooks ${sub.join(' ')}`);
    }
    expect(run(process.execPath, [OCIHOOKS(), 'completion']).stdout).toContain(
      'complete -o bashdefault -o default -F _ocihooks_yargs_completions ocihooks',
    );
  });
});
