/**
 * --help and --version answered from the option table itself: loading yargs to print them cost a
 * hook 45 ms (a second Node start's worth); yargs stays for usage errors, in its own words.
 */
import type { CliSpec, OptionSpec } from './cli-spec';

function annotations(o: OptionSpec): string {
  const parts = [`[${o.array ? 'array' : o.type}]`];
  if (o.choices) parts.push(`[choices: ${o.choices.map((c) => JSON.stringify(c)).join(', ')}]`);
  if (o.default !== undefined) parts.push(`[default: ${JSON.stringify(o.default)}]`);
  return parts.join(' ');
}

/** The help text: usage, every option (the common ones first) with its type, choices and default, the epilogue. */
export function helpText(spec: CliSpec, options: Record<string, OptionSpec>): string {
  const rows: [string, string][] = [
    ['--version', 'Show version number [boolean]'],
    ['--help', 'Show help [boolean]'],
    ...Object.entries(options).map(([name, o]): [string, string] => [`--${name}`, `${o.describe} ${annotations(o)}`]),
  ];
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  const lines = [
    spec.usage.replace('$0', spec.program),
    '',
    'Options:',
    ...rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`),
  ];
  if (spec.epilogue) lines.push('', spec.epilogue);
  return lines.join('\n') + '\n';
}

/** What --help or --version on the command line asks for (before any "--"), if either. */
export function helpOrVersion(argv: readonly string[]): 'help' | 'version' | undefined {
  const own = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  if (own.includes('--help')) return 'help';
  if (own.includes('--version')) return 'version';
  return undefined;
}
