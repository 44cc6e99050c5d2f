/*
 * User-namespaced containers: mounts made by a forked single-threaded helper that joins the
 * container's user and mount namespaces (Node's threads keep a process from joining a user
 * namespace), running the one mount-point walk (mount-point.c).
 */
#define _GNU_SOURCE
#include "mount-point.h"

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
#include <linux/mount.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/wait.h>

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
 * attaches each clone on a mount point resolved inside the container's root (mount-point.c's walk,
 * with policy's allowedMounts; what it creates owned by the op's uid/gid). ops: [{source,
 * destination (relative to the root), kind (0 file, 1 directory, 2 device), readonly, uid?, gid?,
 * groups?}]; ids as the container's user namespace sees them. One result line per op, up to the
 * first failure. */
napi_value js_mount_in_user_namespace(napi_env env, napi_callback_info info) {
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
      int target = mount_point(root, ops[i].dst, ops[i].kind, &p, &f, 0);
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
