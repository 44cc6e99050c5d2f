/**
 * The config.json a rootless job's container needs on the compute node. Rootless podman gives
 * scrun a bundle made for its own user namespace; slurmstepd then runs the runtime as the job's
 * user, and runc refuses it ("rootless container requires user namespaces") unless the config has a
 * user namespace of its own. What runc cannot do as a user goes too: cgroup settings (no cgroup is
 * the user's), rlimits above the user's, supplementary groups that are not mapped, uid=/gid= mount
 * options naming ids of podman's namespace, the cgroup mount, and prestart hooks (podman's network
 * set-up, meaningless on another node). Everything else stays, annotations above all: they are
 * how hooks.d matches on the node.
 */
import type { Json } from '../../../core/json';

export interface RootlessIds {
  /** The job's user and group on the host. */
  uid: number;
  gid: number;
  /** root.path made absolute (scrun's bundle moves; the rootfs does not). */
  rootPath: string;
}

const isCgroupMount = (m: Json) => m.type === 'cgroup' || m.type === 'cgroup2' || m.destination === '/sys/fs/cgroup';

/** A copy of `config` for a rootless run as `ids` (the input is not changed). */
export function rootlessConfig(config: Json, ids: RootlessIds): Json {
  const c: Json = structuredClone(config);
  c.root = { ...(c.root ?? {}), path: ids.rootPath };
  const user = (c.process ??= {}).user ?? { uid: 0, gid: 0 };
  delete user.additionalGids;
  c.process.user = user;
  delete c.process.rlimits;
  const linux = (c.linux ??= {});
  const namespaces: Json[] = (linux.namespaces ?? []).filter((n: Json) => n.type !== 'user');
  linux.namespaces = [...namespaces, { type: 'user' }];
  // The process's own ids map to the job's user: the only ids a user namespace made without
  // newuidmap may hold.
  linux.uidMappings = [{ containerID: user.uid ?? 0, hostID: ids.uid, size: 1 }];
  linux.gidMappings = [{ containerID: user.gid ?? 0, hostID: ids.gid, size: 1 }];
  delete linux.cgroupsPath;
  delete linux.resources;
  if (Array.isArray(c.mounts))
    c.mounts = c.mounts
      .filter((m: Json) => !isCgroupMount(m))
      .map((m: Json) => {
        if (!Array.isArray(m.options)) return m;
        const options = m.options.filter((o: string) => !/^(uid|gid)=/.test(o));
        return { ...m, options };
      });
  if (c.hooks) {
    delete c.hooks.prestart;
    if (Object.keys(c.hooks).length === 0) delete c.hooks;
  }
  return c;
}
