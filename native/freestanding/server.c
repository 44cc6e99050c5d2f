/* The hook server's listening socket, made before its Node process starts (by the front-end's
 * early create, by the hook launcher's relay filter) so that a hook launcher can connect and wait
 * from the first moment; src/hook/server/hook-server.ts makes it the same way when it starts first. */
#include "freestanding.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_CLOEXEC 02000000

/* Whether this process is root in the host's user namespace: a hook server needs both. */
int host_root(void) {
  if (sys3(__NR_geteuid, 0, 0, 0) != 0) return 0;
  char map[256];
  long n = read_file("/proc/self/uid_map", map, sizeof map);
  if (n < 0) return 0;
  struct lines l = {map, map + n};
  struct slice line;
  if (!next_line(&l, &line)) return 0;
  /* "0 0 4294967295", in columns of any width. */
  const char *want[3] = {"0", "0", "4294967295"};
  struct slice t = trimmed(line);
  for (int k = 0; k < 3; k++) {
    size_t i = 0;
    while (i < t.n && t.s[i] != ' ' && t.s[i] != '\t') i++;
    if (!slice_is((struct slice){t.s, i}, want[k])) return 0;
    t.s += i, t.n -= i;
    t = trimmed(t);
  }
  return t.n == 0 && !next_line(&l, &line);
}

/* Whether SERVER_DIR is root's folder that only root can reach (as hook-server.ts requires); made
 * where missing. */
int server_dir_ok(void) {
  /* Made where missing, as hook-server.ts makes it (the first server after a boot may be this one). */
  sys3(__NR_mkdirat, AT_FDCWD, "/run/ocihooks", 0755);
  sys3(__NR_mkdirat, AT_FDCWD, SERVER_DIR, 0700);
  struct statx st;
  if (sys6(__NR_statx, AT_FDCWD, (long)SERVER_DIR, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, (long)&st) != 0)
    return 0;
  return (st.stx_mode & S_IFMT) == S_IFDIR && st.stx_uid == 0 && (st.stx_mode & 077) == 0;
}

struct unix_address {
  unsigned short family;
  char path[108];
};

/* The hook server's listening socket at path (0600 from the start, as relayListen makes it). */
long listen_at(const char *path) {
  struct unix_address addr = {.family = AF_UNIX};
  size_t n = len_of(path);
  if (n >= sizeof addr.path) return -1;
  memcpy(addr.path, path, n + 1);
  long fd = sys3(__NR_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sys3(__NR_unlinkat, AT_FDCWD, path, 0); /* a killed server's, whose pid this process now has */
  long old = sys3(__NR_umask, 0177, 0, 0);
  long bound = sys3(__NR_bind, fd, &addr, sizeof addr);
  sys3(__NR_umask, old, 0, 0);
  if (bound != 0 || sys3(__NR_listen, fd, 16, 0) != 0) {
    close_fd(fd);
    if (bound == 0) sys3(__NR_unlinkat, AT_FDCWD, path, 0);
    return -1;
  }
  return fd;
}


int early_var(char *dst, size_t cap, long fd, int hooks, const char *socket) {
  char fd_text[24], hooks_text[24];
  decimal(fd_text, fd);
  decimal(hooks_text, hooks);
  return joined(dst, cap, EARLY_ENV "=", fd_text, ":") &&
         joined(dst + len_of(dst), cap - len_of(dst), hooks_text, ":", socket);
}
