/**
 * lib/ocihooks-yargs.js: yargs, in a file of its own. The other bundles require it from here
 * (scripts/build.mjs, `vendored`): a hook loads it only for --help or a usage error, the admin
 * command on every run.
 */
export { default } from 'yargs';
