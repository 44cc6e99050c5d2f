/**
 * Which GPUs a container asked for: cdi.k8s.io/* annotations, NVIDIA_VISIBLE_DEVICES, AMD's
 * ROCR_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES (from the container's config, where the user set
 * them), and --device on the hook's command line. Result: fully-qualified CDI names, in order.
 */
export const CDI_ANNOTATION_PREFIX = 'cdi.k8s.io/';
export const NVIDIA_KIND = 'nvidia.com/gpu';
export const AMD_KIND = 'amd.com/gpu';

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function requestedDeviceNames(annotations: Record<string, string>, env: Map<string, string>, cliDevices: string[]): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(CDI_ANNOTATION_PREFIX)) names.push(...list(value));
  }
  const nvidia = env.get('NVIDIA_VISIBLE_DEVICES');
  if (nvidia !== undefined && !['none', 'void', ''].includes(nvidia.trim())) {
    names.push(...list(nvidia).map((d) => `${NVIDIA_KIND}=${d}`));
  }
  for (const variable of ['ROCR_VISIBLE_DEVICES', 'HIP_VISIBLE_DEVICES']) {
    const v = env.get(variable);
    if (v !== undefined) names.push(...list(v).map((d) => `${AMD_KIND}=${d}`));
  }
  names.push(...cliDevices);
  return [...new Set(names)];
}

/** The vendor variables a container with these devices should see (precreate mode). */
export function vendorEnv(qualifiedNames: string[]): Record<string, string> {
  const byKind = (kind: string) => qualifiedNames.filter((q) => q.startsWith(`${kind}=`)).map((q) => q.slice(kind.length + 1));
  const env: Record<string, string> = {};
  const nvidia = byKind(NVIDIA_KIND);
  if (nvidia.length) {
    env.NVIDIA_VISIBLE_DEVICES = nvidia.join(',');
    env.CUDA_VISIBLE_DEVICES = nvidia.join(',');
  }
  const amd = byKind(AMD_KIND);
  if (amd.length) {
    env.ROCR_VISIBLE_DEVICES = amd.join(',');
    env.HIP_VISIBLE_DEVICES = amd.join(',');
  }
  return env;
}
