/**
 * bin/<program>: the executable a runtime starts. It compiles the program's bundle, lib/<bundle>
 * (scripts/build.mjs writes each from src/cmd/bundles/ and names it in OCIHOOKS_BUNDLE when it
 * compiles this file for the program), through V8's code cache for this program
 * (lib/<bundle>.<build id>.<program>.cache) and starts the program (src/cmd/dispatch.ts):
 * compiling the bundle is most of a hook's own start-up, and each program's cache holds the
 * functions its own runs compile. The build id (first line of the bundle) names the cache, because
 * V8 checks only the source's length before trusting a cache: a stale cache of a same-length
 * bundle would run the old code. A cache made by another node version is rejected by V8 and the
 * bundle compiles as usual.
 *
 * OCIHOOKS_CODE_CACHE_REPORT=1 makes a run say on stderr whether the cache was used, rejected or
 * missing (`ocihooks doctor` asks). OCIHOOKS_WRITE_CODE_CACHE=1 makes a run write the cache when
 * the program ends or becomes another (`ocihooks code-cache`, run by build and install, trains it:
 * src/admin/code-cache.ts). Its phase marks feed OCIHOOKS_TIMINGS=1 (src/hook/timing.ts).
 *
 * Installed, a hook program's launcher is libexec/<program>, started by the hook launcher
 * (bin/<program>, native/hook-launcher/), which says in OCIHOOKS_STARTED_AS which path the runtime
 * started: the program's own path (the installation's bin/), and the sign that it may run a run of
 * the installation's hooks (src/hook/program/hook-runs.ts). The variable is taken out of the
 * environment before the program runs, and so are the ASIDE_ names of Node's own settings.
 *
 * scripts/build.mjs compiles this file on its own (no imports of the project: it must stay small)
 * and writes it to bin/<program> for every program, under a `#!<node>` line.
 */
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

type Mark = [phase: string, seconds: number];
const marks: Mark[] = [['node', process.uptime()]];
const program = path.basename(__filename);
declare const OCIHOOKS_BUNDLE: string; // the bundle's file name, defined by scripts/build.mjs
const file = path.join(__dirname, '..', 'lib', OCIHOOKS_BUNDLE);
// The bundle is ASCII (scripts/build.mjs checks): read as latin1, a copy of the bytes, it is about
// twice as fast as decoding UTF-8.
const source = fs.readFileSync(file).toString('latin1');
const buildId = /^\/\*ocihooks-build:(\w+)\*\//.exec(source)?.[1] ?? 'none';
const cacheFile = `${file.slice(0, -3)}.${buildId}.${program}.cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache yet: the bundle compiles from source
}
marks.push(['read', process.uptime()]);
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: file,
  cachedData,
});
marks.push(['compile', process.uptime()]);
let writeCache: (() => void) | undefined;
if (process.env.OCIHOOKS_WRITE_CODE_CACHE === '1') {
  writeCache = () => fs.writeFileSync(cacheFile, script.createCachedData());
  process.once('exit', writeCache); // also when a program ends the process itself (yargs' --version)
}
if (process.env.OCIHOOKS_CODE_CACHE_REPORT === '1')
  process.stderr.write(
    `code cache: ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`,
  );
script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
// Exit as soon as the program is done instead of letting the event loop wind down: before a natural
// exit node waits for V8's background jobs (TurboFan compiling what ran hot), 9-19 ms after a
// 1000-mount run on a 2-core VM, for code that will never run again.
const done = (code: number) => process.exit(code);
// Started by the installed hook launcher (native/hook-launcher/): the path the runtime started.
const startedAs = process.env.OCIHOOKS_STARTED_AS;
delete process.env.OCIHOOKS_STARTED_AS;
// Node's own settings (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...) that the installed C starters put
// aside so that this process did not apply them (native/freestanding/node-env.c says why): back
// in the environment the program reads and gives its hooks and the runtime.
const ASIDE = 'OCIHOOKS_ASIDE_';
for (const key of Object.keys(process.env))
  if (key.startsWith(ASIDE)) {
    process.env[key.slice(ASIDE.length)] = process.env[key];
    delete process.env[key];
  }
const code = (module.exports as { start: (p: object) => number | Promise<number> }).start({
  program,
  path: startedAs ?? process.argv[1] ?? __filename,
  ...(startedAs !== undefined ? { startedAs } : {}),
  marks,
  ...(writeCache ? { beforeExec: writeCache } : {}),
});
if (typeof code === 'number') done(code);
else
  code.then(done, (e: unknown) => {
    process.stderr.write(`${program}: ${(e as Error)?.stack ?? String(e)}\n`);
    done(1);
  });
