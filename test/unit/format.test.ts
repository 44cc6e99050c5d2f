/**
 * One formatter for the tree (prettier, `.prettierrc.json`; `npm run format` rewrites): a file
 * that prettier would change fails here, named, so `npm test` keeps the tree formatted.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

test('every source file is formatted as prettier formats it (npm run format fixes it)', () => {
  const r = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--list-different', '.'],
    { cwd: root, encoding: 'utf8' },
  );
  expect({ status: r.status, unformatted: r.stdout.split('\n').filter(Boolean), stderr: r.stderr }).toEqual({
    status: 0,
    unformatted: [],
    stderr: '',
  });
}, 60_000);
