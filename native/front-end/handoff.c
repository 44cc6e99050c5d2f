/* Handing the call to the wrapper (<prefix>/libexec/ocihooks-runtime), whose path `ocihooks install`
 * writes into LAUNCHER_FIELD (src/admin/launcher-field.ts): for everything the front-end does not
 * do itself, and for anything it cannot decide or that is wrong, which the wrapper reports. */
#include "front-end.h"

/* The tag, then the wrapper's path: written by `ocihooks install` (the tag lets it and `ocihooks
 * doctor` find the array); zero-padded to its size. Not static: must not be folded. */
#define TAG "ocihooks-runtime-launcher="
char LAUNCHER_FIELD[4096] = TAG "@unset@";
#define LAUNCHER (LAUNCHER_FIELD + sizeof TAG - 1)

__attribute__((noreturn)) void to_wrapper(void) {
  if (inv.trace) {
    say(1, "wrapper\n");
    exit_with(0);
  }
  __asm__ volatile("" : : "r"(LAUNCHER_FIELD) : "memory");
  if (LAUNCHER[0] != '/') {
    report("ocihooks-runtime: this front-end knows no wrapper to run (install it with `ocihooks install`)");
    exit_with(2);
  }
  char *program = inv.argv[0];
  inv.argv[0] = LAUNCHER;
  long e = sys3(__NR_execve, LAUNCHER, inv.argv, inv.envp);
  inv.argv[0] = program;
  char num[24];
  decimal(num, -e);
  static struct text message;
  put(&message, "ocihooks-runtime: ");
  put(&message, LAUNCHER);
  put(&message, e == -2 ? ": not found" : e == -13 ? ": permission denied" : ": cannot be run, errno ");
  if (e != -2 && e != -13) put(&message, num);
  put(&message, " (reinstall with `ocihooks install`)");
  report(message.s);
  exit_with(127);
}

/*
 * create and run with a hook server: the wrapper runs apart from this process and sends back the
 * runtime's command line (in src/wrapper/hand-off.ts's encoding: native/relay.c); this process
 * then becomes the runtime, keeping the pid, fds and signals the engine gave it, while the wrapper
 * stays to run the installation's hooks of the container's first stages for the runtime (the hook
 * launcher asks it: native/hook-launcher/relay.c) and ends with the runtime. The wrapper is a
 * grandchild whose parent has already exited, not the runtime's child: a runtime that waits for
 * its children (crun run) never waits for it, and none has a zombie of it. A wrapper that does
 * not hand the call over says so with an exit code instead (argc 0, the code in envc), after its
 * line on stderr; one that ends without a word is exit 1. Anything that cannot be set up falls
 * back to the plain hand-off.
 */
#define RELAY_MAGIC 0x3152434fu /* "OCR1", native/relay.c */
#define MAX_STRINGS 32768
#define SIGCHLD 17

static long read_full(long fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    long n = read_fd(fd, buf + got, len - got);
    if (n == -4) continue; /* EINTR */
    if (n <= 0) break;
    got += (size_t)n;
  }
  return (long)got;
}

/* Closes every fd from `from` up, but `keep`. */
static void close_fds_from(int from, int keep) {
  if (keep > from && sys3(__NR_close_range, from, keep - 1, 0) != 0)
    for (int fd = from; fd < keep; fd++) close_fd(fd);
  if (sys3(__NR_close_range, keep + 1, ~0U, 0) != 0)
    for (int fd = keep + 1; fd < 4096; fd++) close_fd(fd);
}

/* The wrapper, started as a grandchild with OCIHOOKS_RUNTIME_RELAY=<fd>:<this pid>; the caller reaps the child. */
static long start_wrapper_apart(int fd, long self) {
  long child = sys6(__NR_clone, SIGCHLD, 0, 0, 0, 0);
  if (child != 0) return child;
  static char var[96], num[24], pid[24], both[56];
  static char *env[8192];
  decimal(num, fd);
  decimal(pid, self);
  int k = 0;
  if (joined(both, sizeof both, num, ":", pid) && joined(var, sizeof var, "OCIHOOKS_RUNTIME_RELAY=", both, ""))
    env[k++] = var;
  for (char **e = inv.envp; *e && k + 1 < (int)(sizeof env / sizeof *env); e++)
    if (!starts(*e, "OCIHOOKS_RUNTIME_RELAY=")) env[k++] = *e;
  env[k] = 0;
  inv.envp = env;
  /* The child's only work: the grandchild, then gone (when it cannot fork, it is the wrapper itself). */
  if (sys6(__NR_clone, SIGCHLD, 0, 0, 0, 0) > 0) exit_with(0);
  /* The wrapper needs none of the fds the engine gave the runtime past stdio (--preserve-fds,
   * sockets, sync pipes): it must not hold them open while it serves. */
  close_fds_from(3, fd);
  to_wrapper();
}

__attribute__((noreturn)) void to_wrapper_serving(void) {
  /* A wrapper that cannot be run is reported by the plain hand-off, with the reason. */
  if (inv.trace || LAUNCHER[0] != '/' || sys6(__NR_faccessat, AT_FDCWD, (long)LAUNCHER, 1 /* X_OK */, 0, 0) != 0)
    to_wrapper();
  int p[2];
  if (sys3(__NR_pipe2, p, 0, 0) < 0) to_wrapper();
  long child = start_wrapper_apart(p[1], sys3(__NR_getpid, 0, 0, 0));
  close_fd(p[1]);
  if (child < 0) {
    close_fd(p[0]);
    to_wrapper();
  }
  while (sys6(__NR_wait4, child, 0, 0, 0, 0) == -4) {}
  unsigned head[4];
  long got = read_full(p[0], (char *)head, sizeof head);
  static char payload[4 << 20];
  static char *strings[MAX_STRINGS + 2];
  if (got == 0) {
    report("ocihooks-runtime: the wrapper ended without an answer");
    exit_with(1);
  }
  if (got == (long)sizeof head && head[0] == RELAY_MAGIC && head[1] == 0 && head[3] == 0)
    exit_with((int)(head[2] & 0xff)); /* the wrapper's exit code: it said why on stderr */
  if (got != (long)sizeof head || head[0] != RELAY_MAGIC || head[1] + head[2] > MAX_STRINGS - 2 ||
      head[3] > sizeof payload || read_full(p[0], payload, head[3]) != (long)head[3]) {
    report("ocihooks-runtime: the wrapper's answer to this front-end was cut short");
    exit_with(1);
  }
  close_fd(p[0]);
  /* path, argv (argc), env (envc): each NUL-terminated. */
  size_t want = 1 + head[1] + head[2], k = 0;
  for (size_t i = 0, start = 0; i < head[3] && k < want; i++)
    if (payload[i] == 0) strings[k++] = payload + start, start = i + 1;
  if (k != want) {
    report("ocihooks-runtime: the wrapper's answer to this front-end was malformed");
    exit_with(2);
  }
  char **argv = strings + 1, **envp = strings + 2 + head[1];
  /* argv and envp each need their NULL: move the environment one slot up. */
  for (size_t i = head[2]; i > 0; i--) envp[i - 1] = strings[1 + head[1] + i - 1];
  envp[head[2]] = 0;
  argv[head[1]] = 0;
  long e = sys3(__NR_execve, strings[0], argv, envp);
  static struct text message;
  char num[24];
  decimal(num, -e);
  put(&message, "ocihooks-runtime: ");
  put(&message, strings[0]);
  put(&message, e == -2 ? ": not found" : e == -13 ? ": permission denied" : ": cannot be run, errno ");
  if (e != -2 && e != -13) put(&message, num);
  report(message.s);
  exit_with(127);
}
