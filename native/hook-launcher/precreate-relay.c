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
 * It never fails a container: a config it does not read whole, an ordinary user, a hook written
 * with an escape in its path, anything that cannot be set up -- the config goes out as it came.
 */
#include "hook-launcher.h"

static char config_text[4 << 20];

/* Where a relay argument goes: after each such hook's first argument. */
#define MAX_RELAYED 64
static const char *insert_at[MAX_RELAYED];
static int relayed;

/* What a hook object says that matters here. */
struct hook_facts {
  struct slice path;
  int path_escaped;
  /* Past args[0]; 0 when there are no args. */
  const char *after_first;
  /* args[1] says it is relayed already (the GPU precreate filter serves them) or no stage's hook. */
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
  else h->not_relayable = slice_starts(arg, RELAY_FLAG) || slice_is(arg, "precreate") || slice_is(arg, "precreate-relay");
  return 1;
}

static int hook_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct hook_facts *h = ctx;
  if (!escaped && slice_is(key, "path") && at(s, '"')) return string_at(s, &h->path, &h->path_escaped);
  if (!escaped && slice_is(key, "args") && at(s, '[')) return elements_at(s, arg_element, h);
  return value_at(s, 2);
}

/* A hook of a served stage: its args get the relay argument when its path is one of `own`'s. */
static int hook_element(struct scan *s, void *ctx) {
  const char *const *own = ctx;
  if (!at(s, '{')) return value_at(s, 2);
  struct hook_facts h = {{0, 0}, 1, 0, 0, 0};
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

static int stage_member(struct scan *s, struct slice stage, int escaped, void *ctx) {
  int served = !escaped && (slice_is(stage, "prestart") || slice_is(stage, "createRuntime") ||
                            slice_is(stage, "createContainer"));
  return served && at(s, '[') ? elements_at(s, hook_element, ctx) : value_at(s, 2);
}

static int top_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  if (!escaped && slice_is(key, "hooks") && at(s, '{')) return members_at(s, stage_member, ctx);
  return value_at(s, 1);
}

/* The places of the relay arguments in the config (text[0..n)); 0 when it is not read whole. */
static int find_hooks(const char *text, size_t n, const char *const *own) {
  relayed = 0;
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
