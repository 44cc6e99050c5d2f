/**
 * A small CRI client, as the kubelet speaks to containerd: gRPC over HTTP/2 on the runtime's unix
 * socket (node:http2), each request a length-prefixed protobuf message (protobuf.ts) of
 * k8s.io/cri-api's runtime.v1 (the subset in api.proto). crictl is not packaged in Debian, and the
 * tests carry no gRPC library: the few calls a pod's life takes are written out here.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import {
  Decoded,
  bool,
  decode,
  getBytes,
  getInt32,
  getMap,
  getStr,
  getSub,
  map,
  message,
  str,
  strs,
  sub,
  subs,
  uint,
} from './protobuf';

/** A call the runtime answered with a gRPC status other than OK. */
export class GrpcError extends Error {
  override readonly name = 'GrpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`${method}: gRPC status ${code}: ${detail}`);
  }
}

const SERVICE = '/runtime.v1.RuntimeService';
/** NamespaceMode: the node's namespace (a pod on the host network), the container's own. */
const NODE = 2;
const CONTAINER = 1;
export const CONTAINER_STATE = ['CREATED', 'RUNNING', 'EXITED', 'UNKNOWN'] as const;

export interface PodSpec {
  name: string;
  uid: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The pod's cgroup (cgroupfs syntax), as the kubelet derives it from the pod's QoS class. */
  cgroupParent?: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  envs?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** CDI devices requested by name (the kubelet fills it from device plugins' CDIDevices). */
  cdiDevices?: string[];
}

/** PodSandboxConfig, as the kubelet fills it for a pod on the node's network: no hostname (the runtime refuses one). */
function podSandboxConfig(p: PodSpec): Buffer {
  const namespaces = message(uint(1, NODE), uint(2, CONTAINER));
  return message(
    sub(1, message(str(1, p.name), str(2, p.uid), str(3, p.namespace))),
    map(6, p.labels),
    map(7, p.annotations),
    sub(8, message(str(1, p.cgroupParent), sub(2, message(sub(1, namespaces))))),
  );
}

function containerConfig(c: ContainerSpec): Buffer {
  const namespaces = message(uint(1, NODE), uint(2, CONTAINER));
  return message(
    sub(1, message(str(1, c.name))),
    sub(2, message(str(1, c.image))),
    strs(3, c.command),
    strs(4, c.args),
    Object.entries(c.envs ?? {}).map(([k, v]) => sub(6, message(str(1, k), str(2, v))) as Buffer),
    map(9, c.labels),
    map(10, c.annotations),
    sub(15, message(sub(2, message(sub(3, namespaces))))),
    subs(
      17,
      (c.cdiDevices ?? []).map((n) => message(str(1, n))),
    ),
  );
}

export interface ContainerStatus {
  id: string;
  state: (typeof CONTAINER_STATE)[number];
  exitCode: number;
  reason: string;
  message: string;
  annotations: Record<string, string>;
}

export interface CriClient {
  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }>;
  runPodSandbox(pod: PodSpec, runtimeHandler: string): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  createContainer(podId: string, c: ContainerSpec, pod: PodSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus>;
  execSync(
    id: string,
    cmd: string[],
    timeoutSeconds: number,
  ): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Drops the connection at once (a runtime stopping waits for its clients to go). */
  close(): void;
}

/** One HTTP/2 connection to the runtime's socket; each call a unary gRPC request. */
export function criClient(socket: string, o: { timeoutMs?: number } = {}): CriClient {
  const session = http2.connect('http://localhost', { createConnection: () => net.connect(socket) });
  let failed: Error | undefined;
  session.on('error', (e) => (failed = e));
  const call = (method: string, request: Buffer): Promise<Decoded> =>
    new Promise((resolve, reject) => {
      if (failed) return reject(new Error(`${socket}: ${failed.message}`, { cause: failed }));
      const req = session.request({
        ':method': 'POST',
        ':path': `${SERVICE}/${method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let detail = '';
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) detail = decodeURIComponent(String(h['grpc-message']));
      };
      const timer = setTimeout(() => {
        req.close(http2.constants.NGHTTP2_CANCEL);
        reject(new Error(`${method}: no answer in ${(o.timeoutMs ?? 120_000) / 1000} s`));
      }, o.timeoutMs ?? 120_000);
      req.on('response', take);
      req.on('trailers', take);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${method}: ${e.message}`, { cause: e }));
      });
      req.on('end', () => {
        clearTimeout(timer);
        if (status !== '0') return reject(new GrpcError(method, Number(status ?? -1), detail || 'no status'));
        const body = Buffer.concat(chunks);
        // One length-prefixed message: a compression flag (0) and a 4-byte big-endian length.
        if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5)
          return reject(new Error(`${method}: an answer that is not one uncompressed gRPC message`));
        resolve(decode(body.subarray(5)));
      });
      const head = Buffer.alloc(5);
      head.writeUInt32BE(request.length, 1);
      req.end(Buffer.concat([head, request]));
    });
  return {
    async version() {
      const r = await call('Version', message(str(1, 'v1')));
      return { runtimeName: getStr(r, 2), runtimeVersion: getStr(r, 3), runtimeApiVersion: getStr(r, 4) };
    },
    async runPodSandbox(pod, handler) {
      return getStr(await call('RunPodSandbox', message(sub(1, podSandboxConfig(pod)), str(2, handler))), 1);
    },
    async stopPodSandbox(id) {
      await call('StopPodSandbox', message(str(1, id)));
    },
    async removePodSandbox(id) {
      await call('RemovePodSandbox', message(str(1, id)));
    },
    async createContainer(podId, c, pod) {
      const r = await call(
        'CreateContainer',
        message(str(1, podId), sub(2, containerConfig(c)), sub(3, podSandboxConfig(pod))),
      );
      return getStr(r, 1);
    },
    async startContainer(id) {
      await call('StartContainer', message(str(1, id)));
    },
    async stopContainer(id, timeout) {
      await call('StopContainer', message(str(1, id), uint(2, timeout)));
    },
    async removeContainer(id) {
      await call('RemoveContainer', message(str(1, id)));
    },
    async containerStatus(id) {
      const s = getSub(await call('ContainerStatus', message(str(1, id), bool(2, false))), 1);
      return {
        id: getStr(s, 1),
        state: CONTAINER_STATE[getInt32(s, 3)] ?? 'UNKNOWN',
        exitCode: getInt32(s, 7),
        reason: getStr(s, 10),
        message: getStr(s, 11),
        annotations: getMap(s, 13),
      };
    },
    async execSync(id, cmd, timeout) {
      const r = await call('ExecSync', message(str(1, id), strs(2, cmd), uint(3, timeout)));
      return {
        stdout: getBytes(r, 1).toString('utf8'),
        stderr: getBytes(r, 2).toString('utf8'),
        exitCode: getInt32(r, 3),
      };
    },
    close: () => session.destroy(),
  };
}
