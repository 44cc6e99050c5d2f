/*
 * bin/ocihook-{mount,gpu,ldconfig} as `ocihooks install` puts them: what a runtime starts for each
 * of the installation's hooks. It starts the program -- libexec/<program>, a Node launcher -- with
 * the same arguments, environment and stdin, unless an earlier hook of the same stage, started by
 * the same runtime process, already ran this one in its own process and said so: then it exits 0
 * at once, without starting Node.
 *
 * Why: podman, CRI-O, and runc or crun given a config.json start each hook of a stage as a
 * process of its own, and each of ours is a Node start (~60 ms). The first of a run of the
 * installation's hooks in a stage runs the whole run in one process (src/hook/program/hook-runs.ts
 * decides which hooks, in the runtime's order, up to the first hook that is not ours) and leaves a
 * marker for the runtime process that started it: the digests of the hooks it ran for the others,
 * in order. Each of those, started next by the same runtime, finds its own digest first in the
 * marker, takes it out and returns -- the hook's work is done and its result was the first's.
 *
 * The marker: <folder>/<runtime pid>-<its start time>, where the folder is /run/ocihooks/runs for
 * the host's root and /run/user/<uid outside the user namespace>/ocihooks/runs for anyone else;
 * the runtime process's pid and start time (/proc/<ppid>/stat) name one runtime run, never a later
 * one. Its lines: "ocihooks hook run 1", then "next <digest>" per hook still to come. A digest is
 * FNV-1a 64 over the hook's argv, each argument followed by a NUL: hook-runs.ts computes the same
 * (src/hook/program/hook-runs.test.ts holds it to digests computed apart; test/e2e/hook-runs.test.ts
 * fails when this launcher and it disagree). A marker that is not a
 * regular file of this user's, or whose next digest is not this hook's, is not this hook's to
 * take: then the program runs as usual.
 *
 * A hook whose argv[1] is --ocihooks-relay=<socket> is one a hook server serves: relay.c. Such a
 * hook is never in a run: the run stops before it (hook-runs.ts), so that the server it was relayed
 * to runs it, once, in its place; and when it starts its program itself, no marker is looked at.
 * `precreate-relay` is podman's precreate filter that relays the config's hooks: precreate-relay.c.
 * `ocihook-gpu precreate` applies the edits a Node filter kept, where it can: kept-precreate.c.
 *
 * `ocihooks install` writes the Node launcher's path into LAUNCHER_FIELD (src/admin/launcher-field.ts).
 * The started program learns the path it was started as from OCIHOOKS_STARTED_AS (the Node
 * launcher takes it out of the environment before the program sees it). The hand-off variables
 * (OCIHOOKS_RUNTIME_RELAY, OCIHOOKS_RUNTIME_EARLY, OCIHOOKS_PRECREATE_KEY) reach Node only from a
 * start apart (../freestanding/apart.c), never from the runtime's environment; an environment too
 * large to reach Node whole (../freestanding/node-env.c) is one line on stderr and exit 2.
 *
 * `ocihooks install --one-process-per-hook` writes the path after SEPARATE_MARK: each hook is then a
 * Node start of its own -- no marker, no relay, no filter served -- and the program is not told the
 * path it was started as (it runs alone). What stays is the environment: Node's own settings put
 * aside, as for every Node start of the installation.
 */
#include "hook-launcher.h"

#define TAG "ocihooks-hook-launcher="
char LAUNCHER_FIELD[4096] = TAG "@unset@";
#define SEPARATE_MARK "separate:"
#define FIELD (LAUNCHER_FIELD + sizeof TAG - 1)
#define SEPARATE starts(FIELD, SEPARATE_MARK)
#define LAUNCHER (SEPARATE ? FIELD + sizeof SEPARATE_MARK - 1 : FIELD)

#define MARKER_HEADER "ocihooks hook run 1"
#define AT_EXECFN 31

static int argc_;
static char **argv_, **envp_;
static const char *execfn_;

/* The program's name for messages: the last component of argv[0]. */
static const char *name_of(const char *p) {
  const char *n = p;
  for (; *p; p++)
    if (*p == '/') n = p + 1;
  return n;
}

/* A decimal number at s (digits only, up to a non-digit); -1 when none. */
static long number_at(const char *s) {
  long v = -1;
  for (; *s >= '0' && *s <= '9'; s++) v = (v < 0 ? 0 : v * 10) + (*s - '0');
  return v;
}

/* The parent's pid as /proc (the host's, before pivot_root) names it: PPid in /proc/self/status. */
static long parent_pid(void) {
  static char text[4096];
  long n = read_file("/proc/self/status", text, sizeof text);
  if (n < 0) return -1;
  struct lines l = {text, text + n};
  struct slice s;
  while (next_line(&l, &s))
    if (slice_starts(s, "PPid:")) {
      const char *p = s.s + 5;
      while (*p == ' ' || *p == '\t') p++;
      return number_at(p);
    }
  return -1;
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot) as text, into out. */
static int start_time(long pid, char *out, size_t cap) {
  static char text[4096];
  char num[24], path[64];
  decimal(num, pid);
  if (!joined(path, sizeof path, "/proc/", num, "/stat")) return 0;
  long n = read_file(path, text, sizeof text);
  if (n < 0) return 0;
  const char *p = 0;
  for (long i = 0; i < n; i++)
    if (text[i] == ')') p = text + i; /* the name may hold spaces and parentheses: the last ')' */
  if (!p) return 0;
  for (int field = 2; field < 22 && *p; p++)
    if (*p == ' ') field++;
  size_t k = 0;
  while (p[k] >= '0' && p[k] <= '9' && k + 1 < cap) out[k] = p[k], k++;
  out[k] = 0;
  return k > 0;
}

/* This process's uid as the host sees it (through /proc/self/uid_map); its own uid when unmapped. */
static long outer_uid(void) {
  static char text[4096];
  long uid = sys3(__NR_getuid, 0, 0, 0);
  long n = read_file("/proc/self/uid_map", text, sizeof text);
  if (n < 0) return uid;
  struct lines l = {text, text + n};
  struct slice s;
  while (next_line(&l, &s)) {
    long v[3], k = 0;
    const char *p = s.s, *end = s.s + s.n;
    while (k < 3 && p < end) {
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      v[k] = number_at(p);
      while (p < end && *p >= '0' && *p <= '9') p++;
      if (v[k] < 0) break;
      k++;
    }
    if (k == 3 && uid >= v[0] && uid < v[0] + v[2]) return v[1] + (uid - v[0]);
  }
  return uid;
}

/* FNV-1a 64 over argv, each argument followed by a NUL, as 16 hex digits. */
static void digest_of_argv(char out[17]) {
  unsigned long long h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < argc_; i++) {
    for (const unsigned char *p = (const unsigned char *)argv_[i];; p++) {
      h = (h ^ *p) * 0x100000001b3ULL;
      if (!*p) break;
    }
  }
  static const char hex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--, h >>= 4) out[i] = hex[h & 15];
  out[16] = 0;
}

/* The marker of the runtime process that started this one, into path; 0 when there can be none. */
static int marker_path(char *path, size_t cap) {
  char num[24], start[24], name[64], dir[128];
  long ppid = parent_pid();
  if (ppid <= 0 || !start_time(ppid, start, sizeof start)) return 0;
  decimal(num, ppid);
  if (!joined(name, sizeof name, num, "-", start)) return 0;
  long uid = outer_uid();
  if (uid == 0) {
    if (!joined(dir, sizeof dir, "/run/ocihooks/runs", "", "")) return 0;
  } else {
    decimal(num, uid);
    if (!joined(dir, sizeof dir, "/run/user/", num, "/ocihooks/runs")) return 0;
  }
  return joined(path, cap, dir, "/", name);
}

/*
 * Whether an earlier hook ran this one: the marker's next digest is this hook's. Then the digest is
 * taken out (the marker rewritten without it, or removed when it was the last).
 */
static int ran_before(void) {
  static char path[256], tmp[288], text[65536];
  if (!marker_path(path, sizeof path)) return 0;
  long fd = sys6(__NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0, 0);
  if (fd < 0) return 0; /* the common case: no run of ours is under way */
  struct statx st;
  long uid = sys3(__NR_getuid, 0, 0, 0);
  int mine = sys6(__NR_statx, fd, (long)"", AT_EMPTY_PATH, STATX_TYPE | STATX_UID, (long)&st) == 0 &&
             (st.stx_mode & S_IFMT) == S_IFREG && (long)st.stx_uid == uid;
  long n = mine ? read_fd(fd, text, sizeof text - 1) : -1;
  close_fd(fd);
  if (n <= 0 || n >= (long)sizeof text - 1) return 0;
  text[n] = 0;
  struct lines l = {text, text + n};
  struct slice line;
  if (!next_line(&l, &line) || !slice_is(line, MARKER_HEADER)) return 0;
  char own[17], expected[32];
  digest_of_argv(own);
  if (!joined(expected, sizeof expected, "next ", own, "")) return 0;
  if (!next_line(&l, &line) || !slice_is(line, expected)) return 0;
  size_t rest = (size_t)(l.end - l.at);
  if (rest == 0) return sys3(__NR_unlinkat, AT_FDCWD, path, 0) == 0;
  /* The rest, under the header, into a new file moved over the marker. */
  char num[24];
  decimal(num, sys3(__NR_getpid, 0, 0, 0));
  if (!joined(tmp, sizeof tmp, path, ".", num)) return 0;
  long out = sys6(__NR_openat, AT_FDCWD, (long)tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600, 0);
  if (out < 0) return 0;
  write_all((int)out, MARKER_HEADER "\n", sizeof MARKER_HEADER);
  write_all((int)out, l.at, rest);
  close_fd(out);
  if (sys6(__NR_renameat2, AT_FDCWD, (long)tmp, AT_FDCWD, (long)path, 0) != 0) {
    sys3(__NR_unlinkat, AT_FDCWD, tmp, 0);
    return 0;
  }
  return 1;
}

/* The Node launcher, with OCIHOOKS_STARTED_AS in front of envp_ and Node's own settings put aside
 * (../freestanding/node-env.c). `apart`: envp_ is the environment start_apart made; from the
 * runtime's environment the hand-off variables are dropped: an engine's are never real. */
__attribute__((noreturn)) static void start_in_place(int apart) {
  const char *program = name_of(argv_[0] ? argv_[0] : "ocihook");
  if (LAUNCHER[0] != '/') {
    say(2, program);
    say(2, ": this launcher knows no program to run (install it with `ocihooks install`)\n");
    exit_with(2);
  }
  static char started_as[4096 + 32];
  const char *first = !SEPARATE && execfn_ && joined(started_as, sizeof started_as, "OCIHOOKS_STARTED_AS=", execfn_, "") ? started_as : 0;
  char **env = node_env(first, envp_, "OCIHOOKS_STARTED_AS=", apart);
  if (!env) {
    say(2, program);
    say(2, ": not started: ");
    say(2, node_env_limit());
    say(2, "\n");
    exit_with(2);
  }
  char *kept = argv_[0];
  argv_[0] = LAUNCHER;
  long e = sys3(__NR_execve, LAUNCHER, argv_, env);
  argv_[0] = kept;
  say(2, program);
  say(2, ": ");
  say(2, LAUNCHER);
  say(2, e == -2 ? ": not found" : e == -13 ? ": permission denied" : ": cannot be run");
  say(2, " (reinstall with `ocihooks install`)\n");
  exit_with(127);
}

__attribute__((noreturn)) static void start_program(void) { start_in_place(0); }

static void start_program_with(char **env) {
  envp_ = env;
  start_in_place(1);
}

/*
 * `ocihook-gpu precreate` as root: the filter is started apart (../freestanding/apart.c) and this
 * process ends with the exit code it sends back; after its output, the filter stays to serve the
 * hooks of the first stages of the config it wrote (src/gpu/cli.ts), as the runtime wrapper does:
 * podman's container then starts Node once. The filter's stdout and stderr are this process's, and
 * it lets go of them before it serves, so podman reads its output to the end as before.
 */
__attribute__((noreturn)) static void precreate_apart(void) {
  long watched = parent_pid();
  /* The edits a Node filter kept for the same key, applied here (kept-precreate.c); otherwise the
   * key goes to the Node filter, which keeps its edits under it. Not for a config read from a file
   * or a run that asks for help, a version or a dry run: Node keeps nothing for those. */
  int plain = LAUNCHER[0] == '/';
  for (int i = 2; i < argc_ && plain; i++)
    plain = !starts(argv_[i], "--config-file") && !same(argv_[i], "--help") && !same(argv_[i], "-h") &&
            !same(argv_[i], "--version") && !starts(argv_[i], "--dry-run");
  const char *key = 0;
  if (plain) {
    struct precreate_call call = {argc_, argv_, envp_, execfn_ ? execfn_ : argv_[0], LAUNCHER, watched, start_program_with};
    key = kept_precreate(&call);
  }
  long answer = start_apart(envp_, watched, -1, key, start_program_with);
  if (answer < 0) start_program();
  unsigned head[4];
  long got = read_full(answer, (char *)head, sizeof head);
  if (got == (long)sizeof head && exit_code_answer(head) >= 0) exit_with(exit_code_answer(head));
  say(2, name_of(argv_[0]));
  say(2, ": the precreate filter ended without an answer\n");
  exit_with(1);
}

__attribute__((noreturn, used)) void start(long *sp) {
  argc_ = (int)sp[0];
  argv_ = (char **)(sp + 1);
  envp_ = argv_ + argc_ + 1;
  char **e = envp_;
  while (*e) e++;
  for (long *aux = (long *)(e + 1); aux[0] != 0; aux += 2)
    if (aux[0] == AT_EXECFN) execfn_ = (const char *)aux[1];
  if (argc_ < 1) {
    say(2, "ocihook: called without a program name (empty argv)\n");
    exit_with(2);
  }
  __asm__ volatile("" : : "r"(LAUNCHER_FIELD) : "memory");
  if (SEPARATE) start_program();
  int relayed = argc_ >= 2 && starts(argv_[1], RELAY_FLAG);
  if (relayed) {
    int code = relayed_exit_code(argv_[1] + sizeof RELAY_FLAG - 1, execfn_ ? execfn_ : argv_[0], argc_, argv_, envp_);
    if (code >= 0) exit_with(code);
    for (int i = 1; i < argc_; i++) argv_[i] = argv_[i + 1]; /* started here: without the relay argument */
    argc_--;
  }
  if (argc_ >= 2 && same(argv_[1], "precreate") && sys3(__NR_geteuid, 0, 0, 0) == 0) precreate_apart();
  if (argc_ == 2 && same(argv_[1], "precreate-relay")) precreate_relay(execfn_ ? execfn_ : argv_[0], envp_, parent_pid(), start_program_with);
  /* A relayed hook is never one of a run's others (hook-runs.ts planHookRun stops before it): no
   * marker holds it, and its argv without the relay argument could only match another hook's digest. */
  if (!relayed && ran_before()) exit_with(0);
  start_program();
}

#if defined(__x86_64__)
__asm__(".text\n.globl _start\n_start:\n  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start\n  hlt\n");
#else
__asm__(".text\n.globl _start\n_start:\n  mov x29, #0\n  mov x0, sp\n  bl start\n  brk #0\n");
#endif
