/*
 * ocihooks native addon: thin Node-API wrappers over the Linux syscalls the hooks need.
 *
 * Rules of this file: one exported function per syscall (or one syscall idea, like
 * "enter a mount namespace"), no policy, no path building; what is more than a syscall has a file
 * of its own (addon.h lists them: the mount-point walk, the user-namespace helper, openAs, bpf,
 * run, the hook server's relay). Every failure throws a JS Error
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
#include <poll.h>
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
#include <time.h>
#include <unistd.h>


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

/* stat(path) and lstat(path) -> [st_mode, major, minor]: a planner's look at a host path, without
 * the Stats object (fourteen BigInts) node:fs builds for each. */
static napi_value stat_array(napi_env env, napi_callback_info info, const char *fn, int follow) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, fn, 1, &a)) return NULL;
  arg_str(&a, 0, path, sizeof path, 0);
  if (a.failed) return NULL;
  struct stat st;
  if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) return throw_errno(env, errno, fn, path);
  napi_value r;
  napi_create_array_with_length(env, 3, &r);
  napi_set_element(env, r, 0, num(env, st.st_mode));
  napi_set_element(env, r, 1, num(env, major(st.st_rdev)));
  napi_set_element(env, r, 2, num(env, minor(st.st_rdev)));
  return r;
}

static napi_value js_stat(napi_env env, napi_callback_info info) { return stat_array(env, info, "stat", 1); }
static napi_value js_lstat(napi_env env, napi_callback_info info) { return stat_array(env, info, "lstat", 0); }

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

/* cloneTree(path, openTreeFlags, attrSet, propagation, uid, gid, groups[]) -> a detached clone of
 * path (open_tree), its mount attributes set on the whole tree (mount_setattr, AT_RECURSIVE): what
 * openTree and mountSetattr did in two calls, per mount source. uid >= 0: path is looked up as
 * that user (open_tree_as); a failed lookup throws with syscall "open", or "open_tree" when the
 * thread had that identity already. */
static napi_value js_clone_tree(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "cloneTree", 7, &a)) return NULL;
  arg_str(&a, 0, path, sizeof path, 0);
  int64_t flags = arg_int(&a, 1);
  struct mount_attr attr = {0};
  attr.attr_set = (uint64_t)arg_int(&a, 2);
  attr.propagation = (uint64_t)arg_int(&a, 3);
  int64_t uid = arg_int(&a, 4), gid = arg_int(&a, 5);
  if (a.failed) return NULL;
  int fd = -1;
  if (uid >= 0) {
    size_t n = 0;
    gid_t *groups = get_gids(env, a.argv[6], &n);
    if (!groups || gid < 0) {
      free(groups);
      throw_type(env, "cloneTree", "expected a path, flags, attributes, a propagation, a uid, a gid and an array of gids");
      return NULL;
    }
    const char *what = "open";
    int r = open_tree_as(path, (unsigned)flags, (uid_t)uid, (gid_t)gid, n, groups, &fd, &what);
    free(groups);
    if (r < 0) return throw_errno(env, errno, what, path);
  } else {
    fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, (unsigned)flags);
    if (fd < 0) return throw_errno(env, errno, "open_tree", path);
  }
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "mount_setattr", path);
  }
  return num(env, fd);
}

/* close(fd): node:fs's closeSync costs about twice as much, on a path that closes three fds per mount. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "close", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return NULL;
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

/* pollIn(fd, ms) -> boolean: whether fd has data or its end within ms (EINTR retried with what is
 * left). A runtime closes a hook's stdin after the state; one that does not must not hang a hook. */
static napi_value js_poll_in(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "pollIn", 2, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  int64_t ms = arg_int(&a, 1);
  if (a.failed) return NULL;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t left = ms - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
    if (left < 0) left = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, (int)(left > INT32_MAX ? INT32_MAX : left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return throw_errno(env, errno, "poll", NULL);
    if (p.revents & POLLNVAL) return throw_errno(env, EBADF, "poll", NULL);
    napi_value r;
    napi_get_boolean(env, n > 0, &r);
    return r;
  }
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
    FN("cloneTree", js_clone_tree),
    FN("close", js_close),
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
    FN("pollIn", js_poll_in),
    FN("execve", js_execve),
    FN("run", js_run),
    FN("relayListen", js_relay_listen),
    FN("relayNext", js_relay_next),
    FN("pidfdOpen", js_pidfd_open),
    FN("releaseStdio", js_release_stdio),
    FN("relayGone", js_relay_gone),
    FN("mountPoint", js_mount_point),
    FN("mountOf", js_mount_of),
    FN("mountId", js_mount_id),
    FN("stat", js_stat),
    FN("lstat", js_lstat),
    FN("openAs", js_open_as),
    FN("mountInUserNamespace", js_mount_in_user_namespace),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "constants", constants(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
