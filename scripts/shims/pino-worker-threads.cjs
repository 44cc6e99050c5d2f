// Build-time stand-in for node:worker_threads as seen by pino's lib/tools.js only, which reads
// isMainThread to decide how to flush a sonic-boom destination at exit. The bundles never build a
// sonic-boom destination (see sonic-boom.cjs), and loading worker_threads pulls in Node's whole
// streams and worker machinery (~30 internal modules) on every hook start. Hooks run on the main
// thread, so the value is also the true one.
'use strict';
module.exports = { isMainThread: true };
