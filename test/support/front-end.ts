/** The built runtime front-end (native/runtime-front-end.c), as `node scripts/build.mjs native` leaves it. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const FRONT_END = path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'runtime-front-end');
if (!fs.existsSync(FRONT_END)) throw new Error(`${FRONT_END}: missing; run node scripts/build.mjs native`);
