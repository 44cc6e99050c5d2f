/**
 * The hooks.d patterns that need no regexp engine: `^`? LITERAL (`.*` | `.+`)? `$`? — what hooks.d
 * files almost always hold (`^com\.hooks\.slurm\.activate$`, `^true$`, `^cdi\.k8s\.io/.+$`, `.+`).
 * They are matched here with RE2's meaning, as Go's regexp.MatchString reads them without flags:
 * `.` is any character but a newline, `^` only the start of the text, `$` only its end, and the
 * search is unanchored. A wrapper run whose hooks.d holds only such patterns then never loads
 * re2js (its module, its Unicode tables, its compiler). pattern.test.ts holds the two to the same
 * answers on generated patterns and values.
 */

export interface LiteralPattern {
  start: boolean;
  literal: string;
  tail: '' | '.*' | '.+';
  end: boolean;
}

/** Characters with a meaning in RE2 syntax: unescaped, a pattern holding one is no literal. */
const META = new Set('\\.+*?()|[]{}^$');

/** The pattern as a literal pattern, or undefined when it is anything more (re2js reads it). */
export function literalPattern(pattern: string): LiteralPattern | undefined {
  let i = 0;
  const start = pattern.startsWith('^');
  if (start) i++;
  let literal = '';
  for (; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      // Only an escaped metacharacter is sure to be itself; \d, \Q, \x41 and the like are RE2's.
      const next = pattern[i + 1];
      if (next === undefined || !META.has(next)) return undefined;
      literal += next;
      i++;
    } else if (META.has(c)) break;
    else literal += c;
  }
  const rest = pattern.slice(i);
  const end = rest.endsWith('$');
  const tail = end ? rest.slice(0, -1) : rest;
  if (tail !== '' && tail !== '.*' && tail !== '.+') return undefined;
  return { start, literal, tail, end };
}

/** Whether the literal pattern matches anywhere in value (Go's regexp.MatchString); linear in the value. */
export function literalMatches(p: LiteralPattern, value: string): boolean {
  const lastNewline = value.lastIndexOf('\n');
  // Whether what follows the literal, from index j, lets the tail and the end match.
  const tailFits = (j: number): boolean => {
    if (p.tail === '') return !p.end || j === value.length;
    if (p.tail === '.*') return !p.end || lastNewline < j;
    return p.end ? j < value.length && lastNewline < j : j < value.length && value[j] !== '\n';
  };
  if (p.start) return value.startsWith(p.literal) && tailFits(p.literal.length);
  // indexOf('', k) is k up to the length, then stays there: the loop ends at the value's end.
  for (let i = value.indexOf(p.literal); i >= 0; i = i < value.length ? value.indexOf(p.literal, i + 1) : -1)
    if (tailFits(i + p.literal.length)) return true;
  return false;
}
