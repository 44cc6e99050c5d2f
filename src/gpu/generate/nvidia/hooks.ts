/**
 * The createContainer hooks of a generated NVIDIA spec, in nvidia-ctk's order (internal/discover
 * hooks.go, symlinks.go, graphics.go), each a call of ocihook-gpu's nvidia-cdi-hook subcommands:
 *   create-symlinks   graphics links (the GBM backend, the Vulkan producer), when the libraries are there
 *   create-symlinks   libcuda.so → libcuda.so.1, libGLX_indirect.so.0, libnvidia-opticalflow.so, and
 *                     each library's SONAME link and development link where the host has them
 *   enable-cuda-compat --host-driver-version=<version>
 *   update-ldcache    --folder for each library folder
 *   disable-device-node-modification, update-application-profile (not for management containers)
 */
import path = require('node:path');
import type { CdiHook } from '../../../cdi/spec';
import { readSoname } from '../../../linux/elf';
import type { Host } from '../driver-host';

export function hook(gpuHook: string, ...args: string[]): CdiHook {
  return { hookName: 'createContainer', path: gpuHook, args: ['ocihook-gpu', ...args] };
}

const linksHook = (gpuHook: string, links: string[]) =>
  links.length ? [hook(gpuHook, 'create-symlinks', ...links.flatMap((l) => ['--link', l]))] : [];

function graphicsLinks(files: readonly string[], version: string): string[] {
  const links: string[] = [];
  for (const f of files) {
    const dir = path.dirname(f);
    const name = path.basename(f);
    if (name === `libnvidia-allocator.so.${version}`)
      links.push(`../libnvidia-allocator.so.1::${dir}/gbm/nvidia-drm_gbm.so`);
    if (name === `libnvidia-vulkan-producer.so.${version}`) links.push(`${name}::${dir}/libnvidia-vulkan-producer.so`);
  }
  return links;
}

function libraryLinks(host: Host, files: readonly string[]): string[] {
  const links: string[] = [];
  for (const f of files) {
    const dir = path.dirname(f);
    const name = path.basename(f);
    if (/^libcuda\.so\.\d+\.\d+/.test(name)) links.push(`libcuda.so.1::${dir}/libcuda.so`);
    if (/^libGLX_nvidia\.so\.\d+\.\d+/.test(name)) links.push(`${name}::${dir}/libGLX_indirect.so.0`);
    if (/^libnvidia-opticalflow\.so\.\d+\.\d+/.test(name))
      links.push(`libnvidia-opticalflow.so.1::${dir}/libnvidia-opticalflow.so`);
    if (!/\.so\.\d+\.\d+/.test(name)) continue;
    const soname = readSoname(host.driver(f));
    if (!soname) continue;
    if (soname !== name && host.exists(host.driver(`${dir}/${soname}`))) links.push(`${name}::${dir}/${soname}`);
    const dev = `${dir}/${name.slice(0, name.indexOf('.so.') + 3)}`;
    if (host.exists(host.driver(dev))) links.push(`${soname}::${dev}`);
  }
  return [...new Set(links)];
}

export interface DriverHookInput {
  gpuHook: string;
  version: string;
  files: readonly string[];
  folders: readonly string[];
  /** Management containers: no device-node and application-profile hooks, no graphics links. */
  management: boolean;
}

export function driverHooks(host: Host, i: DriverHookInput): CdiHook[] {
  return [
    ...(i.management ? [] : linksHook(i.gpuHook, graphicsLinks(i.files, i.version))),
    ...linksHook(i.gpuHook, libraryLinks(host, i.files)),
    hook(i.gpuHook, 'enable-cuda-compat', `--host-driver-version=${i.version}`),
    hook(i.gpuHook, 'update-ldcache', ...i.folders.flatMap((f) => ['--folder', f])),
    ...(i.management
      ? []
      : [hook(i.gpuHook, 'disable-device-node-modification'), hook(i.gpuHook, 'update-application-profile')]),
  ];
}
