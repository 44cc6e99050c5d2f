/**
 * `ocihooks doctor` on a scrun site (docs/scrun.md): each file's text in, one verdict out, so that
 * the verdicts are table-tested offline. What is checked is what stopped scrun jobs when the path
 * was first set up: scrun.lua (required by scrun; ours does the rootless rewrite), oci.conf's
 * settings beyond the RunTime* lines, podman's containers.conf as SchedMD's container guide has it,
 * the storage driver, and the user's runtime folder scrun keeps its state in.
 */
import { recognizeScrunLua } from './lua';
import type { Check } from '../../../core/check';

/** scrun.lua (undefined: not there); `exists` says whether a program path is there. */
export function checkScrunLuaFile(text: string | undefined, file: string, exists: (p: string) => boolean): Check {
  const name = 'scrun.lua';
  if (text === undefined)
    return {
      name,
      status: 'fail',
      detail: `${file}: missing; scrun refuses to run without it (ocihooks install writes one)`,
    };
  const v = recognizeScrunLua(text);
  if (v.kind === 'ours')
    return exists(v.ocihooks)
      ? { name, status: 'ok', detail: `${file}: written by ocihooks install; calls ${v.ocihooks}` }
      : {
          name,
          status: 'fail',
          detail: `${file}: calls ${v.ocihooks}, which is not there (every scrun job fails at stage-in); copy the one ocihooks install wrote`,
        };
  if (v.kind === 'changed')
    return {
      name,
      status: 'warn',
      detail: `${file}: changed since ocihooks install wrote it${v.ocihooks ? ` (calls ${v.ocihooks})` : ''}`,
    };
  const missing = [!v.stageIn && 'slurm_scrun_stage_in', !v.stageOut && 'slurm_scrun_stage_out'].filter(Boolean);
  if (missing.length)
    return {
      name,
      status: 'fail',
      detail: `${file}: not ocihooks's, and lacks ${missing.join(' and ')} (scrun requires both)`,
    };
  return {
    name,
    status: 'warn',
    detail: `${file}: not ocihooks's (its own stage-in and stage-out): a user's container runs only if it makes the rootless bundle runc needs`,
  };
}

/** `key=value` settings of oci.conf (keys lower-cased, quotes off); the last one wins, as in Slurm. */
function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*(\w+)\s*=\s*(.*?)\s*$/.exec(raw.replace(/^\s*#.*/, ''));
    if (m) out.set((m[1] as string).toLowerCase(), (m[2] as string).replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** oci.conf beyond the RunTime* lines (checkOciConf): what scrun jobs need of it. */
export function checkScrunOciConf(text: string, file: string): Check {
  const name = 'scrun oci.conf';
  const s = settings(text);
  const ignore = (s.get('ignorefileconfigjson') ?? '').toLowerCase();
  if (ignore === 'true' || ignore === 'yes' || ignore === '1')
    return {
      name,
      status: 'fail',
      detail: `${file}: IgnoreFileConfigJson is on: podman's annotations reach ocihooks-runtime only through config.json, so no hooks.d file matches`,
    };
  const missing = ['EnvExclude', 'RunTimeEnvExclude'].filter((k) => !/SLURM_CONF/.test(s.get(k.toLowerCase()) ?? ''));
  if (missing.length)
    return {
      name,
      status: 'warn',
      detail: `${file}: ${missing.map((k) => `${k}="^SLURM_CONF="`).join(' and ')} missing: the submitting side's SLURM_CONF reaches the job and the runtime on the node`,
    };
  return { name, status: 'ok', detail: `${file}: SLURM_CONF kept from the job and the runtime; config.json read` };
}

/**
 * The settings of TOML files as containers/common reads them, later files over earlier ones:
 * "table.key" -> value (strings unquoted, booleans and numbers as written). Arrays and inline
 * tables are passed over: none of the settings checked here is one.
 */
export function tomlSettings(texts: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of texts) {
    let table = '';
    let skipping = false;
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s*#.*/, '').trim();
      if (skipping) {
        if (/\]\s*(#.*)?$/.test(line)) skipping = false;
        continue;
      }
      const header = /^\[\s*([\w.-]+)\s*\]$/.exec(line);
      if (header) {
        table = header[1] as string;
        continue;
      }
      const kv = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
      if (!kv) continue;
      const value = (kv[2] as string).replace(/\s+#.*$/, '').trim();
      if (value.startsWith('[') && !/\]$/.test(value)) {
        skipping = true;
        continue;
      }
      const str = /^"((?:[^"\\]|\\.)*)"$|^'([^']*)'$/.exec(value);
      out.set(`${table}.${kv[1]}`, str ? (str[1] ?? str[2] ?? '') : value);
    }
  }
  return out;
}

/** What SchedMD's container guide sets in containers.conf for scrun, and why it matters. */
export const CONTAINERS_CONF_WANTED: readonly { key: string; value: string }[] = [
  { key: 'containers.netns', value: 'host' },
  { key: 'containers.pidns', value: 'host' },
  { key: 'containers.utsns', value: 'host' },
  { key: 'containers.userns', value: 'host' },
  { key: 'containers.cgroupns', value: 'host' },
  { key: 'containers.no_hosts', value: 'true' },
  { key: 'containers.label', value: 'false' },
  { key: 'containers.log_driver', value: 'k8s-file' },
  { key: 'engine.cgroup_manager', value: 'cgroupfs' },
  { key: 'engine.events_logger', value: 'file' },
];

/** containers.conf (the files podman reads, in its order, as texts); `files` names them in the verdict. */
export function checkContainersConf(texts: string[], files: string[]): Check {
  const name = 'scrun containers.conf';
  if (!texts.length)
    return {
      name,
      status: 'warn',
      detail: `none of ${files.join(', ')}: podman's defaults do not suit scrun (docs/scrun.md)`,
    };
  const s = tomlSettings(texts);
  const wrong = CONTAINERS_CONF_WANTED.filter((w) => s.get(w.key) !== w.value).map(
    (w) =>
      `${w.key.split('.')[1]} = ${w.value === 'true' || w.value === 'false' ? w.value : `"${w.value}"`} (is ${s.get(w.key) ?? 'unset'})`,
  );
  if (wrong.length) return { name, status: 'warn', detail: `${files.join(', ')}: scrun needs ${wrong.join(', ')}` };
  return { name, status: 'ok', detail: `${files.join(', ')}: as SchedMD's container guide has it for scrun` };
}

/** storage.conf: the driver must leave a container's rootfs a plain folder the compute node can read. */
export function checkStorageConf(text: string | undefined, file: string): Check {
  const name = 'scrun storage';
  const driver = text === undefined ? undefined : tomlSettings([text]).get('storage.driver');
  if (driver === 'vfs') return { name, status: 'ok', detail: `${file}: driver "vfs": each rootfs is a plain folder` };
  return {
    name,
    status: 'warn',
    detail: `${text === undefined ? `${file}: missing` : `${file}: driver ${driver === undefined ? 'unset' : `"${driver}"`}`}: an overlay rootfs is a mount inside podman's namespace, which the node's runtime cannot see; set driver = "vfs"`,
  };
}

/** The runtime folder scrun keeps its state in (--root /run/user/<uid>/scrun) for `uid`. */
export function checkRunUser(uid: number, st: { isDirectory: boolean; uid: number; mode: number } | undefined): Check {
  const name = 'scrun runtime folder';
  const dir = `/run/user/${uid}`;
  if (!st)
    return {
      name,
      status: 'warn',
      detail: `${dir}: missing; scrun needs --root ${dir}/scrun (a login makes it; so does systemd-logind)`,
    };
  if (!st.isDirectory) return { name, status: 'fail', detail: `${dir}: not a folder` };
  if (st.uid !== uid)
    return {
      name,
      status: 'fail',
      detail: `${dir}: owned by uid ${st.uid}, not ${uid}: scrun cannot keep its state there`,
    };
  if ((st.mode & 0o077) !== 0)
    return {
      name,
      status: 'warn',
      detail: `${dir}: mode ${(st.mode & 0o777).toString(8)}: others may read scrun's state (0700 expected)`,
    };
  return { name, status: 'ok', detail: `${dir}: the user's own; podman --runtime-flag root=${dir}/scrun` };
}
