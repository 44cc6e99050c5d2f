// Processes the test set-ups started, by pid. Never a pid of 0 or less: kill(0) signals the caller's
// own process group — the whole test run, which then ends without a word — and kill(-1) every
// process there is. A pid read from a file a daemon has created but not yet written is 0.
'use strict';

const valid = (pid) => Number.isInteger(pid) && pid > 0;

/** @param {number} pid */
function alive(pid) {
  if (!valid(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Sends sig to pid; false when the pid is no process's (never 0 or less) or it is gone. @param {number} pid @param {NodeJS.Signals} sig */
function signal(pid, sig) {
  if (!valid(pid)) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

module.exports = { alive, signal };
