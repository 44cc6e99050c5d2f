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
