import {
  CONTAINERS_CONF_WANTED,
  checkContainersConf,
  checkRunUser,
  checkScrunLuaFile,
  checkScrunOciConf,
  checkStorageConf,
  tomlSettings,
} from './site';
import { scrunLua } from './lua';

const LUA = '/etc/slurm/scrun.lua';
const P = '/usr/local/libexec/ocihooks/bin/ocihooks';

test.each([
  [
    'missing',
    undefined,
    true,
    'fail',
    `${LUA}: missing; scrun refuses to run without it (ocihooks install writes one)`,
  ],
  ['ours', scrunLua(P), true, 'ok', `${LUA}: written by ocihooks install; calls ${P}`],
  [
    'ours, its program gone',
    scrunLua(P),
    false,
    'fail',
    `${LUA}: calls ${P}, which is not there (every scrun job fails at stage-in); copy the one ocihooks install wrote`,
  ],
  [
    'ours, edited',
    scrunLua(P) + '-- site\n',
    true,
    'warn',
    `${LUA}: changed since ocihooks install wrote it (calls ${P})`,
  ],
  [
    "another's with both stages",
    'function slurm_scrun_stage_in()\nend\nfunction slurm_scrun_stage_out()\nend\n',
    true,
    'warn',
    `${LUA}: not ocihooks's (its own stage-in and stage-out): a user's container runs only if it makes the rootless bundle runc needs`,
  ],
  [
    "another's without stage-out",
    'function slurm_scrun_stage_in()\nend\n',
    true,
    'fail',
    `${LUA}: not ocihooks's, and lacks slurm_scrun_stage_out (scrun requires both)`,
  ],
])('scrun.lua %s', (_name, text, exists, status, detail) => {
  expect(checkScrunLuaFile(text, LUA, () => exists)).toEqual({ name: 'scrun.lua', status, detail });
});

const OCI = '/etc/slurm/oci.conf';
test.each([
  [
    'what install prints',
    'RunTimeRun="w run"\nEnvExclude="^SLURM_CONF="\nRunTimeEnvExclude="^SLURM_CONF="\n',
    'ok',
    `${OCI}: SLURM_CONF kept from the job and the runtime; config.json read`,
  ],
  [
    'no EnvExclude',
    'RunTimeEnvExclude="^SLURM_CONF="\n# EnvExclude="^SLURM_CONF="\n',
    'warn',
    `${OCI}: EnvExclude="^SLURM_CONF=" missing: the submitting side's SLURM_CONF reaches the job and the runtime on the node`,
  ],
  [
    'neither, keys in any case',
    'envexclude="^HOME="\n',
    'warn',
    `${OCI}: EnvExclude="^SLURM_CONF=" and RunTimeEnvExclude="^SLURM_CONF=" missing: the submitting side's SLURM_CONF reaches the job and the runtime on the node`,
  ],
  [
    'IgnoreFileConfigJson on',
    'EnvExclude="^SLURM_CONF="\nRunTimeEnvExclude="^SLURM_CONF="\nIgnoreFileConfigJson=true\n',
    'fail',
    `${OCI}: IgnoreFileConfigJson is on: podman's annotations reach ocihooks-runtime only through config.json, so no hooks.d file matches`,
  ],
  [
    'IgnoreFileConfigJson off',
    'EnvExclude=^SLURM_CONF=\nRunTimeEnvExclude=^SLURM_CONF=\nIgnoreFileConfigJson=false\n',
    'ok',
    `${OCI}: SLURM_CONF kept from the job and the runtime; config.json read`,
  ],
])('oci.conf for scrun: %s', (_name, text, status, detail) => {
  expect(checkScrunOciConf(text, OCI)).toEqual({ name: 'scrun oci.conf', status, detail });
});

/** The containers.conf docs/scrun.md shows (test/support/scrun-site.ts writes the same). */
const GUIDE = `[containers]
netns = "host"
pidns = "host"
utsns = "host"
userns = "host"
cgroupns = "host"
no_hosts = true
label = false
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
`;
/** podman's own defaults file, abridged: commented settings and arrays over several lines. */
const DEFAULTS = `[containers]
# netns = "private"
default_capabilities = [
  "CHOWN",
  "KILL",
]
log_driver = "journald"

[engine]
cgroup_manager = "systemd"
`;
const CC = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf'];

test.each([
  [
    "the guide's file over podman's defaults",
    [DEFAULTS, GUIDE],
    'ok',
    `${CC.join(', ')}: as SchedMD's container guide has it for scrun`,
  ],
  [
    "podman's defaults alone",
    [DEFAULTS],
    'warn',
    `${CC.join(', ')}: scrun needs netns = "host" (is unset), pidns = "host" (is unset), utsns = "host" (is unset), userns = "host" (is unset), cgroupns = "host" (is unset), no_hosts = true (is unset), label = false (is unset), log_driver = "k8s-file" (is journald), cgroup_manager = "cgroupfs" (is systemd), events_logger = "file" (is unset)`,
  ],
  [
    "a drop-in after the guide's file undoing one setting",
    [GUIDE, "[containers]\nno_hosts = false # the site's\n"],
    'warn',
    `${CC.join(', ')}: scrun needs no_hosts = true (is false)`,
  ],
  [
    'single quotes',
    [GUIDE.replace('"host"', "'host'")],
    'ok',
    `${CC.join(', ')}: as SchedMD's container guide has it for scrun`,
  ],
])('containers.conf: %s', (_name, texts, status, detail) => {
  expect(checkContainersConf(texts, CC)).toEqual({ name: 'scrun containers.conf', status, detail });
});

test('containers.conf: none at all', () => {
  expect(checkContainersConf([], CC)).toEqual({
    name: 'scrun containers.conf',
    status: 'warn',
    detail: `none of ${CC.join(', ')}: podman's defaults do not suit scrun (docs/scrun.md)`,
  });
});

test("every setting the guide's file gives is one the check wants", () => {
  const s = tomlSettings([GUIDE]);
  expect(CONTAINERS_CONF_WANTED.map((w) => [w.key, s.get(w.key)])).toEqual(
    CONTAINERS_CONF_WANTED.map((w) => [w.key, w.value]),
  );
});

const SC = '/etc/containers/storage.conf';
test.each([
  ['vfs', '[storage]\ndriver = "vfs"\n', 'ok', `${SC}: driver "vfs": each rootfs is a plain folder`],
  [
    'overlay',
    '[storage]\ndriver = "overlay"\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n',
    'warn',
    `${SC}: driver "overlay": an overlay rootfs is a mount inside podman's namespace, which the node's runtime cannot see; set driver = "vfs"`,
  ],
  [
    'no driver',
    '[storage]\nrunroot = "/run/containers/storage"\n',
    'warn',
    `${SC}: driver unset: an overlay rootfs is a mount inside podman's namespace, which the node's runtime cannot see; set driver = "vfs"`,
  ],
  [
    'no file',
    undefined,
    'warn',
    `${SC}: missing: an overlay rootfs is a mount inside podman's namespace, which the node's runtime cannot see; set driver = "vfs"`,
  ],
])('storage.conf: %s', (_name, text, status, detail) => {
  expect(checkStorageConf(text, SC)).toEqual({ name: 'scrun storage', status, detail });
});

test.each([
  [
    "the user's, 0700",
    { isDirectory: true, uid: 1001, mode: 0o40700 },
    'ok',
    "/run/user/1001: the user's own; podman --runtime-flag root=/run/user/1001/scrun",
  ],
  [
    'missing',
    undefined,
    'warn',
    '/run/user/1001: missing; scrun needs --root /run/user/1001/scrun (a login makes it; so does systemd-logind)',
  ],
  [
    "root's",
    { isDirectory: true, uid: 0, mode: 0o40700 },
    'fail',
    '/run/user/1001: owned by uid 0, not 1001: scrun cannot keep its state there',
  ],
  [
    'open to others',
    { isDirectory: true, uid: 1001, mode: 0o40755 },
    'warn',
    "/run/user/1001: mode 755: others may read scrun's state (0700 expected)",
  ],
  ['a file', { isDirectory: false, uid: 1001, mode: 0o100600 }, 'fail', '/run/user/1001: not a folder'],
])('/run/user/<uid>: %s', (_name, st, status, detail) => {
  expect(checkRunUser(1001, st)).toEqual({ name: 'scrun runtime folder', status, detail });
});
