/** A program's command line, declared once as a table: what options.ts parses and help.ts prints. */
export interface OptionSpec {
  type: 'string' | 'boolean' | 'number';
  array?: boolean;
  default?: unknown;
  describe: string;
  choices?: readonly string[];
}
export type OptionTable = Record<string, OptionSpec>;

export interface CliSpec {
  program: string;
  usage: string;
  options: OptionTable;
  epilogue?: string;
  /**
   * A single-valued option given more than once: `last` takes the last value (urfave/cli's reading,
   * for NVIDIA's subcommands); otherwise the same value given again is that value, and different
   * values refuse the command line.
   */
  repeated?: 'last';
}
