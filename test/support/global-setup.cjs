// jest globalSetup: when this run began, for global-teardown.cjs (same process, so an env var), and
// the run entered in the runs folder there, so that a run beside it leaves this one's folders alone.
const { enterRun } = require('./test-runs.cjs');

module.exports = async () => {
  process.env.OCIHOOKS_TEST_RUN_STARTED = String(Date.now());
  enterRun(Number(process.env.OCIHOOKS_TEST_RUN_STARTED));
};
