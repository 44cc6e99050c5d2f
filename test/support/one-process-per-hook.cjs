// jest's e2e-one-process-per-hook project: the installing suites install with --one-process-per-hook
// (test/support/e2e.ts installForm).
process.env.OCIHOOKS_E2E_HOOKS = 'one-process-per-hook';
