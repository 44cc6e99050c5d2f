/* A program started apart (the runtime wrapper by the front-end, a precreate filter by the hook
 * launcher): a grandchild whose parent exits at once, so that it is nobody's child that a runtime
 * or an engine would wait for, with OCIHOOKS_RUNTIME_RELAY=<fd>:<pid>[:<pidfd>] naming the pipe its
 * answer goes to, the process it serves for and a pidfd of that process it holds. The hand-off
 * variables it gets (that one, OCIHOOKS_RUNTIME_EARLY, OCIHOOKS_PRECREATE_KEY) are only ever the
 * ones made here, never inherited. TypeScript twin: src/hook/server/hand-off.ts. */
#include "freestanding.h"

#define SIGCHLD 17

long read_full(long fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    long n = read_fd(fd, buf + got, len - got);
    if (n == -4) continue; /* EINTR */
    if (n <= 0) break;
    got += (size_t)n;
  }
  return (long)got;
}

/* Closes the fds in [from, to) (to: ~0U for all from `from` up). */
static void close_between(unsigned from, unsigned to) {
  if (from >= to) return;
  if (sys3(__NR_close_range, from, to - 1, 0) != 0)
    for (unsigned fd = from; fd < to && fd < 4096; fd++) close_fd(fd);
}

/* Closes every fd from `from` up but those of keep[0..n) (-1: none; n <= 3). A kept fd may be below
 * `from` (a pipe made where the engine left stdin or stdout closed): nothing below `from` is closed. */
static void close_fds_except(int from, const int *keep, int n) {
  int sorted[3];
  for (int i = 0; i < n; i++) {
    int j = i;
    for (; j > 0 && sorted[j - 1] > keep[i]; j--) sorted[j] = sorted[j - 1];
    sorted[j] = keep[i];
  }
  unsigned next = (unsigned)from;
  for (int i = 0; i < n; i++) {
    if (sorted[i] < 0 || (unsigned)sorted[i] < next) continue;
    close_between(next, (unsigned)sorted[i]);
    next = (unsigned)sorted[i] + 1;
  }
  close_between(next, ~0U);
}

/* An fd kept open across the program's exec. */
static int kept_across_exec(long fd) { return fd < 0 || sys3(__NR_fcntl, fd, 2 /* F_SETFD */, 0) == 0; }

long start_apart(char **envp, long watched, long keep, const char *var, void (*start)(char **env)) {
  /* In front of envp: RELAY_ENV, var, and the starter's own first variable (node_env). An
   * environment that does not fit is not started here, where the one who sees it fail is the
   * grandchild: the caller's start of the program in its own place says why, once. */
  if (node_env_unfit(envp, 3)) return -1;
  int p[2];
  if (sys3(__NR_pipe2, p, 0, 0) < 0) return -1;
  /* The watched process as a pidfd, opened now, while it is sure to live (it is this process, or
   * the engine waiting for this one's answer): the program holds it from its start, so that no
   * process given the pid after the watched one ended can stand in for it. Without pidfds (a
   * kernel before 5.3) the program has the pid alone. */
  long pidfd = sys3(__NR_pidfd_open, watched, 0, 0);
  long child = sys6(__NR_clone, SIGCHLD, 0, 0, 0, 0);
  if (child < 0) {
    close_fd(p[0]);
    close_fd(p[1]);
    if (pidfd >= 0) close_fd(pidfd);
    return -1;
  }
  if (child == 0) {
    static char relay[128], num[24], pid[24], fd[24], both[56], all[84];
    static char *env[NODE_ENV_MAX + 1];
    close_fd(p[0]);
    decimal(num, p[1]);
    decimal(pid, watched);
    decimal(fd, pidfd);
    int k = 0;
    if (joined(both, sizeof both, num, ":", pid) && joined(all, sizeof all, both, pidfd >= 0 ? ":" : "", pidfd >= 0 ? fd : "") &&
        joined(relay, sizeof relay, RELAY_ENV "=", all, ""))
      env[k++] = relay;
    if (var) env[k++] = (char *)var;
    size_t var_name = 0; /* an inherited variable of var's name is not passed on beside it */
    while (var && var[var_name] && var[var_name] != '=') var_name++;
    /* The three hand-off variables are this function's alone, whatever `var` is: an inherited
     * PRECREATE_KEY_ENV beside a hand-off would have the GPU filter keep its edits under a key
     * no launcher computed. */
    for (char **e = envp; *e && k + 1 < (int)(sizeof env / sizeof *env); e++)
      if (!starts(*e, RELAY_ENV "=") && !starts(*e, EARLY_ENV "=") && !starts(*e, PRECREATE_KEY_ENV "=") &&
          !(var_name && same_bytes(*e, var, var_name + 1)))
        env[k++] = *e;
    env[k] = 0;
    /* The child's only work: the grandchild, then gone (when it cannot fork, it is the program itself). */
    if (sys6(__NR_clone, SIGCHLD, 0, 0, 0, 0) > 0) exit_with(0);
    /* The program needs none of the fds past stdio its starter was given (--preserve-fds, sockets,
     * sync pipes): it must not hold them open while it serves. */
    int kept[3] = {p[1], (int)keep, (int)pidfd};
    close_fds_except(3, kept, 3);
    if (!kept_across_exec(keep) || !kept_across_exec(pidfd)) exit_with(127);
    start(env);
    exit_with(127);
  }
  close_fd(p[1]);
  if (pidfd >= 0) close_fd(pidfd);
  while (sys6(__NR_wait4, child, 0, 0, 0, 0) == -4) {}
  return p[0];
}

int exit_code_answer(const unsigned head[4]) {
  return head[0] == RELAY_MAGIC && head[1] == 0 && head[3] == 0 ? (int)(head[2] & 0xff) : -1;
}
