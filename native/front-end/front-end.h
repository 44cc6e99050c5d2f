/*
 * ocihooks-runtime's front-end (main.c says what it is and why it is written this way): what its
 * files share. One concept a file, each naming its TypeScript twin where it has one:
 *   sys.c             the system calls, and what a compiler expects of a C library
 *   text.c            strings, slices of buffers, numbers as text
 *   files.c           stat, whole-file reads, folder listings, lines
 *   runtime-log.c     its own failures on stderr and in the runtime's --log  (src/runtime/runtime-log.ts)
 *   options.c         the command line and the config file's runtime        (src/runtime/options.ts, args.ts, config-file.ts)
 *   no-match-index.c  create/run straight to the runtime                    (src/runtime/no-match-index.ts)
 *   per-user-root.c   --root-per-user PATTERN                               (src/runtime/per-user-root.ts)
 *   main.c            _start, the wrapper's path, the decision
 * The cases both sides must agree on are src/runtime/testdata/front-end-cases.json.
 */
#ifndef OCIHOOKS_FRONT_END_H
#define OCIHOOKS_FRONT_END_H

#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "the runtime front-end: system calls written for x86_64 and aarch64 only"
#endif

typedef unsigned long size_t;

/* The process's arguments and environment, and OCIHOOKS_FRONTEND_TRACE (print the decision). */
struct invocation {
  int argc;
  char **argv, **envp;
  int trace;
};
extern struct invocation inv;

/* A slice of a buffer: one line of a file. */
struct slice {
  const char *s;
  size_t n;
};
/* A time stamp of a file, to the nanosecond. */
struct stamp {
  long long s;
  unsigned ns;
};
/* What the decision needs of a file: stat(2), following links. `changed` is the later of its
 * modification and status-change times: the status change cannot be set back, so a file restored
 * with an old modification time (cp -p, touch -d, tar x) still counts as changed now. */
struct file_facts {
  int exists;
  int regular;
  struct stamp modified, changed;
};
/* The names in a folder, one per next_name() call (getdents64); 0 at the end, `failed` set when
 * the folder could not be opened or read. */
struct listing {
  long fd, got, at;
  int failed;
  char buf[4096];
};
/* The lines of buf[0..n) as `while IFS= read -r line || [ -n "$line" ]` sees them. */
struct lines {
  const char *at, *end;
};
/* A small text being built: the failure line, the log record. */
struct text {
  char s[8192];
  size_t n;
};

/* sys.c */
long sys6(long n, long a, long b, long c, long d, long e);
#define sys3(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0)
long open_read(const char *path);
long read_fd(long fd, char *buf, size_t len);
void close_fd(long fd);
void write_all(int fd, const char *s, size_t len);
__attribute__((noreturn)) void exit_with(int code);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* text.c */
size_t len_of(const char *s);
int same(const char *a, const char *b);
int starts(const char *s, const char *prefix);
int has_char(const char *s, char c);
int holds(const char *s, size_t n, const char *needle);
struct slice trimmed(struct slice t);
int slice_starts(struct slice t, const char *prefix);
int slice_is(struct slice t, const char *s);
int joined(char *dst, size_t cap, const char *a, const char *b, const char *c);
void decimal(char *dst, long v);
void say(int fd, const char *s);

/* files.c */
struct file_facts facts(const char *path);
int newer(struct file_facts index, struct file_facts f);
long read_file(const char *path, char *buf, size_t cap);
void open_listing(struct listing *l, const char *dir);
const char *next_name(struct listing *l);
void close_listing(struct listing *l);
int next_line(struct lines *l, struct slice *line);

/* runtime-log.c */
void put(struct text *t, const char *s);
void report(const char *message);

/* options.c */
/* The wrapper's own options at the front of the line: how many arguments are ours, --runtime and
 * --root-per-user. */
struct wrapper_options {
  int n;
  const char *runtime;
  int runtime_given;
  const char *per_user;
};
struct wrapper_options read_wrapper_options(void);
int subcommand_at(int from);
const char *runtime_of_config(const char *config, int named, int *annotations);
const char *runtime_path(const char *runtime);
const char *env_or(const char *name, const char *fallback);

/* no-match-index.c */
int no_match(int n, const char *config, int config_annotations, int sub);

/* per-user-root.c */
char **with_per_user_root(const char *pattern, char **args, int sub);

/* main.c */
__attribute__((noreturn)) void to_wrapper(void);

#endif
