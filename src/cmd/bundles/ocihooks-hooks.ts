/**
 * lib/ocihooks-hooks.js: the hook programs, which a runtime starts on every container start. Only
 * what they run is in it: the bytes a hook reads, the code cache it deserialises and the functions
 * its first statement declares all grow with the bundle (docs/performance.md).
 */
import { ProgramTable, starter } from '../dispatch';

export const HOOK_PROGRAM_TABLE: ProgramTable = {
  'ocihook-mount': () => (require('../ocihook-mount') as typeof import('../ocihook-mount')).main,
  'ocihook-gpu': () => (require('../ocihook-gpu') as typeof import('../ocihook-gpu')).main,
  'ocihook-ldconfig': () => (require('../ocihook-ldconfig') as typeof import('../ocihook-ldconfig')).main,
};

export const start = starter(HOOK_PROGRAM_TABLE);
