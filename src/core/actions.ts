/**
 * What a plan can ask for: one interface per action kind, each executed by its own step of
 * hook/apply. Actions are plain, serialisable data: `--dry-run` prints them as they are.
 */

/** Device types a cgroup rule names: character and block. */
export type DeviceType = 'c' | 'b';
/** Device node types (OCI): also "u" (unbuffered character) and "p" (fifo), which no cgroup rule covers. */
export type NodeType = DeviceType | 'u' | 'p';

/** A device cgroup rule in OCI terms ("a" and "*" are wildcards; access is a subset of "rwm"). */
export interface DeviceAllow {
  type: DeviceType | 'a';
  major: number | '*';
  minor: number | '*';
  access: string;
}

/** The container's user (config.json process.user), as its user namespace sees the ids. */
export interface ContainerUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

/** The mount hook's rules (Sarus's), carried by its bind and device actions. */
export interface MountRules {
  /**
   * The container's user: the source is looked up as this user (one they cannot reach is
   * refused), and the mount point and the folders made for it are theirs.
   */
  user?: ContainerUser;
  /**
   * The destination only on the container's own filesystems (its root, its /dev tmpfs): never on
   * procfs, sysfs, cgroupfs, a volume the engine bound in, or a mount this hook made.
   */
  ownFilesystems?: boolean;
}

/** Bind a host file or directory at a container path. */
export interface BindAction extends MountRules {
  action: 'bind';
  source: string;
  destination: string;
  /** What the source is on the host, hence what mount point to create. */
  kind: 'file' | 'directory';
  readonly: boolean;
}

/** Make a host device node appear at a container path. */
export interface DeviceAction extends MountRules {
  action: 'device';
  source: string;
  destination: string;
  type: NodeType;
  major: number;
  minor: number;
  access: string;
  /**
   * When a CDI spec sets the node's mode or owner, the node is created with mknod inside the
   * rootfs (a bind mount would show the host node's attributes); otherwise the host node is bound.
   */
  node?: { fileMode?: number; uid?: number; gid?: number };
}

/** Let the container open these devices (its device cgroup). */
export interface AllowDevicesAction {
  action: 'allow-devices';
  rules: DeviceAllow[];
}

/** Rebuild the container's linker cache with a trusted host ldconfig. */
export interface LdconfigAction {
  action: 'ldconfig';
  ldconfig: string;
  /** Container folders listed ahead of the image's configuration when the cache is rebuilt. */
  folders: string[];
  /**
   * The image's system folders, listed after its own configuration because the host's ldconfig
   * searches only its own: `debianLike` for an image with /etc/debian_version, `other` otherwise.
   */
  systemFolders: { debianLike: string[]; other: string[] };
  timeoutMs: number;
  /**
   * Where the cache goes: `root` written into the container's root file system, `mount` bound
   * read-only over /etc/ld.so.cache, `auto` judged from the root's mount when applying
   * (linux/ldconfig/cache-place.ts).
   */
  cache: 'auto' | 'root' | 'mount';
}

/** A hook from a CDI spec, run with the container state on stdin. */
export interface RunHookAction {
  action: 'run-hook';
  path: string;
  args: string[];
  env: string[];
  timeoutMs: number;
}

/** Create a symlink in the container, or replace what is at `link` atomically; `target` is written as given. */
export interface SymlinkAction {
  action: 'symlink';
  target: string;
  link: string;
}

/** Write a file in the container (missing folders created). */
export interface WriteFileAction {
  action: 'write-file';
  path: string;
  content: string;
  mode: number;
  /** Refuse to replace an existing file. */
  exclusive?: boolean;
}

/** Set the mode of a container path that exists (resolved in the rootfs; a missing one is skipped). */
export interface ChmodAction {
  action: 'chmod';
  path: string;
  mode: number;
}

/** Bind a read-only file holding `content` over a container path (the file lives on a tmpfs attached nowhere else). */
export interface MountFileAction {
  action: 'mount-file';
  destination: string;
  content: string;
  mode: number;
}

export type FileAction = SymlinkAction | WriteFileAction | ChmodAction;

export type Action =
  BindAction | DeviceAction | AllowDevicesAction | LdconfigAction | RunHookAction | FileAction | MountFileAction;

/** A device action that binds the host node (rather than creating one with mknod). */
export function bindsHostNode(a: Action): a is DeviceAction {
  return a.action === 'device' && a.node === undefined;
}

export function describeRule(r: DeviceAllow): string {
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/** One line per action, for logs and errors ("bind /a -> /b (readonly): <why it failed>"). */
export function describeAction(a: Action): string {
  switch (a.action) {
    case 'bind':
      return `bind ${a.source} -> ${a.destination}${a.readonly ? ' (readonly)' : ''}`;
    case 'device':
      return `device ${a.source} -> ${a.destination} (${a.type} ${a.major}:${a.minor} ${a.access})`;
    case 'allow-devices':
      return `allow devices ${a.rules.map(describeRule).join(', ')}`;
    case 'ldconfig':
      return `ldconfig ${a.ldconfig}${a.folders.length ? ` with ${a.folders.join(', ')}` : ''}`;
    case 'run-hook':
      return `run hook ${[a.path, ...a.args.slice(1)].join(' ')}`;
    case 'symlink':
      return `symlink ${a.link} -> ${a.target}`;
    case 'write-file':
      return `write ${a.path} (${a.mode.toString(8).padStart(4, '0')})`;
    case 'chmod':
      return `chmod ${a.mode.toString(8).padStart(4, '0')} ${a.path}`;
    case 'mount-file':
      return `mount a read-only file over ${a.destination}`;
  }
}
