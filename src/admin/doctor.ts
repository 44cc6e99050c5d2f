/**
 * `ocihooks doctor`: what this host supports for the hooks and what is missing. Each check is
 * measured, not guessed: the syscalls are tried, the files read, the installed hooks started.
 */
import { spawnSync } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import type { Check } from '../core/check';
import { messageOf } from '../core/errors';
import { readHooksDirs } from '../hooksd/read';
import { parseMountInfo } from '../linux/mount/mountinfo';
import { native } from '../linux/native';
import { findHostProgram } from '../linux/programs';
import { launcherOf } from './launcher-field';
import { relayOrderCheck } from './relay-order';
import { DEFAULT_DECODED_CACHE_DIR, rootsAlone } from '../hook/decoded-cache';

export function cgroupMode(mountinfoText: string): { mode: 'v1' | 'v2' | 'hybrid' | 'none'; devices: string } {
  const mounts = parseMountInfo(mountinfoText);
  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  const v1devices = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.split(',').includes('devices'));
  const v1 = mounts.some((m) => m.fsType === 'cgroup');
  if (v2 && !v1) return { mode: 'v2', devices: `BPF_CGROUP_DEVICE programs (cgroup2 at ${v2.mountPoint})` };
  if (v2 && v1)
    return {
      mode: 'hybrid',
      devices: v1devices ? `v1 devices controller at ${v1devices.mountPoint}` : 'no v1 devices controller',
    };
  if (v1)
    return {
      mode: 'v1',
      devices: v1devices ? `v1 devices controller at ${v1devices.mountPoint}` : 'no v1 devices controller',
    };
  return { mode: 'none', devices: 'no cgroup filesystem mounted' };
}

function tryNative(what: string, fn: () => void): Check {
  try {
    fn();
    return { name: what, status: 'ok', detail: 'available' };
  } catch (e) {
    return { name: what, status: 'fail', detail: messageOf(e) };
  }
}

/**
 * A folder of things kept between runs for root's programs alone: used (how many), not made yet, or
 * why it is not used (`notUsed`: what happens instead).
 */
function keptFolderCheck(
  name: string,
  dir: string,
  words: { noneYet: string; count: (names: string[]) => string; notUsed: string },
): Check {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    return { name, status: 'warn', detail: `${dir}: ${messageOf(e)}` };
  }
  if (!st) return { name, status: 'ok', detail: `${dir}: none yet (${words.noneYet})` };
  if (!st.isDirectory() || !rootsAlone(st))
    return {
      name,
      status: 'warn',
      detail: `${dir} is ${st.isDirectory() ? `owned by uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}` : 'not a folder'}: not root's alone, so ${words.notUsed}`,
    };
  return { name, status: 'ok', detail: `${dir}: ${words.count(fs.readdirSync(dir))}` };
}

/** Where the GPU hook keeps CDI specs decoded and checked (hook/decoded-cache.ts): used, or why not. */
export function keptSpecsCheck(dir = DEFAULT_DECODED_CACHE_DIR): Check {
  return keptFolderCheck('kept CDI specs', dir, {
    noneYet: 'the GPU hook keeps each spec it reads there',
    count: (names) => `${names.filter((f) => f.endsWith('.json')).length} spec(s) kept`,
    notUsed: 'the GPU hook neither reads nor writes it and reads every spec from its text',
  });
}

/**
 * Where the GPU precreate filter keeps its edits for the hook launcher (gpu/kept-edits.ts: `dir`,
 * at most `most` entries): used, or why not.
 */
export function keptPrecreateCheck(dir: string, most: number): Check {
  return keptFolderCheck('kept precreate edits', dir, {
    noneYet: "the GPU precreate filter keeps each container's edits there for the next of the same key",
    count: (names) =>
      `${names.filter((f) => /^[0-9a-f]{16}$/.test(f)).length} entr(y/ies) kept (at most ${most}), applied by the hook launcher without Node`,
    notUsed: 'the hook launcher uses none of it and every GPU container is planned by the Node filter',
  });
}

export function doctor(hooksDirs: string[]): Check[] {
  const checks: Check[] = [];
  const cg = cgroupMode(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  checks.push({
    name: 'cgroup mode',
    status: cg.mode === 'none' ? 'fail' : 'ok',
    detail: `${cg.mode}; device whitelisting through ${cg.devices}`,
  });
  const n = native();
  const c = n.constants;
  checks.push(
    tryNative('openat2 RESOLVE_IN_ROOT', () =>
      fs.closeSync(n.openat2(c.AT_FDCWD, '/', c.O_PATH | c.O_CLOEXEC, 0, c.RESOLVE_IN_ROOT)),
    ),
    tryNative('open_tree + mount_setattr (detached mounts)', () => {
      const fd = n.openTree(c.AT_FDCWD, '/proc/self', c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC);
      try {
        n.mountSetattr(fd, '', c.AT_EMPTY_PATH, c.MOUNT_ATTR_NOSUID, 0, 0);
      } finally {
        fs.closeSync(fd);
      }
    }),
  );
  try {
    const max = Number(fs.readFileSync('/proc/sys/user/max_user_namespaces', 'utf8'));
    checks.push({ name: 'user namespaces', status: max > 0 ? 'ok' : 'warn', detail: `max_user_namespaces=${max}` });
  } catch (e) {
    checks.push({ name: 'user namespaces', status: 'warn', detail: messageOf(e) });
  }
  for (const rt of ['runc', 'crun', 'podman']) {
    const p = findHostProgram(rt);
    const version = p
      ? (spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '').split('\n')[0]
      : '';
    checks.push({ name: `runtime ${rt}`, status: p ? 'ok' : 'warn', detail: p ? `${p}: ${version}` : 'not found' });
  }
  const read = readHooksDirs(hooksDirs);
  const ours = read.hooks.filter((f) => f.name.includes('ocihooks'));
  checks.push({
    name: 'hooks directories',
    status: ours.length ? 'ok' : 'warn',
    detail: `${hooksDirs.join(', ')}: ${read.files.length} hook file(s), ${ours.length} from ocihooks`,
  });
  if (read.refusal)
    checks.push({
      name: 'hooks directories',
      status: 'fail',
      detail: `podman refuses to start containers: ${read.refusal}`,
    });
  const order = relayOrderCheck(read.hooks);
  if (order) checks.push(order);
  for (const f of read.skipped)
    checks.push({
      name: `hook ${f.name}`,
      status: 'warn',
      detail: `${f.error}: podman skips this file without a word`,
    });
  for (const f of ours) {
    if (!f.def) continue;
    const r = spawnSync(f.def.hook.path, ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { OCIHOOKS_CODE_CACHE_REPORT: '1' },
    });
    const cache = /^code cache: (\w+)$/m.exec(r.stderr ?? '')?.[1] ?? 'unknown';
    const problem =
      (r.stderr ?? '')
        .replace(/^code cache: \w+\n/m, '')
        .trim()
        .split('\n')[0] ||
      r.error?.message ||
      `exit ${r.status}`;
    if (r.status !== 0)
      checks.push({ name: `hook ${f.name}`, status: 'fail', detail: `${f.def.hook.path} does not start: ${problem}` });
    else if (cache !== 'used')
      checks.push({
        name: `hook ${f.name}`,
        status: 'warn',
        detail: `${f.def.hook.path} starts (version ${r.stdout.trim()}) but its V8 code cache is ${cache}: every start compiles the bundle; run ocihooks code-cache`,
      });
    else
      checks.push({
        name: `hook ${f.name}`,
        status: 'ok',
        detail: `${f.def.hook.path} starts (version ${r.stdout.trim()}, code cache used)`,
      });
  }
  return checks;
}

/**
 * The installation's bundles and the libraries kept apart from them (src/cmd/bundles.json): a
 * missing library breaks only what requires it (a CDI spec in YAML, --help, a usage error, a hooks.d
 * pattern that is more than a literal), which `--version` does not show.
 */
export function librariesCheck(prefix: string, files: readonly string[]): Check {
  const lib = path.join(prefix, 'lib');
  const missing = files.filter((f) => !fs.existsSync(path.join(lib, f)));
  if (missing.length === 0) return { name: 'libraries', status: 'ok', detail: `${lib}: ${files.join(', ')}` };
  return {
    name: 'libraries',
    status: 'fail',
    detail: `${lib}: missing ${missing.join(', ')} (the programs fail where they need them); run ocihooks install again`,
  };
}

/** The installed front-end of ocihooks-runtime (beside this program) and the wrapper it runs. */
export function frontEndCheck(prefix: string): Check {
  const name = 'runtime front-end';
  const file = path.join(prefix, 'bin', 'ocihooks-runtime');
  let program: Buffer;
  try {
    program = fs.readFileSync(file);
  } catch {
    return {
      name,
      status: 'warn',
      detail: `${file}: missing (engines configured with it cannot start containers); run ocihooks install`,
    };
  }
  if (program.subarray(0, 4).toString('latin1') !== '\x7fELF')
    return {
      name,
      status: 'ok',
      detail: `${file}: the wrapper itself (a build, not an installation): every call starts Node`,
    };
  const launcher = launcherOf(program);
  if (!launcher)
    return {
      name,
      status: 'fail',
      detail: `${file}: names no wrapper to run (not made by ocihooks install); run ocihooks install`,
    };
  if (!fs.existsSync(launcher))
    return {
      name,
      status: 'fail',
      detail: `${file}: runs ${launcher}, which is not there (create, run and errors fail); run ocihooks install again`,
    };
  return { name, status: 'ok', detail: `${file}: pass-through calls exec the runtime, the rest run ${launcher}` };
}
