/*
 * create/run with the hook server starting beside the runtime instead of before it. Handed a
 * create, the wrapper's Node start (~55 ms) is on the engine's critical path: the runtime waits
 * for the edited config.json. When the hooks.d folders hold only this installation's hooks of the
 * stages a hook server serves, and hooks that need an annotation key prefix this container lacks
 * (the early index: src/wrapper/early-index.ts writes it and says when), what the config gets no
 * longer depends on the match: one hook per such stage, appended
 * where the wrapper would append the matched ones (a "slot": the installed hook launcher with
 * --ocihooks-relay=<socket> --ocihooks-slot=<stage>). This file adds the slots, makes the server's
 * listening socket, starts the wrapper apart with it and execs the runtime at once; the wrapper
 * matches while the runtime sets the container up, and runs each slot's stage's matched hooks when
 * the runtime's launcher asks (src/wrapper/early-create.ts). A slot whose stage matched nothing
 * ends at once; with no slot at all no hook can match: the runtime alone, without Node.
 *
 * Anything this file cannot do or is not sure of (a config it cannot read, a JSON construct it
 * does not edit, a key written with an escape) leaves the call to the wrapper as before.
 */
#include "front-end.h"

#define EARLY_HEADER "ocihooks-runtime early index 1"
#define SOCKET_MARK "@SOCKET@"
#define MAX_SLOTS 3

static char index_text[65536];
static char config_text[4 << 20];

/* Key prefixes that send a container to the wrapper (the index's unless-key= lines). */
#define MAX_UNLESS 16
static struct slice unless[MAX_UNLESS];
static int unless_count;

static int key_sent_away(struct slice key) {
  for (int i = 0; i < unless_count; i++)
    if (key.n >= unless[i].n && same_bytes(key.s, unless[i].s, unless[i].n)) return 1;
  return 0;
}

/* A stage's slot: the stage, the hook's JSON (SOCKET_MARK where the socket goes), where the
 * config's array of that stage ends (its ']') and whether it is empty; 0 when the config has none. */
struct slot {
  struct slice stage, hook;
  const char *close;
  int empty;
};

/* Where the edit goes: after the top-level '{' and, when there are, after "annotations"'s and
 * "hooks"'s '{'; and the slots whose stage arrays' ends are found on the way. */
struct places {
  const char *top, *annotations, *hooks;
  int top_empty, annotations_empty, hooks_empty;
  struct slot *slots;
  int count;
};

/* The --annotation KEY=VALUE pairs on the line, which the wrapper adds to the config's annotations. */
#define MAX_ANNOTATIONS 64
static struct slice ann_key[MAX_ANNOTATIONS], ann_value[MAX_ANNOTATIONS];
static int ann_count;

/* A character JSON would have escaped. */
static int needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

/* Past ASCII: Node reads the line's bytes as UTF-8 (U+FFFD for what is not), which the wrapper
 * writes; such an annotation is the wrapper's. */
static int ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return 0;
  return 1;
}

/* The line's annotations into ann_*; 0 when there are too many, a key that needs an escape or a
 * byte past ASCII, or a key of ours (org.ocihooks.*: the wrapper writes
 * org.ocihooks.runtime.original-config itself, over what the line gives). A key given twice is the
 * wrapper's to read (the last wins there). */
static int read_line_annotations(int n) {
  ann_count = 0;
  for (int i = 1; i <= n && i < inv.argc; i++) {
    const char *a = inv.argv[i];
    if (same(a, "--")) break;
    const char *kv = 0;
    if (starts(a, "--annotation=")) kv = a + 13;
    else if (same(a, "--annotation") && i + 1 < inv.argc) kv = inv.argv[++i];
    else if (same(a, "--runtime") || same(a, "--log-file")) i++;
    if (!kv) continue;
    size_t k = 0;
    while (kv[k] && kv[k] != '=') k++;
    if (!kv[k] || k == 0 || ann_count == MAX_ANNOTATIONS || !ascii(kv, len_of(kv)) || starts(kv, "org.ocihooks.")) return 0;
    for (size_t j = 0; j < k; j++)
      if (needs_escape((unsigned char)kv[j])) return 0;
    for (int j = 0; j < ann_count; j++)
      if (ann_key[j].n == k && same_bytes(ann_key[j].s, kv, k)) return 0;
    ann_key[ann_count] = (struct slice){kv, k};
    ann_value[ann_count] = (struct slice){kv + k + 1, len_of(kv + k + 1)};
    ann_count++;
  }
  return 1;
}

/* Whether the object at s->p is empty (nothing read). */
static int empty_object(const struct scan *s) {
  struct scan probe = {s->p + 1, s->end};
  return at(&probe, '}');
}

/* A member of "hooks": an array, as the wrapper's schema wants each stage (src/core/oci.ts); a
 * slot's stage's end is noted. */
static int stage_member(struct scan *s, struct slice stage, int escaped, void *ctx) {
  struct places *pl = ctx;
  if (escaped) return 0;
  struct slot *mine = 0;
  for (int i = 0; i < pl->count; i++)
    if (stage.n == pl->slots[i].stage.n && same_bytes(stage.s, pl->slots[i].stage.s, stage.n)) mine = &pl->slots[i];
  if (!at(s, '[')) return 0;
  if (!mine) return value_at(s, 2);
  if (mine->close) return 0;
  struct scan probe = {s->p + 1, s->end};
  mine->empty = at(&probe, ']');
  if (!value_at(s, 2)) return 0;
  mine->close = s->p - 1;
  return 1;
}

/* A member of "annotations": not one of the line's, no key the index sends to the wrapper, a
 * string (the wrapper's schema refuses anything else). */
static int annotation_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)ctx;
  if (escaped || key_sent_away(key)) return 0;
  for (int i = 0; i < ann_count; i++)
    if (key.n == ann_key[i].n && same_bytes(key.s, ann_key[i].s, key.n)) return 0;
  struct slice value;
  return string_at(s, &value, &escaped);
}

static int top_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct places *pl = ctx;
  if (escaped) return 0; /* it may spell "hooks" */
  int hooks = slice_is(key, "hooks"), annotations = slice_is(key, "annotations");
  if (!hooks && !annotations) return value_at(s, 1);
  if ((hooks ? pl->hooks : pl->annotations) || !at(s, '{')) return 0;
  if (hooks) pl->hooks = s->p + 1, pl->hooks_empty = empty_object(s);
  else pl->annotations = s->p + 1, pl->annotations_empty = empty_object(s);
  return members_at(s, hooks ? stage_member : annotation_member, pl);
}

/*
 * The config's top-level object: where "annotations" and "hooks" are and, in "hooks", where each
 * slot's stage array ends. 0 for anything the edit could get wrong: a key with an escape (it may
 * spell "hooks"), a key twice, "annotations" or "hooks" not an object, a stage not an array, an
 * annotation of the line already there, an annotation key with a prefix of the index's unless-key
 * lines (a hook that is no slot's may match it), text after the end.
 */
static int find_places(const char *text, size_t n, struct slot *slots, int count, struct places *pl) {
  struct scan s = {text, text + n};
  if (!at(&s, '{')) return 0;
  *pl = (struct places){s.p + 1, 0, 0, empty_object(&s), 0, 0, slots, count};
  return document(text, n, top_member, pl);
}

/* ---- the edited config, written piece by piece ---- */

/* A slot's hook with the socket's path where the mark is. */
static void emit_slot(struct out *o, struct slice hook, const char *socket) {
  size_t mark = len_of(SOCKET_MARK);
  for (size_t i = 0; i < hook.n;) {
    if (i + mark <= hook.n && same_bytes(hook.s + i, SOCKET_MARK, mark)) {
      emit_str(o, socket);
      i += mark;
    } else {
      size_t j = i + 1;
      while (j < hook.n && hook.s[j] != '@') j++;
      emit(o, hook.s + i, j - i);
      i = j;
    }
  }
}

/* A JSON string's inside: s with what JSON escapes escaped. */
static void emit_escaped(struct out *o, struct slice v) {
  static const char hex[] = "0123456789abcdef";
  size_t from = 0;
  for (size_t i = 0; i < v.n; i++) {
    unsigned char c = (unsigned char)v.s[i];
    if (!needs_escape(c)) continue;
    emit(o, v.s + from, i - from);
    char e[7] = {'\\', (char)c, 0};
    if (c < 0x20) e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15], e[6] = 0;
    emit_str(o, e);
    from = i + 1;
  }
  emit(o, v.s + from, v.n - from);
}

/* The line's annotations as members: "KEY":"VALUE",... */
static void emit_annotations(struct out *o) {
  for (int i = 0; i < ann_count; i++) {
    if (i) emit_str(o, ",");
    emit_str(o, "\"");
    emit_escaped(o, ann_key[i]);
    emit_str(o, "\":\"");
    emit_escaped(o, ann_value[i]);
    emit_str(o, "\"");
  }
}

/* The slots' stages the config has no array for, as members of "hooks": "stage":[hook],...; whether any. */
static int emit_new_stages(struct out *o, struct slot *slots, int count, const char *socket) {
  int first = 1;
  for (int i = 0; i < count; i++) {
    if (slots[i].close) continue;
    if (!first) emit_str(o, ",");
    first = 0;
    emit_str(o, "\"");
    emit(o, slots[i].stage.s, slots[i].stage.n);
    emit_str(o, "\":[");
    emit_slot(o, slots[i].hook, socket);
    emit_str(o, "]");
  }
  return !first;
}

static int new_stages(struct slot *slots, int count) {
  for (int i = 0; i < count; i++)
    if (!slots[i].close) return 1;
  return 0;
}

/* An edit: where it goes in the text and what it is. */
enum { AT_TOP, AT_ANNOTATIONS, AT_HOOKS, AT_STAGE };
struct insertion {
  const char *at;
  int kind;
  struct slot *slot;
};

/*
 * The config with the line's annotations added to "annotations" and each slot appended to its
 * stage ("annotations", "hooks" and the stage made where missing), the rest of the text as it was.
 */
static void emit_config(struct out *o, const char *text, size_t n, struct slot *slots, int count,
                        const struct places *pl, const char *socket) {
  struct insertion ins[3 + MAX_SLOTS];
  int k = 0;
  if ((!pl->hooks && count) || (!pl->annotations && ann_count)) ins[k++] = (struct insertion){pl->top, AT_TOP, 0};
  if (pl->annotations && ann_count) ins[k++] = (struct insertion){pl->annotations, AT_ANNOTATIONS, 0};
  if (pl->hooks && new_stages(slots, count)) ins[k++] = (struct insertion){pl->hooks, AT_HOOKS, 0};
  for (int i = 0; i < count; i++)
    if (slots[i].close) ins[k++] = (struct insertion){slots[i].close, AT_STAGE, &slots[i]};
  for (int i = 1; i < k; i++) /* in the order they come in the text */
    for (int j = i; j > 0 && ins[j].at < ins[j - 1].at; j--) {
      struct insertion t = ins[j];
      ins[j] = ins[j - 1], ins[j - 1] = t;
    }
  const char *from = text;
  for (int i = 0; i < k; i++) {
    emit(o, from, (size_t)(ins[i].at - from));
    from = ins[i].at;
    switch (ins[i].kind) {
    case AT_TOP: {
      int any = 0;
      if (!pl->annotations && ann_count) {
        emit_str(o, "\"annotations\":{");
        emit_annotations(o);
        emit_str(o, "}");
        any = 1;
      }
      if (!pl->hooks && count) {
        emit_str(o, any ? ",\"hooks\":{" : "\"hooks\":{");
        emit_new_stages(o, slots, count, socket);
        emit_str(o, "}");
      }
      if (!pl->top_empty) emit_str(o, ",");
      break;
    }
    case AT_ANNOTATIONS:
      emit_annotations(o);
      if (!pl->annotations_empty) emit_str(o, ",");
      break;
    case AT_HOOKS:
      emit_new_stages(o, slots, count, socket);
      if (!pl->hooks_empty) emit_str(o, ",");
      break;
    default:
      if (!ins[i].slot->empty) emit_str(o, ",");
      emit_slot(o, ins[i].slot->hook, socket);
    }
  }
  emit(o, from, (size_t)(text + n - from));
}

/* ---- the decision and the start ---- */

/* The index's slots ("slot=<stage> <hook JSON>", for the stages a hook server serves) and its
 * unless-key= prefixes; the number of slots, -1 unless its "wrapper=" line names this front-end's
 * wrapper (the slots name its installation's launcher) or when a line is not as the wrapper writes it. */
static int read_index(const char *text, long len, struct slot *slots) {
  struct lines l = {text, text + len};
  struct slice line;
  int count = 0, ours = 0;
  unless_count = 0;
  while (next_line(&l, &line)) {
    if (slice_starts(line, "wrapper=")) ours = slice_is((struct slice){line.s + 8, line.n - 8}, wrapper_path());
    if (slice_starts(line, "unless-key=")) {
      if (unless_count == MAX_UNLESS || line.n == 11) return -1;
      unless[unless_count++] = (struct slice){line.s + 11, line.n - 11};
    }
    if (!slice_starts(line, "slot=")) continue;
    struct slice rest = {line.s + 5, line.n - 5};
    size_t i = 0;
    while (i < rest.n && rest.s[i] != ' ') i++;
    struct slice stage = {rest.s, i};
    if (i == rest.n || count == MAX_SLOTS) return -1;
    if (!slice_is(stage, "prestart") && !slice_is(stage, "createRuntime") && !slice_is(stage, "createContainer")) return -1;
    for (int k = 0; k < count; k++)
      if (slots[k].stage.n == stage.n && same_bytes(slots[k].stage.s, stage.s, stage.n)) return -1;
    slots[count++] = (struct slot){stage, {rest.s + i + 1, rest.n - i - 1}, 0, 0};
  }
  return ours ? count : -1;
}

/* The bundle's config.json into config_text; its length, -1 when it cannot be read whole or was
 * edited before (the wrapper starts from the original it saved: bundle.ts). */
static long read_bundle_config(const char *path, struct statx *st) {
  long fd = open_read(path);
  if (fd < 0) return -1;
  long n = -1;
  if (sys6(__NR_statx, fd, (long)"", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, (long)st) == 0 &&
      (st->stx_mode & S_IFMT) == S_IFREG) {
    size_t got = 0;
    for (;;) {
      long r = read_fd(fd, config_text + got, sizeof config_text - got);
      if (r == -4) continue;
      if (r < 0 || (r == 0 && got == 0)) break;
      got += (size_t)r;
      if (r == 0 || got == sizeof config_text) {
        n = got == sizeof config_text ? -1 : (long)got;
        break;
      }
    }
  }
  close_fd(fd);
  if (n > 0 && (holds(config_text, (size_t)n, "org.ocihooks.runtime.original-config") || holds(config_text, (size_t)n, "--ocihooks-slot=")))
    return -1;
  return n;
}

/* The edited config into <config>.tmp-<pid> (the original's mode, owner and group), then moved over it. */
static int write_config(const char *path, struct statx *st, struct slot *slots, int count, const struct places *pl,
                        long n, const char *socket) {
  char tmp[4096 + 64], num[24];
  decimal(num, sys3(__NR_getpid, 0, 0, 0));
  if (!joined(tmp, sizeof tmp, path, ".tmp-", num)) return 0;
  sys3(__NR_unlinkat, AT_FDCWD, tmp, 0);
  struct out o = {sys6(__NR_openat, AT_FDCWD, (long)tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600, 0), 0};
  if (o.fd < 0) return 0;
  emit_config(&o, config_text, (size_t)n, slots, count, pl, socket);
  /* Owner and group first: chown clears set-id bits, chmod then sets the exact mode. */
  if (!o.failed && sys3(__NR_fchown, o.fd, st->stx_uid, st->stx_gid) != 0) o.failed = 1;
  if (!o.failed && sys3(__NR_fchmod, o.fd, st->stx_mode & 07777, 0) != 0) o.failed = 1;
  close_fd(o.fd);
  if (o.failed || sys6(__NR_renameat2, AT_FDCWD, (long)tmp, AT_FDCWD, (long)path, 0) != 0) {
    sys3(__NR_unlinkat, AT_FDCWD, tmp, 0);
    return 0;
  }
  return 1;
}

/* The runtime in this process's place; its failure to start reported as the wrapper would. */
__attribute__((noreturn)) static void exec_runtime(const char *runtime_file, char **args) {
  char *kept = args[0];
  args[0] = (char *)runtime_file;
  long e = sys3(__NR_execve, runtime_file, args, inv.envp);
  args[0] = kept;
  static struct text message;
  char num[24];
  decimal(num, -e);
  put(&message, "ocihooks-runtime: ");
  put(&message, runtime_file);
  put(&message, e == -2 ? ": not found" : e == -13 ? ": permission denied" : ": cannot be run, errno ");
  if (e != -2 && e != -13) put(&message, num);
  report(message.s);
  exit_with(127);
}

/*
 * Takes the early path when it can: never returns then (the runtime runs, or its failure to start
 * is reported). Returns when it cannot, having changed nothing.
 */
void early_create(struct wrapper_options o, const char *config, int config_annotations, const char *runtime, int sub) {
  if (!wrapper_runnable() || o.folders_or_stages || config_annotations || !read_line_annotations(o.n) || !host_root())
    return;
  const char *no_match = env_or(inv.envp, "OCIHOOKS_RUNTIME_INDEX", "/run/ocihooks/runtime-index");
  char index_path[4096];
  if (!joined(index_path, sizeof index_path, no_match, ".early", "")) return;
  static const char *const lines[] = {"wrapper=", "unless-key=", "slot=", 0};
  long len = fresh_index(index_path, EARLY_HEADER, config, lines, index_text, sizeof index_text);
  if (len < 0) return;
  struct slot slots[MAX_SLOTS];
  int count = read_index(index_text, len, slots);
  if (count < 0 || under_slurmstepd()) return;
  for (int i = 0; i < ann_count; i++)
    if (key_sent_away(ann_key[i])) return;
  char path[4096 + 16];
  const char *bundle = bundle_of(sub);
  if (!joined(path, sizeof path, bundle, *bundle ? "/" : "", "config.json")) return;
  struct statx st;
  long n = read_bundle_config(path, &st);
  struct places pl;
  if (n <= 0 || !find_places(config_text, (size_t)n, slots, count, &pl)) return;
  const char *runtime_file = runtime_path(*runtime ? runtime : "runc");
  char **args = inv.argv + o.n;
  char socket[64], num[24];
  decimal(num, sys3(__NR_getpid, 0, 0, 0));
  if (!joined(socket, sizeof socket, SERVER_DIR "/", num, ".sock")) return;
  if (inv.trace) {
    struct out out = {1, 0};
    say_exec(count ? "early exec " : "exec ", runtime_file, args);
    emit_config(&out, config_text, (size_t)n, slots, count, &pl, socket);
    say(1, "\n");
    exit_with(0);
  }
  /* No slot: no hook can match this container. The runtime alone, with the line's annotations. */
  if (count == 0) {
    if (ann_count && !write_config(path, &st, slots, 0, &pl, n, socket)) return;
    exec_runtime(runtime_file, args);
  }
  if (!server_dir_ok()) return;
  long fd = listen_at(socket);
  if (fd < 0) return;
  static char var[160];
  if (!early_var(var, sizeof var, fd, count, socket) || !write_config(path, &st, slots, count, &pl, n, socket)) {
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    close_fd(fd);
    return;
  }
  if (!wrapper_apart(var, fd)) {
    /* No server will come: the slots would fail. The wrapper reads the config as it was (bundle.ts). */
    sys3(__NR_unlinkat, AT_FDCWD, socket, 0);
    close_fd(fd);
    return;
  }
  close_fd(fd);
  exec_runtime(runtime_file, args);
}
