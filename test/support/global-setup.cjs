// jest globalSetup: when this run began, for global-teardown.cjs (same process, so an env var).
module.exports = async () => {
  process.env.OCIHOOKS_TEST_RUN_STARTED = String(Date.now());
};
