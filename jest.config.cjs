// Two projects: `unit` (offline, beside the code in src/, plus test/unit) and `e2e` (real
// containers, test/e2e). `npm test` runs both; `npm run test:unit` only the first.
const ESM_PACKAGES = ['yargs-parser']; // ESM-only: yargs's parser, the reference of src/hook/program/options.ts
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '\\.[tj]s$': '<rootDir>/test/support/esbuild-jest.cjs' },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json', 'node'],
  testTimeout: 120000,
};
module.exports = {
  // This run's ocihooks-* folders in the temporary folder are removed at the end (OCIHOOKS_KEEP_TMP=1 keeps them).
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src', '<rootDir>/test/unit'] },
    { ...common, displayName: 'e2e', roots: ['<rootDir>/test/e2e'] },
    // The suites that install ocihooks, again with each hook a Node start of its own (the default
    // form runs a run of the installation's hooks in one process): both forms must pass unchanged.
    {
      ...common,
      displayName: 'e2e-one-process-per-hook',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/{admin-cli,docker-containerd,slurm,scrun,podman5,docker26,containerd-cri}.test.ts'],
      setupFiles: ['<rootDir>/test/support/one-process-per-hook.cjs'],
    },
  ],
};
