/*
 * ocihooks-runtime's front-end: <prefix>/bin/ocihooks-runtime, what docker, containerd and Slurm
 * call in runc's place. A call that needs none of the wrapper's code (every runtime subcommand but
 * create and run, and a create/run the no-match index covers) goes straight to the runtime without
 * starting Node, also with --root-per-user (Slurm's end-of-step calls); everything else -- create,
 * run, --ocihooks-help/-version, any line it cannot decide, any error -- goes to the wrapper (<prefix>/libexec/ocihooks-runtime),
 * which reports it where the engine shows it. It reads the command line as src/wrapper/command-line/
 * does: src/wrapper/testdata/front-end-cases.json holds the cases both must decide alike.
 * front-end.h lists its files, one concept each.
 *
 * Why C without a C library: measured on the project's VMs (medians of 300 interleaved runs), a
 * `runc state` costs 3.50 ms; through a static glibc program that only execs runc 4.08 ms, through
 * dash 4.18 ms, through this program's shell predecessor 4.35 ms, through a program without libc
 * 3.56 ms. A new process pays for every page it touches (~15-20 us a page fault there) and libc's
 * start-up alone touches ~25 pages; this program touches a handful. So: raw system calls, no
 * allocation, buffers touched only as far as the files reach.
 *
 * OCIHOOKS_FRONTEND_TRACE=1: print the decision ("wrapper" or "exec PATH [ARG]...") instead of
 * acting on it.
 */
#include "front-end.h"

/* Which program this call needs: the wrapper, or the runtime with the arguments after ours. */
static void run(void) {
  inv.trace = *env_or(inv.envp, "OCIHOOKS_FRONTEND_TRACE", "") != 0;
  struct wrapper_options o = read_wrapper_options();
  int sub = subcommand_at(1 + o.n);
  /* The runtime: --runtime, else the config file's "runtime", else runc. */
  const char *config_env = env_or(inv.envp, "OCIHOOKS_RUNTIME_CONFIG", "");
  const char *config = *config_env ? config_env : "/etc/ocihooks/runtime.json";
  int config_annotations = 0;
  const char *from_file = runtime_of_config(config, *config_env != 0, &config_annotations); /* read as the wrapper reads it, also under --runtime */
  const char *runtime = *o.runtime ? o.runtime : from_file;
  if (sub >= 0 && (same(inv.argv[sub], "create") || same(inv.argv[sub], "run")) && !no_match(o.n, config, config_annotations, sub)) {
    early_create(o, config, config_annotations, runtime, sub); /* returns only when it cannot */
    to_wrapper_serving();
  }
  const char *path = runtime_path(*runtime ? runtime : "runc");
  char **args = inv.argv + o.n; /* args[0] becomes the runtime's own name */
  if (o.per_user) args = with_per_user_root(o.per_user, args, sub < 0 ? -1 : sub - o.n);
  if (inv.trace) {
    say_exec("exec ", path, args);
    exit_with(0);
  }
  char *kept = args[0];
  args[0] = (char *)path;
  sys3(__NR_execve, path, args, inv.envp);
  args[0] = kept; /* not runnable: the wrapper tries and reports why */
  to_wrapper();
}

__attribute__((noreturn, used)) void start(long *sp) {
  inv.argc = (int)sp[0];
  inv.argv = (char **)(sp + 1);
  inv.envp = inv.argv + inv.argc + 1;
  if (inv.argc < 1) { /* execve with an empty argv: no slot to hand a program name on in */
    say(2, "ocihooks-runtime: called without a program name (empty argv)\n");
    exit_with(2);
  }
  run();
  exit_with(0);
}

#if defined(__x86_64__)
__asm__(".text\n.globl _start\n_start:\n  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");
#else
__asm__(".text\n.globl _start\n_start:\n  mov x29, #0\n  mov x0, sp\n  bl start\n  brk #0\n");
#endif
