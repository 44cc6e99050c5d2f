/**
 * scrun as a site runs it (docs/scrun.md), in a Debian 13 root (test/support/scrun-site.ts):
 * podman 5 with /usr/bin/scrun as its runtime -> a Slurm 24.11 job -> the oci.conf lines
 * `ocihooks install` prints -> ocihooks-runtime -> runc, with the scrun.lua install writes; as root
 * and as an ordinary user (rootless podman). scrun's quirks: podman's exit status under scrun is
 * not the container's (0 or 137 for a container that exits 1), so the tests read the output; and
 * scrun's anchor process has been seen spinning after its job ended, so every call is bounded and
 * a call that does not return says which scrun processes were left and how much CPU they burn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireBuilt } from '../support/e2e';
import { OWN_BUNDLE } from '../../src/wrapper/slurm/scrun/input';
import { GPUS, IMAGE, type PodmanRun, type ScrunSite, startScrunSite } from '../support/scrun-site';

const MARKER = 'org.ocihooks.test/scrun';
const CALL_MS = 60_000;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('scrun: podman 5 -> scrun -> Slurm 24.11 -> ocihooks-runtime -> runc, in a Debian 13 root', () => {
  let site: ScrunSite | undefined;
  const s = () => site as ScrunSite;
  /** The scrun anchors the site had to kill in this suite (scrun's quirk), reported at the end. */
  const killed: string[] = [];

  /** podman run --rm of the test image with `annotations`, running `script`; bounded (scrun-site.ts). */
  async function runIt(
    script: string,
    o: { user?: boolean; annotations?: Record<string, string>; env?: Record<string, string> },
  ): Promise<PodmanRun> {
    const annotations = Object.entries(o.annotations ?? {}).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]);
    const r = await s().podman(['run', '--rm', ...annotations, IMAGE, 'sh', '-c', script], {
      user: o.user,
      env: o.env,
      timeoutMs: CALL_MS,
    });
    killed.push(...r.anchorsKilled);
    return r;
  }

  /**
   * What is left in a user's scrun spool once the containers are gone: nothing, when scrun's anchor
   * ended by itself (it removes its folder); a killed anchor leaves its own folder, never our bundle.
   */
  function spoolLeft(uid: number, anchorsKilled: number): string[] {
    const spool = s().file(`/run/user/${uid}/scrun`);
    const read = () =>
      fs.existsSync(spool)
        ? fs.readdirSync(spool).flatMap((n) => {
            const sub = path.join(spool, n);
            const inside = fs.statSync(sub).isDirectory() ? fs.readdirSync(sub) : [];
            return inside.includes(OWN_BUNDLE) ? [`${n}/${OWN_BUNDLE}`] : anchorsKilled ? [] : [n];
          })
        : [];
    let left = read();
    for (let i = 0; i < 50 && left.length; i++) {
      sleep(100);
      left = read();
    }
    return left;
  }

  beforeAll(() => {
    requireBuilt();
    site = startScrunSite({
      hooks: ({ dir, prefix }) => {
        fs.writeFileSync(path.join(dir, 'marker'), 'hook applied\n', { mode: 0o644 });
        return {
          '70-scrun-marker.json': {
            version: '1.0.0',
            hook: {
              path: path.join(prefix, 'bin', 'ocihook-mount'),
              args: [
                'ocihook-mount',
                `--mount=type=bind,src=${path.join(dir, 'marker')},dst=/etc/ocihooks-marker,readonly`,
              ],
            },
            when: { annotations: { [`^${MARKER.replace(/[./]/g, '\\$&')}$`]: '^marker$' } },
            stages: ['createContainer'],
          },
        };
      },
    });
    process.stderr.write(
      `scrun suite: Debian 13 root ${s().root.built ? 'made' : 'from the cache'} in ${s().timings.root.toFixed(1)} s, site started in ${s().timings.site.toFixed(1)} s\n`,
    );
  }, 600_000);

  afterAll(() => {
    site?.stop();
    if (killed.length)
      process.stderr.write(`scrun suite: scrun anchors spinning after their job ended, killed: ${killed.join('; ')}\n`);
  });

  test('the shipped scrun.lua is the one in /etc/slurm, and oci.conf has the lines install printed', () => {
    expect(fs.readFileSync(s().file('/etc/slurm/scrun.lua'), 'utf8')).toBe(
      fs.readFileSync(path.join(s().prefix, 'slurm/scrun.lua'), 'utf8'),
    );
    const conf = fs.readFileSync(s().file('/etc/slurm/oci.conf'), 'utf8');
    const wrapper = path.join(s().prefix, 'bin/ocihooks-runtime');
    expect(conf).toContain(`RunTimeRun="${wrapper} --root-per-user /run/user/%%U/runc -- run %n.%u.%j.%s.%t -b %b"`);
    expect(conf).toContain('EnvExclude="^SLURM_CONF="');
    expect(conf).toContain('RunTimeEnvExclude="^SLURM_CONF="');
  });

  test('ocihooks doctor finds the scrun site sound, and names a containers.conf setting scrun needs', () => {
    const doctor = () =>
      s()
        .session.exec(path.join(s().prefix, 'bin/ocihooks'), ['doctor'])
        .stdout.split('\n')
        .filter((l) => /^\w+\s+scrun/.test(l));
    const sound = [
      `ok    scrun.lua: /etc/slurm/scrun.lua: written by ocihooks install; calls ${s().prefix}/bin/ocihooks`,
      'ok    scrun oci.conf: /etc/slurm/oci.conf: SLURM_CONF kept from the job and the runtime; config.json read',
      "ok    scrun containers.conf: /usr/share/containers/containers.conf, /etc/containers/containers.conf: as SchedMD's container guide has it for scrun",
      'ok    scrun storage: /etc/containers/storage.conf: driver "vfs": each rootfs is a plain folder',
      "ok    scrun runtime folder: /run/user/0: the user's own; podman --runtime-flag root=/run/user/0/scrun",
    ];
    expect(doctor()).toEqual(sound);
    const dropIn = s().file('/etc/containers/containers.conf.d/50-site.conf');
    fs.mkdirSync(path.dirname(dropIn));
    fs.writeFileSync(dropIn, '[containers]\nnetns = "private"\n');
    try {
      expect(doctor()[2]).toBe(
        'warn  scrun containers.conf: /usr/share/containers/containers.conf, /etc/containers/containers.conf, /etc/containers/containers.conf.d/50-site.conf: scrun needs netns = "host" (is private)',
      );
    } finally {
      fs.rmSync(path.dirname(dropIn), { recursive: true });
    }
    expect(doctor()).toEqual(sound);
  });

  for (const user of [false, true]) {
    const who = user ? 'as an ordinary user (rootless podman)' : 'as root';
    const uid = () => (user ? s().uid : 0);

    describe(who, () => {
      test("the annotation's hook applies inside a real job; without it, none", async () => {
        const script = 'cat /etc/ocihooks-marker 2>&1; echo "job=$SLURM_JOB_ID"; id -u';
        const withIt = await runIt(script, { user, annotations: { [MARKER]: 'marker' } });
        expect(withIt.stdout).toMatch(/^hook applied\njob=\d+\n0\n$/);
        const without = await runIt(script, { user });
        expect(without.stdout).toMatch(
          /^cat: can't open '\/etc\/ocihooks-marker': No such file or directory\njob=\d+\n0\n$/,
        );
        expect(spoolLeft(uid(), withIt.anchorsKilled.length + without.anchorsKilled.length)).toEqual([]);
      }, 180_000);

      test("a broken hooks.d file stops the container and podman's error names it", async () => {
        const broken = path.join(s().hooksDir, '10-broken.json');
        fs.writeFileSync(broken, '{ "version": "1.0.0", "hook": ');
        let r: PodmanRun;
        try {
          r = await runIt('echo ran', { user, annotations: { [MARKER]: 'marker' } });
        } finally {
          fs.rmSync(broken);
        }
        expect(r.stdout).not.toContain('ran');
        expect(`${r.stdout}${r.stderr}`).toContain(`ocihooks-runtime: ${broken}: parsing hook`);
        expect(spoolLeft(uid(), r.anchorsKilled.length)).toEqual([]);
      }, 120_000);

      test('a GPU from the allocation reaches the container: exactly the ones Slurm gave, whatever the annotation asks', async () => {
        let anchorsKilled = 0;
        const gpus = async (gres?: string) => {
          const r = await runIt('ls /dev | grep nvidia || echo none', {
            user,
            annotations: { 'cdi.k8s.io/gpu': 'nvidia.com/gpu=all' },
            env: gres ? { SCRUN_GRES: gres } : {},
          });
          anchorsKilled += r.anchorsKilled.length;
          return r.stdout.trim().split('\n');
        };
        expect(await gpus('gpu:1')).toEqual(['nvidia0']);
        expect(await gpus(`gpu:${GPUS}`)).toEqual(['nvidia0', 'nvidia1']);
        expect(await gpus()).toEqual(['none']);
        expect(spoolLeft(uid(), anchorsKilled)).toEqual([]);
      }, 240_000);
    });
  }

  test("bad input to stage-in: one line in scrun's log naming the argument, the job ends, nothing left in the spool", () => {
    // scrun driven as an OCI runtime client drives it (create, then start), with a container id
    // podman would never make: scrun takes it, our stage-in refuses it.
    const bundle = path.join(s().dir, 'bad-input-bundle');
    fs.mkdirSync(bundle);
    fs.cpSync(path.join(s().dir, 'image-rootfs'), path.join(bundle, 'rootfs'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    fs.writeFileSync(
      path.join(bundle, 'config.json'),
      JSON.stringify({
        ociVersion: '1.0.2',
        process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['echo', 'ran'], cwd: '/', env: ['PATH=/usr/bin'] },
        root: { path: 'rootfs' },
        linux: { namespaces: [{ type: 'mount' }] },
      }),
    );
    const log = path.join(s().dir, 'bad-input-scrun.log');
    // scrun's anchor logs on the stderr it inherits from create (as podman shows it), and would hold
    // our pipes open: stderr goes to a file.
    const scrun = (args: string[]) =>
      s().session.exec(
        '/bin/sh',
        [
          '-c',
          'log=$1; shift; exec scrun "$@" </dev/null >/dev/null 2>>"$log"',
          'sh',
          log,
          '--root',
          '/run/user/0/scrun',
          ...args,
        ],
        { cwd: '/tmp', timeoutMs: 30_000 },
      );
    const create = scrun(['create', '--bundle', bundle, 'bad:id']);
    const start = scrun(['start', 'bad:id']);
    expect(create.status === 0 && start.status === 0).toBe(false);
    const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n') : []);
    // Up to 30 s: the job's stage-in waits for Slurm to schedule it, slower on a loaded 2-core VM
    // (a whole CI run once had no line after 10 s; the test alone has it within a second or two).
    for (let i = 0; i < 300 && !lines().some((l) => l.includes('scrun.lua')); i++) sleep(100);
    sleep(1000); // a second line (stage-out's) would come within this
    expect(lines().filter((l) => l.includes('scrun.lua'))).toEqual([
      'scrun: error: lua: scrun.lua stage-in: ocihooks: --id: must be a container id (letters, digits, _ . -)',
    ]);
    for (let i = 0; i < 50 && s().session.exec('squeue', ['-h']).stdout.trim() !== ''; i++) sleep(100);
    expect(s().session.exec('squeue', ['-h']).stdout).toBe('');
    expect(spoolLeft(0, 0)).toEqual([]);
  }, 120_000);
});
