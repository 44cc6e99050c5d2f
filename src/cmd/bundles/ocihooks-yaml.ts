/**
 * lib/ocihooks-yaml.js: the yaml library, in a file of its own. The other bundles require it from
 * here when they read a CDI spec written in YAML (scripts/build.mjs, `vendored`): kept in the
 * hooks' bundle, its bytes were read on every hook start that never reads YAML.
 */
export * from 'yaml';
