#!/usr/bin/env node
// Builds the native addon with node-gyp, the self-contained esbuild bundles (src/cmd/bundles.json:
// dist/lib/<bundle>.js from src/cmd/bundles/<bundle>.ts), each program's launcher dist/bin/<program>,
// dist/native/ocihooks.node, and the freestanding programs dist/native/runtime-front-end and hook-launcher.
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

/** Each bundle (lib/<bundle>.js, built from src/cmd/bundles/<bundle>.ts) with the programs it holds. */
export const BUNDLES = JSON.parse(fs.readFileSync(path.join(root, 'src', 'cmd', 'bundles.json'), 'utf8'));

function nodeHeadersDir() {
  // Prefer the headers of the node running this build (what the addon will be loaded into).
  const candidates = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

/**
 * The front-end (native/front-end/main.c says why): static, no C library, no start files, no
 * stack protector (it would need libc's TLS), calls only to what it defines.
 */
const FRONT_END_CFLAGS = [
  '-std=gnu11',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-O2',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fno-pie',
  '-no-pie',
  '-static',
  '-nostdlib',
  '-Wl,--build-id=none',
  '-Wl,-z,noexecstack',
];

/** A freestanding program's sources: its folder's and the shared native/freestanding/ (front-end.h lists them). */
function freestandingSources(program) {
  return ['freestanding', program].flatMap((folder) => {
    const dir = path.join(root, 'native', folder);
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.c'))
      .sort()
      .map((f) => path.join(dir, f));
  });
}

function buildNative() {
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const headers = nodeHeadersDir();
  const args = [gyp, 'rebuild', '--directory', path.join(root, 'native'), '--loglevel', 'warn'];
  if (headers) args.push(`--nodedir=${headers}`);
  execFileSync(process.execPath, args, { stdio: 'inherit' });
  fs.mkdirSync(path.join(root, 'dist', 'native'), { recursive: true });
  fs.copyFileSync(
    path.join(root, 'native', 'build', 'Release', 'ocihooks.node'),
    path.join(root, 'dist', 'native', 'ocihooks.node'),
  );
  // The two freestanding programs: the runtime wrapper's front-end and the hook launcher.
  for (const [name, folder] of [
    ['runtime-front-end', 'front-end'],
    ['hook-launcher', 'hook-launcher'],
  ]) {
    const built = path.join(root, 'native', 'build', 'Release', name);
    execFileSync(process.env.CC || 'cc', [...FRONT_END_CFLAGS, '-o', built, ...freestandingSources(folder)], {
      stdio: 'inherit',
    });
    fs.copyFileSync(built, path.join(root, 'dist', 'native', name));
    fs.chmodSync(path.join(root, 'dist', 'native', name), 0o755);
  }
}

/** bin/<program>: src/cmd/launcher.ts compiled on its own (see there) for `bundle`, under a #! line. */
export function launcher(nodePath, bundle) {
  const out = esbuild.buildSync({
    entryPoints: [path.join(root, 'src', 'cmd', 'launcher.ts')],
    bundle: false,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: { OCIHOOKS_BUNDLE: JSON.stringify(bundle) },
    logLevel: 'warning',
  });
  return `#!${nodePath}\n${out.outputFiles[0].text}`;
}

/**
 * Libraries in files of their own (lib/ocihooks-<name>.js, entries in src/cmd/bundles/): the other
 * bundles require them from their own folder when they use them, so that a hook's or the wrapper's
 * start does not read their bytes (yaml ~110 KB, yargs and its helpers ~110 KB, re2js ~150 KB:
 * reading and decoding 100 KB costs a start ~0.2 ms, against a rare CDI spec in YAML, --help, usage
 * error or hooks.d pattern that is more than a literal).
 */
const VENDORED = ['yaml', 'yargs', 're2js'];
const vendored = {
  name: 'ocihooks-vendored',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${VENDORED.join('|')})$`) }, (a) => ({ path: a.path, namespace: 'vendored' }));
    // Loaded through a code cache of its own (src/cmd/vendored-loader.ts says why).
    b.onLoad({ filter: /.*/, namespace: 'vendored' }, (a) => ({
      contents: [
        `const { loadVendored } = require(${JSON.stringify(path.join(root, 'src', 'cmd', 'vendored-loader.ts'))});`,
        `const file = require('node:path').join(__dirname, ${JSON.stringify(`ocihooks-${a.path}.js`)});`,
        'module.exports = loadVendored(file, require);',
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

async function buildBundles() {
  fs.mkdirSync(path.join(root, 'dist', 'bin'), { recursive: true });
  fs.rmSync(path.join(root, 'dist', 'lib'), { recursive: true, force: true });
  fs.mkdirSync(path.join(root, 'dist', 'lib'), { recursive: true });
  const buildId = randomBytes(6).toString('hex');
  // A bundle per kind of program (src/cmd/bundles/ says why): a hook's start reads, deserialises
  // and declares only what hooks run; a chain of hooks evaluates their shared modules once.
  for (const [bundle, programs] of Object.entries(BUNDLES)) {
    const outfile = path.join(root, 'dist', 'lib', bundle);
    await esbuild.build({
      entryPoints: [path.join(root, 'src', 'cmd', 'bundles', `${bundle.slice(0, -3)}.ts`)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: process.env.OCIHOOKS_NO_MINIFY !== '1',
      legalComments: 'none',
      // yargs is ESM and asks import.meta.url for createRequire; give the bundle's own URL, made
      // when asked (making it costs a hook start ~0.3 ms, and only a usage error loads yargs).
      banner: {
        js: `/*ocihooks-build:${buildId}*/const __ocihooksMeta = { get url() { return require('url').pathToFileURL(__filename).href; } };`,
      },
      // The build id also names what a build keeps between runs (src/hook/decoded-cache.ts).
      define: { 'import.meta.url': '__ocihooksMeta.url', OCIHOOKS_BUILD_ID: JSON.stringify(buildId) },
      plugins: VENDORED.some((v) => bundle === `ocihooks-${v}.js`) ? [] : [vendored],
      logLevel: 'warning',
    });
    // The launcher reads a bundle as latin1 (src/cmd/launcher.ts): esbuild escapes non-ASCII text
    // (its default charset), and this keeps it so.
    const nonAscii = /[^\x00-\x7f]/.exec(fs.readFileSync(outfile, 'utf8'));
    if (nonAscii) throw new Error(`build: dist/lib/${bundle} is not ASCII (${JSON.stringify(nonAscii[0])})`);
    const launcherText = launcher('/usr/bin/env node', bundle);
    for (const name of programs) {
      const bin = path.join(root, 'dist', 'bin', name);
      fs.writeFileSync(bin, launcherText);
      fs.chmodSync(bin, 0o755);
    }
  }
  // Trained code caches (src/admin/code-cache.ts): the same step `ocihooks install` runs.
  execFileSync(
    process.execPath,
    [path.join(root, 'dist', 'bin', 'ocihooks'), 'code-cache', '--prefix', path.join(root, 'dist')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const only = process.argv[2];
  if (only !== 'bundles') buildNative();
  if (only !== 'native') await buildBundles();
}
