/* Handing the call to the wrapper (<prefix>/libexec/ocihooks-runtime), whose path `ocihooks install`
 * writes into LAUNCHER_FIELD (src/admin/launcher-field.ts): for everything the front-end does not
 * do itself, and for anything it cannot decide or that is wrong, which the wrapper reports. */
#include "front-end.h"

/* The tag, then the wrapper's path: written by `ocihooks install` (the tag lets it and `ocihooks
 * doctor` find the array); zero-padded to its size. Not static: must not be folded. */
#define TAG "ocihooks-runtime-launcher="
char LAUNCHER_FIELD[4096] = TAG "@unset@";
#define LAUNCHER (LAUNCHER_FIELD + sizeof TAG - 1)

const char *wrapper_path(void) {
  __asm__ volatile("" : : "r"(LAUNCHER_FIELD) : "memory");
  return LAUNCHER;
}

/* The wrapper in this process's place, with inv.envp; `apart`: that is the environment start_apart
 * made (its hand-off variables are its own). */
__attribute__((noreturn)) static void wrapper_in_place(int apart) {
  if (inv.trace) {
    say(1, "wrapper\n");
    exit_with(0);
  }
  __asm__ volatile("" : : "r"(LAUNCHER_FIELD) : "memory");
  if (LAUNCHER[0] != '/') {
    report("ocihooks-runtime: this front-end knows no wrapper to run (install it with `ocihooks install`)");
    exit_with(2);
  }
  /* Node's own settings put aside (../freestanding/node-env.c): the wrapper gives them back to the
   * runtime. Without the hand-off variables of the engine's environment: only start_apart's are
   * real. An environment too large to reach Node whole is not handed on cut short. */
  char **env = node_env(0, inv.envp, 0, apart);
  if (!env) {
    static struct text limit;
    put(&limit, "ocihooks-runtime: not started: ");
    put(&limit, node_env_limit());
    report(limit.s);
    exit_with(2);
  }
  char *program = inv.argv[0];
  inv.argv[0] = LAUNCHER;
  long e = sys3(__NR_execve, LAUNCHER, inv.argv, env);
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
 * runtime's command line (in src/hook/program/hand-off.ts's encoding: native/relay.c; started by ../freestanding/apart.c); this process
 * then becomes the runtime, keeping the pid, fds and signals the engine gave it, while the wrapper
 * stays to run the installation's hooks of the container's first stages for the runtime (the hook
 * launcher asks it: native/hook-launcher/relay.c) and ends with the runtime. The wrapper is a
 * grandchild whose parent has already exited, not the runtime's child: a runtime that waits for
 * its children (crun run) never waits for it, and none has a zombie of it. A wrapper that does
 * not hand the call over says so with an exit code instead (argc 0, the code in envc), after its
 * line on stderr; one that ends without a word is exit 1. Anything that cannot be set up falls
 * back to the plain hand-off.
 */
#define MAX_STRINGS 32768

/* Whether the wrapper is there to be started (install wrote an absolute path that can be run). */
int wrapper_runnable(void) {
  const char *w = wrapper_path();
  return w[0] == '/' && sys6(__NR_faccessat, AT_FDCWD, (long)w, 1 /* X_OK */, 0, 0) == 0;
}

__attribute__((noreturn)) void to_wrapper(void) { wrapper_in_place(0); }

static void exec_wrapper_with(char **env) {
  inv.envp = env;
  wrapper_in_place(1);
}

__attribute__((noreturn)) void to_wrapper_serving(void) {
  /* A wrapper that cannot be run is reported by the plain hand-off, with the reason. */
  if (inv.trace || !wrapper_runnable()) to_wrapper();
  long answer = start_apart(inv.envp, sys3(__NR_getpid, 0, 0, 0), -1, 0, exec_wrapper_with);
  if (answer < 0) to_wrapper();
  unsigned head[4];
  long got = read_full(answer, (char *)head, sizeof head);
  static char payload[4 << 20];
  static char *strings[MAX_STRINGS + 2];
  if (got == 0) {
    report("ocihooks-runtime: the wrapper ended without an answer");
    exit_with(1);
  }
  if (got == (long)sizeof head && exit_code_answer(head) >= 0)
    exit_with(exit_code_answer(head)); /* the wrapper's exit code: it said why on stderr */
  if (got != (long)sizeof head || head[0] != RELAY_MAGIC || head[1] > MAX_STRINGS || head[2] > MAX_STRINGS || head[1] + head[2] > MAX_STRINGS - 2 ||
      head[3] > sizeof payload || read_full(answer, payload, head[3]) != (long)head[3]) {
    report("ocihooks-runtime: the wrapper's answer to this front-end was cut short");
    exit_with(1);
  }
  close_fd(answer);
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

/*
 * The early create (early-create.c): the wrapper started apart as above, with `var` in its
 * environment and the listening socket `keep` open across its exec; the front-end does not wait
 * for an answer (it closes the pipe's end: the wrapper sends none).
 */
int wrapper_apart(const char *var, long keep) {
  if (!wrapper_runnable()) return 0;
  long answer = start_apart(inv.envp, sys3(__NR_getpid, 0, 0, 0), keep, var, exec_wrapper_with);
  if (answer < 0) return 0;
  close_fd(answer);
  return 1;
}
