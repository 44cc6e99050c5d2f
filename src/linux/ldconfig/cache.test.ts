/**
 * The ld.so.cache parser against glibc's own ldconfig as the oracle: caches in the old, new and
 * compat formats are written by the host ldconfig (-c FORMAT), and `ldconfig -p` lists them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLdCache } from './cache';
import { UsageError } from '../../core/errors';
import { ok, tmpDir } from '../../../test/support/e2e';

const LDCONFIG = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;

function libDir(): string {
  const dir = tmpDir('ldcache');
  const lib = path.join(dir, 'lib');
  fs.mkdirSync(lib);
  const hostLibs = '/usr/lib/x86_64-linux-gnu';
  const picked = fs.readdirSync(hostLibs).filter((f) => /^lib(z|fabric|ffi|acl|attr)\.so\.\d+(\.\d+)*$/.test(f));
  if (picked.length < 2) throw new Error(`expected some shared libraries in ${hostLibs}, found ${picked.join(',')}`);
  for (const f of picked) fs.copyFileSync(path.join(hostLibs, f), path.join(lib, f));
  return lib;
}

/** `ldconfig -p` lines "\tname (flags) => path" as [name, path] pairs. */
function oracle(cache: string): [string, string][] {
  return ok(LDCONFIG, ['-p', '-C', cache])
    .split('\n')
    .map((l) => /^\t(\S+) \(.*\) => (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string]);
}

describe('ld.so.cache parser agrees with glibc ldconfig -p', () => {
  const lib = libDir();
  test.each(['old', 'new', 'compat'] as const)('%s format', (format) => {
    const cache = path.join(path.dirname(lib), `${format}.cache`);
    ok(LDCONFIG, ['-X', '-c', format, '-C', cache, '-f', '/dev/null', lib]);
    const parsed = parseLdCache(fs.readFileSync(cache));
    expect(parsed.format).toBe(format);
    const expected = oracle(cache);
    expect(expected.length).toBeGreaterThan(1);
    expect(parsed.entries.map((e) => [e.name, e.path]).sort()).toEqual(expected.sort());
  });

  test('the host cache itself', () => {
    const parsed = parseLdCache(fs.readFileSync('/etc/ld.so.cache'));
    expect(parsed.entries.map((e) => [e.name, e.path]).sort()).toEqual(oracle('/etc/ld.so.cache').sort());
  });

  test('truncated or foreign bytes give the project error, never a crash', () => {
    const cache = path.join(path.dirname(lib), 'trunc.cache');
    ok(LDCONFIG, ['-X', '-c', 'new', '-C', cache, '-f', '/dev/null', lib]);
    const bytes = fs.readFileSync(cache);
    const stringsStart = 48 + bytes.readUInt32LE(20) * 24;
    for (const cut of [0, 10, 30, 47, 60, stringsStart + 2]) {
      expect(() => parseLdCache(bytes.subarray(0, cut))).toThrow(UsageError);
    }
    expect(() => parseLdCache(Buffer.from('not a cache at all'))).toThrow('ld.so.cache: unknown format');
  });
});
