// yargs-parser (yargs's own argument parser, the options test's reference) ships no type declarations; this is the part we use.
declare module 'yargs-parser' {
  interface Options {
    array?: string[];
    boolean?: string[];
    string?: string[];
    number?: string[];
    default?: Record<string, unknown>;
    configuration?: Record<string, boolean>;
  }
  interface Arguments {
    _: (string | number)[];
    [key: string]: unknown;
  }
  function parser(argv: string[], opts?: Options): Arguments;
  export default parser;
}
