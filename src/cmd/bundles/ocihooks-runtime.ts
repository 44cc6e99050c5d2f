/**
 * lib/ocihooks-runtime.js: the runtime wrapper, with the hook programs it runs inside its own
 * process (the GPU hook's precreate filter).
 */
import { starter } from '../dispatch';
import { HOOK_PROGRAM_TABLE } from './ocihooks-hooks';

export const start = starter({
  ...HOOK_PROGRAM_TABLE,
  'ocihooks-runtime': () => (require('../ocihooks-runtime') as typeof import('../ocihooks-runtime')).main,
});
