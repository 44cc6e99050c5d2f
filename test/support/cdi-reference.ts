/** Fixtures of the CDI reference's own tests (container-edits_test.go), shared by the ported tables. */
import type { CdiHook } from '../../src/cdi/edits';

/** The "valid hooks" of TestValidateContainerEdits and "empty spec, hooks" of TestApplyContainerEdits. */
export const REFERENCE_HOOKS: CdiHook[] = [
  {
    hookName: 'prestart',
    path: '/usr/local/bin/prestart-vendor-hook',
    args: ['--verbose'],
    env: ['VENDOR_ENV1=value1'],
  },
  { hookName: 'createRuntime', path: '/usr/local/bin/cr-vendor-hook', args: ['--debug'], env: ['VENDOR_ENV2=value2'] },
  {
    hookName: 'createContainer',
    path: '/usr/local/bin/cc-vendor-hook',
    args: ['--create'],
    env: ['VENDOR_ENV3=value3'],
  },
  { hookName: 'startContainer', path: '/usr/local/bin/sc-vendor-hook', args: ['--start'], env: ['VENDOR_ENV4=value4'] },
  { hookName: 'poststart', path: '/usr/local/bin/poststart-vendor-hook', env: ['VENDOR_ENV5=value5'] },
  { hookName: 'poststop', path: '/usr/local/bin/poststop-vendor-hook' },
];
