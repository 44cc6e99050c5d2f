#!/usr/bin/env node
// Builds the native addon with node-gyp and one self-contained esbuild bundle per program:
//   dist/bin/{ocihook-mount,ocihook-gpu,ocihook-ldconfig,ocihooks}, dist/native/ocihooks.node
// Runs no dependency install script: esbuild's binary comes from its platform package and
// node-gyp is invoked here, against Node's own headers when the machine has them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');

export const PROGRAMS = {
  'ocihook-mount': 'src/cmd/ocihook-mount.ts',
  'ocihook-gpu': 'src/cmd/ocihook-gpu.ts',
  'ocihook-ldconfig': 'src/cmd/ocihook-ldconfig.ts',
  ocihooks: 'src/cmd/ocihooks.ts',
  'ocihooks-runtime': 'src/cmd/ocihooks-runtime.ts',
};

function nodeHeadersDir() {
  // Prefer the headers of the node running this build (what the addon will be loaded into).
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

function buildNative() {
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const headers = nodeHeadersDir();
  const args = [gyp, 'rebuild', '--directory', path.join(root, 'native'), '--loglevel', 'warn'];
  if (headers) args.push(`--nodedir=${headers}`);
  execFileSync(process.execPath, args, { stdio: 'inherit' });
  fs.mkdirSync(path.join(root, 'dist', 'native'), { recursive: true });
  fs.copyFileSync(path.join(root, 'native', 'build', 'Release', 'ocihooks.node'), path.join(root, 'dist', 'native', 'ocihooks.node'));
}

/**
 * dist/bin/<program> is a small launcher that compiles dist/lib/<program>.js through V8's code
 * cache (dist/lib/<program>.<build id>.cache): compiling the bundle is most of a hook's own
 * start-up. The build id (first line of the bundle) names the cache, because V8 checks only the
 * source's length before trusting a cache: a stale cache of a same-length bundle would run the old
 * code. A cache made by another node version is rejected by V8 and the bundle compiles as usual.
 * OCIHOOKS_CODE_CACHE_REPORT=1 makes a run say on stderr whether the cache was used, rejected or
 * missing (`ocihooks doctor` asks). OCIHOOKS_WRITE_CODE_CACHE=1 makes a run write the cache
 * (`ocihooks code-cache`, which build and install run, trains it on each hook's real planning
 * work: src/admin/code-cache.ts). The phase marks feed OCIHOOKS_TIMINGS=1 (src/engine/timing.ts).
 */
export function launcher(nodePath) {
  return `#!${nodePath}
'use strict';
const phases = (globalThis.__ocihooksPhases = [['node', process.uptime()]]);
const fs = require('fs'), path = require('path'), vm = require('vm');
const file = path.join(__dirname, '..', 'lib', path.basename(__filename) + '.js');
const source = fs.readFileSync(file, 'utf8');
const cacheFile = file.slice(0, -3) + '.' + (/^\\/\\*ocihooks-build:(\\w+)\\*\\//.exec(source) || [0, 'none'])[1] + '.cache';
let cachedData;
try { cachedData = fs.readFileSync(cacheFile); } catch {}
phases.push(['read', process.uptime()]);
const script = new vm.Script('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', { filename: file, cachedData });
phases.push(['compile', process.uptime()]);
if (process.env.OCIHOOKS_WRITE_CODE_CACHE === '1') process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
if (process.env.OCIHOOKS_CODE_CACHE_REPORT === '1') process.stderr.write('code cache: ' + (cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used') + '\\n');
script.runInThisContext()(module.exports, require, module, file, path.dirname(file));
`;
}

/** pino's lib/tools.js gets scripts/shims/pino-worker-threads.cjs for worker_threads (why: there). */
const pinoWithoutWorkerThreads = {
  name: 'pino-without-worker-threads',
  setup(build) {
    build.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      /[\\/]pino[\\/]lib[\\/]tools\.js$/.test(args.importer) ? { path: path.join(root, 'scripts', 'shims', 'pino-worker-threads.cjs') } : undefined,
    );
  },
};

async function buildBundles() {
  fs.mkdirSync(path.join(root, 'dist', 'bin'), { recursive: true });
  fs.rmSync(path.join(root, 'dist', 'lib'), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'dist', 'lib'), { recursive: true });
  const buildId = randomBytes(6).toString('hex');
  await Promise.all(
    Object.entries(PROGRAMS).map(async ([name, entry]) => {
      const outfile = path.join(root, 'dist', 'lib', `${name}.js`);
      await esbuild.build({
        entryPoints: [path.join(root, entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: process.env.OCIHOOKS_NO_MINIFY !== '1',
        legalComments: 'none',
        // yargs is ESM and asks import.meta.url for createRequire; give the bundle's own URL.
        banner: { js: `/*ocihooks-build:${buildId}*/const __importMetaUrl = require('url').pathToFileURL(__filename).href;` },
        define: { 'import.meta.url': '__importMetaUrl' },
        logLevel: 'warning',
        plugins: [pinoWithoutWorkerThreads],
        alias: {
          'thread-stream': path.join(root, 'scripts', 'shims', 'thread-stream.cjs'),
          'sonic-boom': path.join(root, 'scripts', 'shims', 'sonic-boom.cjs'),
        },
      });
      const bin = path.join(root, 'dist', 'bin', name);
      fs.writeFileSync(bin, launcher('/usr/bin/env node'));
      fs.chmodSync(bin, 0o755);
    }),
  );
  // Trained code caches (src/admin/code-cache.ts): the same step `ocihooks install` runs.
  execFileSync(process.execPath, [path.join(root, 'dist', 'bin', 'ocihooks'), 'code-cache', '--prefix', path.join(root, 'dist')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  if (only !== 'bundles') buildNative();
  if (only !== 'native') await buildBundles();
}
