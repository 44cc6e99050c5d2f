/*
 * What the two freestanding programs share (the runtime front-end, native/front-end/, and the hook
 * launcher, native/hook-launcher/): raw system calls and the few string and file helpers a C
 * library would give. Neither links one: a new process on these VMs pays for every page it
 * touches, and a C library's start-up alone touches ~25 (native/front-end/main.c measures it).
 *   sys.c    the system calls, and what a compiler expects of a C library
 *   text.c   strings, slices of buffers, numbers as text, the environment
 *   files.c  stat, whole-file reads, folder listings, lines
 *   apart.c  a program started apart, its answer read from a pipe
 *   json.c   where things are in a JSON text, and a text written piece by piece
 *   server.c the hook server's socket, made before its Node process starts
 */
#ifndef OCIHOOKS_FREESTANDING_H
#define OCIHOOKS_FREESTANDING_H

#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "system calls written for x86_64 and aarch64 only"
#endif

typedef unsigned long size_t;

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
 * with an old modification time (cp -p, touch -d, tar x) still counts as changed now. For a
 * symbolic link, the later of the link's and its target's: a link pointed elsewhere is a change
 * (`ln -sfn`), whatever the new target's times. `uid` and `mode`: the target's. */
struct file_facts {
  int exists;
  int regular;
  unsigned uid, mode;
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
int same_bytes(const char *a, const char *b, size_t n);
int holds(const char *s, size_t n, const char *needle);
struct slice trimmed(struct slice t);
int slice_starts(struct slice t, const char *prefix);
int slice_is(struct slice t, const char *s);
int joined(char *dst, size_t cap, const char *a, const char *b, const char *c);
void decimal(char *dst, long v);
void say(int fd, const char *s);
/* Now as JavaScript's toISOString writes it: 2026-11-25T14:17:14.123Z (24 characters and a NUL). */
void iso_now(char out[32]);

/* files.c */
struct file_facts facts(const char *path);
int newer(struct file_facts index, struct file_facts f);
long read_file(const char *path, char *buf, size_t cap);
long read_input(long fd, char *buf, size_t cap);
void open_listing(struct listing *l, const char *dir);
const char *next_name(struct listing *l);
void close_listing(struct listing *l);
int next_line(struct lines *l, struct slice *line);
/* An environment variable of envp as ${NAME:-fallback}. */
const char *env_or(char **envp, const char *name, const char *fallback);

/* apart.c */
#define RELAY_ENV "OCIHOOKS_RUNTIME_RELAY"
/* The early create's listening socket, slots and socket path (native/front-end/early-create.c): only
 * ever what the front-end puts there, never an inherited one. */
#define EARLY_ENV "OCIHOOKS_RUNTIME_EARLY"
/* The GPU precreate filter's key, from the hook launcher (native/hook-launcher/kept-precreate.c):
 * like EARLY_ENV, only ever beside a hand-off its starter made, never an inherited one. */
#define PRECREATE_KEY_ENV "OCIHOOKS_PRECREATE_KEY"
#define RELAY_MAGIC 0x3152434fu /* "OCR1": the first word of an answer (native/relay.c) */
long read_full(long fd, char *buf, size_t len);
/* Runs start(env) -- which execs a Node program of ours (node_env) -- as a grandchild with
 * RELAY_ENV=<pipe>:<watched>:<pidfd> (the pidfd of `watched`, opened before the grandchild;
 * ":<pidfd>" left out where the kernel has none) and `var` (NULL: none; the only EARLY_ENV or
 * PRECREATE_KEY_ENV it gets: inherited ones are dropped) in front of envp and no fd past stdio but
 * the pipe, the pidfd and `keep` (-1: none; open across its exec); returns the pipe's read end, -1
 * when it cannot, or when envp would not reach Node whole (node_env_unfit): the caller's own start
 * of the program then says why. */
long start_apart(char **envp, long watched, long keep, const char *var, void (*start)(char **env));
/* The exit code an answer's header carries (no arguments, the code in envc), -1 when it is none. */
int exit_code_answer(const unsigned head[4]);

/* node-env.c: the environment of a Node program of ours, from envp: `first` (NULL: none) in front,
 * no variable starting with `skip` (NULL: none) or ASIDE_PREFIX, each NODE_* one renamed
 * ASIDE_PREFIX NODE_...; the Node launcher (src/cmd/launcher.ts) renames them back. `apart`: envp
 * is what start_apart made, whose RELAY_ENV, EARLY_ENV and PRECREATE_KEY_ENV are its own; otherwise
 * (the engine's environment) those three are dropped. NULL when envp does not fit whole: then
 * node_env_limit() says which limit it passed, and the program must not be started. */
#define ASIDE_PREFIX "OCIHOOKS_ASIDE_"
/* The most variables a Node program of ours is started with, and the room for those set aside. */
#define NODE_ENV_MAX 8191
#define NODE_ASIDE_MAX 65536
char **node_env(const char *first, char **envp, const char *skip, int apart);
const char *node_env_limit(void);
/* The limit envp, with `extra` more variables in front, would pass in node_env; NULL when it fits. */
const char *node_env_unfit(char **envp, int extra);

/* json.c: a scan of a JSON text (p moves on as things are read; each returns 0 on what is not JSON). */
struct scan {
  const char *p, *end;
};
void blanks(struct scan *s);
/* Whether the next thing past blanks is c (not consumed). */
int at(struct scan *s, char c);
/* A string at s->p; its inside into *out, *escaped set when it holds a backslash. */
int string_at(struct scan *s, struct slice *out, int *escaped);
/* The value at s->p, whatever it is, up to its end. */
int value_at(struct scan *s, int depth);
/* What a walk calls for each member (its key; escaped: the key held a backslash) or element: it
 * reads the value at s->p (value_at when it has no use for it); 0 stops the walk as a failure. */
typedef int (*member_fn)(struct scan *s, struct slice key, int escaped, void *ctx);
typedef int (*element_fn)(struct scan *s, void *ctx);
/* The object at s->p, each member to `member`; the array at s->p, each element to `element`. */
int members_at(struct scan *s, member_fn member, void *ctx);
int elements_at(struct scan *s, element_fn element, void *ctx);
/* A whole text that is one object, nothing but blanks after it. */
int document(const char *text, size_t n, member_fn member, void *ctx);
/* A text written to fd piece by piece; `failed` once a write did not go. */
struct out {
  long fd;
  int failed;
};
void emit(struct out *o, const char *s, size_t n);
void emit_str(struct out *o, const char *s);

/* server.c */
#define SERVER_DIR "/run/ocihooks/hook-servers"
/* Whether this process is root in the host's user namespace: a hook server needs both. */
int host_root(void);
/* Whether SERVER_DIR is root's folder that only root can reach (as hook-server.ts requires); made
 * (0700) where missing. */
int server_dir_ok(void);
/* A listening socket at path (0600 from the start), CLOEXEC; -1 when it cannot be made. */
long listen_at(const char *path);
/* EARLY_ENV=<fd>:<hooks>:<socket> into dst, what src/hook/server/hand-off.ts reads: the listening
 * socket's fd, how many hooks of the config will ask it, its path; 0 when it does not fit. */
int early_var(char *dst, size_t cap, long fd, int hooks, const char *socket);

#endif
