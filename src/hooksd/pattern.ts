/**
 * hooks.d patterns as podman reads them: Go's regexp, i.e. RE2 — linear-time matching, Go's
 * syntax, an unanchored search (regexp.MatchString). re2js is RE2's JavaScript port, so a pattern
 * like ^(a+)+$ against a long annotation value a user controls costs time in proportion to the
 * value, never exponential backtracking.
 */
import { RE2JS } from 're2js';

const compiled = new Map<string, RE2JS | string>();

/** The compiled pattern, or the reason it does not compile ("error parsing regexp: ..."). */
export function compilePattern(pattern: string): RE2JS | string {
  let r = compiled.get(pattern);
  if (r === undefined) {
    try {
      r = RE2JS.compile(pattern);
    } catch (e) {
      r = (e as Error).message;
    }
    compiled.set(pattern, r);
  }
  return r;
}

/** Go's regexp.MatchString(pattern, value) for a pattern that compiles: whether it matches anywhere in value. */
export function patternMatches(pattern: string, value: string): boolean {
  const r = compilePattern(pattern);
  if (typeof r === 'string') throw new Error(`pattern ${JSON.stringify(pattern)}: ${r}`);
  return r.matcher(value).find();
}
