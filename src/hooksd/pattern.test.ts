/**
 * hooks.d patterns are RE2 (Go's syntax, unanchored search, linear time), as podman's are; plain
 * literal patterns are matched without re2js, and re2js holds them to the same answers.
 */
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { literalMatches, literalPattern } from './literal-pattern';
import { patternMatches, patternProblem } from './pattern';

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
  expect(patternProblem(pattern)).toBe(message);
});

test('a backtracking bomb against a 100 kB value a user controls: linear time (seconds, not forever)', () => {
  const value = `${'a'.repeat(100_000)}!`;
  const started = Date.now();
  expect(patternMatches('^(a+)+$', value)).toBe(false);
  expect(patternMatches('^(a|aa)+$', value)).toBe(false);
  expect(patternMatches('(x+x+)+y', 'x'.repeat(100_000))).toBe(false);
  expect(Date.now() - started).toBeLessThan(5_000);
});

describe('literal patterns, matched without re2js', () => {
  test.each<[string, ReturnType<typeof literalPattern>]>([
    ['^com\\.hooks\\.slurm\\.activate$', { start: true, literal: 'com.hooks.slurm.activate', tail: '', end: true }],
    ['^cdi\\.k8s\\.io/.+$', { start: true, literal: 'cdi.k8s.io/', tail: '.+', end: true }],
    ['.+', { start: false, literal: '', tail: '.+', end: false }],
    ['slurm', { start: false, literal: 'slurm', tail: '', end: false }],
    ['^$', { start: true, literal: '', tail: '', end: true }],
    ['a\\$b\\(\\)', { start: false, literal: 'a$b()', tail: '', end: false }],
    ['\\d', undefined],
    ['\\Q.\\E', undefined],
    ['a|b', undefined],
    ['a.b', undefined],
    ['(?i)true', undefined],
    ['[[:digit:]]+', undefined],
    ['a*', undefined],
    ['^a.*b$', undefined],
    ['a$b', undefined],
  ])('%p', (pattern, expected) => {
    expect(literalPattern(pattern)).toEqual(expected);
  });

  // Literals from a small alphabet (so that they occur in the values) with metacharacters escaped,
  // every form of ^ LITERAL tail $, against values that hold the literal, newlines, or neither.
  const alphabet = fc.constantFrom('a', 'b', '.', '/', '$', '\n', 'é', '😀');
  const text = fc.array(alphabet, { maxLength: 8 }).map((cs) => cs.join(''));
  const escape = (s: string) => [...s].map((c) => ('\\.+*?()|[]{}^$'.includes(c) ? `\\${c}` : c)).join('');
  const pattern = fc
    .record({
      start: fc.boolean(),
      literal: text.filter((t) => !t.includes('\n')),
      tail: fc.constantFrom('', '.*', '.+'),
      end: fc.boolean(),
    })
    .map((p) => `${p.start ? '^' : ''}${escape(p.literal)}${p.tail}${p.end ? '$' : ''}`);

  test('re2js gives the same answer on every generated pattern and value', () => {
    fc.assert(
      fc.property(pattern, text, text, (p, before, after) => {
        const literal = literalPattern(p);
        expect(literal).toBeDefined();
        const parsed = literalPattern(p) as NonNullable<ReturnType<typeof literalPattern>>;
        for (const value of [before + parsed.literal + after, before, after])
          expect([p, value, literalMatches(parsed, value)]).toEqual([p, value, RE2JS.compile(p).matcher(value).find()]);
      }),
      { numRuns: 3000 },
    );
  });
});
