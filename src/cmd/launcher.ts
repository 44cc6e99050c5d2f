/**
 * bin/<program>: the executable a runtime starts. It compiles lib/<program>.js through V8's code
 * cache (lib/<program>.<build id>.cache) and runs it: compiling the bundle is most of a hook's own
 * start-up. The build id (first line of the bundle) names the cache, because V8 checks only the
 * source's length before trusting a cache: a stale cache of a same-length bundle would run the old
 * code. A cache made by another node version is rejected by V8 and the bundle compiles as usual.
 *
 * OCIHOOKS_CODE_CACHE_REPORT=1 makes a run say on stderr whether the cache was used, rejected or
 * missing (`ocihooks doctor` asks). OCIHOOKS_WRITE_CODE_CACHE=1 makes a run write the cache at exit
 * (`ocihooks code-cache`, run by build and install, trains it: src/admin/code-cache.ts). The phase
 * marks feed OCIHOOKS_TIMINGS=1 (src/engine/timing.ts).
 *
 * scripts/build.mjs compiles this file on its own (no imports of the project: it must stay small)
 * and writes it to bin/<program> for every program, under a `#!<node>` line.
 */
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

type Mark = [phase: string, seconds: number];
const phases: Mark[] = ((globalThis as { __ocihooksPhases?: Mark[] }).__ocihooksPhases = [['node', process.uptime()]]);
const file = path.join(__dirname, '..', 'lib', path.basename(__filename) + '.js');
const source = fs.readFileSync(file, 'utf8');
const buildId = /^\/\*ocihooks-build:(\w+)\*\//.exec(source)?.[1] ?? 'none';
const cacheFile = `${file.slice(0, -3)}.${buildId}.cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache yet: the bundle compiles from source
}
phases.push(['read', process.uptime()]);
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
phases.push(['compile', process.uptime()]);
if (process.env.OCIHOOKS_WRITE_CODE_CACHE === '1') {
  const write = () => fs.writeFileSync(cacheFile, script.createCachedData());
  process.once('exit', write);
  // A program that becomes another one (the runtime wrapper's execve) never reaches 'exit'.
  (globalThis as { __ocihooksBeforeExec?: () => void }).__ocihooksBeforeExec = write;
}
if (process.env.OCIHOOKS_CODE_CACHE_REPORT === '1') process.stderr.write(`code cache: ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
