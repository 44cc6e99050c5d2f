/**
 * native openAs: a path looked up with the filesystem identity of a container's user, for this
 * thread and this one open. Rows that switch to another user need root (the e2e tests run them
 * in real containers too); as an ordinary user they show the switch being refused.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../test/support/e2e';
import { native } from './native';

const asRoot = process.getuid?.() === 0;

/** The Uid/Gid/Groups lines of this thread: its real, effective, saved and filesystem ids. */
const ids = () =>
  fs
    .readFileSync('/proc/thread-self/status', 'utf8')
    .split('\n')
    .filter((l) => /^(Uid|Gid|Groups):/.test(l));

describe('openAs', () => {
  let base = '';
  beforeAll(() => {
    base = tmpDir('open-as');
    fs.chmodSync(base, 0o755);
    // private/inner: behind a folder only its owner enters; group/inner: behind one group 4343 enters.
    fs.mkdirSync(path.join(base, 'private', 'inner'), { recursive: true });
    fs.mkdirSync(path.join(base, 'group', 'inner'), { recursive: true });
    fs.mkdirSync(path.join(base, 'open', 'inner'), { recursive: true });
    fs.chmodSync(path.join(base, 'private'), 0o700);
    if (asRoot) fs.chownSync(path.join(base, 'group'), 0, 4343);
    fs.chmodSync(path.join(base, 'group'), 0o750);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const me = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  test.each<[string, string, { uid: number; gid: number; groups: number[] } | 'me', string]>([
    ['its own ids, an open folder', 'open/inner', 'me', 'ok'],
    ['its own ids, behind its own private folder', 'private/inner', 'me', 'ok'],
    ['uid 4242: an open folder', 'open/inner', { uid: 4242, gid: 4242, groups: [] }, asRoot ? 'ok' : 'EPERM setfsgid'],
    [
      "uid 4242: behind another user's private folder",
      'private/inner',
      { uid: 4242, gid: 4242, groups: [] },
      asRoot ? 'EACCES open' : 'EPERM setfsgid',
    ],
    [
      'uid 4242: behind a folder of group 4343, which it is not in',
      'group/inner',
      { uid: 4242, gid: 4242, groups: [] },
      asRoot ? 'EACCES open' : 'EPERM setfsgid',
    ],
    [
      'uid 4242 with the additional group 4343',
      'group/inner',
      { uid: 4242, gid: 4242, groups: [4343] },
      asRoot ? 'ok' : 'EPERM setgroups',
    ],
    [
      'uid 4242 with 4343 as its gid',
      'group/inner',
      { uid: 4242, gid: 4343, groups: [] },
      asRoot ? 'ok' : 'EPERM setfsgid',
    ],
  ])('%s', (_name, rel, who, expected) => {
    const before = ids();
    const u = who === 'me' ? { ...me, groups: [] } : who;
    let got: string;
    try {
      const fd = native().openAs(path.join(base, rel), u.uid, u.gid, u.groups);
      const st = fs.fstatSync(fd);
      fs.closeSync(fd);
      got = st.isDirectory() ? 'ok' : 'not a folder';
    } catch (e) {
      got = `${(e as { code?: string }).code} ${(e as { syscall?: string }).syscall}`;
    }
    expect(got).toBe(expected);
    // cloneTree, which the mount hook clones its sources with, looks the path up the same way
    // (a clone needs root's CAP_SYS_ADMIN: as an ordinary user there is nothing more to see).
    if (asRoot) {
      const c = native().constants;
      let cloned: string;
      try {
        const fd = native().cloneTree(
          path.join(base, rel),
          c.OPEN_TREE_CLONE | c.OPEN_TREE_CLOEXEC,
          c.MOUNT_ATTR_NOSUID,
          c.MS_PRIVATE,
          u.uid,
          u.gid,
          u.groups,
        );
        native().close(fd);
        cloned = 'ok';
      } catch (e) {
        cloned = `${(e as { code?: string }).code} ${(e as { syscall?: string }).syscall}`;
      }
      expect(cloned).toBe(expected);
    }
    // The thread has its own identity back, groups included.
    expect(ids()).toEqual(before);
  });

  // A thread that already has the identity asked for opens without switching: a process that is
  // uid 4242 with group 4343 (no privilege left to call setgroups at all) reaches what that group
  // may, and is still refused another identity (another gid needs the switch it cannot make).
  const addon = path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'ocihooks.node');
  test.each([
    ['as itself with its own group', 'group/inner', 4242, [4343], 'ok'],
    ['as itself, its own group listed twice and its gid too', 'group/inner', 4242, [4343, 4343, 4242], 'ok'],
    // setgroups denied and no group asked for: it keeps its own, as under runc --rootless.
    ['as itself without its group', 'group/inner', 4242, [], 'ok'],
    ['with another gid', 'open/inner', 4343, [4343], 'EPERM setgroups'],
  ])('already uid 4242, group 4343: %s', (_name, rel, gid, groups, expected) => {
    const script = `
      process.setgroups([4343]); process.setgid(4242); process.setuid(4242);
      const n = { exports: {} }; process.dlopen(n, ${JSON.stringify(addon)});
      try { n.exports.openAs(${JSON.stringify(path.join(base, rel))}, 4242, ${gid}, ${JSON.stringify(groups)}); console.log('ok'); }
      catch (e) { console.log(e.code + ' ' + e.syscall); }`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    // As an ordinary user the child cannot become uid 4242: it is refused, and says so.
    if (!asRoot) return expect(r.stderr).toMatch(/EPERM/);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(expected);
  });
});
