/**
 * containerd 1.7's CRI plugin as a Kubernetes node runs it (Debian 13's containerd, in a Debian 13
 * session: engines-session.ts, engines-site.ts), driven as the kubelet drives it through a small
 * CRI client (test/support/cri/): RunPodSandbox under a RuntimeClass handler, CreateContainer with
 * annotations and CDI_devices, StartContainer, ExecSync, Stop/Remove. The handler `ocihooks` is
 * the config.toml docs/docker-containerd.md shows: runc.v2 with the installed wrapper as its
 * BinaryName and `cdi.k8s.io/*` and the test's marker passed through `container_annotations`.
 * With containerd's own CDI on (`enable_cdi`), a device requested by annotation is applied by
 * containerd and by the installed GPU hooks alike, and reaches the container once; requested
 * through CDI_devices, by containerd alone. With it off, the annotation is ours alone.
 * No registry: the pause and test images are made here (podman import, ctr import).
 */
import * as fs from 'node:fs';
import { requireBuilt } from '../support/e2e';
import { ContainerSpec, CriClient, GrpcError, PodSpec, criClient } from '../support/cri/client';
import { EnginesSession, describeSession, startEnginesSession } from '../support/engines-session';
import {
  ACC_DEVICE,
  ACC_DEVICES,
  HOOKS_DIR,
  MARKER_KEY,
  MARKER_TEXT,
  SHOW,
  SHOWN_ACC_AND_MARKER,
  SHOWN_NOTHING,
  Site,
  WRAPPER,
  accEditsIn,
  accHookRuns,
  imageTar,
  removeCgroup,
  setUpSite,
  startDaemon,
} from '../support/engines-site';

const PAUSE = 'localhost/ocihooks-pause:latest';
const IMAGE = 'localhost/ocihooks-busybox:latest';
const CGROUP = `ocihooks-cri-${process.pid}`;
const SOCKET = '/run/containerd/containerd.sock';
let s: EnginesSession | undefined;
let site: Site | undefined;
let cri: CriClient | undefined;
let containerd = 0;
let pods = 0;
const c = () => cri as CriClient;

/** The node's containerd config.toml: the CRI plugin with the `ocihooks` handler (docs/docker-containerd.md). */
function configToml(enableCdi: boolean): string {
  return `version = 2
[plugins."io.containerd.grpc.v1.cri"]
  enable_cdi = ${enableCdi}
  cdi_spec_dirs = ["/etc/cdi", "/var/run/cdi"]
  # root here lacks CAP_SYS_RESOURCE: containerd may not set the sandbox's oom_score_adj below its own
  restrict_oom_score_adj = true
  sandbox_image = "${PAUSE}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    # the session's root is an overlay: no overlayfs snapshots on it
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocihooks]
      runtime_type = "io.containerd.runc.v2"
      container_annotations = ["cdi.k8s.io/*", "org.ocihooks.test/*"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.ocihooks.options]
        BinaryName = "${WRAPPER}"
`;
}

function startContainerd(enableCdi: boolean): void {
  const sess = s as EnginesSession;
  fs.mkdirSync(sess.file('/etc/containerd'), { recursive: true });
  fs.writeFileSync(sess.file('/etc/containerd/config.toml'), configToml(enableCdi));
  containerd = startDaemon(sess, {
    name: 'containerd',
    argv: ['containerd'],
    socket: SOCKET,
    log: '/var/log/containerd.log',
  });
  cri = criClient(sess.file(SOCKET));
}

/** Stops containerd (TERM, KILL after 10 s), waiting without blocking: our connection must close first. */
async function stopContainerd(): Promise<void> {
  cri?.close();
  cri = undefined;
  if (!containerd) return;
  const alive = () => {
    try {
      process.kill(containerd, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(containerd, 'SIGTERM');
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    process.stderr.write(`containerd 1.7 CRI: containerd ${containerd} did not stop in 10 s; killed\n`);
    process.kill(containerd, 'SIGKILL');
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync((s as EnginesSession).file(SOCKET), { force: true });
  containerd = 0;
}

interface Ran {
  id: string;
  /** SHOW, as the container's main process saw it. */
  shown: string;
  /** How often config.json holds each of the accelerator's edits. */
  config: Record<string, number>;
  /** The containers the accelerator's spec hook ran for, in this pod's life. */
  hookRuns: string[];
}

/**
 * One pod's life as the kubelet drives it: RunPodSandbox (host network, no hostname), CreateContainer,
 * StartContainer, ExecSync (what the container saw), then StopContainer, RemoveContainer,
 * StopPodSandbox, RemovePodSandbox whatever happened.
 */
async function podLife(handler: string, container: Partial<ContainerSpec>): Promise<Ran> {
  const n = ++pods;
  const pod: PodSpec = {
    name: `pod-${n}`,
    uid: `uid-${process.pid}-${n}`,
    namespace: 'default',
    cgroupParent: `/${CGROUP}/pod-${n}`,
  };
  const before = accHookRuns(site as Site).length;
  const podId = await c().runPodSandbox(pod, handler);
  let id = '';
  try {
    id = await c().createContainer(
      podId,
      {
        name: 'main',
        image: IMAGE,
        command: ['/bin/sh', '-c', `{ ${SHOW}; } > /tmp/shown; exec sleep 600`],
        ...container,
      },
      pod,
    );
    await c().startContainer(id);
    const shown = await c().execSync(id, ['/bin/cat', '/tmp/shown'], 30);
    const config = JSON.parse(
      fs.readFileSync(
        (s as EnginesSession).file(`/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}/config.json`),
        'utf8',
      ),
    );
    return { id, shown: shown.stdout, config: accEditsIn(config), hookRuns: accHookRuns(site as Site).slice(before) };
  } finally {
    if (id) {
      await c().stopContainer(id, 0);
      await c().removeContainer(id);
    }
    await c().stopPodSandbox(podId);
    await c().removePodSandbox(podId);
  }
}

const annotated = (more: Record<string, string> = {}) => ({ annotations: { [MARKER_KEY]: 'yes', ...more } });
const once = { node: 1, rule: 1, env: 1, mount: 1, hook: 1 };
const none = { node: 0, rule: 0, env: 0, mount: 0, hook: 0 };
const seen = (r: Ran) => ({ shown: r.shown, config: r.config, hookRuns: r.hookRuns });

beforeAll(() => {
  requireBuilt();
  s = startEnginesSession({ name: 'containerd-cri', devices: ACC_DEVICES });
  process.stderr.write(describeSession(s, 'containerd 1.7 CRI'));
  site = setUpSite(s);
  startContainerd(true);
  // The pause image runs a sleep: a busybox root made here, imported as a registry would have given it.
  const tar = imageTar(s.dir);
  s.sh(
    [
      `podman import --change 'ENTRYPOINT ["/bin/sleep", "2147483647"]' ${tar} ${PAUSE} >/dev/null`,
      `podman import ${tar} ${IMAGE} >/dev/null`,
      `podman save --multi-image-archive -o ${s.dir}/images.tar ${PAUSE} ${IMAGE} 2>/dev/null`,
      `ctr -n k8s.io images import --snapshotter native ${s.dir}/images.tar >/dev/null`,
    ].join('\n'),
    180_000,
  );
}, 600_000);

afterAll(async () => {
  await stopContainerd();
  s?.stop();
  const left = removeCgroup(CGROUP);
  if (left.length) process.stderr.write(`containerd 1.7 CRI: ${left.join('; ')}\n`);
}, 120_000);

describe('containerd 1.7 CRI with enable_cdi = true', () => {
  test('the runtime answers the CRI Version call as containerd 1.7', async () => {
    expect(await c().version()).toEqual({
      runtimeName: 'containerd',
      runtimeVersion: expect.stringMatching(/^1\.7\./),
      runtimeApiVersion: 'v1',
    });
  });

  test('the RuntimeClass handler ocihooks: the marker annotation reaches the hooks; the default handler runs none', async () => {
    const ours = await podLife('ocihooks', annotated());
    const runc = await podLife('', annotated());
    expect([seen(ours), seen(runc)]).toEqual([
      { shown: SHOWN_NOTHING.replace('no-marker\n', MARKER_TEXT), config: none, hookRuns: [] },
      { shown: SHOWN_NOTHING, config: none, hookRuns: [] },
    ]);
  });

  test("a cdi.k8s.io annotation: containerd's CDI and the GPU hooks apply the device, each edit reaches the container once", async () => {
    const r = await podLife('ocihooks', annotated({ 'cdi.k8s.io/test': ACC_DEVICE }));
    expect(seen(r)).toEqual({ shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [r.id] });
  });

  test('CDI_devices: containerd alone applies it (no annotation for the hooks), once', async () => {
    const r = await podLife('ocihooks', { ...annotated(), cdiDevices: [ACC_DEVICE] });
    expect(seen(r)).toEqual({ shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [r.id] });
  });

  test('a broken hooks.d file: StartContainer fails, naming the file and the reason', async () => {
    const broken = `${HOOKS_DIR}/05-broken.json`;
    fs.writeFileSync((s as EnginesSession).file(broken), '{');
    let err: unknown;
    try {
      await podLife('ocihooks', annotated());
    } catch (e) {
      err = e;
    } finally {
      fs.rmSync((s as EnginesSession).file(broken));
    }
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).message).toContain(
      `ocihooks-runtime: ${broken}: parsing hook "${broken}": version check:`,
    );
  });

  test('ExecSync, StopContainer and RemoveContainer pass through the wrapper', async () => {
    const pod: PodSpec = {
      name: 'exec',
      uid: `uid-${process.pid}-exec`,
      namespace: 'default',
      cgroupParent: `/${CGROUP}/exec`,
    };
    const podId = await c().runPodSandbox(pod, 'ocihooks');
    try {
      const id = await c().createContainer(
        podId,
        { name: 'main', image: IMAGE, command: ['/bin/sleep', '600'], ...annotated() },
        pod,
      );
      await c().startContainer(id);
      const steps = [
        await c().execSync(id, ['/bin/cat', '/etc/marker.txt'], 30),
        await c().execSync(id, ['/bin/sh', '-c', 'exit 3'], 30),
        (await c().containerStatus(id)).state,
        await c().stopContainer(id, 0),
        (await c().containerStatus(id)).state,
        await c().removeContainer(id),
      ];
      expect(steps).toEqual([
        { stdout: MARKER_TEXT, stderr: '', exitCode: 0 },
        { stdout: '', stderr: '', exitCode: 3 },
        'RUNNING',
        undefined,
        'EXITED',
        undefined,
      ]);
    } finally {
      await c().stopPodSandbox(podId);
      await c().removePodSandbox(podId);
    }
  });
});

describe('containerd 1.7 CRI with enable_cdi = false', () => {
  beforeAll(async () => {
    await stopContainerd();
    startContainerd(false);
  }, 60_000);

  test('a cdi.k8s.io annotation: the GPU hooks alone apply the device, once', async () => {
    const r = await podLife('ocihooks', annotated({ 'cdi.k8s.io/test': ACC_DEVICE }));
    expect(seen(r)).toEqual({ shown: SHOWN_ACC_AND_MARKER, config: once, hookRuns: [r.id] });
  });

  test('CDI_devices: nothing (containerd reads the field only with enable_cdi, and the hooks never see it)', async () => {
    const r = await podLife('ocihooks', { ...annotated(), cdiDevices: [ACC_DEVICE] });
    expect(seen(r)).toEqual({ shown: SHOWN_NOTHING.replace('no-marker\n', MARKER_TEXT), config: none, hookRuns: [] });
  });
});
