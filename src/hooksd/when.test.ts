/**
 * `when` conditions (schema 1.0.0: every condition set must hold), the cases of containers/common
 * pkg/hooks/1.0.0/when_test.go written as a table, plus how a config.json becomes the facts.
 */
import type { HookDefinition } from './schema';
import { ContainerFacts, factsFromConfig, whenMatches } from './when';

const facts = (c: Partial<ContainerFacts> = {}): ContainerFacts => ({ annotations: {}, hasBindMounts: false, ...c });
const sh = { command: '/bin/sh' };

describe('when (1.0.0, all conditions)', () => {
  test.each<[string, HookDefinition['when'], ContainerFacts, boolean]>([
    ['no condition', {}, facts(), false],
    ['always true', { always: true }, facts(sh), true],
    ['always true, no process', { always: true }, facts(), true],
    ['always false', { always: false }, facts(sh), false],
    ['hasBindMounts, container has none', { hasBindMounts: true }, facts(), false],
    ['hasBindMounts, container has some', { hasBindMounts: true }, facts({ hasBindMounts: true }), true],
    ['annotations: both pairs match', { annotations: { '^a$': '^b$', '^c$': '^d$' } }, facts({ annotations: { a: 'b', c: 'd', e: 'f' } }), true],
    ['annotations: one pair of two', { annotations: { '^a$': '^b$', '^c$': '^d$' } }, facts({ annotations: { a: 'b' } }), false],
    ['annotations: key only', { annotations: { '^a$': '^b$' } }, facts({ annotations: { a: 'bc' } }), false],
    ['annotations: value only', { annotations: { '^a$': '^b$' } }, facts({ annotations: { ac: 'b' } }), false],
    ['annotations: unanchored pattern', { annotations: { 'slurm': 'true' } }, facts({ annotations: { 'com.hooks.slurm.activate': 'true' } }), true],
    ['commands: good', { commands: ['^/bin/sh$'] }, facts(sh), true],
    ['commands: extra characters', { commands: ['^/bin/sh$'] }, facts({ command: '/bin/shell' }), false],
    ['commands: process unset', { commands: ['^/bin/sh$'] }, facts(), false],
    ['commands: one of several', { commands: ['^/usr/bin/python', '^/bin/sh$'] }, facts(sh), true],
    ['hasBindMounts and command: both', { hasBindMounts: true, commands: ['^/bin/sh$'] }, facts({ ...sh, hasBindMounts: true }), true],
    ['hasBindMounts and command: bind only', { hasBindMounts: true, commands: ['^/bin/sh$'] }, facts({ command: '/bin/shell', hasBindMounts: true }), false],
    ['hasBindMounts and command: command only', { hasBindMounts: true, commands: ['^/bin/sh$'] }, facts(sh), false],
    ['hasBindMounts and command: neither', { hasBindMounts: true, commands: ['^/bin/sh$'] }, facts({ command: '/bin/shell' }), false],
  ])('%s', (_name, when, c, expected) => {
    expect(whenMatches(when, c)).toBe(expected);
  });
});

describe('facts from config.json', () => {
  test.each<[string, Parameters<typeof factsFromConfig>[0], Record<string, string>, ContainerFacts]>([
    ['empty config', {}, {}, { annotations: {}, hasBindMounts: false }],
    ['command and annotations, extra ones win', { process: { args: ['/bin/sh', '-c', 'x'] }, annotations: { a: '1', b: '2' } }, { b: '3' }, { annotations: { a: '1', b: '3' }, command: '/bin/sh', hasBindMounts: false }],
    ['a bind mount by type', { mounts: [{ destination: '/data', type: 'bind' }] }, {}, { annotations: {}, hasBindMounts: true }],
    ['a bind mount by option', { mounts: [{ destination: '/data', type: 'none', options: ['rbind', 'ro'] }] }, {}, { annotations: {}, hasBindMounts: true }],
    ['a proc mount is no bind mount', { mounts: [{ destination: '/proc', type: 'proc' }] }, {}, { annotations: {}, hasBindMounts: false }],
  ])('%s', (_name, config, extra, expected) => {
    expect(factsFromConfig(config, extra)).toEqual(expected);
  });
});
