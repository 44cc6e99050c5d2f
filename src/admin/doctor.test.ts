import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { keptPrecreateCheck, keptSpecsCheck } from './doctor';

const root = process.geteuid?.() === 0;

test('kept CDI specs: none yet, how many, or why the GPU hook does not use the folder', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-doctor-'));
  try {
    const dir = path.join(base, 'cdi-specs');
    expect(keptSpecsCheck(dir)).toEqual({
      name: 'kept CDI specs',
      status: 'ok',
      detail: `${dir}: none yet (the GPU hook keeps each spec it reads there)`,
    });
    fs.mkdirSync(dir, { mode: 0o700 });
    for (const f of ['a.json', 'b.json', 'b.json.tmp-1']) fs.writeFileSync(path.join(dir, f), '{}');
    const owner = fs.statSync(dir).uid;
    expect(keptSpecsCheck(dir)).toEqual(
      root
        ? { name: 'kept CDI specs', status: 'ok', detail: `${dir}: 2 spec(s) kept` }
        : {
            name: 'kept CDI specs',
            status: 'warn',
            detail: `${dir} is owned by uid ${owner}, mode 0700: not root's alone, so the GPU hook neither reads nor writes it and reads every spec from its text`,
          },
    );
    fs.chmodSync(dir, 0o775);
    expect(keptSpecsCheck(dir).detail).toBe(
      `${dir} is owned by uid ${owner}, mode 0775: not root's alone, so the GPU hook neither reads nor writes it and reads every spec from its text`,
    );
    const file = path.join(base, 'a-file');
    fs.writeFileSync(file, '');
    expect(keptSpecsCheck(file)).toMatchObject({ status: 'warn', detail: expect.stringContaining('is not a folder') });
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('kept precreate edits: none yet, how many entries, or why the hook launcher does not use the folder', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-doctor-'));
  try {
    const dir = path.join(base, 'kept-precreate');
    expect(keptPrecreateCheck(dir, 256)).toEqual({
      name: 'kept precreate edits',
      status: 'ok',
      detail: `${dir}: none yet (the GPU precreate filter keeps each container's edits there for the next of the same key)`,
    });
    fs.mkdirSync(dir, { mode: 0o700 });
    // Two entries; a file being written (the atomic write's temporary) is not one.
    for (const f of ['3f49aae7082492f0', '577f6fa945062065', '577f6fa945062065.tmp-12'])
      fs.writeFileSync(path.join(dir, f), '');
    const owner = fs.statSync(dir).uid;
    expect(keptPrecreateCheck(dir, 256)).toEqual(
      root
        ? {
            name: 'kept precreate edits',
            status: 'ok',
            detail: `${dir}: 2 entr(y/ies) kept (at most 256), applied by the hook launcher without Node`,
          }
        : {
            name: 'kept precreate edits',
            status: 'warn',
            detail: `${dir} is owned by uid ${owner}, mode 0700: not root's alone, so the hook launcher uses none of it and every GPU container is planned by the Node filter`,
          },
    );
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
