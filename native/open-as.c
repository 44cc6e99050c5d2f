/*
 * The container's user: a path looked up with that user's filesystem identity (this thread only).
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

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

/* open_as with the thread's own groups already read into saved; tree_flags nonzero: an
 * open_tree clone of what the lookup found instead of an O_PATH fd. */
static int open_switched(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups,
                         const gid_t *saved, size_t saved_n, unsigned tree_flags, int *fd_out, const char **what) {
  if (same_groups(gid, groups, ngroups, saved, saved_n) && (uid_t)syscall(SYS_setfsuid, -1) == uid &&
      (gid_t)syscall(SYS_setfsgid, -1) == gid) {
    if (tree_flags) {
      *fd_out = (int)syscall(SYS_open_tree, AT_FDCWD, path, tree_flags);
      if (*fd_out < 0) { *what = "open_tree"; return -1; }
      return 0;
    }
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
  if (tree_flags) {
    int src = *fd_out;
    *fd_out = (int)syscall(SYS_open_tree, src, "", tree_flags | AT_EMPTY_PATH);
    err = errno;
    close(src);
    if (*fd_out < 0) { errno = err; *what = "open_tree"; return -1; }
  }
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
static int open_looked_up_as(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, unsigned tree_flags,
                             int *fd_out, const char **what) {
  gid_t few[64];
  gid_t *saved = few;
  int saved_n = (int)syscall(SYS_getgroups, 64, few);
  if (saved_n < 0 && errno == EINVAL) {
    saved_n = (int)syscall(SYS_getgroups, 0, NULL);
    saved = saved_n < 0 ? NULL : calloc((size_t)saved_n + 1, sizeof(gid_t));
    if (!saved || syscall(SYS_getgroups, saved_n, saved) < 0) { free(saved); *what = "getgroups"; errno = ENOMEM; return -1; }
  } else if (saved_n < 0) { *what = "getgroups"; return -1; }
  int r = open_switched(path, uid, gid, ngroups, groups, saved, (size_t)saved_n, tree_flags, fd_out, what);
  if (saved != few) free(saved);
  return r;
}

int open_as(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, int *fd_out, const char **what) {
  return open_looked_up_as(path, uid, gid, ngroups, groups, 0, fd_out, what);
}

/* open_tree(2) of path (flags: OPEN_TREE_CLONE...), looked up as open_as looks it up. */
int open_tree_as(const char *path, unsigned flags, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, int *fd_out,
                 const char **what) {
  return open_looked_up_as(path, uid, gid, ngroups, groups, flags, fd_out, what);
}

/* Reads a number array argument into a fresh gid_t array (*n its length). */
gid_t *get_gids(napi_env env, napi_value v, size_t *n) {
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
napi_value js_open_as(napi_env env, napi_callback_info info) {
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
