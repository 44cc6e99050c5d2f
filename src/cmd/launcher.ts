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

/** Compiles lib/<program>.js through its code cache and runs it. */
function runBundle(program: string): void {
  const file = path.join(__dirname, '..', 'lib', program + '.js');
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
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  phases.push(['compile', process.uptime()]);
  if (process.env.OCIHOOKS_WRITE_CODE_CACHE === '1') {
    const write = () => fs.writeFileSync(cacheFile, script.createCachedData());
    process.once('exit', write);
    // A program that becomes another one (the runtime wrapper's execve) never reaches 'exit'.
    (globalThis as { __ocihooksBeforeExec?: () => void }).__ocihooksBeforeExec = write;
  }
  if (process.env.OCIHOOKS_CODE_CACHE_REPORT === '1')
    process.stderr.write(
      `code cache: ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`,
    );
  script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
}

/**
 * --ocihooks-chain=JSON (the runtime wrapper writes it: src/runtime/chain.ts): several hooks of
 * this installation in this one process, in order, instead of a Node start each -- each with its
 * own argv and env (its env list, else the runtime's), as a runtime would start it; the OCI
 * state, read once from stdin, given to each; the first that fails ends the chain with its exit
 * code (a runtime stops at the first failing hook too). The flag and the list are chain.ts's too
 * (this file imports nothing of the project; src/runtime/chain.test.ts keeps them equal).
 */
const CHAIN = '--ocihooks-chain=';
const CHAINABLE = ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'];
if (process.argv[2]?.startsWith(CHAIN) && process.argv.length === 3) {
  let hooks: { program: string; args: string[]; env?: string[] }[];
  try {
    hooks = JSON.parse(process.argv[2].slice(CHAIN.length));
    if (
      !Array.isArray(hooks) ||
      hooks.some(
        (h) =>
          !CHAINABLE.includes(h?.program) || !Array.isArray(h.args) || (h.env !== undefined && !Array.isArray(h.env)),
      )
    )
      throw new Error(`each hook must be {program: ${CHAINABLE.join('|')}, args: [...], env?: [...]}`);
  } catch (e) {
    process.stderr.write(`${path.basename(__filename)}: --ocihooks-chain: ${(e as Error).message}\n`);
    process.exit(2);
  }
  (globalThis as { __ocihooksChain?: { state: string } }).__ocihooksChain = { state: fs.readFileSync(0, 'utf8') };
  const node = process.argv[0] as string;
  const inherited = { ...process.env }; // a hook without an env list gets the runtime's, as runc starts it
  for (const h of hooks) {
    process.argv = [node, path.join(__dirname, h.program), ...h.args.slice(1)];
    for (const k of Object.keys(process.env)) delete process.env[k];
    if (h.env === undefined) Object.assign(process.env, inherited);
    for (const e of h.env ?? []) {
      const at = e.indexOf('=');
      if (at > 0) process.env[e.slice(0, at)] = e.slice(at + 1);
    }
    runBundle(h.program);
    if (process.exitCode) process.exit(process.exitCode);
  }
  process.exit(0);
} else {
  runBundle(path.basename(__filename));
}
