/*
 * The hook server (src/hook/server/hook-server.ts): while the runtime runs the hooks of a
 * container's first stages, the Node process of the runtime wrapper (which handed it the create or
 * run) or of podman's GPU precreate filter runs the installation's hooks for them. Each hook the runtime starts is the installed hook
 * launcher (native/hook-launcher/), which connects to the server's socket and sends a request.
 *
 * A request, on a SOCK_STREAM connection: a header of four 32-bit words (little-endian, as on
 * x86_64 and aarch64: RELAY_MAGIC, argc, envc, payload bytes) sent with the launcher's stdin,
 * stdout, stderr and working folder as SCM_RIGHTS; then the payload, 1 + argc + envc
 * NUL-terminated strings: the path the runtime started, argv, the environment. The answer is one
 * 32-bit word: the hook's exit code, or -1 for "start the program yourself" (declined).
 * native/hook-launcher/relay.c is the other side; the front-end's hand-off uses the same encoding
 * for the runtime's command line (src/hook/server/hand-off.ts, native/front-end/handoff.c).
 *
 *   relayListen(path) -> fd      a listening socket at path (mode 0600)
 *   pidfdOpen(pid) -> fd         pidfd_open(2)
 *   relayNext(listenFd, pidfd, timeoutMs) -> request | null
 *                                the next request; null once pidfd's process has ended, or when
 *                                none came for timeoutMs
 *   releaseStdio()               /dev/null on fds 0, 1 and 2: the server holds none of the
 *                                engine's pipes open while it waits
 *   relayGone(conn) -> boolean   whether a request's launcher has hung up (the runtime killed it
 *                                at the hook's timeout): it sends nothing after its request, so
 *                                anything to read is its end
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

#define RELAY_MAGIC 0x3152434fu /* "OCR1" */
#define RELAY_FDS 4
#define RELAY_MAX_PAYLOAD (4u << 20)
#define RELAY_READ_TIMEOUT_S 10

napi_value js_relay_listen(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "relayListen", 1, &a) || !arg_str(&a, 0, path, sizeof path, 0)) return NULL;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) return throw_errno(env, ENAMETOOLONG, "bind", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", path);
  /* The socket file is made 0600 from the start: nobody but its owner may ever connect. */
  mode_t old = umask(0177);
  int bound = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  int err = errno;
  umask(old);
  if (bound < 0 || listen(fd, 16) < 0) {
    if (bound == 0) err = errno;
    close(fd);
    return throw_errno(env, err, bound < 0 ? "bind" : "listen", path);
  }
  return num(env, fd);
}

napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "pidfdOpen", 1, &a)) return NULL;
  int64_t pid = arg_int(&a, 0);
  if (a.failed) return NULL;
  int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (fd < 0) return throw_errno(env, errno, "pidfd_open", NULL);
  return num(env, fd);
}

static int read_fully(int fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static void close_all(int *fds, int n) {
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
}

/* Reads one request from conn into *out; 0 when it is not a well-formed one (the caller drops it). */
static int read_request(napi_env env, int conn, napi_value *out) {
  uint32_t head[4];
  int fds[RELAY_FDS] = {-1, -1, -1, -1};
  union {
    char buf[CMSG_SPACE(sizeof(int) * RELAY_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = head, .iov_len = sizeof head};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int got[RELAY_FDS + 8];
      if (k > sizeof got / sizeof *got) k = sizeof got / sizeof *got;
      memcpy(got, CMSG_DATA(c), k * sizeof(int));
      for (size_t i = 0; i < k; i++) {
        if (i < RELAY_FDS && fds[i] < 0) fds[i] = got[i];
        else close(got[i]);
      }
    }
  int bad = n != (ssize_t)sizeof head || (msg.msg_flags & MSG_CTRUNC) || head[0] != RELAY_MAGIC ||
            head[1] > 65536 || head[2] > 65536 || head[3] > RELAY_MAX_PAYLOAD;
  for (int i = 0; i < RELAY_FDS; i++) bad |= fds[i] < 0;
  char *payload = bad ? NULL : malloc(head[3] ? head[3] : 1);
  if (bad || !payload || read_fully(conn, payload, head[3]) < 0) {
    free(payload);
    close_all(fds, RELAY_FDS);
    return 0;
  }
  /* The strings: exactly 1 + argc + envc, each NUL-terminated, nothing after them. */
  size_t want = 1 + (size_t)head[1] + head[2], count = 0;
  for (uint32_t i = 0; i < head[3]; i++) count += payload[i] == 0;
  if (count != want || (head[3] && payload[head[3] - 1] != 0)) {
    free(payload);
    close_all(fds, RELAY_FDS);
    return 0;
  }
  struct ucred cred;
  socklen_t cl = sizeof cred;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
    free(payload);
    close_all(fds, RELAY_FDS);
    return 0;
  }
  napi_value obj, s, fdarr, argv, envv;
  napi_create_object(env, &obj);
  napi_create_array_with_length(env, RELAY_FDS, &fdarr);
  for (int i = 0; i < RELAY_FDS; i++) napi_set_element(env, fdarr, i, num(env, fds[i]));
  napi_create_array_with_length(env, head[1], &argv);
  napi_create_array_with_length(env, head[2], &envv);
  const char *p = payload;
  for (size_t i = 0; i < want; i++) {
    size_t len = strlen(p);
    napi_create_string_utf8(env, p, len, &s);
    if (i == 0) napi_set_named_property(env, obj, "path", s);
    else if (i <= head[1]) napi_set_element(env, argv, (uint32_t)(i - 1), s);
    else napi_set_element(env, envv, (uint32_t)(i - 1 - head[1]), s);
    p += len + 1;
  }
  free(payload);
  napi_set_named_property(env, obj, "conn", num(env, conn));
  napi_set_named_property(env, obj, "fds", fdarr);
  napi_set_named_property(env, obj, "argv", argv);
  napi_set_named_property(env, obj, "env", envv);
  napi_set_named_property(env, obj, "pid", num(env, cred.pid));
  napi_set_named_property(env, obj, "uid", num(env, cred.uid));
  *out = obj;
  return 1;
}

napi_value js_relay_next(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "relayNext", 3, &a)) return NULL;
  int listen_fd = (int)arg_int(&a, 0), pidfd = (int)arg_int(&a, 1);
  int64_t timeout = arg_int(&a, 2);
  if (a.failed) return NULL;
  int64_t deadline = monotonic_ms() + timeout;
  napi_value nul;
  napi_get_null(env, &nul);
  for (;;) {
    int64_t left = deadline - monotonic_ms();
    if (left <= 0) return nul;
    struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = listen_fd, .events = POLLIN}};
    int n = poll(p, 2, (int)(left > 60000 ? 60000 : left));
    if (n < 0) {
      if (errno == EINTR) continue;
      return throw_errno(env, errno, "poll", NULL);
    }
    /* The runtime has ended: nothing will ask any more. */
    if (p[0].revents) return nul;
    if (!p[1].revents) continue;
    int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
      return throw_errno(env, errno, "accept4", NULL);
    }
    /* A launcher sends its whole request at once; one that stalls is dropped, not waited for. */
    struct timeval tv = {.tv_sec = RELAY_READ_TIMEOUT_S};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    napi_value req;
    if (read_request(env, conn, &req)) return req;
    close(conn);
  }
}

napi_value js_relay_gone(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "relayGone", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
  int n = poll(&p, 1, 0);
  if (n < 0) return throw_errno(env, errno, "poll", NULL);
  napi_value r;
  napi_get_boolean(env, n > 0 && (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0, &r);
  return r;
}

napi_value js_release_stdio(napi_env env, napi_callback_info info) {
  (void)info;
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return throw_errno(env, errno, "open", "/dev/null");
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(null, fd) < 0) {
      int err = errno;
      close(null);
      return throw_errno(env, err, "dup2", "/dev/null");
    }
  close(null);
  return undef(env);
}
