/** lib/ocihooks.js: the admin command (yargs, asynchronous, never run inside another program). */
import type { Start } from '../dispatch';
import { main } from '../ocihooks';

export const start: Start = () => main(process.argv.slice(2));
