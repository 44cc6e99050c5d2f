/*
 * The mount-point walk: mount points inside a rootfs, resolved inside the root, created one
 * component at a time. The one exception to "no policy" in the addon: the forked user-namespace
 * helper (userns-helper.c) cannot run JavaScript and the hooks must not have two walks that could
 * disagree. TypeScript (src/linux/mount/mount-point.ts) words the results.
 */
#define _GNU_SOURCE
#include "mount-point.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/statfs.h>

static int open_in_root_resolving(int root, const char *rel, int flags, uint64_t resolve) {
  struct open_how how = {0};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve;
  return (int)syscall(SYS_openat2, root, rel[0] ? rel : ".", &how, sizeof how);
}

static int open_in_root(int root, const char *rel, int flags) { return open_in_root_resolving(root, rel, flags, 0); }

uint64_t mount_id_of(int fd) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0) return 0;
  return (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
}

static int64_t fs_type_of(int fd) {
  struct statfs s;
  return fstatfs(fd, &s) == 0 ? (int64_t)s.f_type : 0;
}

const char *const MP_REASONS[] = {"syscall", "root", "not-directory", "wrong-kind", "vanished", "foreign"};

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
 * directory by its own, anything else by its folder's). Takes final; returns it or -1. mode is
 * final's st_mode when the caller has it (0: look); parent_checked says the policy already
 * judged parent (before making final in it). */
static int mp_finish(int root, int final, mode_t mode, int parent, int parent_checked, const char *at, int kind,
                     const mp_policy *p, mp_failure *f) {
  struct stat st, rootst;
  if (mode == 0 || S_ISDIR(mode)) {
    if (fstat(final, &st) < 0) {
      int err = errno;
      close(final);
      return mp_fail(f, MP_SYSCALL, at, err, "fstat", 0);
    }
    mode = st.st_mode;
  }
  /* "a/..", or a symlink to "/", names the root itself: never a mount point (only a folder can be). */
  if (S_ISDIR(mode)) {
    if (fstat(root, &rootst) < 0) {
      int err = errno;
      close(final);
      return mp_fail(f, MP_SYSCALL, at, err, "fstat", 0);
    }
    if (st.st_dev == rootst.st_dev && st.st_ino == rootst.st_ino) { close(final); return mp_fail(f, MP_ROOT, at, 0, NULL, 0); }
  }
  if (!kind_accepts(kind, mode)) { close(final); return mp_fail(f, MP_WRONG_KIND, at, 0, NULL, mode); }
  int judged = S_ISDIR(mode) || parent < 0 ? final : parent;
  if (!(judged == parent && parent_checked)) {
    char folder[MAX_PATH];
    snprintf(folder, sizeof folder, "%s", at);
    if (judged == parent) { char *slash = strrchr(folder, '/'); if (slash) *slash = '\0'; else folder[0] = '\0'; }
    if (mp_allowed(p, judged, folder, f) < 0) { close(final); return -1; }
  }
  snprintf(f->at, sizeof f->at, "%s", at);
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
  int r = mp_finish(root, final, 0, parent, 0, canon, kind, p, f);
  if (parent >= 0) close(parent);
  return r;
}

/* An O_PATH fd on the mount point rel (components joined by "/", no "" or "." components) inside
 * root, creating it and its missing parents; an existing one must be of the kind asked for. The
 * common case costs one lookup of the parent (the kernel's, RESOLVE_IN_ROOT) and one of the name
 * in it; anything unusual — a missing folder, a symlink last, "..", a file where a folder should
 * be — takes the walk above. */
int mount_point(int root, const char *rel, int kind, const mp_policy *p, mp_failure *f, int want_path) {
  f->mnt = 0;
  f->fs_type = 0;
  size_t len = strlen(rel);
  if (len == 0) return mp_fail(f, MP_ROOT, "", 0, NULL, 0);
  if (len >= MAX_PATH) return mp_fail(f, MP_SYSCALL, "", ENAMETOOLONG, "openat2", 0);
  size_t start = len;
  while (start > 0 && rel[start - 1] != '/') start--;
  const char *name = rel + start;
  if (strcmp(name, "..") == 0 || (want_path && has_dotdot(rel))) return mp_walk(root, rel, kind, p, f);
  char folder[MAX_PATH];
  memcpy(folder, rel, start ? start - 1 : 0);
  folder[start ? start - 1 : 0] = '\0';
  /* The kernel's lookup follows the image's symlinks without saying where it went: a caller that
   * wants the mount point's path gets it from the walk when the folder's path has one. */
  int parent = want_path ? open_in_root_resolving(root, folder, O_PATH, RESOLVE_NO_SYMLINKS) : open_in_root(root, folder, O_PATH);
  if (parent < 0 && want_path && errno == ELOOP) return mp_walk(root, rel, kind, p, f);
  /* Under the mount hook's rules the walk judges every failure of the kernel's lookup: a procfs
   * link on the way (ELOOP for a magic one, EACCES for another process's) is named as procfs. */
  if (parent < 0 && (errno == ENOENT || errno == ENOTDIR || p->n_allowed > 0)) return mp_walk(root, rel, kind, p, f);
  if (parent < 0) return mp_fail(f, MP_SYSCALL, folder, errno, "openat2", 0);
  if (!S_ISDIR(mode_of(parent))) { close(parent); return mp_walk(root, rel, kind, p, f); }
  int made = 0, checked = 0;
  if (kind != MP_DIRECTORY) {
    /* A file's mount point is usually missing: made first, a lookup fewer than looking first. An
     * existing one (EEXIST, which the kernel says before EROFS) is opened below. */
    if (mp_allowed(p, parent, folder, f) < 0) { close(parent); return -1; }
    checked = 1;
    if (mknodat(parent, name, S_IFREG | 0644, 0) == 0) made = 1;
    else if (errno != EEXIST) { int r = mp_fail_in(f, parent, MP_SYSCALL, rel, errno, "mknodat"); close(parent); return r; }
  }
  int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && kind == MP_DIRECTORY) {
    if (mp_allowed(p, parent, folder, f) < 0) { close(parent); return -1; }
    checked = 1;
    made = mp_make(parent, name, 1, p, rel, f);
    if (made != 0) { close(parent); return made < 0 ? -1 : mp_walk(root, rel, kind, p, f); }
    made = 1;
    fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) {
    int err = errno;
    close(parent);
    return err == ENOENT ? mp_fail(f, MP_VANISHED, rel, 0, NULL, 0) : mp_fail(f, MP_SYSCALL, rel, err, "openat", 0);
  }
  struct stat st;
  mode_t mode = fstat(fd, &st) == 0 ? st.st_mode : 0;
  if (S_ISLNK(mode)) {
    close(fd);
    close(parent);
    /* One made here cannot be a symlink: replaced meanwhile. One found is the image's: the walk follows it. */
    return made ? mp_fail(f, MP_VANISHED, rel, 0, NULL, 0) : mp_walk(root, rel, kind, p, f);
  }
  /* A file made here gets its owner through the fd, and only when the kernel did not give it already. */
  if (made && kind != MP_DIRECTORY && p->uid != (uid_t)-1 && mode != 0 && (st.st_uid != p->uid || st.st_gid != p->gid) &&
      fchownat(fd, "", p->uid, p->gid, AT_EMPTY_PATH) < 0) {
    int r = mp_fail_in(f, parent, MP_SYSCALL, rel, errno, "fchownat");
    close(fd);
    close(parent);
    return r;
  }
  int r = mp_finish(root, fd, mode, parent, checked, rel, kind, p, f);
  close(parent);
  return r;
}

/* Reads the policy object {allowedMounts?: number[], uid?: number, gid?: number} (undefined: none). */
int get_policy(napi_env env, napi_value v, mp_policy *p) {
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
napi_value js_mount_point(napi_env env, napi_callback_info info) {
  args_t a;
  char rel[MAX_PATH];
  if (!get_args(env, info, "mountPoint", 3, &a)) return NULL;
  bool with_path = false;
  if (a.argc > 4) napi_get_value_bool(env, a.argv[4], &with_path);
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
  int fd = mount_point(root, rel, kind, &p, &f, with_path);
  if (fd >= 0 && !with_path) return num(env, fd);
  if (fd >= 0) {
    napi_value pair, at;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, num(env, fd));
    napi_create_string_utf8(env, f.at, NAPI_AUTO_LENGTH, &at);
    napi_set_element(env, pair, 1, at);
    return pair;
  }
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

/* The fd argument of mountId/mountOf and the id of the mount it lies on (statx STATX_MNT_ID; 0 if
 * the kernel has none); false with an exception pending. */
static bool fd_mount_id(napi_env env, napi_callback_info info, const char *name, int *fd, int64_t *id) {
  args_t a;
  if (!get_args(env, info, name, 1, &a)) return false;
  *fd = (int)arg_int(&a, 0);
  if (a.failed) return false;
  struct statx sx;
  if (statx(*fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0) {
    throw_errno(env, errno, "statx", NULL);
    return false;
  }
  *id = (sx.stx_mask & STATX_MNT_ID) ? (int64_t)sx.stx_mnt_id : 0;
  return true;
}

/* mountId(fd) -> the id of the mount an fd lies on: what a mount this run made is remembered by,
 * without mountOf's statfs. */
napi_value js_mount_id(napi_env env, napi_callback_info info) {
  int fd;
  int64_t id;
  return fd_mount_id(env, info, "mountId", &fd, &id) ? num(env, id) : NULL;
}

/* mountOf(fd) -> {id, fsType}: the mount an fd lies on and its statfs f_type. */
napi_value js_mount_of(napi_env env, napi_callback_info info) {
  int fd;
  int64_t id;
  if (!fd_mount_id(env, info, "mountOf", &fd, &id)) return NULL;
  struct statfs s;
  if (fstatfs(fd, &s) < 0) return throw_errno(env, errno, "fstatfs", NULL);
  napi_value r;
  napi_create_object(env, &r);
  napi_set_named_property(env, r, "id", num(env, id));
  napi_set_named_property(env, r, "fsType", num(env, (int64_t)s.f_type));
  return r;
}
