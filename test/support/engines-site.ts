/**
 * What the engines suites (podman 5, docker 26, containerd 1.7 in a Debian 13 session,
 * engines-session.ts) share: ocihooks installed inside the root as an admin installs it (every
 * default: /usr/local/libexec/ocihooks, /usr/share/containers/oci/hooks.d, /etc/ocihooks/runtime.json),
 * a marker hooks.d file, a fake accelerator (/dev/accdev0, c 241:7: numbers no engine allows by default) with a CDI
 * spec in /etc/cdi whose every kind of edit can be counted in the container, the test image, and
 * daemons started inside whose cgroups (the host's: the session shares its cgroup mounts) are
 * emptied and removed at the end.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeProcesses } from './debian-session';
import { BIN, installForm, makeGlibcRootfs } from './e2e';
import type { EnginesSession } from './engines-session';

export const PREFIX = '/usr/local/libexec/ocihooks';
export const HOOKS_DIR = '/usr/share/containers/oci/hooks.d';
export const WRAPPER = `${PREFIX}/bin/ocihooks-runtime`;
export const MARKER_KEY = 'org.ocihooks.test/marker';
export const MARKER_TEXT = 'the hook was here\n';
export const ACC = { kind: 'acc.example/dev', name: 'x', node: '/dev/accdev0', major: 241, minor: 7 } as const;
export const ACC_DEVICE = `${ACC.kind}=${ACC.name}`;
/** The session's /dev gets the accelerator. */
export const ACC_DEVICES = [{ name: 'accdev0', major: ACC.major, minor: ACC.minor }];

export interface Site {
  /** What `ocihooks install` printed. */
  installOutput: string;
  /** The accelerator's createContainer hook logs each container id it ran for here. */
  accHookLog: string;
  /** The file the spec mounts at /opt/acc/lib.txt. */
  accLib: string;
}

/**
 * Installs ocihooks in the session with every default, writes the marker hooks.d file (a mount of
 * `MARKER_TEXT` at /etc/marker.txt for containers annotated `MARKER_KEY=yes`) and the
 * accelerator's CDI spec: a node, an env entry, a read-only mount and a createContainer hook.
 */
export function setUpSite(s: EnginesSession): Site {
  const install = s.session.exec(s.node, [BIN('ocihooks'), 'install', ...installForm()]);
  if (install.status !== 0)
    throw new Error(
      `ocihooks install in the Debian 13 root: ${install.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  const marker = path.join(s.dir, 'marker.txt');
  fs.writeFileSync(marker, MARKER_TEXT);
  fs.writeFileSync(
    s.file(`${HOOKS_DIR}/10-marker.json`),
    JSON.stringify({
      version: '1.0.0',
      hook: {
        path: `${PREFIX}/bin/ocihook-mount`,
        args: ['ocihook-mount', `--mount=type=bind,src=${marker},dst=/etc/marker.txt,readonly`],
      },
      when: { annotations: { [`^${MARKER_KEY.replace(/[./]/g, '\\$&')}$`]: '^yes$' } },
      stages: ['createContainer'],
    }),
  );
  const accLib = path.join(s.dir, 'acc-lib.txt');
  fs.writeFileSync(accLib, 'the accelerator library\n');
  const accHookLog = path.join(s.dir, 'acc-hook.log');
  const accHook = path.join(s.dir, 'acc-hook');
  // The container's id from the state on stdin: one line per run.
  fs.writeFileSync(
    accHook,
    `#!/bin/sh\nstate=$(cat)\necho "$state" | sed -n 's/.*"id": *"\\([^"]*\\)".*/\\1/p' >> ${accHookLog}\n`,
    { mode: 0o755 },
  );
  fs.mkdirSync(s.file('/etc/cdi'), { recursive: true });
  fs.writeFileSync(
    s.file('/etc/cdi/acc.json'),
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: ACC.kind,
      devices: [
        {
          name: ACC.name,
          containerEdits: {
            deviceNodes: [{ path: ACC.node }],
            env: ['ACC_VISIBLE=x'],
            mounts: [{ hostPath: accLib, containerPath: '/opt/acc/lib.txt', options: ['ro', 'bind'] }],
            hooks: [{ hookName: 'createContainer', path: accHook, args: ['acc-hook'] }],
          },
        },
      ],
    }),
  );
  return { installOutput: install.stdout, accHookLog, accLib };
}

/** The ids the accelerator's hook ran for, one entry per run. */
export function accHookRuns(site: Site): string[] {
  return fs.existsSync(site.accHookLog) ? fs.readFileSync(site.accHookLog, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * What a container shows of the accelerator and the marker (a shell line for its main process:
 * `docker exec` and ExecSync take the engine's env, not the one CDI gave config.json).
 */
export const SHOW =
  'stat -c "%A %t:%T" /dev/accdev0 2>/dev/null || echo no-node; echo "env=$ACC_VISIBLE"; ' +
  'grep -c " /opt/acc/lib.txt " /proc/self/mountinfo; cat /etc/marker.txt 2>/dev/null || echo no-marker';
/** SHOW's answer for a container that got the accelerator once and the marker (stat gives hex numbers). */
export const SHOWN_ACC_AND_MARKER = `crw-rw-rw- f1:7\nenv=x\n1\n${MARKER_TEXT}`;
/** SHOW's answer for a container with neither. */
export const SHOWN_NOTHING = 'no-node\nenv=\n0\nno-marker\n';

/**
 * How often config.json (as the runtime got it) holds each of the accelerator's edits: its node,
 * its cgroup rule, its env entry, its mount, its hook.
 */
export function accEditsIn(config: {
  linux?: {
    devices?: { path: string }[];
    resources?: { devices?: { allow: boolean; type?: string; major?: number; minor?: number }[] };
  };
  process?: { env?: string[] };
  mounts?: { destination: string }[];
  hooks?: Record<string, { path: string }[]>;
}): Record<string, number> {
  return {
    node: (config.linux?.devices ?? []).filter((d) => d.path === ACC.node).length,
    rule: (config.linux?.resources?.devices ?? []).filter(
      (r) => r.allow && r.type === 'c' && r.major === ACC.major && r.minor === ACC.minor,
    ).length,
    env: (config.process?.env ?? []).filter((e) => e === 'ACC_VISIBLE=x').length,
    mount: (config.mounts ?? []).filter((m) => m.destination === '/opt/acc/lib.txt').length,
    hook: Object.values(config.hooks ?? {})
      .flat()
      .filter((h) => h.path.endsWith('/acc-hook')).length,
  };
}

/** The test image's root: busybox and glibc (the linker-cache hook needs a glibc image), as a tar. */
export function imageTar(dir: string): string {
  const rootfs = makeGlibcRootfs(path.join(dir, 'image-rootfs'));
  const tar = path.join(dir, 'image.tar');
  const r = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar of the image: ${r.stderr}`);
  return tar;
}

/**
 * A daemon started inside the session, its output in `log` (inside); returns its pid (the
 * session shares the host's pid namespace) once `socket` (inside) is there, or throws with the
 * log's last lines.
 */
export function startDaemon(
  s: EnginesSession,
  o: { name: string; argv: string[]; socket: string; log: string },
): number {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const pidFile = `/run/${o.name}.pid`;
  const child = s.session.spawn('/bin/sh', [
    '-c',
    `echo $$ > ${pidFile}; exec ${o.argv.map(q).join(' ')} >${q(o.log)} 2>&1`,
  ]);
  child.unref();
  for (let i = 0; i < 300 && !fs.existsSync(s.file(o.socket)); i++) {
    if (child.exitCode !== null) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }

  if (!fs.existsSync(s.file(o.socket))) {
    const log = fs.existsSync(s.file(o.log)) ? fs.readFileSync(s.file(o.log), 'utf8').trim().split('\n').slice(-5) : [];
    throw new Error(`${o.name} did not start (${o.socket} never came): ${log.join(' | ') || 'no output'}`);
  }
  return Number(fs.readFileSync(s.file(pidFile), 'utf8').trim());
}

/**
 * Ends every process left in the host cgroup `name` (a daemon's cgroup parent: its containers,
 * which have namespaces of their own) and removes the cgroup in every controller. Containers run
 * in the host's cgroup hierarchy even from the session.
 */
export function removeCgroup(name: string): string[] {
  const killed: string[] = [];
  for (const controller of fs.readdirSync('/sys/fs/cgroup')) {
    const top = path.join('/sys/fs/cgroup', controller, name);
    if (!fs.existsSync(top)) continue;
    const dirs = spawnSync('find', [top, '-depth', '-type', 'd'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    for (const d of dirs) {
      // A process in the middle of its exit is listed as 0, and kill(0) would end this test run's
      // whole process group: only real pids.
      const pids = fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').map(Number);
      for (const pid of pids.filter((p) => Number.isInteger(p) && p > 0)) {
        try {
          const what = describeProcesses([pid]);
          process.kill(pid, 'SIGKILL');
          killed.push(what);
        } catch {
          // gone
        }
      }
    }
    for (let i = 0; i < 50; i++) {
      const r = spawnSync('find', [top, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { encoding: 'utf8' });
      if (r.status === 0 && !fs.existsSync(top)) break;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  return killed.length ? [`killed in cgroup ${name}: ${killed.join('; ')}`] : [];
}
