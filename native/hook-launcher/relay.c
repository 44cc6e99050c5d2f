/*
 * A hook a hook server serves (its argv[1] is --ocihooks-relay=<socket>): instead of starting Node,
 * the launcher asks the Node process of the runtime wrapper or of podman's precreate filter, which
 * is still running while the runtime runs the container's first stages, to run the hook
 * (src/hook/server/hook-server.ts; native/relay.c says the protocol). It hands over its own stdin, stdout, stderr and working folder, so the hook reads the
 * state and writes its lines exactly where a process of its own would, and exits with the hook's
 * exit code. Whenever the server cannot be reached, declines, or ends without having read the
 * request (a reset), the launcher starts the program itself: the hook runs either way. Only a
 * server that read the whole request and ended without an answer is a failure (exit 1): it may
 * have run the hook.
 */
#include "hook-launcher.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_CLOEXEC 02000000
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define MSG_NOSIGNAL 0x4000
#define RELAY_DECLINED (-1)
#define ECONNRESET 104

struct io_vec {
  const void *base;
  size_t len;
};
struct message {
  void *name;
  int name_len;
  struct io_vec *iov;
  size_t iov_len;
  void *control;
  size_t control_len;
  int flags;
};
struct rights {
  size_t len;
  int level, type;
  int fds[4];
};
struct unix_address {
  unsigned short family;
  char path[108];
};

/* Sends all of s; 0 when it went, -1 when the connection broke (MSG_NOSIGNAL: no SIGPIPE). */
static int send_all(long fd, const char *s, size_t len) {
  while (len) {
    struct io_vec iov = {s, len};
    struct message m = {.iov = &iov, .iov_len = 1};
    long w = sys3(__NR_sendmsg, fd, &m, MSG_NOSIGNAL);
    if (w == -4) continue; /* EINTR */
    if (w <= 0) return -1;
    s += w;
    len -= (size_t)w;
  }
  return 0;
}

/* The strings of the request, written through a buffer: one send per 64 KiB, not per string. */
static char out[65536];
static size_t used;
static int flush(long fd) {
  int r = send_all(fd, out, used);
  used = 0;
  return r;
}
static int put_string(long fd, const char *s) {
  size_t n = len_of(s) + 1;
  if (used + n > sizeof out && flush(fd) < 0) return -1;
  if (n > sizeof out) return send_all(fd, s, n);
  memcpy(out + used, s, n);
  used += n;
  return 0;
}

int relayed_exit_code(const char *socket_path, const char *path, int argc, char **argv, char **envp) {
  struct unix_address addr = {.family = AF_UNIX};
  size_t n = len_of(socket_path);
  if (n == 0 || n >= sizeof addr.path) return -1;
  memcpy(addr.path, socket_path, n);
  long fd = sys3(__NR_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (sys3(__NR_connect, fd, &addr, sizeof addr) < 0) {
    close_fd(fd);
    return -1; /* no server (any more): the common case outside a wrapped create */
  }
  long cwd = sys6(__NR_openat, AT_FDCWD, (long)".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
  if (cwd < 0) cwd = sys6(__NR_openat, AT_FDCWD, (long)"/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0);
  /* argv without argv[1] (the relay argument); the payload's size first. */
  int envc = 0;
  size_t bytes = len_of(path) + 1 + len_of(argv[0]) + 1;
  for (int i = 2; i < argc; i++) bytes += len_of(argv[i]) + 1;
  for (char **e = envp; *e; e++, envc++) bytes += len_of(*e) + 1;
  unsigned head[4] = {RELAY_MAGIC, (unsigned)(argc - 1), (unsigned)envc, (unsigned)bytes};
  struct rights r = {.len = sizeof r, .level = SOL_SOCKET, .type = SCM_RIGHTS, .fds = {0, 1, 2, (int)cwd}};
  struct io_vec iov = {head, sizeof head};
  struct message m = {.iov = &iov, .iov_len = 1, .control = &r, .control_len = sizeof r};
  long sent = cwd < 0 ? -1 : sys3(__NR_sendmsg, fd, &m, MSG_NOSIGNAL);
  if (cwd >= 0) close_fd(cwd);
  int failed = sent != (long)sizeof head || put_string(fd, path) < 0 || put_string(fd, argv[0]) < 0;
  for (int i = 2; i < argc && !failed; i++) failed = put_string(fd, argv[i]) < 0;
  for (char **e = envp; *e && !failed; e++) failed = put_string(fd, *e) < 0;
  if (failed || flush(fd) < 0) {
    close_fd(fd);
    return -1; /* the request did not get there whole: the server never runs a partial one */
  }
  int answer;
  size_t got = 0;
  long k = 0;
  while (got < sizeof answer) {
    k = read_fd(fd, (char *)&answer + got, sizeof answer - got);
    if (k == -4) continue;
    if (k <= 0) break;
    got += (size_t)k;
  }
  close_fd(fd);
  if (got == sizeof answer && answer == RELAY_DECLINED) return -1;
  if (got == sizeof answer && answer >= 0 && answer <= 255) return answer;
  /* A reset: the server's end closed with the request still unread in it -- the connection never
   * accepted (its listening socket closed: idle, the process it served for gone, a crash), or
   * the request not read whole. The server runs only a request it read whole, so this one was
   * never acted on: the hook is started here. */
  if (got == 0 && k == -ECONNRESET) return -1;
  /* An end after the server read the whole request: it may have acted on it, and running the hook
   * again is not safe. */
  say(2, argv[0]);
  say(2, ": the hook server ended without an answer\n");
  return 1;
}
