/**
 * lib/ocihooks-re2js.js: re2js (RE2's JavaScript port, for hooks.d patterns), in a file of its
 * own. The runtime wrapper requires it from here only for a pattern that is more than a literal
 * (src/hooksd/pattern.ts): the shipped hooks.d files' patterns are literals.
 */
export * from 're2js';
