/*
 * `bin/ocihook-mount precreate-relay`: the installation's relay filter (hooks.d/relay.json, a
 * precreate hook podman runs for every container, after the others). podman gives it the
 * container's config on stdin, hooks.d's hooks already in their stages, and takes its stdout as
 * the config. Where the config holds hooks of this installation in the stages a hook server serves
 * (prestart, createRuntime, createContainer), it makes the hook server's socket, starts the Node
 * program apart to serve them (src/hook/server/hook-server.ts `serveStarted`) and puts
 * --ocihooks-relay=<socket> in front of each such hook's arguments: its launcher asks that
 * process instead of starting Node (relay.c), each hook keeping its place, arguments, environment
 * and timeout. Node's start then overlaps podman's and the runtime's own set-up instead of falling
 * inside the runtime's create. Nothing else changes: a hook whose server is gone by then starts its
 * program itself, as any relayed hook does.
 *
 * It never fails a container: a config it does not read whole, or whose hooks podman may read
 * otherwise than this walk does (a key written with an escape, in another case, or twice: key_as),
 * an ordinary user, a hook written with an escape in its path, anything that cannot be set up --
 * the config goes out as it came.
 */
#include "hook-launcher.h"

static char config_text[4 << 20];

/* Where a relay argument goes: after each such hook's first argument. */
#define MAX_RELAYED 64
static const char *insert_at[MAX_RELAYED];
static int relayed;

/*
 * How podman reads a key (Go's encoding/json, into the runtime spec's structs): escapes decoded,
 * names matched ignoring case (Unicode's folding: "argſ" is "args"), a repeated key's last value
 * kept. So a key read here is taken only as written exactly, and only once: key_as says 1 for
 * `name` itself, 0 for another key, -1 for a key Go may read as `name` that is not it as written
 * (an escape, another case, a character past ASCII where `name` has an s or a k: the two ASCII
 * letters another character folds to, ſ and the Kelvin sign). On -1, or a second
 * `name`, the walk fails and the config passes through: a walk that skipped a key podman reads, or
 * kept another value than its last, would put the relay argument where it does not belong (a site
 * hook's args).
 */
static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int key_as(struct slice key, int escaped, const char *name) {
  if (escaped) return -1;
  size_t i = 0;
  int exact = 1;
  for (; i < key.n; i++) {
    unsigned char c = (unsigned char)key.s[i], want = (unsigned char)name[i];
    if (c >= 0x80) return want == 's' || want == 'k' ? -1 : 0; /* what went before: ASCII, as in name */
    if (!want || lower(c) != lower(want)) return 0;
    exact &= c == want;
  }
  return name[i] ? 0 : exact ? 1 : -1;
}

/* Which of `names` key is: its index, -1 for none, -2 to fail the walk (key_as -1 for one of them,
 * or one seen before: `seen`, a bit per name). */
static int one_of(struct slice key, int escaped, const char *const *names, unsigned *seen) {
  for (int i = 0; names[i]; i++) {
    int r = key_as(key, escaped, names[i]);
    if (r < 0 || (r == 1 && (*seen & (1u << i)))) return -2;
    if (r == 1) {
      *seen |= 1u << i;
      return i;
    }
  }
  return -1;
}

/* What a hook object says that matters here. */
struct hook_facts {
  struct slice path;
  int path_escaped;
  unsigned seen;
  /* Past args[0]; 0 when there are no args. */
  const char *after_first;
  /* args[1] says it is relayed already (the GPU precreate filter serves them) or no stage's hook,
   * or is written with an escape (what it says is not read here). */
  int not_relayable;
  int index;
};

static int arg_element(struct scan *s, void *ctx) {
  struct hook_facts *h = ctx;
  int k = h->index++;
  if (k > 1 || !at(s, '"')) return value_at(s, 3);
  struct slice arg;
  int escaped;
  if (!string_at(s, &arg, &escaped)) return 0;
  if (k == 0) h->after_first = s->p;
  else h->not_relayable = escaped || slice_starts(arg, RELAY_FLAG) || slice_is(arg, "precreate") || slice_is(arg, "precreate-relay");
  return 1;
}

static const char *const hook_keys[] = {"path", "args", 0};
static int hook_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct hook_facts *h = ctx;
  int k = one_of(key, escaped, hook_keys, &h->seen);
  if (k == -2) return 0;
  if (k == 0 && at(s, '"')) return string_at(s, &h->path, &h->path_escaped);
  if (k == 1 && at(s, '[')) return elements_at(s, arg_element, h);
  return value_at(s, 2);
}

/* A hook of a served stage: its args get the relay argument when its path is one of `own`'s. */
static int hook_element(struct scan *s, void *ctx) {
  const char *const *own = ctx;
  if (!at(s, '{')) return value_at(s, 2);
  struct hook_facts h = {{0, 0}, 1, 0, 0, 0, 0};
  if (!members_at(s, hook_member, &h)) return 0;
  if (h.path_escaped || !h.after_first || h.not_relayable) return 1;
  for (const char *const *o = own; *o; o++)
    if (slice_is(h.path, *o)) {
      if (relayed == MAX_RELAYED) return 0;
      insert_at[relayed++] = h.after_first;
      break;
    }
  return 1;
}

static const char *const served_stages[] = {"prestart", "createRuntime", "createContainer", 0};
static unsigned stages_seen, top_seen;

static int stage_member(struct scan *s, struct slice stage, int escaped, void *ctx) {
  int k = one_of(stage, escaped, served_stages, &stages_seen);
  if (k == -2) return 0;
  return k >= 0 && at(s, '[') ? elements_at(s, hook_element, ctx) : value_at(s, 2);
}

static const char *const top_keys[] = {"hooks", 0};
static int top_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  int k = one_of(key, escaped, top_keys, &top_seen);
  if (k == -2) return 0;
  if (k == 0 && at(s, '{')) return members_at(s, stage_member, ctx);
  return value_at(s, 1);
}

/* The places of the relay arguments in the config (text[0..n)); 0 when it is not read whole, or
 * not as podman reads it (key_as). */
static int find_hooks(const char *text, size_t n, const char *const *own) {
  relayed = 0;
  stages_seen = top_seen = 0;
  return document(text, n, top_member, (void *)own);
}

/* The config (text[0..got)), then the rest of stdin as it comes: the config unchanged. */
__attribute__((noreturn)) static void pass_through(const char *text, size_t got) {
  write_all(1, text, got);
  for (;;) {
    long r = read_fd(0, config_text, sizeof config_text);
    if (r == -4) continue;
    if (r <= 0) break;
    write_all(1, config_text, (size_t)r);
  }
  exit_with(0);
}

/* The config with the relay argument after each relayed hook's first argument, to stdout; the end. */
__attribute__((noreturn)) static void emit_relayed(const char *text, size_t got, const char *socket) {
  struct out o = {1, 0};
  const char *from = text;
  for (int i = 0; i < relayed; i++) {
    emit(&o, from, (size_t)(insert_at[i] - from));
    emit_str(&o, ",\"" RELAY_FLAG);
    emit_str(&o, socket);
    emit_str(&o, "\"");
    from = insert_at[i];
  }
  emit(&o, from, (size_t)(text + got - from));
  exit_with(o.failed ? 1 : 0);
}

/* The program's bin/ folder from the path it was started as: its three hook programs' paths. */
static int own_programs(const char *started_as, char paths[3][4096], const char *own[4]) {
  size_t n = len_of(started_as), slash = n;
  while (slash > 0 && started_as[slash - 1] != '/') slash--;
  if (slash == 0 || slash >= 4000) return 0;
  static const char *const names[3] = {"ocihook-mount", "ocihook-gpu", "ocihook-ldconfig"};
  for (int i = 0; i < 3; i++) {
    memcpy(paths[i], started_as, slash);
    paths[i][slash] = 0;
    if (!joined(paths[i] + slash, 4096 - slash, names[i], "", "")) return 0;
    own[i] = paths[i];
  }
  own[3] = 0;
  return 1;
}

/* The server, started with /dev/null for stdio: podman reads the filter's output to its end, and the
 * server (whose hooks bring their own stdio) must not hold that pipe open while it waits. */
static void (*start_server)(char **env);
static void start_detached(char **env) {
  long null = sys6(__NR_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0, 0);
  if (null < 0) exit_with(127);
  for (int fd = 0; fd < 3; fd++)
    if (null != fd && sys3(__NR_dup3, null, fd, 0) < 0) exit_with(127);
  if (null > 2) close_fd(null);
  start_server(env);
}

__attribute__((noreturn)) void precreate_relay(const char *started_as, char **envp, long watched, void (*program_start)(char **env)) {
  long got = read_input(0, config_text, sizeof config_text);
  if (got < 0) exit_with(1);
  if ((size_t)got == sizeof config_text) pass_through(config_text, (size_t)got); /* the rest as it comes */
  relay_config(config_text, (size_t)got, started_as, envp, watched, program_start);
}

/* The config text[0..got) (stdin read to its end) with its hooks of this installation relayed, to stdout; the end. */
__attribute__((noreturn)) void relay_config(const char *text, size_t got, const char *started_as, char **envp, long watched,
                                            void (*program_start)(char **env)) {
  static char paths[3][4096];
  const char *own[4];
  /* OCIHOOKS_RELAY_TRACE=1: the edited config with the socket named "TRACE", nothing made or started. */
  int trace = *env_or(envp, "OCIHOOKS_RELAY_TRACE", "") != 0;
  if (!host_root() || !own_programs(started_as, paths, own) || !find_hooks(text, got, own) || relayed == 0 ||
      (!trace && !server_dir_ok()))
    pass_through(text, got);
  if (trace) emit_relayed(text, got, "TRACE");
  /* <podman's pid>-<this pid>.sock: this process ends at once, podman lives while the server serves,
   * and another server's clean-up of dead servers' sockets goes by the first number. */
  char socket[96], num[24], name[56], podman[24];
  decimal(num, sys3(__NR_getpid, 0, 0, 0));
  decimal(podman, watched);
  if (!joined(name, sizeof name, podman, "-", num) || !joined(socket, sizeof socket, SERVER_DIR "/", name, ".sock"))
    pass_through(text, got);
  long fd = listen_at(socket);
  if (fd < 0) pass_through(text, got);
  static char var[160];
  if (!early_var(var, sizeof var, fd, relayed, socket)) {
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    pass_through(text, got);
  }
  start_server = program_start;
  long answer = start_apart(envp, watched, fd, var, start_detached);
  close_fd(fd);
  if (answer < 0) {
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    pass_through(text, got);
  }
  close_fd(answer); /* the server sends no answer: podman has its config from here */
  emit_relayed(text, got, socket);
}
