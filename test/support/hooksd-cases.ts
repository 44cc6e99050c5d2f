/**
 * A seeded generator of hooks.d cases for the differential test against podman: groups of hook
 * files in two folders (both schema versions, every condition alone and combined, anchored,
 * unanchored and POSIX-class patterns, missing hook paths, no args, the same name in both folders,
 * several stages) and one container per group (annotations, a command, a volume or none).
 * Every hook that can run is a marker script of its own, so a log of marker names shows which
 * hooks ran and in which order. Pure: the same seed gives the same groups.
 */

/** Stages a marker can show: poststop makes podman 4.3 wait ~20 s, startContainer runs inside the rootfs. */
export const DIFF_STAGES = ['precreate', 'prestart', 'createRuntime', 'createContainer', 'poststart'] as const;

export interface Container {
  annotations: Record<string, string>;
  args: string[];
  /** A user volume (-v) at /data: podman's hasBindMounts. */
  volume: boolean;
}

export interface HookGroup {
  index: number;
  /** Two hooks.d folders, in increasing precedence: file name → file text. */
  dirs: [Record<string, string>, Record<string, string>];
  /** Marker scripts to create (names under the marker folder); missing hook paths are not among them. */
  markers: string[];
  container: Container;
  /** How podman must answer: every file read (runs) or a file it cannot read (refuses). */
  expect: 'runs' | 'refuses';
}

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32: small, fast and good enough to spread cases. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)] as T;
  }
  /** Between min and max distinct entries of a, in a's order. */
  some<T>(a: readonly T[], min: number, max: number): T[] {
    const n = this.int(min, Math.min(max, a.length));
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(Math.floor(this.next() * a.length));
    return [...chosen].sort((x, y) => x - y).map((i) => a[i] as T);
  }
}

const ANNOTATION_KEYS = ['com.hooks.slurm.activate', 'com.example.gpu', 'org.site/tier', 'x', 'Mixed.Case'];
const ANNOTATION_VALUES = ['true', 'TRUE', 'false', '1', '42', 'abc', 'a-b_c'];
const COMMANDS = [['/bin/true'], ['/bin/sh', '-c', 'true'], ['true'], ['/bin/echo', 'hi']];
// Patterns also meet podman's own annotations (io.container.manager=libpod, io.podman.annotations.*=FALSE/TRUE, ...).
const KEY_PATTERNS = [
  '^com\\.hooks\\.slurm\\.activate$',
  'slurm',
  'com\\.example\\.[[:alpha:]]+',
  '^org\\.site/.*',
  '.*',
  '^x$',
  '(?i)^mixed\\.case$',
  'Mixed',
  '^io\\.podman\\.annotations\\.autoremove$',
  'io\\.container\\.manager',
  'nothing-has-this',
];
const VALUE_PATTERNS = [
  '^true$',
  'true',
  '^[[:digit:]]+$',
  '^(TRUE|true)$',
  '.*',
  '^$',
  'a-b',
  '[[:upper:]]',
  '\\d',
  '^libpod$',
  '^a[^-]',
];
const COMMAND_PATTERNS = [
  '^/bin/true$',
  'true',
  '.*/sh$',
  '^/bin/[[:alpha:]]+$',
  'echo',
  'nothing-is-this',
  '^true$',
  '\\Atrue\\z',
];
const NAME_LETTERS = ['a', 'B', 'c', 'D', 'e'];

/** Files podman refuses, whatever else is there (when first in their folder). */
const REFUSED = [
  '{"version": "1.0.0", ',
  JSON.stringify({ version: '1.0.0', hook: { path: '/bin/true' }, when: { always: true }, stages: ['preStart'] }),
  JSON.stringify({
    version: '1.0.0',
    hook: { path: '/bin/true' },
    when: { annotations: { '(?=x)': '.*' } },
    stages: ['prestart'],
  }),
  JSON.stringify({ version: '1.0.0', hook: { path: '/bin/true' }, when: { always: true } }),
  JSON.stringify({ version: '2.0', hook: { path: '/bin/true' }, stages: ['prestart'] }),
  JSON.stringify({ hook: '/bin/true', stage: ['prestart'], stages: ['prestart'] }),
];

/** A Go-insensitive spelling of a field name now and then: podman matches names case-insensitively. */
function spell(r: Rng, name: string): string {
  return r.chance(0.08) ? r.pick([name.toUpperCase(), name[0]?.toUpperCase() + name.slice(1)]) : name;
}

function v100(r: Rng, path: string, marker: string): object {
  const when: Record<string, unknown> = {};
  if (r.chance(0.25)) when[spell(r, 'always')] = r.chance(0.7);
  if (r.chance(0.55))
    when[spell(r, 'annotations')] = Object.fromEntries(
      r.some(KEY_PATTERNS, 1, 2).map((k) => [k, r.pick(VALUE_PATTERNS)]),
    );
  if (r.chance(0.4)) when[spell(r, 'commands')] = r.some(COMMAND_PATTERNS, 1, 2);
  if (r.chance(0.25)) when.hasBindMounts = r.chance(0.8);
  const hook: Record<string, unknown> = { path };
  if (r.chance(0.7)) hook.args = r.chance(0.7) ? [marker] : [marker, 'extra'];
  if (r.chance(0.15)) hook.timeout = 30;
  if (r.chance(0.15)) hook.env = ['OCIHOOKS_TEST=1'];
  return {
    [spell(r, 'version')]: '1.0.0',
    [spell(r, 'hook')]: hook,
    when,
    [spell(r, 'stages')]: r.chance(0.05) ? [] : r.some(DIFF_STAGES, 1, 3),
  };
}

function v010(r: Rng, path: string): object {
  const doc: Record<string, unknown> = { [spell(r, 'hook')]: path };
  if (r.chance(0.5)) doc.version = '0.1.0';
  if (r.chance(0.3)) doc.arguments = r.chance(0.5) ? [] : ['one', 'two'];
  doc[r.pick(['stage', 'stages'])] = r.some(DIFF_STAGES, 1, 3);
  if (r.chance(0.5)) doc[r.pick(['cmd', 'cmds'])] = r.some(COMMAND_PATTERNS, 1, 2);
  if (r.chance(0.6)) doc[r.pick(['annotation', 'annotations'])] = r.some(VALUE_PATTERNS, 1, 3);
  if (r.chance(0.3)) doc[spell(r, 'hasbindmounts')] = r.chance(0.8);
  return doc;
}

/**
 * One group: 12 to 18 hook files over two folders, the container they meet, and podman's expected
 * answer. markerDir is where the test writes the marker scripts; a missing hook path points there
 * too but is never written. Every 9th group refuses (a broken file first in its folder); every
 * 5th has podman's quirk (a missing hook path first in a folder hides a broken file after it).
 */
export function generateGroup(seed: number, index: number, markerDir: string): HookGroup {
  const r = new Rng(seed * 7919 + index);
  const group: HookGroup = {
    index,
    dirs: [{}, {}],
    markers: [],
    container: { annotations: {}, args: r.pick(COMMANDS), volume: r.chance(0.5) },
    expect: 'runs',
  };
  for (const k of r.some(ANNOTATION_KEYS, 0, 3)) group.container.annotations[k] = r.pick(ANNOTATION_VALUES);
  const count = r.int(12, 16);
  for (let k = 0; caseCount(group) < count; k++) {
    const dir = r.chance(0.5) ? 0 : 1;
    const other = Object.keys(group.dirs[1 - dir] as Record<string, string>);
    // A third of the names are the other folder's: the later folder's valid file wins.
    const name =
      other.length && r.chance(0.3) ? r.pick(other) : `${String(r.int(10, 89))}${r.pick(NAME_LETTERS)}-${k}.json`;
    if ((group.dirs[dir] as Record<string, string>)[name]) continue;
    const marker = `m${index}-${k}`;
    const missing = r.chance(0.1);
    const path = `${markerDir}/${missing ? `missing-${marker}` : marker}`;
    if (!missing) group.markers.push(marker);
    (group.dirs[dir] as Record<string, string>)[name] = JSON.stringify(
      r.chance(0.7) ? v100(r, path, marker) : v010(r, path),
    );
  }
  if (index % 9 === 4) {
    (group.dirs[r.int(0, 1)] as Record<string, string>)['00-refused.json'] = r.pick(REFUSED);
    group.expect = 'refuses';
  } else if (index % 5 === 2) {
    const dir = group.dirs[r.int(0, 1)] as Record<string, string>;
    dir['00-missing.json'] = JSON.stringify({
      version: '1.0.0',
      hook: { path: `${markerDir}/missing-first` },
      when: { always: true },
      stages: ['prestart'],
    });
    dir['99-hidden-broken.json'] = r.pick(REFUSED);
  }
  return group;
}

/** How many hook files a group holds: each is one case of the differential test. */
export function caseCount(g: HookGroup): number {
  return Object.keys(g.dirs[0]).length + Object.keys(g.dirs[1]).length;
}
