/** hooks.d patterns are RE2 (Go's syntax, unanchored search, linear time), as podman's are. */
import { compilePattern, patternMatches } from './pattern';

test.each<[string, string, boolean]>([
  ['^com\\.hooks\\.slurm\\.activate$', 'com.hooks.slurm.activate', true],
  ['slurm', 'com.hooks.slurm.activate', true],
  ['^slurm', 'com.hooks.slurm.activate', false],
  ['[[:digit:]]+', 'gpu7', true],
  ['(?i)^TRUE$', 'true', true],
  ['^a.c$', 'a\nc', false],
  ['(?s)^a.c$', 'a\nc', true],
  ['\\Aab\\z', 'ab', true],
  ['(?P<key>x)', 'x', true],
])('%p against %p: %p', (pattern, value, expected) => {
  expect(patternMatches(pattern, value)).toBe(expected);
});

test.each([
  ['(?=a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
  ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
  ['(', 'error parsing regexp: missing closing ): `(`'],
])('%p does not compile: %p', (pattern, message) => {
  expect(compilePattern(pattern)).toBe(message);
});

test('a backtracking bomb against a 100 kB value a user controls: linear time (seconds, not forever)', () => {
  const value = `${'a'.repeat(100_000)}!`;
  const started = Date.now();
  expect(patternMatches('^(a+)+$', value)).toBe(false);
  expect(patternMatches('^(a|aa)+$', value)).toBe(false);
  expect(patternMatches('(x+x+)+y', 'x'.repeat(100_000))).toBe(false);
  expect(Date.now() - started).toBeLessThan(5_000);
});
