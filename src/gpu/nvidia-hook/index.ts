/**
 * The subcommands of NVIDIA's nvidia-cdi-hook, which CDI specs written by `nvidia-ctk cdi generate`
 * call as createContainer hooks: `ocihook-gpu <subcommand>` (or the installed name
 * nvidia-cdi-hook) takes the same flags and does the same, resolving every path inside the rootfs.
 * An unknown subcommand is a warning and exit 0, as NVIDIA's is: specs from newer toolkits must
 * not break containers.
 */
import { chmod } from './commands/chmod';
import { createSymlinks } from './commands/create-symlinks';
import { disableDeviceNodeModification } from './commands/disable-device-node-modification';
import { enableCudaCompat } from './commands/enable-cuda-compat';
import type { NvidiaHook } from './hook';
import { updateApplicationProfile } from './commands/update-application-profile';
import { updateLdcache } from './commands/update-ldcache';

export type { NvidiaHook } from './hook';

export const NVIDIA_HOOKS: Readonly<Record<string, NvidiaHook>> = Object.fromEntries(
  [createSymlinks, updateLdcache, enableCudaCompat, disableDeviceNodeModification, chmod, updateApplicationProfile].map(
    (h) => [h.name, h],
  ),
);

/** NVIDIA's hidden subcommand that does nothing. */
export const NOOP = 'noop';
