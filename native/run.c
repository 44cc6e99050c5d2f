/*
 * run(path, argv[], envp[], input, captureStdout, timeoutMs): a trusted host program run to its
 * end (src/linux/exec.ts says which and with what environment). What node:child_process's
 * spawnSync does for the hooks, without loading node:child_process, node:net and the stream
 * modules into a hook (about 2 ms of every ldconfig run) and with fds 3 and up closed in the
 * child (spawnSync passes on every fd not marked close-on-exec).
 *
 * The child gets stdin from `input` (a Buffer) or /dev/null, stdout in a pipe when captured or
 * /dev/null, stderr in a pipe; every signal at its default and none blocked. At `timeoutMs` a
 * child still running is killed with SIGKILL and reaped. A child that ends without reading all
 * its input is no error (its exit status tells). Returns { status, signal, stdout, stderr,
 * timedOut }: status the exit code (null when killed), signal the signal number (null when it
 * exited). A program that cannot be started throws ("posix_spawn <path>: ...").
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STDOUT_LIMIT (64u << 20) /* what spawnSync's maxBuffer was */
#define STDERR_KEEP (64u << 10)  /* the error message uses the last lines only */

typedef struct {
  char *data;
  size_t len, cap, limit;
  bool keep_tail; /* over the limit: drop the oldest bytes (stderr) instead of failing (stdout) */
  bool overflow;
} sink_t;

static void sink_add(sink_t *s, const char *p, size_t n) {
  if (s->len + n > s->limit) {
    if (!s->keep_tail) {
      s->overflow = true;
      return;
    }
    if (n >= s->limit) {
      p += n - s->limit;
      n = s->limit;
      s->len = 0;
    } else {
      size_t drop = s->len + n - s->limit;
      memmove(s->data, s->data + drop, s->len - drop);
      s->len -= drop;
    }
  }
  if (s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + n) cap *= 2;
    s->data = realloc(s->data, cap);
    s->cap = cap;
  }
  memcpy(s->data + s->len, p, n);
  s->len += n;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Reads what is there; closes the fd at its end. */
static void drain(int *fd, sink_t *s) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      sink_add(s, buf, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close_fd(fd);
    return;
  }
}

static napi_value buffer_of(napi_env env, const sink_t *s) {
  napi_value b;
  void *data = NULL;
  napi_create_buffer_copy(env, s->len, s->len ? s->data : "", &data, &b);
  return b;
}

static napi_value int_or_null(napi_env env, bool has, int v) {
  napi_value r;
  if (has) napi_create_int32(env, v, &r);
  else napi_get_null(env, &r);
  return r;
}

napi_value js_run(napi_env env, napi_callback_info info) {
  args_t a;
  char path[MAX_PATH];
  if (!get_args(env, info, "run", 6, &a)) return NULL;
  if (!arg_str(&a, 0, path, sizeof path, 0)) return NULL;
  char **argv = arg_str_array(&a, 1);
  char **envp = arg_str_array(&a, 2);
  const char *input = NULL;
  size_t input_len = 0;
  bool has_input = false, capture = false;
  napi_valuetype t;
  if (!a.failed) {
    napi_typeof(env, a.argv[3], &t);
    if (t != napi_undefined && t != napi_null) {
      if (napi_get_buffer_info(env, a.argv[3], (void **)&input, &input_len) != napi_ok) {
        throw_type(env, "run", "input must be a Buffer or undefined");
        a.failed = 1;
      }
      has_input = true;
    }
  }
  if (!a.failed && napi_get_value_bool(env, a.argv[4], &capture) != napi_ok) {
    throw_type(env, "run", "captureStdout must be a boolean");
    a.failed = 1;
  }
  int64_t timeout_ms = arg_int(&a, 5);
  if (a.failed) {
    free_str_array(argv);
    free_str_array(envp);
    return NULL;
  }

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  napi_value result = NULL;
  int spawn_err = 0;
  const char *failed_call = NULL;
  if (pipe2(err, O_CLOEXEC) < 0 || (capture && pipe2(out, O_CLOEXEC) < 0) || (has_input && pipe2(in, O_CLOEXEC) < 0)) {
    spawn_err = errno;
    failed_call = "pipe2";
  }
  pid_t pid = -1;
  if (!spawn_err) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t all, none;
    posix_spawn_file_actions_init(&fa);
    if (has_input) posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (capture) posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigfillset(&all);
    /* glibc's sigfillset leaves out its own signals 32 and 33 (thread cancellation, setxid), and
     * its posix_spawn then sets them to SIG_IGN in the child, which keeps them ignored after exec
     * (a Go program does not take them back): put them in the set by hand. */
    all.__val[0] |= 3UL << 31;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    spawn_err = posix_spawn(&pid, path, &fa, &at, argv, envp);
    if (spawn_err) failed_call = "posix_spawn";
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
  }
  close_fd(&in[0]);
  close_fd(&out[1]);
  close_fd(&err[1]);
  free_str_array(argv);
  free_str_array(envp);
  if (spawn_err) {
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    return throw_errno(env, spawn_err, failed_call, path);
  }

  int *ours[] = {&in[1], &out[0], &err[0]};
  for (int k = 0; k < 3; k++)
    if (*ours[k] >= 0) fcntl(*ours[k], F_SETFL, fcntl(*ours[k], F_GETFL) | O_NONBLOCK);
  if (has_input && input_len == 0) close_fd(&in[1]);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  sink_t so = {.limit = STDOUT_LIMIT}, se = {.limit = STDERR_KEEP, .keep_tail = true};
  size_t written = 0;
  bool exited = false, timed_out = false;
  int status = 0;
  int64_t deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  for (;;) {
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = true;
    if (exited && in[1] < 0 && out[0] < 0 && err[0] < 0) break;
    int64_t left = deadline - monotonic_ms();
    if (left <= 0 || so.overflow) {
      /* A child still running is killed; one that ended with its pipes held by a program it
       * started is left alone. */
      if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        exited = true;
        timed_out = !so.overflow;
      }
      break;
    }
    struct pollfd p[4];
    int n = 0;
    if (in[1] >= 0) p[n++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
    if (out[0] >= 0) p[n++] = (struct pollfd){.fd = out[0], .events = POLLIN};
    if (err[0] >= 0) p[n++] = (struct pollfd){.fd = err[0], .events = POLLIN};
    if (!exited && pidfd >= 0) p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
    /* Without a pidfd (a kernel before 5.3) a child that closed its pipes is looked at every 10 ms. */
    int wait = !exited && pidfd < 0 && in[1] < 0 && out[0] < 0 && err[0] < 0 ? 10 : (int)(left > 1000 ? 1000 : left);
    if (poll(p, (nfds_t)n, wait) < 0 && errno != EINTR) break;
    if (in[1] >= 0) {
      ssize_t w = write(in[1], input + written, input_len - written);
      if (w > 0) written += (size_t)w;
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input_len) close_fd(&in[1]);
    }
    if (out[0] >= 0) drain(&out[0], &so);
    if (err[0] >= 0) drain(&err[0], &se);
  }
  if (!exited) { /* poll itself failed: the child is not left behind */
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  if (pidfd >= 0) close(pidfd);
  close_fd(&in[1]);
  close_fd(&out[0]);
  close_fd(&err[0]);

  if (so.overflow) {
    throw_errno(env, ENOBUFS, "run: stdout over 64 MiB", path);
  } else {
    napi_value v;
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "status", int_or_null(env, WIFEXITED(status), WEXITSTATUS(status)));
    napi_set_named_property(env, result, "signal", int_or_null(env, WIFSIGNALED(status), WTERMSIG(status)));
    napi_set_named_property(env, result, "stdout", buffer_of(env, &so));
    napi_set_named_property(env, result, "stderr", buffer_of(env, &se));
    napi_get_boolean(env, timed_out, &v);
    napi_set_named_property(env, result, "timedOut", v);
  }
  free(so.data);
  free(se.data);
  return result;
}
