/**
 * podman compiles hooks.d patterns with Go's regexp (RE2, documented as POSIX EREs); this
 * project matches with JavaScript RegExp. Constructs the two read differently are flagged, and
 * the few Go-only spellings with a JavaScript equivalent are translated.
 */
export interface RegexCheck {
  /** A JavaScript RegExp that matches what podman would match. */
  regex?: RegExp;
  problems: string[];
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  xdigit: '0-9A-Fa-f', punct: '!-\\/:-@\\[-`{-~', word: 'A-Za-z0-9_', blank: ' \\t', cntrl: '\\x00-\\x1f\\x7f', print: ' -~', graph: '!-~',
};

export function checkPattern(pattern: string): RegexCheck {
  const problems: string[] = [];
  if (/\(\?<?[=!]/.test(pattern)) problems.push('lookaround "(?=", "(?!", "(?<=", "(?<!" is not supported by podman (Go RE2)');
  if (/\\[1-9]/.test(pattern)) problems.push('back-references (\\1..\\9) are not supported by podman (Go RE2)');
  if (/\\Z/.test(pattern)) problems.push('"\\Z" is not supported by podman (Go RE2)');
  if (/\[\[:(\w+):\]\]/.test(pattern)) {
    for (const m of pattern.matchAll(/\[:(\w+):\]/g)) if (!(m[1] as string in POSIX_CLASSES)) problems.push(`unknown POSIX class [:${m[1]}:]`);
  }
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    if ((inline[1] as string).includes('U')) problems.push('the (?U) ungreedy flag has no JavaScript equivalent');
    flags = [...new Set((inline[1] as string).replace('U', ''))].join('');
    source = source.slice(inline[0].length);
  }
  if (/\(\?[imsU]+[):]/.test(source)) problems.push('inline flags other than at the start of the pattern have no JavaScript equivalent');
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\[:(\w+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m)
    .replace(/^\\A/, '^')
    .replace(/\\z$/, '$');
  if (problems.length) return { problems };
  try {
    return { regex: new RegExp(source, flags), problems };
  } catch (e) {
    return { problems: [`does not compile: ${(e as Error).message}`] };
  }
}
