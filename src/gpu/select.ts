/**
 * Which GPUs a container gets — the rule a shared node can trust:
 *  1. Explicit requests win: cdi.k8s.io/* annotations (read as the reference reads them: a
 *     malformed entry refuses the container) and the hook's own --device. When there is any, the
 *     image's env adds nothing (every CUDA image says NVIDIA_VISIBLE_DEVICES=all). A device
 *     requested twice is given once.
 *  2. Without them, the image's NVIDIA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and
 *     HIP_VISIBLE_DEVICES select devices only when the admin allows it (--accept-env, like
 *     NVIDIA's accept-nvidia-visible-devices-envvar-when-unprivileged); "none", "void" and ""
 *     select nothing.
 * The hook writes no *_VISIBLE_DEVICES of its own: the container's env comes from the CDI spec.
 */
import { annotationDevices } from '../cdi/annotations';

export const NVIDIA_KIND = 'nvidia.com/gpu';
export const AMD_KIND = 'amd.com/gpu';

/** Image env variables that name devices, and the CDI kind their entries belong to. */
export const DEVICE_ENV: Readonly<Record<string, string>> = {
  NVIDIA_VISIBLE_DEVICES: NVIDIA_KIND,
  ROCR_VISIBLE_DEVICES: AMD_KIND,
  HIP_VISIBLE_DEVICES: AMD_KIND,
};
const SELECTS_NOTHING = ['none', 'void', ''];

export interface SelectionInput {
  annotations: Record<string, string>;
  /** The container's env (config.json process.env): the image's and the user's. */
  env: Map<string, string>;
  /** The hook's own --device arguments (the admin's). */
  cliDevices: string[];
  /** --accept-env: the admin lets the image env select devices when nothing else does. */
  acceptEnv: boolean;
}

export interface DeviceRequest {
  /** Fully-qualified CDI names, in order, each once. */
  names: string[];
  /** Where they came from. */
  source: 'explicit' | 'image env' | 'none';
  /** What was set but not used, and why (logged). */
  ignored?: string;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The image env's requests, as CDI names, with the variables that made them. */
function envRequests(env: Map<string, string>): { names: string[]; set: string[] } {
  const names: string[] = [];
  const set: string[] = [];
  for (const [variable, kind] of Object.entries(DEVICE_ENV)) {
    const value = env.get(variable);
    if (value === undefined || SELECTS_NOTHING.includes(value.trim())) continue;
    set.push(`${variable}=${value}`);
    names.push(...list(value).map((d) => `${kind}=${d}`));
  }
  return { names: [...new Set(names)], set };
}

export function requestedDevices(input: SelectionInput): DeviceRequest {
  const explicit = [...annotationDevices(input.annotations), ...input.cliDevices];
  const fromEnv = envRequests(input.env);
  if (explicit.length) {
    const names = [...new Set(explicit)];
    return fromEnv.set.length
      ? {
          names,
          source: 'explicit',
          ignored: `image env ${fromEnv.set.join(' ')}: explicit requests (annotations, --device) win`,
        }
      : { names, source: 'explicit' };
  }
  if (fromEnv.set.length === 0) return { names: [], source: 'none' };
  if (input.acceptEnv) return { names: fromEnv.names, source: 'image env' };
  return {
    names: [],
    source: 'none',
    ignored: `image env ${fromEnv.set.join(' ')}: not accepted (the hook runs without --accept-env)`,
  };
}
