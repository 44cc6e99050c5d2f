// The jest runs on this machine, for the global teardown: two runs at once must not remove each
// other's ocihooks-* folders (a folder does not say which run made it). Each run has an entry in
// RUNS named by its pid, holding when it began; an ended run whose folders were left to a run still
// going keeps its entry with ".ended" added, and the last run to end removes what every one of them
// made.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const RUNS = path.join(os.tmpdir(), '.ocihooks-test-runs');

function enterRun(started) {
  fs.mkdirSync(RUNS, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(RUNS, String(process.pid)), String(started));
}

/** Whether pid is a live jest process (not a pid reused by another program since). */
function liveRun(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('jest');
  } catch {
    return false;
  }
}

/**
 * This run ends: null while another run is going (this one's entry kept, marked ended), else when
 * the earliest run that left its folders began (this one's included), every entry then removed.
 */
function endRun(started) {
  const own = path.join(RUNS, String(process.pid));
  let names = [];
  try {
    names = fs.readdirSync(RUNS);
  } catch {
    return started; // no runs folder: this run is the only one
  }
  const others = names.map((n) => n.replace(/\.ended$/, '')).filter((pid) => pid !== String(process.pid));
  if (others.some((pid) => !names.includes(`${pid}.ended`) && liveRun(pid))) {
    fs.renameSync(own, `${own}.ended`);
    return null;
  }
  let since = started;
  for (const name of names) {
    const file = path.join(RUNS, name);
    const began = Number(fs.readFileSync(file, 'utf8'));
    if (began > 0 && began < since) since = began;
    fs.rmSync(file, { force: true });
  }
  return since;
}

/** This run ends keeping its folders (OCIHOOKS_KEEP_TMP=1): its entry goes, nothing else. */
function leaveRun() {
  fs.rmSync(path.join(RUNS, String(process.pid)), { force: true });
}

module.exports = { enterRun, endRun, leaveRun };
