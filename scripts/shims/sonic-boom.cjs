// Build-time stand-in for sonic-boom, pino's buffered fd writer. The hooks hand pino their own
// synchronous destination (src/engine/log.ts), so sonic-boom is never constructed; but pino requires it
// at load, and sonic-boom requires node:assert, whose load creates process.stderr's stream (net,
// stream, tty): about 10 ms of every hook start (measured with --cpu-prof). pino.destination() and
// pino() without a destination fail loudly instead of silently.
'use strict';
module.exports = class SonicBoom {
  constructor() {
    throw new Error(
      'pino.destination is not available in the ocihooks bundles (sonic-boom is not bundled); pass a destination',
    );
  }
};
