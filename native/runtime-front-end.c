/*
 * ocihooks-runtime's front-end: <prefix>/bin/ocihooks-runtime, what docker, containerd and Slurm
 * call in runc's place. A call that needs none of the wrapper's code (every runtime subcommand but
 * create and run, and a create/run the no-match index covers) goes straight to the runtime without
 * starting Node, also with --root-per-user (Slurm's end-of-step calls); everything else -- create,
 * run, --ocihooks-help/-version, any line it cannot decide, any error -- goes to the wrapper (<prefix>/libexec/ocihooks-runtime),
 * which reports it where the engine shows it. It reads the command line as src/runtime/options.ts
 * and args.ts do; src/runtime/front-end.test.ts runs both on a table of argument lists.
 *
 * Why C without a C library: measured on the project's VMs (medians of 300 interleaved runs), a
 * `runc state` costs 3.50 ms; through a static glibc program that only execs runc 4.08 ms, through
 * dash 4.18 ms, through this program's shell predecessor 4.35 ms, through a program without libc
 * 3.56 ms. A new process pays for every page it touches (~15-20 us a page fault there) and libc's
 * start-up alone touches ~25 pages; this program touches a handful. So: raw system calls, no
 * allocation, buffers touched only as far as the files reach.
 *
 * `ocihooks install` writes the wrapper's path into LAUNCHER_FIELD (src/admin/front-end.ts).
 * OCIHOOKS_FRONTEND_TRACE=1: print the decision ("wrapper" or "exec PATH [ARG]...") instead of
 * acting on it.
 */
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "runtime-front-end.c: system calls written for x86_64 and aarch64 only"
#endif

typedef unsigned long size_t;

/* The tag, then the wrapper's path: written by `ocihooks install` (the tag lets it and `ocihooks
 * doctor` find the array); zero-padded to its size. Not static: must not be folded. */
#define TAG "ocihooks-runtime-launcher="
char LAUNCHER_FIELD[4096] = TAG "@unset@";
#define LAUNCHER (LAUNCHER_FIELD + sizeof TAG - 1)

/* ---- system calls ---- */

static long sys6(long n, long a, long b, long c, long d, long e) {
  long r;
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
#else
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  r = x0;
#endif
  return r;
}
#define sys3(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0)

static long open_read(const char *path) { return sys6(__NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0); }
static long read_fd(long fd, char *buf, size_t len) { return sys3(__NR_read, fd, buf, len); }
static void close_fd(long fd) { sys3(__NR_close, fd, 0, 0); }
static void write_all(int fd, const char *s, size_t len) {
  while (len) {
    long w = sys3(__NR_write, fd, s, len);
    if (w <= 0) return;
    s += w;
    len -= (size_t)w;
  }
}
__attribute__((noreturn)) static void exit_with(int code) {
  sys3(__NR_exit_group, code, 0, 0);
  for (;;) {}
}

/* The compiler may emit calls to these for copies and zeroing even without a C library. */
void *memset(void *d, int c, size_t n) {
  unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  unsigned char *p = d;
  const unsigned char *q = s;
  while (n--) *p++ = *q++;
  return d;
}

/* ---- strings ---- */

static size_t len_of(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static int starts(const char *s, const char *prefix) {
  while (*prefix && *s == *prefix) s++, prefix++;
  return !*prefix;
}
static int has_char(const char *s, char c) {
  for (; *s; s++)
    if (*s == c) return 1;
  return 0;
}
/* Whether s[0..n) holds `needle`. */
static int holds(const char *s, size_t n, const char *needle) {
  size_t k = len_of(needle);
  for (size_t i = 0; i + k <= n; i++) {
    size_t j = 0;
    while (j < k && s[i + j] == needle[j]) j++;
    if (j == k) return 1;
  }
  return 0;
}
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
/* A slice of a buffer: one line of a file. */
struct slice {
  const char *s;
  size_t n;
};
static struct slice trimmed(struct slice t) {
  while (t.n && is_space(t.s[0])) t.s++, t.n--;
  while (t.n && is_space(t.s[t.n - 1])) t.n--;
  return t;
}
static int slice_starts(struct slice t, const char *prefix) {
  size_t k = len_of(prefix);
  if (t.n < k) return 0;
  for (size_t i = 0; i < k; i++)
    if (t.s[i] != prefix[i]) return 0;
  return 1;
}
static int slice_is(struct slice t, const char *s) { return t.n == len_of(s) && slice_starts(t, s); }
/* dst = a + b + c, or 0 when it would not fit. */
static int joined(char *dst, size_t cap, const char *a, const char *b, const char *c) {
  size_t n = 0;
  for (const char *parts[3] = {a, b, c}, **p = parts; p < parts + 3; p++)
    for (const char *s = *p; *s; s++) {
      if (n + 1 >= cap) return 0;
      dst[n++] = *s;
    }
  dst[n] = 0;
  return 1;
}
static void decimal(char *dst, long v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

/* ---- files ---- */

/* A time stamp of a file, to the nanosecond. */
struct stamp {
  long long s;
  unsigned ns;
};
static int later(struct stamp a, struct stamp b) { return a.s > b.s || (a.s == b.s && a.ns > b.ns); }
/* What the decision needs of a file: stat(2), following links. `changed` is the later of its
 * modification and status-change times: the status change cannot be set back, so a file restored
 * with an old modification time (cp -p, touch -d, tar x) still counts as changed now. */
struct file_facts {
  int exists;
  int regular;
  struct stamp modified, changed;
};
static struct file_facts facts(const char *path) {
  struct statx st;
  struct file_facts f = {0, 0, {0, 0}, {0, 0}};
  if (sys6(__NR_statx, AT_FDCWD, (long)path, AT_STATX_SYNC_AS_STAT, STATX_TYPE | STATX_MTIME | STATX_CTIME, (long)&st) != 0) return f;
  f.exists = 1;
  f.regular = (st.stx_mode & S_IFMT) == S_IFREG;
  f.modified = (struct stamp){st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec};
  struct stamp c = {st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec};
  f.changed = later(c, f.modified) ? c : f.modified;
  return f;
}
/* Whether the index (its modification time: when the wrapper began reading) is newer than every
 * change to f. */
static int newer(struct file_facts index, struct file_facts f) { return index.exists && f.exists && later(index.modified, f.changed); }

/* The whole file into buf (NUL after it); its length, or -1 when unreadable or larger than cap - 1. */
static long read_file(const char *path, char *buf, size_t cap) {
  long fd = open_read(path);
  if (fd < 0) return -1;
  size_t n = 0;
  for (;;) {
    long r = read_fd(fd, buf + n, cap - 1 - n);
    if (r < 0) n = cap;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == cap - 1) {
      char probe;
      if (read_fd(fd, &probe, 1) != 0) n = cap;
      break;
    }
  }
  close_fd(fd);
  if (n >= cap) return -1;
  buf[n] = 0;
  return (long)n;
}

/* The names in a folder, one per next_name() call (getdents64); 0 at the end, `failed` set when
 * the folder could not be opened or read. */
struct listing {
  long fd, got, at;
  int failed;
  char buf[4096];
};
static void open_listing(struct listing *l, const char *dir) {
  l->fd = sys3(__NR_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  l->got = l->at = 0;
  l->failed = l->fd < 0;
}
static const char *next_name(struct listing *l) {
  if (l->failed) return 0;
  if (l->at >= l->got) {
    l->got = sys3(__NR_getdents64, l->fd, l->buf, sizeof l->buf);
    l->at = 0;
    if (l->got < 0) l->failed = 1;
    if (l->got <= 0) return 0;
  }
  const char *name = l->buf + l->at + 19; /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1 */
  unsigned short reclen;
  memcpy(&reclen, l->buf + l->at + 16, 2);
  l->at += reclen;
  return name;
}
static void close_listing(struct listing *l) {
  if (l->fd >= 0) close_fd(l->fd);
}

/* The lines of buf[0..n) as `while IFS= read -r line || [ -n "$line" ]` sees them. */
struct lines {
  const char *at, *end;
};
static int next_line(struct lines *l, struct slice *line) {
  if (l->at >= l->end) return 0;
  const char *e = l->at;
  while (e < l->end && *e != '\n') e++;
  line->s = l->at;
  line->n = (size_t)(e - l->at);
  l->at = e < l->end ? e + 1 : e;
  return 1;
}

/* ---- the decision ---- */

static int trace;
static char **argv_, **envp_;
static int argc_;

static const char *env(const char *name) {
  size_t k = len_of(name);
  for (char **e = envp_; *e; e++)
    if (starts(*e, name) && (*e)[k] == '=') return *e + k + 1;
  return 0;
}
/* An environment variable as ${NAME:-fallback}. */
static const char *env_or(const char *name, const char *fallback) {
  const char *v = env(name);
  return v && *v ? v : fallback;
}

static void say(int fd, const char *s) { write_all(fd, s, len_of(s)); }

/* ---- its own failures, where the engine shows them ---- */

/* A small text being built: the failure line, the log record. */
struct text {
  char s[8192];
  size_t n;
};
static void put(struct text *t, const char *s) {
  while (*s && t->n + 1 < sizeof t->s) t->s[t->n++] = *s++;
  t->s[t->n] = 0;
}
/* s as a JSON string, quotes included (what JSON.stringify writes for it). */
static void put_json(struct text *t, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put(t, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char one[7] = {(char)c, 0};
    if (c == '"' || c == '\\') one[0] = '\\', one[1] = (char)c, one[2] = 0;
    else if (c == '\n') one[0] = '\\', one[1] = 'n', one[2] = 0;
    else if (c < 0x20) one[0] = '\\', one[1] = 'u', one[2] = '0', one[3] = '0', one[4] = hex[c >> 4], one[5] = hex[c & 15], one[6] = 0;
    put(t, one);
  }
  put(t, "\"");
}
/* Now as toISOString writes it: 2026-11-25T14:17:14.123Z. */
static void put_now(struct text *t) {
  struct {
    long sec, nsec;
  } ts = {0, 0};
  sys3(__NR_clock_gettime, 0 /* CLOCK_REALTIME */, &ts, 0);
  long days = ts.sec / 86400, secs = ts.sec % 86400;
  /* civil_from_days (H. Hinnant): days since 1970-01-01 to year, month, day */
  long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  long parts[7] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60, ts.nsec / 1000000};
  static const char *const after[7] = {"-", "-", "T", ":", ":", ".", "Z"};
  static const int width[7] = {4, 2, 2, 2, 2, 2, 3};
  for (int i = 0; i < 7; i++) {
    char num[24], pad[8] = "0000000";
    decimal(num, parts[i]);
    pad[width[i] > (int)len_of(num) ? width[i] - (int)len_of(num) : 0] = 0;
    put(t, pad);
    put(t, num);
    put(t, after[i]);
  }
}

/*
 * Says `message` on stderr and, when the runtime's arguments name a --log (docker and containerd:
 * `--log FILE --log-format json`, whose last error record they show), appends it there as runc
 * writes one -- as src/runtime/runtime-log.ts does for the wrapper's own failures.
 */
static void report(const char *message) {
  say(2, message);
  say(2, "\n");
  const char *file = 0;
  int json = 0;
  for (int i = 1; i < argc_; i++) {
    const char *a = argv_[i];
    if (same(a, "--log")) file = argv_[i + 1];
    else if (starts(a, "--log=")) file = a + 6;
    else if (same(a, "--log-format")) json = argv_[i + 1] && same(argv_[i + 1], "json");
    else if (starts(a, "--log-format=")) json = same(a + 13, "json");
  }
  if (!file || !*file) return;
  static struct text line;
  line.n = 0;
  if (json) {
    put(&line, "{\"level\":\"error\",\"msg\":");
    put_json(&line, message);
    put(&line, ",\"time\":\"");
    put_now(&line);
    put(&line, "\"}\n");
  } else {
    put(&line, "time=\"");
    put_now(&line);
    put(&line, "\" level=error msg=");
    put_json(&line, message);
    put(&line, "\n");
  }
  long fd = sys6(__NR_openat, AT_FDCWD, (long)file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666, 0);
  if (fd < 0) return; /* the engine reads stderr then, or nothing: the line was written there */
  write_all((int)fd, line.s, line.n);
  close_fd(fd);
}

__attribute__((noreturn)) static void to_wrapper(void) {
  if (trace) {
    say(1, "wrapper\n");
    exit_with(0);
  }
  __asm__ volatile("" : : "r"(LAUNCHER_FIELD) : "memory");
  if (LAUNCHER[0] != '/') {
    report("ocihooks-runtime: this front-end knows no wrapper to run (install it with `ocihooks install`)");
    exit_with(2);
  }
  char *program = argv_[0];
  argv_[0] = LAUNCHER;
  long e = sys3(__NR_execve, LAUNCHER, argv_, envp_);
  argv_[0] = program;
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

/* --annotation's value: KEY=VALUE with a key. */
static int annotation_ok(const char *a) { return a[0] != '=' && has_char(a, '='); }

static char config_text[65536];
static char runtime_from_file[4096];

/* A line that is exactly '"runtime": "VALUE"' (spaces around, one trailing comma at most, no quote
 * or backslash in VALUE), as install writes it: VALUE into runtime_from_file. Anything else leaves
 * it as it was; a mention of "runtime" that is not such a line sends the call to the wrapper. */
static int runtime_line(struct slice line) {
  struct slice t = trimmed(line);
  if (t.n && t.s[t.n - 1] == ',') t.n--;
  t = trimmed(t);
  if (!slice_starts(t, "\"runtime\"")) return 0;
  t.s += 9, t.n -= 9;
  t = trimmed(t);
  if (!t.n || t.s[0] != ':') return 0;
  t.s++, t.n--;
  t = trimmed(t);
  if (t.n < 2 || t.s[0] != '"' || t.s[t.n - 1] != '"') return 0;
  t.s++, t.n -= 2;
  if (t.n >= sizeof runtime_from_file) return 0;
  for (size_t i = 0; i < t.n; i++)
    if (t.s[i] == '"' || t.s[i] == '\\') return 0;
  memcpy(runtime_from_file, t.s, t.n);
  runtime_from_file[t.n] = 0;
  return 1;
}

/* Whether a process named slurmstepd is among the four nearest ancestors: a Slurm step gets its
 * GPUs from the wrapper. */
static int under_slurmstepd(void) {
  long p = sys3(__NR_getppid, 0, 0, 0);
  char path[64], num[24], text[1024];
  for (int k = 0; k < 4; k++) {
    decimal(num, p);
    if (!joined(path, sizeof path, "/proc/", num, "/comm")) return 0;
    long n = read_file(path, text, sizeof text);
    if (n < 0) return 0;
    struct lines l = {text, text + n};
    struct slice comm;
    if (next_line(&l, &comm) && slice_is(comm, "slurmstepd")) return 1;
    if (!joined(path, sizeof path, "/proc/", num, "/status")) return 0;
    long m = sys3(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (m < 0) return 0;
    n = read_fd(m, text, sizeof text - 1); /* PPid: is among the first lines */
    close_fd(m);
    if (n <= 0) return 0;
    l.at = text, l.end = text + n;
    long pp = -1;
    struct slice s;
    while (next_line(&l, &s))
      if (slice_starts(s, "PPid:")) {
        s.s += 5, s.n -= 5;
        while (s.n && (s.s[0] == ' ' || s.s[0] == '\t')) s.s++, s.n--;
        if (!s.n) break;
        pp = 0;
        for (size_t i = 0; i < s.n; i++) {
          if (s.s[i] < '0' || s.s[i] > '9') return 0;
          pp = pp * 10 + (s.s[i] - '0');
        }
        break;
      }
    if (pp <= 1) return 0;
    p = pp;
  }
  return 0;
}

static char index_text[65536];

/* Whether every *.json in dir (as a shell's glob sees them: no dot files) and dir itself are
 * older than the index, or absent. */
static int folder_older(const char *dir, struct file_facts index) {
  struct file_facts d = facts(dir);
  if (d.exists && !newer(index, d)) return 0;
  struct listing l;
  open_listing(&l, dir);
  if (l.failed) return 1; /* no folder to list: the glob stays a literal that does not exist */
  char path[4096 + 256];
  int ok = 1;
  for (const char *name; ok && (name = next_name(&l));) {
    size_t k = len_of(name);
    if (name[0] == '.' || k < 5 || !same(name + k - 5, ".json")) continue;
    if (!joined(path, sizeof path, dir, "/", name)) {
      ok = 0;
      continue;
    }
    struct file_facts f = facts(path);
    if (f.exists && !newer(index, f)) ok = 0;
  }
  if (l.failed) ok = 0;
  close_listing(&l);
  return ok;
}

/* Whether the bundle's config.json can be read and has no "annotations". */
static int bundle_unannotated(const char *bundle) {
  char path[4096 + 16];
  if (!joined(path, sizeof path, bundle, *bundle ? "/" : "", "config.json")) return 0;
  long fd = open_read(path);
  if (fd < 0) return 0;
  static const char key[] = "\"annotations\"";
  enum { KEEP = sizeof key - 2 };
  char buf[8192 + KEEP];
  size_t kept = 0;
  int ok = 1;
  for (;;) {
    long r = read_fd(fd, buf + kept, sizeof buf - kept);
    if (r < 0) ok = 0;
    if (r <= 0) break;
    size_t n = kept + (size_t)r;
    if (holds(buf, n, key)) {
      ok = 0;
      break;
    }
    kept = n < KEEP ? n : KEEP; /* a key split across two reads */
    memcpy(buf, buf + n - kept, kept);
  }
  close_fd(fd);
  return ok;
}

/*
 * Whether create/run may go straight to the runtime because no hooks.d file can match it
 * (src/runtime/no-match-index.ts writes the index and says when): an engine-style call (no options
 * of ours, settings from a config file that gives no annotations), an index for this config file
 * newer than every change to it and to each hooks folder and *.json in them, a bundle config.json
 * without annotations, and no slurmstepd above.
 */
static int no_match(int n, const char *config, int config_annotations, int sub) {
  if (n != 0 || config_annotations) return 0;
  struct file_facts c = facts(config);
  if (!c.regular) return 0;
  const char *index_path = env_or("OCIHOOKS_RUNTIME_INDEX", "/run/ocihooks/runtime-index");
  if (index_path[0] != '/') return 0; /* relative: no index (no-match-index.ts says why) */
  struct file_facts index = facts(index_path);
  if (!index.regular || !newer(index, c)) return 0;
  long len = read_file(index_path, index_text, sizeof index_text);
  if (len < 0) return 0;
  struct lines l = {index_text, index_text + len};
  struct slice line;
  int covered = 0;
  char dir[4096];
  while (next_line(&l, &line)) {
    if (slice_is(line, "ocihooks-runtime no-match index 1")) continue;
    if (slice_starts(line, "config=")) {
      line.s += 7, line.n -= 7;
      if (!slice_is(line, config)) return 0;
      covered = 1;
    } else if (slice_starts(line, "dir=")) {
      if (line.n - 4 >= sizeof dir) return 0;
      memcpy(dir, line.s + 4, line.n - 4);
      dir[line.n - 4] = 0;
      if (!folder_older(dir, index)) return 0;
    } else {
      return 0;
    }
  }
  if (!covered || under_slurmstepd()) return 0;
  /* The bundle: --bundle/-b after the subcommand, else the current folder. */
  const char *bundle = "", *prev = "";
  for (int i = sub + 1; i < argc_; i++) {
    const char *a = argv_[i];
    if (same(prev, "--bundle") || same(prev, "-b")) bundle = a;
    if (starts(a, "--bundle=")) bundle = a + 9;
    else if (starts(a, "-b=")) bundle = a + 3;
    prev = a;
  }
  return bundle_unannotated(bundle);
}

/* ---- --root-per-user PATTERN (src/runtime/per-user-root.ts says why; the same rules) ---- */

/* PATTERN with each folder name %U replaced by uid, into dst; 0 when it does not fit. */
static int expand_user(char *dst, size_t cap, const char *pattern, long uid) {
  char num[24];
  decimal(num, uid);
  size_t n = 0;
  for (const char *p = pattern; *p;) {
    const char *e = p;
    while (*e && *e != '/') e++;
    int user = e - p == 2 && p[0] == '%' && p[1] == 'U';
    const char *from = user ? num : p;
    size_t len = user ? len_of(num) : (size_t)(e - p);
    if (n + len + 2 > cap) return 0;
    memcpy(dst + n, from, len);
    n += len;
    if (*e == '/') dst[n++] = '/', e++;
    p = e;
  }
  dst[n] = 0;
  return 1;
}

/* Absolute, %U as one folder name at least once, no other %. */
static int pattern_ok(const char *pattern) {
  if (pattern[0] != '/') return 0;
  int user = 0;
  for (const char *p = pattern; *p;) {
    const char *e = p;
    while (*e && *e != '/') e++;
    if (e - p == 2 && p[0] == '%' && p[1] == 'U') user = 1;
    else
      for (const char *q = p; q < e; q++)
        if (*q == '%') return 0;
    p = *e ? e + 1 : e;
  }
  return user;
}

/* The smallest uid (a numeric folder name in the folder holding %U) whose expansion holds container id; -1 when none. */
static long owner_of(const char *pattern, const char *id) {
  static char parent[4096], path[4096 + 256], root[4096];
  size_t at = 0;
  for (const char *p = pattern; *p;) { /* the folders before the first %U */
    const char *e = p;
    while (*e && *e != '/') e++;
    if (e - p == 2 && p[0] == '%' && p[1] == 'U') break;
    at = (size_t)(e - pattern);
    p = *e ? e + 1 : e;
  }
  if (at >= sizeof parent) return -1;
  memcpy(parent, pattern, at);
  parent[at] = 0;
  if (!at) parent[0] = '/', parent[1] = 0;
  static struct listing l;
  open_listing(&l, parent);
  long best = -1;
  for (const char *name; (name = next_name(&l));) {
    size_t k = len_of(name);
    if (!k || k > 10) continue; /* a uid has at most 10 digits */
    long uid = 0;
    for (size_t i = 0; i < k && uid >= 0; i++) uid = name[i] >= '0' && name[i] <= '9' ? uid * 10 + (name[i] - '0') : -1;
    if (uid < 0 || (best >= 0 && uid >= best)) continue;
    if (expand_user(root, sizeof root, pattern, uid) && joined(path, sizeof path, root, "/", id) && facts(path).exists) best = uid;
  }
  close_listing(&l);
  return best;
}

/*
 * The runtime's arguments (args[0] a slot for its name, the subcommand at args[sub]) with
 * --root ROOT in front: the caller's uid; as root, for a container id, the user whose root holds
 * it, else 0. create/run never get here (they go to the wrapper), nor a runtime --root of its own.
 */
static char **with_per_user_root(const char *pattern, char **args, int sub) {
  static char root[4096];
  static char *out[4096];
  int count = 0;
  while (args[count]) count++;
  if (sub < 1) sub = count; /* no subcommand: no container id either */
  if (!pattern_ok(pattern)) to_wrapper();
  for (int i = 1; i < sub; i++)
    if (same(args[i], "--root") || starts(args[i], "--root=")) to_wrapper();
  long uid = sys3(__NR_getuid, 0, 0, 0);
  if (uid == 0) {
    const char *id = 0;
    for (int i = sub + 1; args[i] && !id; i++)
      if (args[i][0] != '-') id = args[i];
    uid = id && !has_char(id, '/') ? owner_of(pattern, id) : -1;
    if (uid < 0) uid = 0;
  }
  if (!expand_user(root, sizeof root, pattern, uid)) to_wrapper();
  if (count + 3 > (int)(sizeof out / sizeof *out)) to_wrapper();
  out[0] = args[0], out[1] = "--root", out[2] = root;
  for (int i = 1; i <= count; i++) out[i + 2] = args[i]; /* with the final null */
  return out;
}

static void run(void) {
  trace = *env_or("OCIHOOKS_FRONTEND_TRACE", "") != 0;
  int dashdash = 0;
  for (int i = 1; i < argc_; i++)
    if (same(argv_[i], "--")) dashdash = 1;
  /* The wrapper's own options: how many leading arguments are ours, and the runtime named. */
  const char *runtime = "", *want = 0, *per_user = 0;
  int n = 0, runtime_given = 0;
  for (int i = 1; i < argc_; i++) {
    const char *a = argv_[i];
    if (want) {
      if (same(want, "--runtime")) runtime = a, runtime_given = 1;
      if (same(want, "--root-per-user")) per_user = a;
      if (same(want, "--annotation") && !annotation_ok(a)) to_wrapper();
      want = 0, n++;
      continue;
    }
    if (same(a, "--")) {
      n++;
      break;
    } else if (starts(a, "--runtime=")) {
      runtime = a + 10, runtime_given = 1, n++;
    } else if (starts(a, "--annotation=")) {
      if (!annotation_ok(a + 13)) to_wrapper();
      n++;
    } else if (starts(a, "--root-per-user=")) {
      per_user = a + 16, n++;
    } else if (starts(a, "--hooks-dir=") || starts(a, "--log-file=") || starts(a, "--cdi-spec-dir=")) {
      n++;
    } else if (same(a, "--runtime") || same(a, "--hooks-dir") || same(a, "--annotation") || same(a, "--log-file") || same(a, "--cdi-spec-dir") || same(a, "--root-per-user")) {
      want = a, n++;
    } else if (same(a, "--ocihooks-help") || same(a, "--ocihooks-version")) {
      to_wrapper();
    } else {
      if (dashdash) to_wrapper();
      break;
    }
  }
  if (want || (runtime_given && !*runtime)) to_wrapper(); /* an empty --runtime: the wrapper says so */
  /* The runtime's subcommand: past its global options (those with a value take the next argument). */
  int sub = -1;
  for (int i = 1 + n, skip = 0; i < argc_; i++) {
    const char *a = argv_[i];
    if (skip) {
      skip = 0;
      continue;
    }
    if (same(a, "--root") || same(a, "--log") || same(a, "--log-format") || same(a, "--criu") || same(a, "--rootless") || same(a, "--log-level") || same(a, "--cgroup-manager")) skip = 1;
    else if (a[0] != '-') {
      sub = i;
      break;
    }
  }
  /* The runtime: --runtime, else the config file's "runtime" (as install writes it), else runc. */
  const char *config_env = env_or("OCIHOOKS_RUNTIME_CONFIG", "");
  const char *config = *config_env ? config_env : "/etc/ocihooks/runtime.json";
  int config_annotations = 0;
  if (!*runtime) {
    if (facts(config).regular) {
      long len = read_file(config, config_text, sizeof config_text);
      if (len < 0) to_wrapper(); /* unreadable or huge: the wrapper says which */
      struct lines l = {config_text, config_text + len};
      struct slice line;
      int mentioned = 0, named = 0;
      while (next_line(&l, &line)) {
        if (holds(line.s, line.n, "\"runtime\"")) {
          mentioned = 1;
          named |= runtime_line(line);
        }
        if (holds(line.s, line.n, "\"annotations\"")) config_annotations = 1;
      }
      if (named) runtime = runtime_from_file;
      if (mentioned && !*runtime) to_wrapper();
    } else if (*config_env) {
      to_wrapper();
    }
  }
  if (sub >= 0 && (same(argv_[sub], "create") || same(argv_[sub], "run")) && !no_match(n, config, config_annotations, sub)) to_wrapper();
  if (!*runtime) runtime = "runc";
  static char found[4096];
  const char *path = runtime;
  if (runtime[0] != '/') {
    if (has_char(runtime, '/') || same(runtime, ".") || same(runtime, "..")) to_wrapper();
    static const char *const dirs[] = {"/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"};
    path = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs && !path; i++)
      if (joined(found, sizeof found, dirs[i], runtime, "") && facts(found).regular) path = found;
    if (!path) to_wrapper();
  }
  char **args = argv_ + n; /* args[0] becomes the runtime's own name */
  if (per_user) args = with_per_user_root(per_user, args, sub < 0 ? -1 : sub - n);
  if (trace) {
    say(1, "exec ");
    say(1, path);
    for (char **a = args + 1; *a; a++) {
      say(1, " [");
      say(1, *a);
      say(1, "]");
    }
    say(1, "\n");
    exit_with(0);
  }
  char *kept = args[0];
  args[0] = (char *)path;
  sys3(__NR_execve, path, args, envp_);
  args[0] = kept; /* not runnable: the wrapper tries and reports why */
  to_wrapper();
}

__attribute__((noreturn, used)) void start(long *sp) {
  argc_ = (int)sp[0];
  argv_ = (char **)(sp + 1);
  envp_ = argv_ + argc_ + 1;
  if (argc_ < 1) { /* execve with an empty argv: no slot to hand a program name on in */
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
