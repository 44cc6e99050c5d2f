// `podman run` as the demo and the bench start a container: runc, a --rootfs folder, no network,
// rlimits root may set here (podman as root cannot raise them: no CAP_SYS_RESOURCE on these VMs).
export function podmanRunArgs({ hooksDir, rootfs, annotations = [], args }) {
  return [
    '--runtime',
    'runc',
    '--hooks-dir',
    hooksDir,
    'run',
    '--rm',
    '--network',
    'none',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    ...annotations.flatMap((a) => ['--annotation', a]),
    '--rootfs',
    rootfs,
    ...args,
  ];
}
