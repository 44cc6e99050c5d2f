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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');

export const PROGRAMS = {
  'ocihook-mount': 'hooks/mount.ts',
  'ocihook-gpu': 'hooks/gpu.ts',
  'ocihook-ldconfig': 'hooks/ldconfig.ts',
  ocihooks: 'hooks/ocihooks.ts',
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

async function buildBundles() {
  fs.mkdirSync(path.join(root, 'dist', 'bin'), { recursive: true });
  await Promise.all(
    Object.entries(PROGRAMS).map(async ([name, entry]) => {
      const outfile = path.join(root, 'dist', 'bin', name);
      await esbuild.build({
        entryPoints: [path.join(root, entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        legalComments: 'none',
        // yargs is ESM and asks import.meta.url for createRequire; give the bundle's own URL.
        banner: { js: "#!/usr/bin/env node\nconst __importMetaUrl = require('url').pathToFileURL(__filename).href;" },
        define: { 'import.meta.url': '__importMetaUrl' },
        logLevel: 'warning',
      });
      fs.chmodSync(outfile, 0o755);
    }),
  );
}

const only = process.argv[2];
if (only !== 'bundles') buildNative();
if (only !== 'native') await buildBundles();
