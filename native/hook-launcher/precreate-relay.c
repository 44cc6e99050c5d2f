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

/* The hook object at s->p: its "args" gets the relay argument when its "path" is one of `own`'s. */
static int hook_at(struct scan *s, const char *const *own) {
  if (!at(s, '{')) return value_at(s, 2);
  s->p++;
  struct slice path = {0, 0};
  const char *after_first = 0;
  int path_escaped = 1, second_is_ours = 0;
  if (at(s, '}')) {
    s->p++;
    return 1;
  }
  for (;;) {
    struct slice key;
    int escaped;
    if (!string_at(s, &key, &escaped) || !at(s, ':')) return 0;
    s->p++;
    if (!escaped && slice_is(key, "path") && at(s, '"')) {
      if (!string_at(s, &path, &path_escaped)) return 0;
    } else if (!escaped && slice_is(key, "args") && at(s, '[')) {
      s->p++;
      if (!at(s, ']')) {
        struct slice first, second;
        int e1, e2;
        if (!string_at(s, &first, &e1)) return 0;
        after_first = s->p;
        if (at(s, ',')) {
          s->p++;
          if (at(s, '"')) {
            if (!string_at(s, &second, &e2)) return 0;
            /* Relayed already (the GPU precreate filter serves them), or no hook of a stage. */
            second_is_ours = slice_starts(second, RELAY_FLAG) || slice_is(second, "precreate") ||
                             slice_is(second, "precreate-relay");
          } else if (!value_at(s, 3)) {
            return 0;
          }
          while (at(s, ',')) {
            s->p++;
            if (!value_at(s, 3)) return 0;
          }
        }
      }
      if (!at(s, ']')) return 0;
      s->p++;
    } else if (!value_at(s, 2)) {
      return 0;
    }
    int more = next_member(s);
    if (more < 0) return 0;
    if (!more) break;
  }
  if (path_escaped || !after_first || second_is_ours) return 1;
  for (const char *const *o = own; *o; o++)
    if (slice_is(path, *o)) {
      if (relayed == MAX_RELAYED) return 0;
      insert_at[relayed++] = after_first;
      break;
    }
  return 1;
}

/* The places of the relay arguments in the config (text[0..n)); 0 when it is not read whole. */
static int find_hooks(const char *text, size_t n, const char *const *own) {
  struct scan s = {text, text + n};
  relayed = 0;
  if (!at(&s, '{')) return 0;
  s.p++;
  if (at(&s, '}')) return 1;
  for (;;) {
    struct slice key;
    int escaped;
    if (!string_at(&s, &key, &escaped) || !at(&s, ':')) return 0;
    s.p++;
    if (!escaped && slice_is(key, "hooks") && at(&s, '{')) {
      s.p++;
      if (at(&s, '}')) {
        s.p++;
      } else {
        for (;;) {
          struct slice stage;
          if (!string_at(&s, &stage, &escaped) || !at(&s, ':')) return 0;
          s.p++;
          int served = !escaped && (slice_is(stage, "prestart") || slice_is(stage, "createRuntime") ||
                                    slice_is(stage, "createContainer"));
          if (served && at(&s, '[')) {
            s.p++;
            if (at(&s, ']')) {
              s.p++;
            } else {
              for (;;) {
                if (!hook_at(&s, own)) return 0;
                if (at(&s, ',')) {
                  s.p++;
                  continue;
                }
                if (!at(&s, ']')) return 0;
                s.p++;
                break;
              }
            }
          } else if (!value_at(&s, 2)) {
            return 0;
          }
          int more = next_member(&s);
          if (more < 0) return 0;
          if (!more) break;
        }
      }
    } else if (!value_at(&s, 1)) {
      return 0;
    }
    int more = next_member(&s);
    if (more < 0) return 0;
    if (!more) break;
  }
  blanks(&s);
  return s.p == s.end;
}

/* stdin to stdout as it comes (after what was read already): the config unchanged. */
__attribute__((noreturn)) static void pass_through(size_t got) {
  write_all(1, config_text, got);
  for (;;) {
    long r = read_fd(0, config_text, sizeof config_text);
    if (r == -4) continue;
    if (r <= 0) break;
    write_all(1, config_text, (size_t)r);
  }
  exit_with(0);
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

__attribute__((noreturn)) void precreate_relay(const char *started_as, char **envp, void (*start)(char **env)) {
  size_t got = 0;
  for (;;) {
    long r = read_fd(0, config_text + got, sizeof config_text - got);
    if (r == -4) continue;
    if (r < 0) exit_with(1);
    if (r == 0) break;
    got += (size_t)r;
    if (got == sizeof config_text) pass_through(got);
  }
  static char paths[3][4096];
  const char *own[4];
  if (!host_root() || !own_programs(started_as, paths, own) || !find_hooks(config_text, got, own) || relayed == 0 ||
      !server_dir_ok())
    pass_through(got);
  char socket[64], num[24];
  decimal(num, sys3(__NR_getpid, 0, 0, 0));
  if (!joined(socket, sizeof socket, SERVER_DIR "/", num, ".sock")) pass_through(got);
  long fd = listen_at(socket);
  if (fd < 0) pass_through(got);
  /* EARLY_ENV=<fd>:<hooks>:<socket>, for src/hook/server/hand-off.ts. */
  static char var[160];
  char count_text[8], fd_text[24];
  decimal(count_text, relayed);
  decimal(fd_text, fd);
  if (!joined(var, sizeof var, EARLY_ENV "=", fd_text, ":") ||
      !joined(var + len_of(var), sizeof var - len_of(var), count_text, ":", socket)) {
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    pass_through(got);
  }
  start_server = start;
  long answer = start_apart(envp, parent_pid(), fd, var, start_detached);
  close_fd(fd);
  if (answer < 0) {
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    pass_through(got);
  }
  close_fd(answer); /* the server sends no answer: podman has its config from here */
  struct out o = {1, 0};
  const char *from = config_text;
  for (int i = 0; i < relayed; i++) {
    emit(&o, from, (size_t)(insert_at[i] - from));
    emit_str(&o, ",\"" RELAY_FLAG);
    emit_str(&o, socket);
    emit_str(&o, "\"");
    from = insert_at[i];
  }
  emit(&o, from, (size_t)(config_text + got - from));
  exit_with(o.failed ? 1 : 0);
}
