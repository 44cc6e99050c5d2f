/**
 * How a bundle loads a library kept in a file of its own (lib/ocihooks-<name>.js; scripts/build.mjs,
 * `vendored`, makes `require('yaml')` call this): compiled through a V8 code cache of its own,
 * lib/ocihooks-<name>.<build id>.cache, as the launcher (launcher.ts) compiles a program's bundle.
 * Without one, a hook that read a CDI spec written in YAML — the form `nvidia-ctk cdi generate`
 * writes by default — compiled the yaml library and every parser function it ran on each start:
 * ~16 ms of the GPU hook's plan against ~2 ms for the same spec in JSON.
 *
 * OCIHOOKS_WRITE_CODE_CACHE=1 makes the run write the cache at exit, with every function of the
 * library that ran (`ocihooks code-cache` trains it: src/admin/code-cache.ts);
 * OCIHOOKS_CODE_CACHE_REPORT=1 says on stderr whether it was used, rejected or missing. A cache of another
 * build is never read (its name has the build id); one of another node version is rejected by V8
 * and the library compiles as usual.
 */
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');

/** The cache file of a library file of this build (`source` is its text, whose first line names the build). */
function vendoredCacheFile(file: string, source: string): string {
  const buildId = /^\/\*ocihooks-build:(\w+)\*\//.exec(source)?.[1] ?? 'none';
  return `${file.slice(0, -'.js'.length)}.${buildId}.cache`;
}

/** The exports of the CommonJS library `file`, compiled through its code cache when there is one. */
export function loadVendored(file: string, require: NodeJS.Require): unknown {
  // The library is ASCII, as every bundle (scripts/build.mjs checks): latin1 is a copy of the bytes.
  const source = fs.readFileSync(file).toString('latin1');
  const cacheFile = vendoredCacheFile(file, source);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache: the library compiles from source
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (process.env.OCIHOOKS_WRITE_CODE_CACHE === '1')
    process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
  if (process.env.OCIHOOKS_CODE_CACHE_REPORT === '1')
    process.stderr.write(
      `code cache of ${path.basename(file)}: ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`,
    );
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void)(module.exports, require, module, file, path.dirname(file));
  return module.exports;
}
