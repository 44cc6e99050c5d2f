/**
 * hooks.d patterns as podman reads them: Go's regexp, i.e. RE2 — linear-time matching, Go's
 * syntax, an unanchored search (regexp.MatchString). re2js is RE2's JavaScript port, so a pattern
 * like ^(a+)+$ against a long annotation value a user controls costs time in proportion to the
 * value, never exponential backtracking. A plain literal pattern is matched without it
 * (literal-pattern.ts): re2js loads only for a pattern that needs it.
 */
import type { RE2JS } from 're2js';
import { LiteralPattern, literalMatches, literalPattern } from './literal-pattern';

type Compiled = { literal: LiteralPattern } | { re2: RE2JS } | string;

const compiled = new Map<string, Compiled>();

/** The pattern read once: a literal pattern, re2js's program, or the reason it does not compile. */
function compilePattern(pattern: string): Compiled {
  let r = compiled.get(pattern);
  if (r === undefined) {
    const literal = literalPattern(pattern);
    if (literal) r = { literal };
    else {
      try {
        r = { re2: (require('re2js') as typeof import('re2js')).RE2JS.compile(pattern) };
      } catch (e) {
        r = (e as Error).message;
      }
    }
    compiled.set(pattern, r);
  }
  return r;
}

/** Why Go's regexp would refuse the pattern ("error parsing regexp: ..."); undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  const r = compilePattern(pattern);
  return typeof r === 'string' ? r : undefined;
}

/** Go's regexp.MatchString(pattern, value) for a pattern that compiles: whether it matches anywhere in value. */
export function patternMatches(pattern: string, value: string): boolean {
  const r = compilePattern(pattern);
  if (typeof r === 'string') throw new Error(`pattern ${JSON.stringify(pattern)}: ${r}`);
  return 'literal' in r ? literalMatches(r.literal, value) : r.re2.matcher(value).find();
}
