/**
 * Rules of the sources that keep a hook's start-up short (docs/performance.md). A namespace import
 * of a Node built-in (`import * as fs from 'node:fs'`) makes the bundle copy every export of the
 * module into a fresh object, once per importing module: about 0.1 ms each, 4 ms of a hook's
 * module evaluation when every file did it. `import fs = require('node:fs')` is the module itself.
 */
import fs = require('node:fs');
import path = require('node:path');

const SRC = path.join(__dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

test("the programs' sources import Node's built-in modules as require, never as a namespace", () => {
  const namespaceImports = sources(SRC).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/^import \* as \w+ from '(node:[\w/]+)'/gm)].map(
      (m) => `${path.relative(SRC, file)}: ${m[1]}`,
    ),
  );
  expect(namespaceImports).toEqual([]);
});
