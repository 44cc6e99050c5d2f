// jest globalTeardown: removes the ocihooks-* folders this run made in the temporary folder
// (tmpDir in e2e.ts and the tests' own mkdtemp), a few hundred per run; with another run going
// beside it, the last of them to end does (test-runs.cjs). Never through a mount: a
// folder with anything mounted under it (in this mount namespace) is unmounted first, lazily and
// deepest first, and kept if a mount remains. OCIHOOKS_KEEP_TMP=1 keeps them all (to look into a
// failure).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { endRun, leaveRun } = require('./test-runs.cjs');

/** Mount points of this mount namespace (mountinfo's fifth field, octal escapes decoded). */
function mountPoints() {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter(Boolean)
    .map((m) => m.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))));
}
const under = (dir) => mountPoints().filter((m) => m === dir || m.startsWith(`${dir}/`));

module.exports = async () => {
  const began = Number(process.env.OCIHOOKS_TEST_RUN_STARTED);
  if (!began) return;
  if (process.env.OCIHOOKS_KEEP_TMP === '1') return leaveRun();
  const started = endRun(began);
  if (started === null) {
    process.stderr.write('test folders kept for the jest run still going beside this one, whose end removes them\n');
    return;
  }
  const tmp = os.tmpdir();
  const kept = [];
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith('ocihooks-')) continue;
    const dir = path.join(tmp, name);
    let st;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue;
    }
    if (!st.isDirectory() || st.uid !== process.getuid() || (st.birthtimeMs || st.mtimeMs) < started) continue;
    const mounted = under(dir).sort((a, b) => b.length - a.length);
    if (mounted.length) spawnSync('umount', ['-l', ...mounted], { stdio: 'ignore' });
    if (under(dir).length) {
      kept.push(`${dir} (still mounted)`);
      continue;
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      kept.push(`${dir} (${e.code ?? e.message})`);
    }
  }
  if (kept.length) process.stderr.write(`test folders kept: ${kept.join(', ')}\n`);
  removeKeptSpecsOf(tmp);
  removeKeptPrecreateOf(tmp);
};

/**
 * The entries of a folder the hooks keep between runs that name this run's paths (under tmp's
 * ocihooks-* folders) which no longer exist: `pathsOf(name, file)` says which paths an entry names.
 */
function removeEntriesOf(tmp, folder, pathsOf) {
  let names = [];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(folder, name);
    let paths;
    try {
      paths = pathsOf(name, file);
    } catch {
      continue;
    }
    if (paths.some((p) => p.startsWith(`${tmp}/ocihooks-`) && !fs.existsSync(p))) fs.rmSync(file, { force: true });
  }
}

/**
 * What the GPU hook kept in /run/ocihooks/cdi-specs (src/hook/decoded-cache.ts, its default folder:
 * hooks a runtime starts get no options from the tests) for this run's CDI specs, gone with their
 * folders: an entry is named by its spec's path.
 */
const removeKeptSpecsOf = (tmp) =>
  removeEntriesOf(tmp, '/run/ocihooks/cdi-specs', (name) => [decodeURIComponent(name.replace(/\.json$/, ''))]);

/**
 * The GPU precreate filter's kept edits (src/gpu/kept-edits.ts, /run/ocihooks/kept-precreate) for
 * this run's spec folders, gone with them: an entry names them in its `dir` and `no-dir` records
 * (`tag length\nbytes\n` after a header line).
 */
const removeKeptPrecreateOf = (tmp) =>
  removeEntriesOf(tmp, '/run/ocihooks/kept-precreate', (_name, file) => {
    const bytes = fs.readFileSync(file);
    const folders = [];
    let at = bytes.indexOf(10) + 1;
    while (at > 0 && at < bytes.length) {
      const m = /^([a-z-]+) (\d+)\n/.exec(bytes.subarray(at, at + 64).toString('latin1'));
      if (!m) break;
      const start = at + m[0].length;
      const end = start + Number(m[2]);
      if (m[1] === 'dir' || m[1] === 'no-dir') folders.push(bytes.subarray(start, end).toString());
      at = end + 1;
    }
    return folders;
  });
