// Build-time stand-in for thread-stream, which pino loads only for transports (log shipping in a
// worker thread). The hooks log synchronously to one fd and never use transports; loading the
// real module (and worker_threads with it) cost about 20 ms of every hook start (measured with
// hyperfine). Configuring a transport fails loudly instead of silently.
'use strict';
module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports are not available in the ocihooks bundles (thread-stream is not bundled)');
  }
};
