// Jest transform: TypeScript through esbuild (already a build dependency; fast, no type check —
// `npm run typecheck` does that).
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const result = transformSync(source, { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline', sourcefile: filename });
    return { code: result.code };
  },
};
