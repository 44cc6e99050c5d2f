/**
 * Where a file's prestart goes (prestart.ts): as podman 4.3 (containers/common v0.50.1) and as
 * podman 5.4 (v0.62.2) inject it — the cases the differential test showed against both, as a table.
 */
import { matchHooks } from './match';
import { podmanReading } from './prestart';
import type { HookFile } from './read';
import type { HookDefinition } from './schema';

const file = (name: string, stages: string[], version: '1.0.0' | '0.1.0' = '1.0.0'): HookFile => {
  const def: HookDefinition = {
    version,
    hook: { path: `/hooks/${name}` },
    when: version === '1.0.0' ? { always: true, or: false } : { commands: ['.*'], or: true },
    stages,
  };
  return { file: `/d/${name}.json`, name: `${name}.json`, status: 'ok', def };
};
const facts = { annotations: {}, process: { args: ['/bin/true'] }, hasBindMounts: false };
/** Stage -> hook names, in injection order. */
const names = (m: ReturnType<typeof matchHooks>) =>
  Object.fromEntries(Object.entries(m).map(([s, hs]) => [s, hs.map((h) => h.hook.path.slice('/hooks/'.length))]));

test.each<[string, HookFile[], Record<string, string[]>, Record<string, string[]>]>([
  ['a 1.0.0 file on prestart', [file('a', ['prestart'])], { prestart: ['a'] }, { createRuntime: ['a'] }],
  ['a 0.1.0 file on prestart', [file('a', ['prestart'], '0.1.0')], { prestart: ['a'] }, { createRuntime: ['a'] }],
  [
    'a file on both stages: createRuntime twice under podman 5',
    [file('a', ['prestart', 'createRuntime'])],
    { prestart: ['a'], createRuntime: ['a'] },
    { createRuntime: ['a', 'a'] },
  ],
  [
    'a.json on createRuntime, b.json on prestart: the files order createRuntime',
    [file('a', ['createRuntime']), file('b', ['prestart'])],
    { createRuntime: ['a'], prestart: ['b'] },
    { createRuntime: ['a', 'b'] },
  ],
  [
    'other stages as they are',
    [file('a', ['createContainer', 'prestart', 'poststop', 'precreate'])],
    { createContainer: ['a'], prestart: ['a'], poststop: ['a'], precreate: ['a'] },
    { createContainer: ['a'], createRuntime: ['a'], poststop: ['a'], precreate: ['a'] },
  ],
])('%s', (_name, files, podman4, podman5) => {
  expect({
    prestart: names(matchHooks(files, facts, 'prestart')),
    createRuntime: names(matchHooks(files, facts, 'createRuntime')),
  }).toEqual({ prestart: podman4, createRuntime: podman5 });
});

test.each([
  ['podman version 4.3.1\n', { version: '4.3.1', prestartAs: 'prestart', hookPathCheck: 'stat' }],
  ['podman version 4.9.4-rhel\n', { version: '4.9.4-rhel', prestartAs: 'prestart', hookPathCheck: 'stat' }],
  ['podman version 5.4.2\n', { version: '5.4.2', prestartAs: 'createRuntime', hookPathCheck: 'faccessat' }],
  ['podman version 5.0.0-dev\n', { version: '5.0.0-dev', prestartAs: 'createRuntime', hookPathCheck: 'stat' }],
  ['podman-remote version 5.1.0\n', { version: '5.1.0', prestartAs: 'createRuntime', hookPathCheck: 'faccessat' }],
  ['podman version 6.0.0\n', { version: '6.0.0', prestartAs: 'createRuntime', hookPathCheck: 'faccessat' }],
  ['Docker version 26.1.5, build a72d7cd\n', undefined],
  ['', undefined],
])('podman --version %j', (text, expected) => {
  expect(podmanReading(text)).toEqual(expected);
});
