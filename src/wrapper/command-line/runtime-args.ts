/**
 * The runtime's own command line, as runc and crun read it: global options, then the subcommand,
 * then its arguments. The wrapper needs only the subcommand and, for create and run, the bundle.
 */
import path = require('node:path');

/** Global options of runc and crun that take a value in the next argument. */
const GLOBAL_WITH_VALUE = new Set([
  '--root',
  '--log',
  '--log-format',
  '--criu',
  '--rootless',
  '--log-level',
  '--cgroup-manager',
]);

export interface RuntimeCommand {
  subcommand?: string;
  /** Index of the subcommand in the runtime arguments. */
  index: number;
  bundle: string;
}

/** Finds the subcommand and, for create/run, the bundle (--bundle/-b, default the current directory). */
export function parseRuntimeArgs(args: string[], cwd: string): RuntimeCommand {
  let i = 0;
  while (i < args.length) {
    const a = args[i] as string;
    if (!a.startsWith('-')) break;
    i += GLOBAL_WITH_VALUE.has(a) ? 2 : 1;
  }
  const subcommand = args[i];
  let bundle = cwd;
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j] as string;
    if (a === '--bundle' || a === '-b') bundle = args[j + 1] ?? bundle;
    else if (a.startsWith('--bundle=')) bundle = a.slice('--bundle='.length);
    else if (a.startsWith('-b=')) bundle = a.slice(3);
  }
  return { ...(subcommand !== undefined ? { subcommand } : {}), index: i, bundle: path.resolve(cwd, bundle) };
}
