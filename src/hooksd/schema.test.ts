/**
 * Decoding hooks.d documents: the cases of containers/common v0.50.1 pkg/hooks/0.1.0/hook_test.go,
 * 1.0.0/hook_test.go (TestGoodRead, TestInvalidJSON) and read_test.go (read()). The reasons are
 * podman's words, except Go's JSON type errors, which name the field in this project's words.
 */
import { HookDefinition, decodeHookDocument } from './schema';

const h = (o: Partial<HookDefinition> & { when?: Partial<HookDefinition['when']> }): HookDefinition => ({
  version: '0.1.0',
  hook: { path: '/a/b/c' },
  stages: ['prestart'],
  ...o,
  when: { or: true, ...o.when },
});

describe('0.1.0 (hook_test.go)', () => {
  test.each<[string, object, HookDefinition | string]>([
    ['TestGood', { hook: '/a/b/c', stages: ['prestart'], cmds: ['sh'] }, h({ when: { commands: ['sh'], or: true } })],
    [
      'TestArguments',
      { hook: '/a/b/c', arguments: ['d', 'e'], stages: ['prestart'], cmds: ['sh'] },
      h({ hook: { path: '/a/b/c', args: ['/a/b/c', 'd', 'e'] }, when: { commands: ['sh'], or: true } }),
    ],
    ['TestEmptyObject', {}, '0.1.0 (no version): missing required property: hook'],
    ['TestNoStages', { hook: '/a/b/c' }, '0.1.0 (no version): missing required property: stages'],
    ['TestStage', { hook: '/a/b/c', stage: ['prestart'] }, h({})],
    [
      'TestStagesAndStage',
      { hook: '/a/b/c', stages: ['prestart'], stage: ['prestart'] },
      "0.1.0 (no version): cannot set both 'stage' and 'stages'",
    ],
    ['TestCmd', { hook: '/a/b/c', stage: ['prestart'], cmd: ['sh'] }, h({ when: { commands: ['sh'], or: true } })],
    [
      'TestCmdsAndCmd',
      { hook: '/a/b/c', stages: ['prestart'], cmds: ['sh'], cmd: ['true'] },
      "0.1.0 (no version): cannot set both 'cmd' and 'cmds'",
    ],
    [
      'TestAnnotations',
      { hook: '/a/b/c', stage: ['prestart'], annotations: ['a', 'b'] },
      h({ when: { annotations: { '.*': 'a|b' }, or: true } }),
    ],
    [
      'TestAnnotation',
      { hook: '/a/b/c', stage: ['prestart'], annotation: ['a', 'b'] },
      h({ when: { annotations: { '.*': 'a|b' }, or: true } }),
    ],
    [
      'TestAnnotationsAndAnnotation',
      { hook: '/a/b/c', stages: ['prestart'], annotations: ['a'], annotation: ['b'] },
      "0.1.0 (no version): cannot set both 'annotation' and 'annotations'",
    ],
    [
      'TestHasBindMounts',
      { hook: '/a/b/c', stage: ['prestart'], hasbindmounts: true },
      h({ when: { hasBindMounts: true, or: true } }),
    ],
    [
      'with "version": "0.1.0" the prefix is the version',
      { version: '0.1.0', hook: '/a/b/c' },
      '0.1.0: missing required property: stages',
    ],
    [
      '"arguments": [] gives args [hook]',
      { hook: '/a/b/c', stages: ['prestart'], arguments: [] },
      h({ hook: { path: '/a/b/c', args: ['/a/b/c'] } }),
    ],
    [
      'null next to its pair is absent',
      { hook: '/a/b/c', stages: ['prestart'], cmds: ['sh'], cmd: null },
      h({ when: { commands: ['sh'], or: true } }),
    ],
    [
      'a hook of the wrong type',
      { hook: ['/bin/true'], stages: ['prestart'] },
      '0.1.0 (no version): hook: expected string, got array',
    ],
  ])('%s', (_name, doc, expected) => {
    const d = decodeHookDocument(JSON.stringify(doc));
    expect('error' in d ? d.error : d).toEqual(expected);
  });
});

describe('1.0.0 and the version check (hook_test.go, read_test.go)', () => {
  const v1 = (o: Partial<HookDefinition>): HookDefinition => ({
    version: '1.0.0',
    hook: { path: '/a/b/c' },
    when: { always: true, or: false },
    stages: ['prestart'],
    ...o,
  });
  test.each<[string, string, HookDefinition | string]>([
    [
      'TestGoodRead / TestGoodBytes',
      '{"version": "1.0.0", "hook": {"path": "/a/b/c"}, "when": {"always": true}, "stages": ["prestart"]}',
      v1({}),
    ],
    ['TestInvalidJSON', '{', expect.stringMatching(/^version check: /) as unknown as string],
    ['TestInvalidVersion', '{"version": "-1"}', 'unrecognized hook version: "-1"'],
    [
      'TestInvalidCurrentJSON',
      '{"version": "1.0.0", "hook": "not-a-string"}',
      '1.0.0: hook: expected object, got string',
    ],
    [
      'field names in any case, as Go decodes them',
      '{"VERSION":"1.0.0","HOOK":{"PATH":"/a/b/c","Args":["c"]},"When":{"Always":true},"Stages":["prestart"]}',
      v1({ hook: { path: '/a/b/c', args: ['c'] } }),
    ],
    ['the last of duplicate keys wins', '{"version":"1.0.0","version":"2"}', 'unrecognized hook version: "2"'],
    [
      'unknown fields are ignored',
      '{"version":"1.0.0","hook":{"path":"/a/b/c","x":1},"when":{"always":true},"stages":["prestart"],"comment":"hi"}',
      v1({}),
    ],
    [
      'no stages: null, for Validate to refuse',
      '{"version":"1.0.0","hook":{"path":"/a/b/c"},"when":{"always":true}}',
      v1({ stages: null }),
    ],
    ['null, {} and an empty version are 0.1.0', 'null', '0.1.0 (no version): missing required property: hook'],
    ['a version that is no string', '{"version": 1}', 'version check: version: expected string, got number'],
    ['a document that is no object', '[1]', 'version check: cannot read a JSON array as a hook'],
    [
      'a timeout that is no int',
      '{"version":"1.0.0","hook":{"path":"/a","timeout":1.5},"stages":[]}',
      '1.0.0: hook.timeout: expected int, got number',
    ],
  ])('%s', (_name, text, expected) => {
    const d = decodeHookDocument(text);
    expect('error' in d ? d.error : d).toEqual(expected);
  });
});
