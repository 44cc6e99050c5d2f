// Jest transform: TypeScript through esbuild (already a build dependency; fast, no type check —
// `npm run typecheck` does that), and ESM-only packages the unit tests load (jest.config.cjs), to CommonJS.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const loader = filename.endsWith('.ts') ? 'ts' : 'js';
    const result = transformSync(source, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
      // yargs asks import.meta.url for createRequire; in CommonJS that is the file's own URL.
      banner: loader === 'js' ? 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' : undefined,
      define: loader === 'js' ? { 'import.meta.url': '__importMetaUrl' } : undefined,
      logLevel: 'error',
    });
    return { code: result.code };
  },
};
