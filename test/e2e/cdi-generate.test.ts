/**
 * `ocihooks cdi generate` and `ocihooks doctor` on GPU nodes laid out as real hosts
 * (test/support/fake-gpu-hosts.ts): two H100s, an A100 with two MIG devices, an H100 with four
 * IMEX channels, two MI300X. The specs drive the GPU hook under runc on those nodes.
 *
 * Where each rule comes from (the peers' source decides; nvidia-container-toolkit d34b3046,
 * go-nvlib 3c161560, open-gpu-kernel-modules 595.45.04, ROCm/container-toolkit 192fe8e9):
 *  - GPU index = PCI bus order, not the device minor: go-nvlib pkg/nvpci/nvpci.go (sorted by
 *    address), NVIDIA's "nvidia-smi index is PCIe order" (nvidia-docker#376);
 *  - names: pkg/nvcdi/namer.go ("0", "0:1", "gpu0", "mig0:1", the UUID); CLI default index+uuid
 *    (cmd/nvidia-ctk/cdi/generate/generate.go); devices sorted by name (transform/sorter.go);
 *  - a GPU's DRM nodes from /sys/bus/pci/devices/<pci>/drm (internal/info/drm/drm_devices.go),
 *    the by-path links as a create-symlinks hook (dgpu/by-path-hooks.go);
 *  - a MIG-enabled GPU has no whole-GPU device (pkg/nvcdi/lib-nvml.go); a MIG device gets
 *    /dev/nvidia<minor> and its GI and CI capability nodes (dgpu/nvml.go), minors from
 *    mig-minors (internal/nvcaps/nvcaps.go, nv-caps.c); config/monitor go to no device;
 *  - control nodes modeset, uvm, uvm-tools, ctl (common-nvml.go); every *.so.<version> in the
 *    driver's library folders and vdpau/ (driver-nvml.go); firmware, utilities, sockets
 *    (driver-nvml.go, ipc.go); configs at fixed container paths (graphics.go); hook order
 *    (internal/discover/hooks.go, symlinks.go); node fields and additionalGids (internal/edits/device.go);
 *  - management: one "all" device with every NVIDIA node but nvswitch/nvlink/fs (management.go);
 *  - IMEX: one device per channel, named by its number (lib-imex.go);
 *  - AMD: PCI devices then amdgpu_xcp partitions, kept when KFD lists their render minor, each
 *    [card, renderD, /dev/kfd], names "0".. and "all" (internal/amdgpu/amdgpu.go, internal/cdi/cdi.go).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSpecFile } from '../../src/cdi/registry';
import { BIN, containerId, makeBundle, makeGlibcRootfs, requireBuilt, run, tmpDir } from '../support/e2e';
import {
  A100_UUID,
  DRIVER,
  FakeHost,
  H100_UUIDS,
  LIB,
  MI300X_UNIQUE_IDS,
  a100Mig,
  h100Imex,
  twoH100,
  twoMi300x,
} from '../support/fake-gpu-hosts';
import { expectGolden } from '../support/offline';

interface Node {
  path: string;
  hostPath?: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  gid?: number;
}
interface Edits {
  env?: string[];
  deviceNodes?: Node[];
  mounts?: { hostPath: string; containerPath: string; options: string[] }[];
  hooks?: { path: string; args: string[] }[];
  additionalGids?: number[];
}
interface Doc {
  cdiVersion: string;
  kind: string;
  devices: { name: string; containerEdits: Edits }[];
  containerEdits: Edits;
}

const generate = (host: FakeHost, ...args: string[]) =>
  run(process.execPath, [BIN('ocihooks'), 'cdi', 'generate', ...host.flags, ...args]);

function spec(host: FakeHost, ...args: string[]): { doc: Doc; notes: string[] } {
  const r = generate(host, ...args);
  if (r.status !== 0) throw new Error(`cdi generate ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { doc: JSON.parse(r.stdout) as Doc, notes: r.stderr.split('\n').filter(Boolean) };
}

const names = (d: Doc) => d.devices.map((x) => x.name);
const device = (d: Doc, name: string) => d.devices.find((x) => x.name === name)?.containerEdits as Edits;
const nodePaths = (e: Edits | undefined) => (e?.deviceNodes ?? []).map((n) => n.path);
const everyNode = (d: Doc) => [d.containerEdits, ...d.devices.map((x) => x.containerEdits)].flatMap(nodePaths);

const hosts: Record<'h100' | 'mig' | 'imex' | 'amd', FakeHost> = {} as never;

beforeAll(() => {
  requireBuilt();
  const base = tmpDir('gpu-hosts');
  for (const [name, make] of [
    ['h100', twoH100],
    ['mig', a100Mig],
    ['imex', h100Imex],
    ['amd', twoMi300x],
  ] as const) {
    fs.mkdirSync(path.join(base, name));
    hosts[name] = make(path.join(base, name));
  }
});

describe('cdi generate', () => {
  test.each(['h100', 'mig', 'imex', 'amd'] as const)(
    '%s: the spec, written and read back through the CDI validation, is the reviewed golden',
    (name) => {
      const host = hosts[name];
      const out = path.join(tmpDir('cdi-out'), 'spec.yaml');
      const r = generate(host, '--output', out);
      expect(r.status).toBe(0);
      const loaded = loadSpecFile(out);
      expect(loaded.devices.length).toBeGreaterThan(1);
      // Stable across machines: the host's folder and this checkout's bin folder are placeholders.
      const text = JSON.stringify(spec(host).doc)
        .split(host.root)
        .join('<root>')
        .split(path.dirname(BIN('ocihook-gpu')))
        .join('<bin>');
      expectGolden(__filename, `cdi-generate-${name}`, JSON.parse(text));
    },
  );

  test.each([
    ['index', ['0', '1', 'all']],
    ['uuid', [...H100_UUIDS, 'all']],
    ['type-index', ['all', 'gpu0', 'gpu1']],
  ])('two H100s named by %s', (strategy, expected) => {
    expect(names(spec(hosts.h100, '--device-name-strategy', strategy).doc)).toEqual(expected);
  });

  test('two H100s: index 0 is the first in PCI order (device minor 1), with its own DRM nodes and by-path links, never the BMC card0', () => {
    const { doc } = spec(hosts.h100);
    expect(names(doc)).toEqual(['0', '1', ...H100_UUIDS, 'all']);
    expect(nodePaths(device(doc, '0'))).toEqual(['/dev/nvidia1', '/dev/dri/card1', '/dev/dri/renderD128']);
    expect(device(doc, '0')).toEqual(device(doc, H100_UUIDS[0] as string));
    expect(nodePaths(device(doc, '1'))).toEqual(['/dev/nvidia0', '/dev/dri/card2', '/dev/dri/renderD129']);
    expect(device(doc, '0').deviceNodes?.[2]).toEqual({
      path: '/dev/dri/renderD128',
      hostPath: `${hosts.h100.root}/dev/dri/renderD128`,
      type: 'c',
      major: 226,
      minor: 128,
      fileMode: 0o660,
      permissions: 'rwm',
      gid: 993,
    });
    expect(device(doc, '0').additionalGids).toEqual([44, 993]);
    expect(device(doc, '0').hooks?.[0]?.args).toEqual([
      'ocihook-gpu',
      'create-symlinks',
      '--link',
      '../card1::/dev/dri/by-path/pci-0000:1b:00.0-card',
      '--link',
      '../renderD128::/dev/dri/by-path/pci-0000:1b:00.0-render',
    ]);
    expect(everyNode(doc)).not.toContain('/dev/dri/card0');
    expect(nodePaths(doc.containerEdits)).toEqual([
      '/dev/nvidia-modeset',
      '/dev/nvidia-uvm',
      '/dev/nvidia-uvm-tools',
      '/dev/nvidiactl',
    ]);
  });

  test("the driver's files: libraries of the loaded version only (vdpau too), firmware, utilities, the running service's socket, configs where applications read them; the hooks in nvidia-ctk's order", () => {
    const { doc, notes } = spec(hosts.h100);
    const mounts = doc.containerEdits.mounts ?? [];
    const at = (containerPath: string) => mounts.find((m) => m.containerPath === containerPath);
    for (const lib of [
      'libcuda.so',
      'libnvidia-ml.so',
      'libnvidia-ptxjitcompiler.so',
      'libEGL_nvidia.so',
      'vdpau/libvdpau_nvidia.so',
    ])
      expect(at(`${LIB}/${lib}.${DRIVER}`)?.hostPath).toBe(`${hosts.h100.root}${LIB}/${lib}.${DRIVER}`);
    expect(at(`${LIB}/libnvidia-egl-gbm.so.1.1.2`)).toBeDefined();
    expect(mounts.filter((m) => m.containerPath.includes('550.54.14'))).toEqual([]);
    expect(at(`/lib/firmware/nvidia/${DRIVER}/gsp_ga10x.bin`)).toBeDefined();
    expect(at('/usr/local/nvidia/bin/nvidia-smi')?.options).toEqual(['ro', 'nosuid', 'nodev', 'rbind', 'rprivate']);
    expect(at('/usr/bin/nvidia-smi')).toBeUndefined(); // the wrapper script alone would only print "not found"
    expect(at('/usr/bin/nvidia-debugdump')?.hostPath).toBe(`${hosts.h100.root}/usr/bin/nvidia-debugdump`);
    expect(notes.filter((n) => n.includes('passed over'))).toEqual([
      `ocihooks: cdi generate: passed over ${hosts.h100.root}/usr/bin/nvidia-smi: a script, not the nvidia-smi program`,
    ]);
    expect(at('/run/nvidia-persistenced/socket')?.options).toEqual(['nosuid', 'nodev', 'rbind', 'rprivate', 'noexec']);
    expect(at('/etc/vulkan/icd.d/nvidia_icd.json')?.hostPath).toBe(
      `${hosts.h100.root}/usr/share/vulkan/icd.d/nvidia_icd.json`,
    );
    expect(notes).toContain(
      'ocihooks: cdi generate: skipped /run/nvidia-fabricmanager/socket: not there (the service is not running)',
    );
    const hooks = (doc.containerEdits.hooks ?? []).map((h) => h.args.slice(1));
    expect(hooks.map((h) => h[0])).toEqual([
      'create-symlinks',
      'create-symlinks',
      'enable-cuda-compat',
      'update-ldcache',
      'disable-device-node-modification',
      'update-application-profile',
    ]);
    expect(hooks[0]).toEqual([
      'create-symlinks',
      '--link',
      `../libnvidia-allocator.so.1::${LIB}/gbm/nvidia-drm_gbm.so`,
    ]);
    expect(hooks[1]).toEqual(
      expect.arrayContaining([
        `libcuda.so.1::${LIB}/libcuda.so`,
        `libcuda.so.${DRIVER}::${LIB}/libcuda.so.1`,
        `libnvidia-ptxjitcompiler.so.${DRIVER}::${LIB}/libnvidia-ptxjitcompiler.so.1`,
      ]),
    );
    expect(hooks[2]).toEqual(['enable-cuda-compat', `--host-driver-version=${DRIVER}`]);
    expect(hooks[3]).toEqual(['update-ldcache', '--folder', LIB, '--folder', `${LIB}/vdpau`]);
    expect(doc.containerEdits.env).toEqual(['NVIDIA_VISIBLE_DEVICES=void']);
  });

  test.each([
    ['index', ['0:0', '0:1', 'all']],
    ['type-index', ['all', 'mig0:0', 'mig0:1']],
    ['uuid', ['0:0', '0:1', 'all']],
  ])('an A100 in MIG mode named by %s: its MIG devices, no whole GPU', (strategy, expected) => {
    const { doc, notes } = spec(hosts.mig, '--device-name-strategy', strategy);
    expect(names(doc)).toEqual(expected);
    expect(
      notes.includes('ocihooks: cdi generate: MIG devices have no uuid name: their UUIDs are known only to NVML'),
    ).toBe(strategy === 'uuid');
    expect(names(doc)).not.toContain(A100_UUID);
  });

  test("each MIG device gets exactly its parent's node and its own two capability nodes; config and monitor go to no device", () => {
    const { doc } = spec(hosts.mig);
    expect(nodePaths(device(doc, '0:0'))).toEqual([
      '/dev/nvidia0',
      '/dev/nvidia-caps/nvidia-cap12',
      '/dev/nvidia-caps/nvidia-cap13',
    ]);
    expect(nodePaths(device(doc, '0:1'))).toEqual([
      '/dev/nvidia0',
      '/dev/nvidia-caps/nvidia-cap21',
      '/dev/nvidia-caps/nvidia-cap22',
    ]);
    expect(device(doc, '0:1').deviceNodes?.[2]).toMatchObject({ major: 235, minor: 22, fileMode: 0o444 });
    for (const cap of ['nvidia-cap1', 'nvidia-cap2']) expect(everyNode(doc)).not.toContain(`/dev/nvidia-caps/${cap}`);
    expect(everyNode(doc).filter((p) => p.startsWith('/dev/dri'))).toEqual([]);
  });

  test('IMEX channels: --mode imex writes kind nvidia.com/imex-channel, a device per channel; the GPU spec says they are there', () => {
    const { doc } = spec(hosts.imex, '--mode', 'imex');
    expect(doc.kind).toBe('nvidia.com/imex-channel');
    expect(names(doc)).toEqual(['0', '1', '2', '3', 'all']);
    expect(device(doc, '2').deviceNodes).toEqual([
      {
        path: '/dev/nvidia-caps-imex-channels/channel2',
        hostPath: `${hosts.imex.root}/dev/nvidia-caps-imex-channels/channel2`,
        type: 'c',
        major: 234,
        minor: 2,
        fileMode: 0o666,
        permissions: 'rwm',
      },
    ]);
    expect(spec(hosts.imex, '--mode', 'imex', '--class', 'gpu').doc.kind).toBe('nvidia.com/gpu');
    expect(spec(hosts.imex).notes).toContain(
      `ocihooks: cdi generate: 4 IMEX channel(s) in ${hosts.imex.root}/dev/nvidia-caps-imex-channels: --mode imex writes their spec`,
    );
  });

  test('management: one "all" device with every NVIDIA node, capabilities and channels included, no DRM; no device-node hooks', () => {
    const { doc } = spec(hosts.imex, '--mode', 'management');
    expect(doc.kind).toBe('management.nvidia.com/gpu');
    expect(names(doc)).toEqual(['all']);
    expect(nodePaths(device(doc, 'all'))).toEqual([
      '/dev/nvidia-modeset',
      '/dev/nvidia-uvm',
      '/dev/nvidia-uvm-tools',
      '/dev/nvidia0',
      '/dev/nvidiactl',
      '/dev/nvidia-caps/nvidia-cap1',
      '/dev/nvidia-caps/nvidia-cap2',
      ...[0, 1, 2, 3].map((c) => `/dev/nvidia-caps-imex-channels/channel${c}`),
    ]);
    expect((doc.containerEdits.hooks ?? []).map((h) => h.args[1])).toEqual([
      'create-symlinks',
      'enable-cuda-compat',
      'update-ldcache',
    ]);
  });

  test('two MI300X: the KFD-listed GPUs in PCI order, each with its card, render node and /dev/kfd as the host has them; spare partitions and the BMC nowhere', () => {
    const { doc } = spec(hosts.amd);
    expect(doc.kind).toBe('amd.com/gpu');
    expect(names(doc)).toEqual(['0', '1', 'all']);
    expect(nodePaths(device(doc, '0'))).toEqual(['/dev/dri/card1', '/dev/dri/renderD128', '/dev/kfd']);
    expect(nodePaths(device(doc, '1'))).toEqual(['/dev/dri/card9', '/dev/dri/renderD136', '/dev/kfd']);
    expect(device(doc, '1').deviceNodes?.[2]).toEqual({
      path: '/dev/kfd',
      hostPath: `${hosts.amd.root}/dev/kfd`,
      type: 'c',
      major: 237,
      minor: 0,
      fileMode: 0o660,
      permissions: 'rwm',
      gid: 993,
    });
    for (const spare of ['/dev/dri/renderD129', '/dev/dri/renderD135', '/dev/dri/renderD137', '/dev/dri/card0'])
      expect(everyNode(doc)).not.toContain(spare);
    const uuids = MI300X_UNIQUE_IDS.map((id) => `0x${id.toString(16).toUpperCase()}`);
    expect(names(spec(hosts.amd, '--device-name-strategy', 'uuid').doc)).toEqual([...uuids].sort().concat('all'));
    expect(nodePaths(device(spec(hosts.amd, '--device-name-strategy', 'uuid').doc, uuids[0] as string))).toEqual([
      '/dev/dri/card1',
      '/dev/dri/renderD128',
      '/dev/kfd',
    ]);
  });

  test('a missing optional node or folder is skipped with its reason, exit 0', () => {
    const host = twoH100(tmpDir('gpu-host-partial'));
    fs.rmSync(path.join(host.root, 'dev/nvidia-modeset'));
    fs.rmSync(path.join(host.root, 'sys/devices/pci0000:00/0000:43:00.0/drm'), { recursive: true });
    const { doc, notes } = spec(host);
    expect(nodePaths(doc.containerEdits)).toEqual(['/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidiactl']);
    expect(nodePaths(device(doc, '1'))).toEqual(['/dev/nvidia0']);
    expect(notes).toEqual(
      expect.arrayContaining([
        `ocihooks: cdi generate: skipped ${host.root}/dev/nvidia-modeset: not there (control node)`,
        'ocihooks: cdi generate: GPU 0000:43:00.0: no DRM nodes (nvidia-drm not loaded?)',
      ]),
    );
  });

  test('bad hosts and bad flags: one line naming what is wrong; 1 for the host, 2 for a flag', () => {
    const empty = tmpDir('gpu-host-empty');
    const none = run(process.execPath, [
      BIN('ocihooks'),
      'cdi',
      'generate',
      '--driver-root',
      empty,
      '--proc-root',
      `${empty}/proc`,
      '--sys-root',
      `${empty}/sys`,
    ]);
    expect([none.status, none.stderr]).toEqual([
      1,
      `ocihooks: no GPU driver is loaded: neither ${empty}/proc/driver/nvidia (NVIDIA) nor ${empty}/sys/module/amdgpu/drivers (AMD) is there\n`,
    ]);
    const noNode = twoH100(tmpDir('gpu-host-nonode'));
    fs.rmSync(path.join(noNode.root, 'dev/nvidia1'));
    expect(generate(noNode).stderr).toBe(
      `ocihooks: ${noNode.root}/dev/nvidia1: not there or not a character device (GPU 0000:1b:00.0, device minor 1)\n`,
    );
    const noMinors = a100Mig(tmpDir('gpu-host-nominors'));
    fs.rmSync(path.join(noMinors.root, 'proc/driver/nvidia-caps/mig-minors'));
    const r = generate(noMinors);
    expect([r.status, r.stderr]).toEqual([
      1,
      `ocihooks: ${noMinors.root}/proc/driver/nvidia-caps/mig-minors: not there, but a GPU is in MIG mode (is nvidia-caps loaded?)\n`,
    ]);
    const noLib = twoH100(tmpDir('gpu-host-nolib'));
    fs.rmSync(path.join(noLib.root, LIB, `libcuda.so.${DRIVER}`));
    expect(generate(noLib).stderr).toMatch(
      new RegExp(`^ocihooks: no libcuda.so.${DRIVER.replace(/\./g, '\\.')} under ${noLib.root} .*\\n$`),
    );
    expect(generate(hosts.h100, '--mode', 'imex').stderr).toMatch(/^ocihooks: no IMEX channels in .*\n$/);
    const bad = generate(hosts.h100, '--vendor', 'intel');
    expect([bad.status, bad.stderr]).toEqual([
      2,
      'ocihooks: --vendor: expected auto, nvidia, amd or a vendor name such as nvidia.com, got "intel"\n',
    ]);
    expect(generate(hosts.amd, '--mode', 'management').stderr).toBe(
      'ocihooks: --mode management: a mode of NVIDIA GPUs; AMD GPUs have auto and proc\n',
    );
    expect(generate(hosts.h100, '--vendor', 'nvidia.com', '--class', 'Bad_Class!').status).toBe(2);
  });

  test('--help documents every flag', () => {
    const help = run(process.execPath, [BIN('ocihooks'), 'cdi', 'generate', '--help']).stdout;
    for (const flag of [
      '--vendor',
      '--class',
      '--mode',
      '--device-name-strategy',
      '--driver-root',
      '--dev-root',
      '--proc-root',
      '--sys-root',
      '--library-search-path',
      '--output',
      '--format',
    ])
      expect(help).toContain(flag);
  });
});

describe('generated specs under runc', () => {
  /** Runs `sh -c check` under runc with the GPU hook, the specs in cdi, and the request annotation. */
  let lastDir = '';
  function container(cdi: string, request: string, check: string): string[] {
    const dir = (lastDir = tmpDir('gpu-gen-run'));
    const hook = {
      path: process.execPath,
      args: [
        'node',
        BIN('ocihook-gpu'),
        `--log-file=${path.join(dir, 'gpu.log')}`,
        `--cdi-spec-dir=${cdi}`,
        `--cdi-cache-dir=${path.join(dir, 'cdi-decoded')}`, // not the host's /run/ocihooks/cdi-specs
      ],
    };
    const bundle = makeBundle(path.join(dir, 'bundle'), makeGlibcRootfs(path.join(dir, 'rootfs')), {
      args: ['sh', '-c', check],
      annotations: { 'cdi.k8s.io/gpu': request },
      hooks: { createContainer: [hook] },
    });
    const r = run('/usr/sbin/runc', ['run', '--bundle', bundle, containerId('gpu-gen')], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    return r.stdout.trim().split('\n');
  }

  test("a MIG device request shows exactly its three nodes (with the control nodes), the driver library and its link, persistenced's socket", () => {
    const cdi = tmpDir('gpu-gen-cdi');
    expect(generate(hosts.mig, '--output', path.join(cdi, 'nvidia.yaml')).status).toBe(0);
    const out = container(
      cdi,
      'nvidia.com/gpu=0:1',
      `ls /dev | grep nvidia; ls /dev/nvidia-caps; readlink ${LIB}/libcuda.so; test -f ${LIB}/libcuda.so.${DRIVER} && echo libcuda; test -S /run/nvidia-persistenced/socket && echo socket`,
    );
    expect(out).toEqual([
      'nvidia-caps',
      'nvidia-modeset',
      'nvidia-uvm',
      'nvidia-uvm-tools',
      'nvidia0',
      'nvidiactl',
      'nvidia-cap21',
      'nvidia-cap22',
      'libcuda.so.1',
      'libcuda',
      'socket',
    ]);
  });

  test("the spec's own hooks run inside the GPU hook (no Node start each) and do what they do when started as programs", () => {
    const check = `for l in ${LIB}/libcuda.so ${LIB}/libcuda.so.1 /dev/dri/by-path/pci-0000:1b:00.0-card; do readlink $l; done; grep -ac 'libcuda.so.1' /etc/ld.so.cache; ls /etc/ld.so.conf.d; ls /dev | grep nvidia`;
    const inProcess = tmpDir('gpu-gen-cdi');
    expect(generate(hosts.h100, '--output', path.join(inProcess, 'nvidia.json')).status).toBe(0);
    // The same spec with every hook path a script that starts ocihook-gpu: a program other than the GPU hook's own.
    const started = tmpDir('gpu-gen-cdi');
    const wrapper = path.join(started, 'start-ocihook-gpu');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${BIN('ocihook-gpu')} "$@"\n`, { mode: 0o755 });
    const text = fs.readFileSync(path.join(inProcess, 'nvidia.json'), 'utf8');
    fs.writeFileSync(
      path.join(started, 'nvidia.json'),
      text.split(JSON.stringify(BIN('ocihook-gpu'))).join(JSON.stringify(wrapper)),
    );
    const a = container(inProcess, 'nvidia.com/gpu=0', check);
    const b = container(started, 'nvidia.com/gpu=0', check);
    expect(a).toEqual([
      'libcuda.so.1',
      `libcuda.so.${DRIVER}`,
      '../card1',
      expect.stringMatching(/^[1-9]/),
      'x86_64-linux-gnu.conf',
      'nvidia-modeset',
      'nvidia-uvm',
      'nvidia-uvm-tools',
      'nvidia1',
      'nvidiactl',
    ]);
    expect(b).toEqual(a);
    const ran = () =>
      fs
        .readFileSync(path.join(lastDir, 'gpu.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).specHook)
        .filter(Boolean);
    container(inProcess, 'nvidia.com/gpu=0', 'true');
    expect([...new Set(ran())]).toEqual([
      'create-symlinks',
      'enable-cuda-compat',
      'update-ldcache',
      'disable-device-node-modification',
      'update-application-profile',
    ]);
    container(started, 'nvidia.com/gpu=0', 'true');
    expect(ran()).toEqual([]);
  });

  test('an IMEX channel request shows its channel and no other', () => {
    const cdi = tmpDir('gpu-gen-cdi');
    expect(generate(hosts.imex, '--output', path.join(cdi, 'nvidia.yaml')).status).toBe(0);
    expect(generate(hosts.imex, '--mode', 'imex', '--output', path.join(cdi, 'imex.yaml')).status).toBe(0);
    expect(
      container(
        cdi,
        'nvidia.com/imex-channel=2',
        'ls /dev/nvidia-caps-imex-channels; ls /dev | grep -c "^nvidia[0-9]"',
      ),
    ).toEqual(['channel2', '0']);
  });

  test('an AMD GPU request shows its card, its render node and /dev/kfd, with the host modes and groups', () => {
    const cdi = tmpDir('gpu-gen-cdi');
    expect(generate(hosts.amd, '--output', path.join(cdi, 'amd.json')).status).toBe(0);
    expect(container(cdi, 'amd.com/gpu=1', 'ls /dev/dri; stat -c "%n %a %g" /dev/kfd /dev/dri/renderD136')).toEqual([
      'card9',
      'renderD136',
      '/dev/kfd 660 993',
      '/dev/dri/renderD136 660 993',
    ]);
  });
});

describe('doctor on GPU hosts', () => {
  const doctor = (host: FakeHost, cdi: string) =>
    run(process.execPath, [
      BIN('ocihooks'),
      'doctor',
      '--proc-root',
      `${host.root}/proc`,
      '--sys-root',
      `${host.root}/sys`,
      '--dev-root',
      host.root,
      '--cdi-spec-dir',
      cdi,
    ])
      .stdout.split('\n')
      // The host's kept specs and precreate edits (/run/ocihooks, which the other suites' GPU hooks change) and
      // a Slurm site's GPUs (where this host has an oci.conf) aside.
      .filter(
        (l) =>
          /GPU|CDI/.test(l) &&
          !l.includes(' kept CDI specs: ') &&
          !l.includes(' kept precreate edits: ') &&
          !l.includes(' slurm GPUs: '),
      );

  test('says which vendors, GPUs, MIG devices, IMEX channels and modes the host has, and which specs are current or stale', () => {
    const cdi = tmpDir('doctor-cdi');
    expect(generate(hosts.mig, '--output', path.join(cdi, 'current.yaml')).status).toBe(0);
    fs.writeFileSync(
      path.join(cdi, 'old-driver.yaml'),
      fs.readFileSync(path.join(cdi, 'current.yaml'), 'utf8').split(DRIVER).join('570.86.15'),
    );
    const moved = spec(hosts.mig).doc;
    (moved.devices[0]?.containerEdits.deviceNodes?.[1] as Node).minor = 99;
    fs.writeFileSync(path.join(cdi, 'renumbered.json'), JSON.stringify(moved));
    fs.writeFileSync(path.join(cdi, 'broken.json'), '{"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu", "devices": []}');
    expect(doctor(hosts.mig, cdi)).toEqual([
      `ok    GPU NVIDIA: driver ${DRIVER}; 0 0000:3b:00.0 NVIDIA A100-SXM4-80GB (MIG: 2 device(s)); cdi generate modes: proc, management`,
      `fail  CDI spec ${cdi}/broken.json: ${cdi}/broken.json: devices: invalid spec, no devices (its devices cannot be requested)`,
      `ok    CDI spec ${cdi}/current.yaml: nvidia.com/gpu: 3 device(s), current`,
      `warn  CDI spec ${cdi}/old-driver.yaml: stale: written for NVIDIA driver 570.86.15, the loaded driver is ${DRIVER}; run ocihooks cdi generate`,
      `warn  CDI spec ${cdi}/renumbered.json: stale: ${hosts.mig.root}/dev/nvidia-caps/nvidia-cap12 is now 235:12, the spec says 235:99; run ocihooks cdi generate`,
    ]);
    expect(doctor(hosts.imex, tmpDir('doctor-empty'))[0]).toMatch(
      /; 4 IMEX channel\(s\); cdi generate modes: proc, management, imex$/,
    );
    const empty = tmpDir('doctor-empty');
    expect(doctor(hosts.amd, empty)).toEqual([
      'ok    GPU AMD: 2 GPU device(s) KFD lists (/dev/dri/renderD128, /dev/dri/renderD136); cdi generate modes: proc',
      `ok    CDI specs: none in ${empty} (GPU nodes are discovered from /dev instead)`,
    ]);
  });
});
