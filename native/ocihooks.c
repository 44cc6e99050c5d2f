/*
 * ocihooks native addon: thin Node-API wrappers over the Linux syscalls the hooks need.
 *
 * Rules of this file: one exported function per syscall (or one syscall idea, like
 * "enter a mount namespace"), no policy, no path building — except the mount-point walk and the
 * user-namespace helper that needs it (see there why). Every failure throws a JS Error
 * whose message names the syscall, the path (when there is one) and the errno, and which
 * carries `code` (errno name, e.g. "ENOENT"), `errno`, `syscall` and `path` properties.
 * Integers that are file descriptors stay plain numbers; the TypeScript side owns them.
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>


#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

/* ---------- namespaces ---------- */

/* enterMountNamespace(nsPath | nsFd): unshare(CLONE_FS) then setns(CLONE_NEWNS) for the calling
 * (main) thread. Node is multithreaded and its threads share fs attributes, so setns alone
 * fails with EINVAL; after unshare(CLONE_FS) only this thread moves. Callers must use
 * synchronous fs calls afterwards: libuv pool threads that already exist stay behind. */
static napi_value enter_mount_namespace(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  napi_valuetype t;
  int fd, owned = 0;
  if (!get_args(env, info, "enterMountNamespace", 1, &a)) return NULL;
  napi_typeof(env, a.argv[0], &t);
  if (t == napi_number) { /* an fd kept from before, e.g. to return to the original namespace */
    fd = (int)arg_int(&a, 0);
    snprintf(path, sizeof path, "fd %d", fd);
  } else {
    if (!arg_str(&a, 0, path, sizeof path, 0)) return NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return throw_errno(env, errno, "open", path);
    owned = 1;
  }
  if (a.failed) return NULL;
  if (unshare(CLONE_FS) < 0) {
    int err = errno;
    if (owned) close(fd);
    return throw_errno(env, err, "unshare", "CLONE_FS");
  }
  if (setns(fd, CLONE_NEWNS) < 0) {
    int err = errno;
    if (owned) close(fd);
    return throw_errno(env, err, "setns", path);
  }
  if (owned) close(fd);
  return undef(env);
}

/* ---------- path primitives ---------- */

/* openat2(dirfd, path, flags, mode, resolve[, noThrow]) -> fd. With noThrow, a failure returns
 * -errno instead of throwing: path resolution misses are common (a mount point to create), and
 * building a JS Error with its stack for each costs more than the syscall. */
static napi_value js_openat2(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  bool no_throw = false;
  if (!get_args(env, info, "openat2", 5, &a)) return NULL;
  if (a.argc > 5) napi_get_value_bool(env, a.argv[5], &no_throw);
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  struct open_how how = {0};
  how.flags = (uint64_t)arg_int(&a, 2);
  how.mode = (uint64_t)arg_int(&a, 3);
  how.resolve = (uint64_t)arg_int(&a, 4);
  if (a.failed) return NULL;
  long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd < 0 && no_throw) return num(env, -errno);
  if (fd < 0) return throw_errno(env, errno, "openat2", path);
  return num(env, fd);
}

/* openat(dirfd, path, flags, mode) -> fd */
static napi_value js_openat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "openat", 4, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  int flags = (int)arg_int(&a, 2);
  mode_t mode = (mode_t)arg_int(&a, 3);
  if (a.failed) return NULL;
  int fd = openat(dirfd, path, flags, mode);
  if (fd < 0) return throw_errno(env, errno, "openat", path);
  return num(env, fd);
}

/* mkdirat(dirfd, name, mode) */
static napi_value js_mkdirat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "mkdirat", 3, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  mode_t mode = (mode_t)arg_int(&a, 2);
  if (a.failed) return NULL;
  if (mkdirat(dirfd, path, mode) < 0) return throw_errno(env, errno, "mkdirat", path);
  return undef(env);
}

/* mknodat(dirfd, name, mode, major, minor) */
static napi_value js_mknodat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "mknodat", 5, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  mode_t mode = (mode_t)arg_int(&a, 2);
  unsigned maj = (unsigned)arg_int(&a, 3), min = (unsigned)arg_int(&a, 4);
  if (a.failed) return NULL;
  if (mknodat(dirfd, path, mode, makedev(maj, min)) < 0) return throw_errno(env, errno, "mknodat", path);
  return undef(env);
}

/* fchownat(dirfd, path, uid, gid, flags): with AT_EMPTY_PATH it changes an O_PATH fd's inode. */
static napi_value js_fchownat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "fchownat", 5, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  uid_t uid = (uid_t)arg_int(&a, 2);
  gid_t gid = (gid_t)arg_int(&a, 3);
  int flags = (int)arg_int(&a, 4);
  if (a.failed) return NULL;
  if (fchownat(dirfd, path, uid, gid, flags) < 0) return throw_errno(env, errno, "fchownat", path);
  return undef(env);
}

/* fchmodat(dirfd, name, mode): a name in an already-resolved directory (no symlink is followed:
 * the caller created the node there). */
static napi_value js_fchmodat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "fchmodat", 3, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  mode_t mode = (mode_t)arg_int(&a, 2);
  if (a.failed) return NULL;
  if (fchmodat(dirfd, path, mode, 0) < 0) return throw_errno(env, errno, "fchmodat", path);
  return undef(env);
}

/* symlinkat(target, dirfd, name): the link's text is written as given, never resolved. */
static napi_value js_symlinkat(napi_env env, napi_callback_info info) {
  args_t a;
  char target[MAX_PATH], name[MAX_PATH];
  if (!get_args(env, info, "symlinkat", 3, &a)) return NULL;
  arg_str(&a, 0, target, sizeof target, 0);
  int dirfd = (int)arg_int(&a, 1);
  arg_str(&a, 2, name, sizeof name, 0);
  if (a.failed) return NULL;
  if (symlinkat(target, dirfd, name) < 0) return throw_errno(env, errno, "symlinkat", name);
  return undef(env);
}

/* renameat(olddirfd, oldname, newdirfd, newname): atomic replacement within one filesystem. */
static napi_value js_renameat(napi_env env, napi_callback_info info) {
  args_t a;
  char from[MAX_PATH], to[MAX_PATH];
  if (!get_args(env, info, "renameat", 4, &a)) return NULL;
  int olddirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, from, sizeof from, 0);
  int newdirfd = (int)arg_int(&a, 2);
  arg_str(&a, 3, to, sizeof to, 0);
  if (a.failed) return NULL;
  if (renameat(olddirfd, from, newdirfd, to) < 0) return throw_errno(env, errno, "renameat", to);
  return undef(env);
}

/* unlinkat(dirfd, name, flags) */
static napi_value js_unlinkat(napi_env env, napi_callback_info info) {
  args_t a;
  char name[MAX_PATH];
  if (!get_args(env, info, "unlinkat", 3, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, name, sizeof name, 0);
  int flags = (int)arg_int(&a, 2);
  if (a.failed) return NULL;
  if (unlinkat(dirfd, name, flags) < 0) return throw_errno(env, errno, "unlinkat", name);
  return undef(env);
}

/* ---------- mounts ---------- */

/* mount(source, target, fstype, flags, data) — the classic API, for remounts and propagation. */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  args_t a;
  char src[MAX_PATH], tgt[MAX_PATH], fstype[256], data[MAX_PATH];
  if (!get_args(env, info, "mount", 5, &a)) return NULL;
  const char *s = arg_str(&a, 0, src, sizeof src, 1);
  const char *t = arg_str(&a, 1, tgt, sizeof tgt, 0);
  const char *f = arg_str(&a, 2, fstype, sizeof fstype, 1);
  unsigned long flags = (unsigned long)arg_int(&a, 3);
  const char *d = arg_str(&a, 4, data, sizeof data, 1);
  if (a.failed) return NULL;
  if (mount(s, t, f, flags, d) < 0) return throw_errno(env, errno, "mount", t);
  return undef(env);
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  args_t a;
  char tgt[MAX_PATH];
  if (!get_args(env, info, "umount2", 2, &a)) return NULL;
  arg_str(&a, 0, tgt, sizeof tgt, 0);
  int flags = (int)arg_int(&a, 1);
  if (a.failed) return NULL;
  if (umount2(tgt, flags) < 0) return throw_errno(env, errno, "umount2", tgt);
  return undef(env);
}

/* flock(fd, op): an advisory lock, released when the fd (or the process) goes. Blocks for LOCK_EX/LOCK_SH. */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "flock", 2, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  int op = (int)arg_int(&a, 1);
  if (a.failed) return NULL;
  int r;
  do r = flock(fd, op); while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "flock", NULL);
  return undef(env);
}

/* openTree(dirfd, path, flags) -> fd of a (detached, with OPEN_TREE_CLONE) mount tree */
static napi_value js_open_tree(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "openTree", 3, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  unsigned flags = (unsigned)arg_int(&a, 2);
  if (a.failed) return NULL;
  long fd = syscall(SYS_open_tree, dirfd, path, flags);
  if (fd < 0) return throw_errno(env, errno, "open_tree", path);
  return num(env, fd);
}

/* mountSetattr(dirfd, path, flags, attrSet, attrClr, propagation, label) */
static napi_value js_mount_setattr(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH], label[MAX_PATH];
  if (!get_args(env, info, "mountSetattr", 6, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  unsigned flags = (unsigned)arg_int(&a, 2);
  struct mount_attr attr = {0};
  attr.attr_set = (uint64_t)arg_int(&a, 3);
  attr.attr_clr = (uint64_t)arg_int(&a, 4);
  attr.propagation = (uint64_t)arg_int(&a, 5);
  const char *shown = a.argc > 6 ? arg_str(&a, 6, label, sizeof label, 1) : NULL;
  if (a.failed) return NULL;
  if (syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr) < 0)
    return throw_errno(env, errno, "mount_setattr", shown ? shown : path);
  return undef(env);
}

/* moveMount(fromDirfd, fromPath, toDirfd, toPath, flags, label) */
static napi_value js_move_mount(napi_env env, napi_callback_info info) {
  args_t a;
  char from[MAX_PATH], to[MAX_PATH], label[MAX_PATH];
  if (!get_args(env, info, "moveMount", 5, &a)) return NULL;
  int from_fd = (int)arg_int(&a, 0);
  arg_str(&a, 1, from, sizeof from, 0);
  int to_fd = (int)arg_int(&a, 2);
  arg_str(&a, 3, to, sizeof to, 0);
  unsigned flags = (unsigned)arg_int(&a, 4);
  const char *shown = a.argc > 5 ? arg_str(&a, 5, label, sizeof label, 1) : NULL;
  if (a.failed) return NULL;
  if (syscall(SYS_move_mount, from_fd, from, to_fd, to, flags) < 0)
    return throw_errno(env, errno, "move_mount", shown ? shown : to);
  return undef(env);
}

/* fsopen(fsname, flags) -> fd */
static napi_value js_fsopen(napi_env env, napi_callback_info info) {
  args_t a;
  char name[256];
  if (!get_args(env, info, "fsopen", 2, &a)) return NULL;
  arg_str(&a, 0, name, sizeof name, 0);
  unsigned flags = (unsigned)arg_int(&a, 1);
  if (a.failed) return NULL;
  long fd = syscall(SYS_fsopen, name, flags);
  if (fd < 0) return throw_errno(env, errno, "fsopen", name);
  return num(env, fd);
}

/* fsconfig(fd, cmd, key, value) — value is a string or null (flags and commands). */
static napi_value js_fsconfig(napi_env env, napi_callback_info info) {
  args_t a;
  char key[256], value[MAX_PATH];
  if (!get_args(env, info, "fsconfig", 4, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  unsigned cmd = (unsigned)arg_int(&a, 1);
  const char *k = arg_str(&a, 2, key, sizeof key, 1);
  const char *v = arg_str(&a, 3, value, sizeof value, 1);
  if (a.failed) return NULL;
  if (syscall(SYS_fsconfig, fd, cmd, k, v, 0) < 0) return throw_errno(env, errno, "fsconfig", k ? k : "");
  return undef(env);
}

/* fsmount(fd, flags, attrFlags) -> mount fd (detached) */
static napi_value js_fsmount(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "fsmount", 3, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  unsigned flags = (unsigned)arg_int(&a, 1), attrs = (unsigned)arg_int(&a, 2);
  if (a.failed) return NULL;
  long mfd = syscall(SYS_fsmount, fd, flags, attrs);
  if (mfd < 0) return throw_errno(env, errno, "fsmount", NULL);
  return num(env, mfd);
}

/* ---------- bpf(2): cgroup device programs ---------- */

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

/* bpfProgQuery(targetFd, attachType, label) -> { attachFlags, ids: number[] } (effective=false) */
static napi_value js_bpf_prog_query(napi_env env, napi_callback_info info) {
  args_t a;
  char label[MAX_PATH];
  if (!get_args(env, info, "bpfProgQuery", 2, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  int type = (int)arg_int(&a, 1);
  const char *shown = a.argc > 2 ? arg_str(&a, 2, label, sizeof label, 1) : NULL;
  if (a.failed) return NULL;
  uint32_t ids[64];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = fd;
  attr.query.attach_type = type;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 64;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_QUERY)", shown);
  napi_value result, arr;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "attachFlags", num(env, attr.query.attach_flags));
  napi_create_array_with_length(env, attr.query.prog_cnt, &arr);
  for (uint32_t i = 0; i < attr.query.prog_cnt; i++) napi_set_element(env, arr, i, num(env, ids[i]));
  napi_set_named_property(env, result, "ids", arr);
  return result;
}

/* bpfProgGetFdById(id) -> fd */
static napi_value js_bpf_prog_get_fd_by_id(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgGetFdById", 1, &a)) return NULL;
  uint32_t id = (uint32_t)arg_int(&a, 0);
  if (a.failed) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) {
    char shown[64];
    snprintf(shown, sizeof shown, "program id %u", id);
    return throw_errno(env, errno, "bpf(BPF_PROG_GET_FD_BY_ID)", shown);
  }
  return num(env, fd);
}

/* bpfProgInfo(progFd) -> { type, id, insns: Buffer } with the kernel's translated instructions */
static napi_value js_bpf_prog_info(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgInfo", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  struct bpf_prog_info pi;
  union bpf_attr attr;
  memset(&pi, 0, sizeof pi);
  memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = fd;
  attr.info.info_len = sizeof pi;
  attr.info.info = (uint64_t)(uintptr_t)&pi;
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_OBJ_GET_INFO_BY_FD)", NULL);
  uint32_t len = pi.xlated_prog_len;
  void *data = NULL;
  napi_value buf;
  napi_create_buffer(env, len, &data, &buf);
  if (len > 0) {
    memset(&pi, 0, sizeof pi);
    pi.xlated_prog_len = len;
    pi.xlated_prog_insns = (uint64_t)(uintptr_t)data;
    memset(&attr, 0, sizeof attr);
    attr.info.bpf_fd = fd;
    attr.info.info_len = sizeof pi;
    attr.info.info = (uint64_t)(uintptr_t)&pi;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_OBJ_GET_INFO_BY_FD)", NULL);
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "type", num(env, pi.type));
  napi_set_named_property(env, result, "id", num(env, pi.id));
  napi_set_named_property(env, result, "insns", buf);
  return result;
}

/* bpfProgLoad(progType, insns: Buffer, license) -> fd; the verifier log is in the error message. */
static napi_value js_bpf_prog_load(napi_env env, napi_callback_info info) {
  args_t a;
  char license[64];
  if (!get_args(env, info, "bpfProgLoad", 3, &a)) return NULL;
  int type = (int)arg_int(&a, 0);
  arg_str(&a, 2, license, sizeof license, 0);
  if (a.failed) return NULL;
  void *insns;
  size_t len;
  if (napi_get_buffer_info(env, a.argv[1], &insns, &len) != napi_ok || len % 8 != 0) {
    throw_type(env, "bpfProgLoad", "insns must be a Buffer of 8-byte instructions");
    return NULL;
  }
  static char log[16384];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = type;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)(len / 8);
  attr.license = (uint64_t)(uintptr_t)license;
  log[0] = '\0';
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == ENOSPC) { /* log too small: retry without a log for the real errno */
    attr.log_buf = 0;
    attr.log_size = 0;
    attr.log_level = 0;
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
  }
  if (fd < 0) {
    int err = errno;
    size_t n = strlen(log);
    while (n > 0 && (log[n - 1] == '\n')) log[--n] = '\0';
    const char *last = strrchr(log, '\n');
    return throw_errno(env, err, "bpf(BPF_PROG_LOAD)", n ? (last ? last + 1 : log) : NULL);
  }
  return num(env, fd);
}

/* bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd) */
static napi_value js_bpf_prog_attach(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgAttach", 5, &a)) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)arg_int(&a, 0);
  attr.attach_bpf_fd = (uint32_t)arg_int(&a, 1);
  attr.attach_type = (uint32_t)arg_int(&a, 2);
  attr.attach_flags = (uint32_t)arg_int(&a, 3);
  attr.replace_bpf_fd = (uint32_t)arg_int(&a, 4);
  if (a.failed) return NULL;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_ATTACH)", NULL);
  return undef(env);
}

/* bpfProgDetach(targetFd, progFd, attachType) */
static napi_value js_bpf_prog_detach(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgDetach", 3, &a)) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)arg_int(&a, 0);
  attr.attach_bpf_fd = (uint32_t)arg_int(&a, 1);
  attr.attach_type = (uint32_t)arg_int(&a, 2);
  if (a.failed) return NULL;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_DETACH)", NULL);
  return undef(env);
}


/* ---------- mount points: the one walk ---------- */

/* The exception to "no policy" in this file: the mount-point walk lives here once, because the
 * forked user-namespace helper below cannot run JavaScript and the hooks must not have two walks
 * that could disagree. TypeScript (src/linux/mount/mount-point.ts) words the results. */

static int open_in_root(int root, const char *rel, int flags) {
  struct open_how how = {0};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, root, rel[0] ? rel : ".", &how, sizeof how);
}

/* The mount an fd lies on (the id /proc/<pid>/mountinfo shows; 0 when it cannot be had). */
static uint64_t mount_id_of(int fd) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0) return 0;
  return (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
}

static int64_t fs_type_of(int fd) {
  struct statfs s;
  return fstatfs(fd, &s) == 0 ? (int64_t)s.f_type : 0;
}

/* What a mount point must be; the order of MountPointKind in src/linux/mount/mount-point.ts. */
enum { MP_FILE = 0, MP_DIRECTORY = 1, MP_DEVICE = 2 };

#define MP_MAX_ALLOWED 8
#define MP_MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

/* What the walk must respect besides staying inside the root. */
typedef struct {
  /* When n_allowed > 0, a destination only on these mounts (the container's own filesystems):
   * a directory is judged by its own mount, anything else by its folder's, a missing one by the
   * folder it would be created in. */
  uint64_t allowed[MP_MAX_ALLOWED];
  int n_allowed;
  uid_t uid; /* owner of what the walk creates; (uid_t)-1 leaves it as created */
  gid_t gid;
} mp_policy;

/* Why no mount point could be had, besides a failed syscall; the names TypeScript reads. */
typedef enum { MP_SYSCALL, MP_ROOT, MP_NOT_DIRECTORY, MP_WRONG_KIND, MP_VANISHED, MP_FOREIGN } mp_reason;
static const char *const MP_REASONS[] = {"syscall", "root", "not-directory", "wrong-kind", "vanished", "foreign"};

typedef struct {
  mp_reason reason;
  int err;             /* errno, for MP_SYSCALL */
  const char *syscall; /* for MP_SYSCALL */
  char at[MAX_PATH];   /* the path at fault, relative to the root (after symlinks) */
  mode_t mode;         /* what was found there, for MP_NOT_DIRECTORY and MP_WRONG_KIND */
  uint64_t mnt;        /* MP_FOREIGN, or a creation that failed: the mount of the folder */
  int64_t fs_type;     /* its statfs f_type */
} mp_failure;

static int mp_fail(mp_failure *f, mp_reason reason, const char *at, int err, const char *syscall_name, mode_t mode) {
  f->reason = reason;
  snprintf(f->at, sizeof f->at, "%s", at);
  f->err = err;
  f->syscall = syscall_name;
  f->mode = mode;
  return -1;
}

/* Records the mount of the folder `dir` with a failure that happened there. */
static int mp_fail_in(mp_failure *f, int dir, mp_reason reason, const char *at, int err, const char *syscall_name) {
  f->mnt = mount_id_of(dir);
  f->fs_type = fs_type_of(dir);
  return mp_fail(f, reason, at, err, syscall_name, 0);
}

static mode_t mode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_mode : 0;
}

/* "a" + "/" + "b", or "b" when a is empty; -1 when it does not fit. */
static int join_path(char *out, size_t size, const char *a, const char *b) {
  int n = a[0] ? snprintf(out, size, "%s/%s", a, b) : snprintf(out, size, "%s", b);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Whether the folder `dir` (at `at`) is one the policy allows to hold a mount point. */
static int mp_allowed(const mp_policy *p, int dir, const char *at, mp_failure *f) {
  if (p->n_allowed == 0) return 0;
  uint64_t m = mount_id_of(dir);
  for (int i = 0; m != 0 && i < p->n_allowed; i++)
    if (p->allowed[i] == m) return 0;
  return mp_fail_in(f, dir, MP_FOREIGN, at, 0, NULL);
}

/* Creates `name` in the already-resolved folder dir (a directory, or a file made with mknodat,
 * never opened), owned as the policy says. 1: something is there already (a race; look again). */
static int mp_make(int dir, const char *name, int directory, const mp_policy *p, const char *at, mp_failure *f) {
  int r = directory ? mkdirat(dir, name, 0755) : mknodat(dir, name, S_IFREG | 0644, 0);
  if (r < 0 && errno == EEXIST) return 1;
  if (r < 0) return mp_fail_in(f, dir, MP_SYSCALL, at, errno, directory ? "mkdirat" : "mknodat");
  if (p->uid != (uid_t)-1 && fchownat(dir, name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return mp_fail_in(f, dir, MP_SYSCALL, at, errno, "fchownat");
  return 0;
}

static int kind_accepts(int kind, mode_t m) {
  if (kind == MP_DIRECTORY) return S_ISDIR(m);
  if (kind == MP_DEVICE) return S_ISREG(m) || S_ISCHR(m) || S_ISBLK(m); /* e.g. a node the runtime made */
  return S_ISREG(m);
}

/* The checks every mount point passes: not the root, of the kind asked, on an allowed mount (a
 * directory by its own, anything else by its folder's). Takes final; returns it or -1. */
static int mp_finish(int root, int final, int parent, const char *at, int kind, const mp_policy *p, mp_failure *f) {
  struct stat st, rootst;
  if (fstat(final, &st) < 0 || fstat(root, &rootst) < 0) {
    int err = errno;
    close(final);
    return mp_fail(f, MP_SYSCALL, at, err, "fstat", 0);
  }
  /* "a/..", or a symlink to "/", names the root itself: never a mount point. */
  if (st.st_dev == rootst.st_dev && st.st_ino == rootst.st_ino) { close(final); return mp_fail(f, MP_ROOT, at, 0, NULL, 0); }
  if (!kind_accepts(kind, st.st_mode)) { close(final); return mp_fail(f, MP_WRONG_KIND, at, 0, NULL, st.st_mode); }
  int judged = S_ISDIR(st.st_mode) || parent < 0 ? final : parent;
  char folder[MAX_PATH];
  snprintf(folder, sizeof folder, "%s", at);
  if (judged == parent) { char *slash = strrchr(folder, '/'); if (slash) *slash = '\0'; else folder[0] = '\0'; }
  if (mp_allowed(p, judged, folder, f) < 0) { close(final); return -1; }
  return final;
}

/* The next component of path at *pos ("" at the end), skipping "/" and "."; *pos moves past it. */
static size_t next_component(const char *path, size_t *pos, char *out) {
  for (;;) {
    while (path[*pos] == '/') (*pos)++;
    size_t start = *pos;
    while (path[*pos] && path[*pos] != '/') (*pos)++;
    size_t n = *pos - start;
    memcpy(out, path + start, n);
    out[n] = '\0';
    if (!(n == 1 && out[0] == '.')) return n;
  }
}

/* Whether a path has a ".." component. */
static int has_dotdot(const char *path) {
  char c[MAX_PATH];
  size_t pos = 0;
  while (next_component(path, &pos, c) > 0)
    if (strcmp(c, "..") == 0) return 1;
  return 0;
}

/* first/rest with ".." taken lexically: the ".." that climb above `first` stay in front
 * ("../../y"), the others cancel the component before them. -1 when it does not fit. */
static int lexical_rest(const char *first, const char *rest, char *out, size_t size) {
  char path[MAX_PATH], c[MAX_PATH];
  if (snprintf(path, sizeof path, "%s/%s", first, rest) >= (int)sizeof path) return -1;
  size_t ups = 0, kept = 0, pos = 0, starts[MAX_PATH / 2];
  out[0] = '\0';
  size_t len = 0;
  while (next_component(path, &pos, c) > 0) {
    if (strcmp(c, "..") == 0) {
      if (kept > 0) { kept--; len = starts[kept]; out[len] = '\0'; }
      else ups++;
      continue;
    }
    starts[kept++] = len;
    int n = snprintf(out + len, size - len, "%s%s", len ? "/" : "", c);
    if (n < 0 || (size_t)n >= size - len) return -1;
    len += (size_t)n;
  }
  char tail[MAX_PATH];
  snprintf(tail, sizeof tail, "%s", out);
  out[0] = '\0';
  len = 0;
  for (size_t i = 0; i < ups; i++) {
    if (len + 3 >= size) return -1;
    memcpy(out + len, "../", 3);
    len += 3;
    out[len] = '\0';
  }
  if (len + strlen(tail) >= size) return -1;
  memcpy(out + len, tail, strlen(tail) + 1);
  return 0;
}

/* The walk from the root, one component at a time, when the kernel's own resolution says that
 * something is missing, or the last component is a symlink: each symlink is read and its target
 * walked as RESOLVE_IN_ROOT would (an absolute one from the root, ".." never above it), and what
 * is missing is created — the target of a symlink that does not resolve too, as runc and Sarus
 * do. No symlink on procfs is followed (some are magic). Every step is an openat of one name in
 * a folder already opened, so nothing can lead outside the root. */
static int mp_walk(int root, const char *rel, int kind, const mp_policy *p, mp_failure *f) {
  char todo[MAX_PATH], rest[MAX_PATH], name[MAX_PATH], canon[MAX_PATH] = "", at[MAX_PATH], link[MAX_PATH];
  snprintf(todo, sizeof todo, "%s", rel);
  size_t pos = 0;
  int links = 0, parent = -1, final = -1;
  int cur = open_in_root(root, "", O_PATH | O_DIRECTORY);
  if (cur < 0) return mp_fail(f, MP_SYSCALL, "", errno, "openat2", 0);
  for (;;) {
    size_t n = next_component(todo, &pos, name);
    if (n == 0) break;
    size_t after = pos;
    char peek[MAX_PATH];
    int last = next_component(todo, &after, peek) == 0;
    if (strcmp(name, "..") == 0) {
      char *slash = strrchr(canon, '/');
      if (slash) *slash = '\0'; else canon[0] = '\0';
      int up = open_in_root(root, canon, O_PATH | O_DIRECTORY);
      if (up < 0) { int err = errno; close(cur); return mp_fail(f, MP_SYSCALL, canon, err, "openat2", 0); }
      close(cur);
      cur = up;
      continue;
    }
    if (join_path(at, sizeof at, canon, name) < 0) { close(cur); return mp_fail(f, MP_SYSCALL, canon, ENAMETOOLONG, "openat", 0); }
    int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      /* From the first missing component on nothing can be a symlink (it is made as a plain
       * folder), so a ".." there is read lexically, as runc's securejoin and Sarus read it:
       * "x/../y" is "y", without making x; a ".." past x walks up from here as any other. */
      if (has_dotdot(todo + pos)) {
        if (lexical_rest(name, todo + pos, rest, sizeof rest) < 0) { close(cur); return mp_fail(f, MP_SYSCALL, at, ENAMETOOLONG, "openat", 0); }
        memcpy(todo, rest, sizeof todo);
        pos = 0;
        continue;
      }
      if (mp_allowed(p, cur, canon, f) < 0) { close(cur); return -1; }
      int made = mp_make(cur, name, !last || kind == MP_DIRECTORY, p, at, f);
      if (made < 0) { close(cur); return -1; }
      fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) { int err = errno; close(cur); return err == ENOENT ? mp_fail(f, MP_VANISHED, at, 0, NULL, 0) : mp_fail(f, MP_SYSCALL, at, err, "openat", 0); }
      if (made == 0 && S_ISLNK(mode_of(fd))) { close(fd); close(cur); return mp_fail(f, MP_VANISHED, at, 0, NULL, 0); }
    } else if (fd < 0) {
      int err = errno;
      close(cur);
      return mp_fail(f, MP_SYSCALL, at, err, "openat", 0);
    }
    mode_t m = mode_of(fd);
    if (S_ISLNK(m)) {
      int err = 0;
      ssize_t len = -1;
      if (++links > MP_MAX_LINKS) err = ELOOP;
      else if (fs_type_of(cur) == PROC_SUPER_MAGIC) {
        if (p->n_allowed > 0) { close(fd); int r = mp_fail_in(f, cur, MP_FOREIGN, canon, 0, NULL); close(cur); return r; }
        err = ELOOP;
      } else if ((len = readlinkat(fd, "", link, sizeof link - 1)) < 0) err = errno;
      close(fd);
      if (err) { close(cur); return mp_fail(f, MP_SYSCALL, at, err, "readlinkat", 0); }
      link[len] = '\0';
      if (snprintf(rest, sizeof rest, "%s/%s", link, todo + pos) >= (int)sizeof rest) { close(cur); return mp_fail(f, MP_SYSCALL, at, ENAMETOOLONG, "readlinkat", 0); }
      memcpy(todo, rest, sizeof todo);
      pos = 0;
      if (link[0] == '/') {
        int top = open_in_root(root, "", O_PATH | O_DIRECTORY);
        if (top < 0) { int e = errno; close(cur); return mp_fail(f, MP_SYSCALL, "", e, "openat2", 0); }
        close(cur);
        cur = top;
        canon[0] = '\0';
      }
      continue;
    }
    snprintf(canon, sizeof canon, "%s", at);
    if (last) { final = fd; parent = cur; break; }
    if (!S_ISDIR(m)) { close(fd); close(cur); return mp_fail(f, MP_NOT_DIRECTORY, at, 0, NULL, m); }
    close(cur);
    cur = fd;
  }
  if (final < 0) { final = cur; cur = -1; } /* the path ended with "..": a folder, already walked */
  int r = mp_finish(root, final, parent, canon, kind, p, f);
  if (parent >= 0) close(parent);
  return r;
}

/* An O_PATH fd on the mount point rel (components joined by "/", no "" or "." components) inside
 * root, creating it and its missing parents; an existing one must be of the kind asked for. The
 * common case costs one lookup of the parent (the kernel's, RESOLVE_IN_ROOT) and one of the name
 * in it; anything unusual — a missing folder, a symlink last, "..", a file where a folder should
 * be — takes the walk above. */
static int mount_point(int root, const char *rel, int kind, const mp_policy *p, mp_failure *f) {
  f->mnt = 0;
  f->fs_type = 0;
  size_t len = strlen(rel);
  if (len == 0) return mp_fail(f, MP_ROOT, "", 0, NULL, 0);
  if (len >= MAX_PATH) return mp_fail(f, MP_SYSCALL, "", ENAMETOOLONG, "openat2", 0);
  size_t start = len;
  while (start > 0 && rel[start - 1] != '/') start--;
  const char *name = rel + start;
  if (strcmp(name, "..") == 0) return mp_walk(root, rel, kind, p, f);
  char folder[MAX_PATH];
  memcpy(folder, rel, start ? start - 1 : 0);
  folder[start ? start - 1 : 0] = '\0';
  int parent = open_in_root(root, folder, O_PATH);
  /* Under the mount hook's rules the walk judges every failure of the kernel's lookup: a procfs
   * link on the way (ELOOP for a magic one, EACCES for another process's) is named as procfs. */
  if (parent < 0 && (errno == ENOENT || errno == ENOTDIR || p->n_allowed > 0)) return mp_walk(root, rel, kind, p, f);
  if (parent < 0) return mp_fail(f, MP_SYSCALL, folder, errno, "openat2", 0);
  if (!S_ISDIR(mode_of(parent))) { close(parent); return mp_walk(root, rel, kind, p, f); }
  int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (mp_allowed(p, parent, folder, f) < 0) { close(parent); return -1; }
    int made = mp_make(parent, name, kind == MP_DIRECTORY, p, rel, f);
    if (made != 0) { close(parent); return made < 0 ? -1 : mp_walk(root, rel, kind, p, f); }
    fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || S_ISLNK(mode_of(fd))) {
      int err = fd < 0 ? errno : ENOENT;
      if (fd >= 0) close(fd);
      close(parent);
      return err == ENOENT ? mp_fail(f, MP_VANISHED, rel, 0, NULL, 0) : mp_fail(f, MP_SYSCALL, rel, err, "openat", 0);
    }
  } else if (fd < 0) {
    int err = errno;
    close(parent);
    return mp_fail(f, MP_SYSCALL, rel, err, "openat", 0);
  } else if (S_ISLNK(mode_of(fd))) {
    close(fd);
    close(parent);
    return mp_walk(root, rel, kind, p, f);
  }
  int r = mp_finish(root, fd, parent, rel, kind, p, f);
  close(parent);
  return r;
}

/* Reads the policy object {allowedMounts?: number[], uid?: number, gid?: number} (undefined: none). */
static int get_policy(napi_env env, napi_value v, mp_policy *p) {
  p->n_allowed = 0;
  p->uid = (uid_t)-1;
  p->gid = (gid_t)-1;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return 1;
  if (t != napi_object) return 0;
  napi_value x;
  bool has = false;
  napi_has_named_property(env, v, "allowedMounts", &has);
  if (has) {
    uint32_t n = 0;
    napi_get_named_property(env, v, "allowedMounts", &x);
    if (napi_get_array_length(env, x, &n) != napi_ok || n > MP_MAX_ALLOWED) return 0;
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      int64_t id = 0;
      napi_get_element(env, x, i, &e);
      if (napi_get_value_int64(env, e, &id) != napi_ok || id <= 0) return 0;
      p->allowed[p->n_allowed++] = (uint64_t)id;
    }
  }
  int64_t id;
  napi_has_named_property(env, v, "uid", &has);
  if (has) {
    napi_get_named_property(env, v, "uid", &x);
    if (napi_get_value_int64(env, x, &id) != napi_ok || id < 0) return 0;
    p->uid = (uid_t)id;
    napi_has_named_property(env, v, "gid", &has);
    if (!has) return 0;
    napi_get_named_property(env, v, "gid", &x);
    if (napi_get_value_int64(env, x, &id) != napi_ok || id < 0) return 0;
    p->gid = (gid_t)id;
  }
  return 1;
}

/* mountPoint(rootFd, rel, kind, policy?) -> fd | {reason, at, mode, mountId, fsType}: the walk
 * above. A failed syscall throws (code, syscall, the path at fault, and mountId/fsType of the
 * folder when it failed creating there); every other reason is returned as data. */
static napi_value js_mount_point(napi_env env, napi_callback_info info) {
  args_t a;
  char rel[MAX_PATH];
  if (!get_args(env, info, "mountPoint", 3, &a)) return NULL;
  int root = (int)arg_int(&a, 0);
  arg_str(&a, 1, rel, sizeof rel, 0);
  int kind = (int)arg_int(&a, 2);
  if (a.failed) return NULL;
  mp_policy p;
  if (!get_policy(env, a.argc > 3 ? a.argv[3] : undef(env), &p)) {
    throw_type(env, "mountPoint", "policy must be {allowedMounts?: ids (at most 8), uid?, gid?}");
    return NULL;
  }
  mp_failure f;
  int fd = mount_point(root, rel, kind, &p, &f);
  if (fd >= 0) return num(env, fd);
  napi_value r, v;
  if (f.reason == MP_SYSCALL) {
    r = errno_error(env, f.err, f.syscall, f.at[0] ? f.at : ".");
    if (f.mnt) {
      napi_set_named_property(env, r, "mountId", num(env, (int64_t)f.mnt));
      napi_set_named_property(env, r, "fsType", num(env, f.fs_type));
    }
    napi_throw(env, r);
    return NULL;
  }
  napi_create_object(env, &r);
  napi_create_string_utf8(env, MP_REASONS[f.reason], NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, r, "reason", v);
  napi_create_string_utf8(env, f.at, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, r, "at", v);
  napi_set_named_property(env, r, "mode", num(env, f.mode));
  napi_set_named_property(env, r, "mountId", num(env, (int64_t)f.mnt));
  napi_set_named_property(env, r, "fsType", num(env, f.fs_type));
  return r;
}

/* mountOf(fd) -> {id, fsType}: the mount an fd lies on (statx STATX_MNT_ID) and its statfs f_type. */
static napi_value js_mount_of(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "mountOf", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0) return throw_errno(env, errno, "statx", NULL);
  struct statfs s;
  if (fstatfs(fd, &s) < 0) return throw_errno(env, errno, "fstatfs", NULL);
  napi_value r;
  napi_create_object(env, &r);
  napi_set_named_property(env, r, "id", num(env, (sx.stx_mask & STATX_MNT_ID) ? (int64_t)sx.stx_mnt_id : 0));
  napi_set_named_property(env, r, "fsType", num(env, (int64_t)s.f_type));
  return r;
}

/* stat(path) -> [st_mode, major, minor] of what path names, symlinks followed: a planner's look at
 * a host path, without the Stats object (fourteen BigInts) node:fs builds for each. */
static napi_value js_stat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "stat", 1, &a)) return NULL;
  arg_str(&a, 0, path, sizeof path, 0);
  if (a.failed) return NULL;
  struct stat st;
  if (stat(path, &st) < 0) return throw_errno(env, errno, "stat", path);
  napi_value r;
  napi_create_array_with_length(env, 3, &r);
  napi_set_element(env, r, 0, num(env, st.st_mode));
  napi_set_element(env, r, 1, num(env, major(st.st_rdev)));
  napi_set_element(env, r, 2, num(env, minor(st.st_rdev)));
  return r;
}

/* ---------- the container's user ---------- */

/* Whether a thread whose group is gid counts the same groups with supplementary groups a as
 * with b (a lookup checks the fsgid, then the supplementary groups: gid in either list is moot). */
static int same_groups(gid_t gid, const gid_t *a, size_t na, const gid_t *b, size_t nb) {
  for (size_t i = 0; i < na; i++) {
    size_t j = 0;
    while (j < nb && b[j] != a[i]) j++;
    if (j == nb && a[i] != gid) return 0;
  }
  for (size_t j = 0; j < nb; j++) {
    size_t i = 0;
    while (i < na && a[i] != b[j]) i++;
    if (i == na && b[j] != gid) return 0;
  }
  return 1;
}

/* open_as with the thread's own groups already read into saved. */
static int open_switched(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups,
                         const gid_t *saved, size_t saved_n, int *fd_out, const char **what) {
  if (same_groups(gid, groups, ngroups, saved, saved_n) && (uid_t)syscall(SYS_setfsuid, -1) == uid &&
      (gid_t)syscall(SYS_setfsgid, -1) == gid) {
    *fd_out = open(path, O_PATH | O_CLOEXEC);
    if (*fd_out < 0) { *what = "open"; return -1; }
    return 0;
  }
  int groups_set = 0, err = 0;
  if (syscall(SYS_setgroups, ngroups, groups) == 0) groups_set = 1;
  else if (!(errno == EPERM && ngroups == 0)) { err = errno; *what = "setgroups"; }
  uid_t old_uid = 0;
  gid_t old_gid = 0;
  int uid_set = 0, gid_set = 0;
  if (!err) {
    old_gid = (gid_t)syscall(SYS_setfsgid, gid);
    gid_set = 1;
    if ((gid_t)syscall(SYS_setfsgid, -1) != gid) { err = EPERM; *what = "setfsgid"; }
  }
  if (!err) {
    old_uid = (uid_t)syscall(SYS_setfsuid, uid);
    uid_set = 1;
    if ((uid_t)syscall(SYS_setfsuid, -1) != uid) { err = EPERM; *what = "setfsuid"; }
  }
  if (!err) {
    *fd_out = open(path, O_PATH | O_CLOEXEC);
    if (*fd_out < 0) { err = errno; *what = "open"; }
  }
  if (uid_set) syscall(SYS_setfsuid, old_uid);
  if (gid_set) syscall(SYS_setfsgid, old_gid);
  if (groups_set) syscall(SYS_setgroups, saved_n, saved);
  if ((uid_set && (uid_t)syscall(SYS_setfsuid, -1) != old_uid) || (gid_set && (gid_t)syscall(SYS_setfsgid, -1) != old_gid)) {
    if (*fd_out >= 0 && !err) close(*fd_out);
    *what = "restore the hook's own filesystem identity";
    errno = EPERM;
    return -1;
  }
  if (err) { errno = err; return -1; }
  return 0;
}

/* An O_PATH fd on path, looked up with the filesystem identity of uid/gid/groups: a source the
 * container's user cannot reach is refused as it would be for that user (Sarus switches identity
 * for the same check). Credentials are per thread in Linux and these are the raw syscalls (glibc's
 * wrappers change every thread of the process): only the calling thread looks as the user, for
 * one open, and gets its own identity back. When setgroups is denied (a user namespace whose
 * setgroups is "deny", as runc --rootless makes it) and no supplementary group is asked for, the
 * thread keeps its own groups — the runtime could not drop them for the container either. 0 or
 * -1 with *what naming the syscall that failed and errno set. A thread that already has that
 * identity (the usual root container user of a hook running as root) opens without switching. */
static int open_as(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, int *fd_out, const char **what) {
  gid_t few[64];
  gid_t *saved = few;
  int saved_n = (int)syscall(SYS_getgroups, 64, few);
  if (saved_n < 0 && errno == EINVAL) {
    saved_n = (int)syscall(SYS_getgroups, 0, NULL);
    saved = saved_n < 0 ? NULL : calloc((size_t)saved_n + 1, sizeof(gid_t));
    if (!saved || syscall(SYS_getgroups, saved_n, saved) < 0) { free(saved); *what = "getgroups"; errno = ENOMEM; return -1; }
  } else if (saved_n < 0) { *what = "getgroups"; return -1; }
  int r = open_switched(path, uid, gid, ngroups, groups, saved, (size_t)saved_n, fd_out, what);
  if (saved != few) free(saved);
  return r;
}

/* Reads a number array argument into a fresh gid_t array (*n its length). */
static gid_t *get_gids(napi_env env, napi_value v, size_t *n) {
  uint32_t len = 0;
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array || napi_get_array_length(env, v, &len) != napi_ok || len > 65536) return NULL;
  gid_t *g = calloc(len ? len : 1, sizeof(gid_t));
  for (uint32_t i = 0; g && i < len; i++) {
    napi_value e;
    int64_t id = -1;
    napi_get_element(env, v, i, &e);
    if (napi_get_value_int64(env, e, &id) != napi_ok || id < 0 || id > UINT32_MAX - 1) { free(g); return NULL; }
    g[i] = (gid_t)id;
  }
  *n = len;
  return g;
}

/* openAs(path, uid, gid, groups[]) -> an O_PATH fd on path, looked up as that user (open_as). */
static napi_value js_open_as(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "openAs", 4, &a)) return NULL;
  arg_str(&a, 0, path, sizeof path, 0);
  int64_t uid = arg_int(&a, 1), gid = arg_int(&a, 2);
  if (a.failed) return NULL;
  size_t n = 0;
  gid_t *groups = get_gids(env, a.argv[3], &n);
  if (!groups || uid < 0 || gid < 0) {
    free(groups);
    throw_type(env, "openAs", "expected a path, a uid, a gid and an array of gids");
    return NULL;
  }
  int fd = -1;
  const char *what = "open";
  int r = open_as(path, (uid_t)uid, (gid_t)gid, n, groups, &fd, &what);
  free(groups);
  if (r < 0) return throw_errno(env, errno, what, path);
  return num(env, fd);
}

/* ---------- user namespaces: a single-threaded helper ---------- */

/* Results go back to the parent as lines: "ok <mount id>", "err <errno> <syscall> <path>" for a
 * failed syscall (then "in <mount id> <fs type>" when it failed creating in a folder), or
 * "mp <reason> <mode> <mount id> <fs type> <path>" for a mount point the walk refused. */
static void report(int fd, int err, const char *syscall_name, const char *path) {
  char line[MAX_PATH + 128];
  int n = snprintf(line, sizeof line, "err %d %s %s\n", err, syscall_name, path);
  if (write(fd, line, (size_t)n) < 0) _exit(3);
}

static void report_mount_point(int fd, const mp_failure *f) {
  char line[MAX_PATH + 160];
  int n = f->reason == MP_SYSCALL
            ? snprintf(line, sizeof line, "err %d %s in %llu %lld %s\n", f->err, f->syscall, (unsigned long long)f->mnt, (long long)f->fs_type, f->at)
            : snprintf(line, sizeof line, "mp %s %u %llu %lld %s\n", MP_REASONS[f->reason], (unsigned)f->mode, (unsigned long long)f->mnt, (long long)f->fs_type, f->at);
  if (write(fd, line, (size_t)n) < 0) _exit(3);
}

typedef struct {
  char src[MAX_PATH], dst[MAX_PATH];
  int kind, ro, own; /* own: the destination only on the policy's allowedMounts */
  int64_t uid, gid; /* -1: none (the source is looked up as the helper, the mount point left as made) */
  gid_t *groups;
  size_t ngroups;
} ns_op;

static int64_t int_property(napi_env env, napi_value obj, const char *key, int64_t missing) {
  bool has = false;
  napi_value v;
  int64_t r = missing;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return missing;
  napi_get_named_property(env, obj, key, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_number || napi_get_value_int64(env, v, &r) != napi_ok) return missing;
  return r;
}

/* mountInUserNamespace(pid, ops, policy) -> string[]: for a container with its own user namespace, which a
 * multithreaded process cannot join. A forked single-threaded child joins the container's user
 * namespace, takes a private copy of the host mount tree owned by it (unshare), opens each source
 * as the container's user there and clones it, joins the container's mount namespace, and
 * attaches each clone on a mount point resolved inside the container's root (the walk above,
 * with policy's allowedMounts; what it creates owned by the op's uid/gid). ops: [{source,
 * destination (relative to the root), kind (0 file, 1 directory, 2 device), readonly, uid?, gid?,
 * groups?}]; ids as the container's user namespace sees them. One result line per op, up to the
 * first failure. */
static napi_value js_mount_in_user_namespace(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "mountInUserNamespace", 2, &a)) return NULL;
  int pid = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  mp_policy base;
  if (!get_policy(env, a.argc > 2 ? a.argv[2] : undef(env), &base)) {
    throw_type(env, "mountInUserNamespace", "policy must be {allowedMounts?: ids (at most 8)}");
    return NULL;
  }
  /* An op that must stay on the container's own filesystems with no mount named as one would be
   * unchecked: refused here rather than trusted to the caller. */
  bool needs_allowed = false;
  uint32_t n = 0;
  napi_get_array_length(env, a.argv[1], &n);
  ns_op *ops = calloc(n ? n : 1, sizeof(ns_op));
  for (uint32_t i = 0; i < n; i++) {
    napi_value op, v;
    bool b = false;
    size_t got;
    napi_get_element(env, a.argv[1], i, &op);
    napi_get_named_property(env, op, "source", &v);
    napi_get_value_string_utf8(env, v, ops[i].src, MAX_PATH, &got);
    napi_get_named_property(env, op, "destination", &v);
    napi_get_value_string_utf8(env, v, ops[i].dst, MAX_PATH, &got);
    ops[i].kind = (int)int_property(env, op, "kind", 0);
    napi_get_named_property(env, op, "readonly", &v);
    napi_get_value_bool(env, v, &b);
    ops[i].ro = b;
    bool has_own = false;
    napi_has_named_property(env, op, "ownFilesystems", &has_own);
    if (has_own) {
      b = false;
      napi_get_named_property(env, op, "ownFilesystems", &v);
      napi_get_value_bool(env, v, &b);
      ops[i].own = b;
    }
    if (ops[i].own) needs_allowed = true;
    ops[i].uid = int_property(env, op, "uid", -1);
    ops[i].gid = int_property(env, op, "gid", -1);
    bool has = false;
    napi_has_named_property(env, op, "groups", &has);
    if (has) {
      napi_get_named_property(env, op, "groups", &v);
      ops[i].groups = get_gids(env, v, &ops[i].ngroups);
    }
  }
  if (needs_allowed && base.n_allowed == 0) {
    for (uint32_t i = 0; i < n; i++) free(ops[i].groups);
    free(ops);
    throw_type(env, "mountInUserNamespace", "an op with ownFilesystems needs policy.allowedMounts");
    return NULL;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  int userns = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
  int mntns = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/root", pid);
  int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int pipefd[2] = {-1, -1};
  napi_value result = NULL;
  if (userns < 0 || mntns < 0 || root < 0) {
    throw_errno(env, errno, "open", path);
    goto done;
  }
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    goto done;
  }
  pid_t child = fork();
  if (child < 0) {
    throw_errno(env, errno, "fork", NULL);
    goto done;
  }
  if (child == 0) {
    int out = pipefd[1];
    if (setns(userns, CLONE_NEWUSER) < 0) { report(out, errno, "setns(user)", "/proc/<pid>/ns/user"); _exit(1); }
    if (unshare(CLONE_NEWNS) < 0) { report(out, errno, "unshare", "CLONE_NEWNS"); _exit(1); }
    /* The container's root from here on (its uid 0 is the namespace's owner): the identity mount
     * points are made with, and the one open_as returns to (the caller's own ids may have no
     * name in this namespace). */
    syscall(SYS_setfsuid, 0);
    syscall(SYS_setfsgid, 0);
    int *trees = calloc(n ? n : 1, sizeof(int));
    for (uint32_t i = 0; i < n; i++) {
      int src = AT_FDCWD;
      const char *name = ops[i].src;
      unsigned empty = 0;
      if (ops[i].uid >= 0) {
        const char *what = "open";
        if (open_as(ops[i].src, (uid_t)ops[i].uid, (gid_t)ops[i].gid, ops[i].ngroups, ops[i].groups, &src, &what) < 0) { report(out, errno, what, ops[i].src); _exit(1); }
        name = "";
        empty = AT_EMPTY_PATH;
      }
      trees[i] = (int)syscall(SYS_open_tree, src, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | empty | (ops[i].kind == MP_DIRECTORY ? AT_RECURSIVE : 0));
      if (trees[i] < 0) { report(out, errno, "open_tree", ops[i].src); _exit(1); }
      if (src != AT_FDCWD) close(src);
      struct mount_attr attr = {0};
      attr.attr_set = MOUNT_ATTR_NOSUID | (ops[i].ro ? MOUNT_ATTR_RDONLY : 0);
      attr.propagation = MS_PRIVATE;
      if (syscall(SYS_mount_setattr, trees[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) { report(out, errno, "mount_setattr", ops[i].src); _exit(1); }
    }
    if (setns(mntns, CLONE_NEWNS) < 0) { report(out, errno, "setns(mnt)", "/proc/<pid>/ns/mnt"); _exit(1); }
    for (uint32_t i = 0; i < n; i++) {
      mp_failure f;
      mp_policy p = base;
      if (!ops[i].own) p.n_allowed = 0;
      p.uid = ops[i].uid >= 0 ? (uid_t)ops[i].uid : (uid_t)-1;
      p.gid = ops[i].gid >= 0 ? (gid_t)ops[i].gid : (gid_t)-1;
      int target = mount_point(root, ops[i].dst, ops[i].kind, &p, &f);
      if (target < 0) { report_mount_point(out, &f); _exit(1); }
      if (syscall(SYS_move_mount, trees[i], "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) { report(out, errno, "move_mount", ops[i].dst); _exit(1); }
      close(target);
      char line[64];
      int k = snprintf(line, sizeof line, "ok %llu\n", (unsigned long long)mount_id_of(trees[i]));
      if (write(out, line, (size_t)k) < 0) _exit(3);
    }
    _exit(0);
  }
  close(pipefd[1]);
  pipefd[1] = -1;
  char buf[65536];
  size_t used = 0;
  ssize_t r;
  while ((r = read(pipefd[0], buf + used, sizeof buf - 1 - used)) > 0) used += (size_t)r;
  buf[used] = '\0';
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  napi_create_array(env, &result);
  uint32_t k = 0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    napi_value s;
    napi_create_string_utf8(env, line, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, result, k++, s);
  }
done:
  if (pipefd[0] >= 0) close(pipefd[0]);
  if (pipefd[1] >= 0) close(pipefd[1]);
  if (userns >= 0) close(userns);
  if (mntns >= 0) close(mntns);
  if (root >= 0) close(root);
  for (uint32_t i = 0; i < n; i++) free(ops[i].groups);
  free(ops);
  return result;
}

/* ---------- misc ---------- */

/* execve(path, argv[], envp[]): replaces this process (the runtime wrapper hands over to the
 * real runtime, keeping its pid, stdio and signals). Returns only by throwing. */
static napi_value js_execve(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "execve", 3, &a)) return NULL;
  if (!arg_str(&a, 0, path, sizeof path, 0)) return NULL;
  char **argv = arg_str_array(&a, 1);
  char **envp = arg_str_array(&a, 2);
  if (a.failed) goto out;
  /* Node marks stdio close-on-exec and may make it non-blocking; the next program must inherit
   * the usual blocking fds 0-2. */
  for (int fd = 0; fd <= 2; fd++) {
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl >= 0 && (fdfl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fdfl & ~FD_CLOEXEC);
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  execve(path, argv, envp);
  throw_errno(env, errno, "execve", path);
out:
  free_str_array(argv);
  free_str_array(envp);
  return NULL;
}

/* readlinkat(dirfd, path) -> string. With a dirfd on the host's /proc kept from before a
 * setns, "self/fd/N" still names this process and gives the path in the current root. */
static napi_value js_readlinkat(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH], out[MAX_PATH];
  if (!get_args(env, info, "readlinkat", 2, &a)) return NULL;
  int dirfd = (int)arg_int(&a, 0);
  arg_str(&a, 1, path, sizeof path, 0);
  if (a.failed) return NULL;
  ssize_t n = readlinkat(dirfd, path, out, sizeof out - 1);
  if (n < 0) return throw_errno(env, errno, "readlinkat", path);
  out[n] = '\0';
  napi_value r;
  napi_create_string_utf8(env, out, (size_t)n, &r);
  return r;
}

/* isatty(fd) -> boolean: node:tty would load node:net and every stream module on a hook's path. */
static napi_value js_isatty(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "isatty", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  napi_value r;
  napi_get_boolean(env, isatty(fd) == 1, &r);
  return r;
}

#define CONST(name) napi_set_named_property(env, c, #name, num(env, (int64_t)(name)))

static napi_value constants(napi_env env) {
  napi_value c;
  napi_create_object(env, &c);
  CONST(AT_FDCWD); CONST(AT_EMPTY_PATH); CONST(AT_RECURSIVE); CONST(AT_SYMLINK_NOFOLLOW);
  CONST(O_PATH); CONST(O_CLOEXEC); CONST(O_DIRECTORY); CONST(O_NOFOLLOW); CONST(O_CREAT);
  CONST(O_EXCL); CONST(O_RDONLY); CONST(O_WRONLY); CONST(O_RDWR); CONST(O_TRUNC); CONST(O_NONBLOCK);
  CONST(LOCK_EX);
  CONST(RESOLVE_IN_ROOT); CONST(RESOLVE_NO_MAGICLINKS); CONST(RESOLVE_NO_SYMLINKS);
  CONST(RESOLVE_BENEATH); CONST(RESOLVE_NO_XDEV);
  CONST(OPEN_TREE_CLONE); CONST(OPEN_TREE_CLOEXEC);
  CONST(MOUNT_ATTR_RDONLY); CONST(MOUNT_ATTR_NOSUID); CONST(MOUNT_ATTR_NODEV); CONST(MOUNT_ATTR_NOEXEC);
  CONST(MOUNT_ATTR_NOSYMFOLLOW);
  CONST(MOVE_MOUNT_F_EMPTY_PATH); CONST(MOVE_MOUNT_T_EMPTY_PATH);
  CONST(FSCONFIG_SET_FLAG); CONST(FSCONFIG_SET_STRING); CONST(FSCONFIG_CMD_CREATE);
  CONST(FSOPEN_CLOEXEC); CONST(FSMOUNT_CLOEXEC);
  CONST(MS_BIND); CONST(MS_REC); CONST(MS_RDONLY); CONST(MS_NOSUID); CONST(MS_NODEV); CONST(MS_NOEXEC);
  CONST(MS_REMOUNT); CONST(MS_PRIVATE); CONST(MS_SLAVE); CONST(MS_SHARED); CONST(MS_UNBINDABLE);
  CONST(MNT_DETACH); CONST(UMOUNT_NOFOLLOW);
  CONST(ENOENT); CONST(EEXIST); CONST(AT_REMOVEDIR);
  CONST(S_IFMT); CONST(S_IFCHR); CONST(S_IFBLK); CONST(S_IFDIR); CONST(S_IFREG);
  CONST(BPF_PROG_TYPE_CGROUP_DEVICE); CONST(BPF_CGROUP_DEVICE); CONST(BPF_F_ALLOW_MULTI);
  CONST(BPF_F_ALLOW_OVERRIDE); CONST(BPF_F_REPLACE);
  return c;
}

#define FN(jsname, cfn) { jsname, NULL, cfn, NULL, NULL, NULL, napi_enumerable, NULL }

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    FN("enterMountNamespace", enter_mount_namespace),
    FN("openat2", js_openat2),
    FN("openat", js_openat),
    FN("mkdirat", js_mkdirat),
    FN("mknodat", js_mknodat),
    FN("fchownat", js_fchownat),
    FN("fchmodat", js_fchmodat),
    FN("symlinkat", js_symlinkat),
    FN("renameat", js_renameat),
    FN("unlinkat", js_unlinkat),
    FN("mount", js_mount),
    FN("umount2", js_umount2),
    FN("flock", js_flock),
    FN("openTree", js_open_tree),
    FN("mountSetattr", js_mount_setattr),
    FN("moveMount", js_move_mount),
    FN("fsopen", js_fsopen),
    FN("fsconfig", js_fsconfig),
    FN("fsmount", js_fsmount),
    FN("bpfProgQuery", js_bpf_prog_query),
    FN("bpfProgGetFdById", js_bpf_prog_get_fd_by_id),
    FN("bpfProgInfo", js_bpf_prog_info),
    FN("bpfProgLoad", js_bpf_prog_load),
    FN("bpfProgAttach", js_bpf_prog_attach),
    FN("bpfProgDetach", js_bpf_prog_detach),
    FN("readlinkat", js_readlinkat),
    FN("isatty", js_isatty),
    FN("execve", js_execve),
    FN("run", js_run),
    FN("relayListen", js_relay_listen),
    FN("relayNext", js_relay_next),
    FN("pidfdOpen", js_pidfd_open),
    FN("releaseStdio", js_release_stdio),
    FN("mountPoint", js_mount_point),
    FN("mountOf", js_mount_of),
    FN("stat", js_stat),
    FN("openAs", js_open_as),
    FN("mountInUserNamespace", js_mount_in_user_namespace),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "constants", constants(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
