/*
 * `bin/ocihook-gpu precreate` as root: the edits the Node filter planned for an earlier container,
 * applied here when nothing they depend on differs -- no Node start in front of the runtime
 * (docs/performance.md "Kept precreate edits"). TypeScript twin: src/gpu/kept-edits.ts, which
 * writes the entries and holds the same algorithm (replayKeptEdits) to the edits it planned.
 *
 * The key: what the filter's result depends on, as this launcher reads it from the config's text
 * and its own call -- the build of the Node bundle, argv, the OCIHOOKS_* environment, the
 * config's cdi.k8s.io/ annotations and *_VISIBLE_DEVICES entries, process.user, linux.devices and
 * linux.resources.devices as written, and whether there is a user namespace. The entry
 * (KEPT_DIR/<FNV-1a 64 of the key>, root's, written by the Node filter after a run given the same
 * key) holds the key whole (compared byte for byte), the spec folders' listings and spec texts, the
 * host device nodes' type, numbers and mode, and the edits: env set by name, values that replace
 * the three members above, mounts (then all sorted by depth, stably), hooks appended per stage, and
 * the hook paths the config must not hold already.
 *
 * Anything else -- no entry, a spec or node that differs, a config this reader does not read whole
 * (escaped keys, an escaped env entry or mount destination, repeated keys), a mount destination or
 * hook the config has already -- and it returns the key (or 0): Node plans, as without this file,
 * and keeps the entry for the next container.
 */
#include "hook-launcher.h"

#define KEPT_DIR "/run/ocihooks/kept-precreate"
#define ENTRY_HEADER "ocihooks kept precreate 2\n"
#define MAX_ITEMS 4096
#define MAX_STAGES 16

static char input[4 << 20];
static size_t input_n;
static char key_var[120 << 10];
static size_t key_n; /* past PRECREATE_KEY_ENV "=" */
static int key_full;
static char entry[4 << 20];
static char file_text[4 << 20];
static char output[8 << 20];
static char arena[4 << 20];
static size_t arena_n;
static const char *why = "";

/* ---- the config, as far as this path reads it ---- */

struct object {
  int seen, count;
  const char *close; /* its '}' */
};
static struct {
  struct object top, process, lnx, resources, hooks;
  int env_seen, env_count;
  const char *env_close;
  struct slice env_text[MAX_ITEMS], env_name[MAX_ITEMS];
  int user_seen, devices_seen, rules_seen, userns, mounts_seen, annotations_seen, namespaces_seen;
  struct slice user, devices, rules, mounts;
  int mount_count;
  struct slice mount_text[MAX_ITEMS], mount_dest[MAX_ITEMS];
  int annotation_count;
  struct slice annotation_key[MAX_ITEMS], annotation_value[MAX_ITEMS];
  int stage_count;
  struct slice stage_name[MAX_STAGES];
  struct slice stage_list[MAX_STAGES]; /* its whole "[...]" */
  int hook_count;
  struct slice hook_path[MAX_ITEMS], hook_text[MAX_ITEMS];
  int hook_stage[MAX_ITEMS], hook_left[MAX_ITEMS];
} c;

static int fail(const char *reason) {
  why = reason;
  return 0;
}

static int raw_value(struct scan *s, struct slice *out) {
  blanks(s);
  const char *start = s->p;
  if (!value_at(s, 3)) return 0;
  *out = (struct slice){start, (size_t)(s->p - start)};
  return 1;
}

/* An object's members through `member`, counted, with its closing brace noted. */
struct counted {
  member_fn member;
  void *ctx;
  struct object *o;
};
static int counted_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct counted *k = ctx;
  k->o->count++;
  if (escaped) return fail("an escaped key");
  return k->member(s, key, escaped, k->ctx);
}
static int object_at(struct scan *s, struct object *o, member_fn member, void *ctx) {
  if (o->seen) return fail("a repeated key");
  if (!at(s, '{')) return fail("not an object where one is read");
  o->seen = 1;
  struct counted k = {member, ctx, o};
  if (!members_at(s, counted_member, &k)) return 0;
  o->close = s->p - 1;
  return 1;
}

static int once_value(struct scan *s, int *seen, struct slice *out) {
  if (*seen) return fail("a repeated key");
  *seen = 1;
  return raw_value(s, out);
}

static int env_element(struct scan *s, void *ctx) {
  (void)ctx;
  struct slice v;
  int escaped;
  const char *start = (blanks(s), s->p);
  if (!string_at(s, &v, &escaped)) return fail("an env entry that is not a string");
  if (escaped) return fail("an escaped env entry");
  if (c.env_count == MAX_ITEMS) return fail("too many env entries");
  size_t eq = 0;
  while (eq < v.n && v.s[eq] != '=') eq++;
  c.env_text[c.env_count] = (struct slice){start, (size_t)(s->p - start)};
  c.env_name[c.env_count++] = (struct slice){v.s, eq};
  return 1;
}

static int process_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  if (slice_is(key, "env")) {
    if (c.env_seen) return fail("a repeated key");
    c.env_seen = 1;
    if (!at(s, '[')) return fail("env is not a list");
    if (!elements_at(s, env_element, 0)) return 0;
    c.env_close = s->p - 1;
    return 1;
  }
  if (slice_is(key, "user")) return once_value(s, &c.user_seen, &c.user);
  return value_at(s, 2);
}

static int resources_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  return slice_is(key, "devices") ? once_value(s, &c.rules_seen, &c.rules) : value_at(s, 3);
}

/* A namespace's "type": `user` set when it is "user"; a second "type" is refused (JSON.parse
 * keeps the last one, this reading the first). */
struct namespace_type {
  int seen, user;
};
static int namespace_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct namespace_type *t = ctx;
  if (escaped) return fail("an escaped key");
  if (!slice_is(key, "type")) return value_at(s, 4);
  if (t->seen++) return fail("a repeated key");
  struct slice v;
  int esc;
  if (!at(s, '"')) return value_at(s, 4);
  if (!string_at(s, &v, &esc)) return 0;
  if (esc) return fail("an escaped namespace type");
  t->user = slice_is(v, "user");
  return 1;
}
static int namespace_element(struct scan *s, void *ctx) {
  (void)ctx;
  struct namespace_type t = {0, 0};
  if (!at(s, '{')) return value_at(s, 3);
  if (!members_at(s, namespace_member, &t)) return 0;
  if (t.user) c.userns = 1;
  return 1;
}

static int linux_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  if (slice_is(key, "devices")) return once_value(s, &c.devices_seen, &c.devices);
  if (slice_is(key, "resources")) return object_at(s, &c.resources, resources_member, 0);
  if (slice_is(key, "namespaces")) {
    if (c.namespaces_seen) return fail("a repeated key");
    c.namespaces_seen = 1;
    return at(s, '[') ? elements_at(s, namespace_element, 0) : value_at(s, 2);
  }
  return value_at(s, 2);
}

struct mount_facts {
  int seen;
  struct slice dest;
};
static int mount_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct mount_facts *m = ctx;
  if (escaped) return fail("an escaped key");
  if (!slice_is(key, "destination")) return value_at(s, 4);
  int esc;
  if (m->seen) return fail("a repeated key");
  m->seen = 1;
  if (!string_at(s, &m->dest, &esc)) return fail("a mount destination that is not a string");
  return esc ? fail("an escaped mount destination") : 1;
}
static int mount_element(struct scan *s, void *ctx) {
  (void)ctx;
  struct mount_facts m = {0, {0, 0}};
  const char *start = (blanks(s), s->p);
  if (!at(s, '{')) return fail("a mount that is not an object");
  if (!members_at(s, mount_member, &m)) return 0;
  if (!m.seen) return fail("a mount without a destination");
  if (c.mount_count == MAX_ITEMS) return fail("too many mounts");
  c.mount_text[c.mount_count] = (struct slice){start, (size_t)(s->p - start)};
  c.mount_dest[c.mount_count++] = m.dest;
  return 1;
}

static int hook_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct slice *path = ctx;
  if (escaped) return fail("an escaped key");
  if (!slice_is(key, "path")) return value_at(s, 5);
  int esc;
  if (path->s) return fail("a repeated key");
  if (!string_at(s, path, &esc)) return fail("a hook path that is not a string");
  return esc ? fail("an escaped hook path") : 1;
}
static int hook_element(struct scan *s, void *ctx) {
  int stage = *(int *)ctx;
  struct slice path = {0, 0};
  const char *start = (blanks(s), s->p);
  if (!at(s, '{')) return fail("a hook that is not an object");
  if (!members_at(s, hook_member, &path)) return 0;
  if (c.hook_count == MAX_ITEMS) return fail("too many hooks");
  int k = c.hook_count++;
  c.hook_path[k] = path.s ? path : (struct slice){"", 0};
  c.hook_text[k] = (struct slice){start, (size_t)(s->p - start)};
  c.hook_stage[k] = stage;
  return 1;
}
static int stage_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  for (int i = 0; i < c.stage_count; i++)
    if (c.stage_name[i].n == key.n && same_bytes(c.stage_name[i].s, key.s, key.n)) return fail("a repeated key");
  if (c.stage_count == MAX_STAGES) return fail("too many hook stages");
  int k = c.stage_count++;
  c.stage_name[k] = key;
  blanks(s);
  const char *start = s->p;
  if (!at(s, '[')) return fail("a hook stage that is not a list");
  if (!elements_at(s, hook_element, &k)) return 0;
  c.stage_list[k] = (struct slice){start, (size_t)(s->p - start)};
  return 1;
}

static int annotation_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  if (!slice_starts(key, "cdi.k8s.io/")) return value_at(s, 3);
  if (c.annotation_count == MAX_ITEMS) return fail("too many annotations");
  c.annotation_key[c.annotation_count] = key;
  return raw_value(s, &c.annotation_value[c.annotation_count++]);
}

static int top_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)escaped, (void)ctx;
  if (slice_is(key, "process")) return object_at(s, &c.process, process_member, 0);
  if (slice_is(key, "linux")) return object_at(s, &c.lnx, linux_member, 0);
  if (slice_is(key, "hooks")) return object_at(s, &c.hooks, stage_member, 0);
  if (slice_is(key, "annotations")) {
    struct object o = {c.annotations_seen, 0, 0};
    if (!object_at(s, &o, annotation_member, 0)) return 0;
    c.annotations_seen = 1;
    return 1;
  }
  if (slice_is(key, "mounts")) {
    if (c.mounts_seen) return fail("a repeated key");
    c.mounts_seen = 1;
    blanks(s);
    const char *start = s->p;
    if (!at(s, '[')) return fail("mounts is not a list");
    if (!elements_at(s, mount_element, 0)) return 0;
    c.mounts = (struct slice){start, (size_t)(s->p - start)};
    return 1;
  }
  return value_at(s, 1);
}

static int read_config(void) {
  memset(&c, 0, sizeof c);
  struct scan s = {input, input + input_n};
  if (!object_at(&s, &c.top, top_member, 0)) return why[0] ? 0 : fail("not a JSON object read whole");
  blanks(&s);
  return s.p == s.end || fail("text after the config");
}

/* ---- the key ---- */

static void put(const char *tag, const char *s, size_t n) {
  char num[24];
  decimal(num, (long)n);
  size_t t = len_of(tag), d = len_of(num);
  char *k = key_var + sizeof PRECREATE_KEY_ENV;
  if (key_full || key_n + t + d + n + 3 >= sizeof key_var - sizeof PRECREATE_KEY_ENV) {
    key_full = 1;
    return;
  }
  memcpy(k + key_n, tag, t), key_n += t;
  k[key_n++] = ' ';
  memcpy(k + key_n, num, d), key_n += d;
  k[key_n++] = '\n';
  memcpy(k + key_n, s, n), key_n += n;
  k[key_n++] = '\n';
}
static void put_str(const char *tag, const char *s) { put(tag, s, len_of(s)); }
static void put_slice(const char *tag, struct slice v) { put(tag, v.s, v.n); }

/* The Node bundle's build (its first line: the comment scripts/build.mjs writes), from the
 * launcher's ../lib; "none" where it has none, as the Node launcher reads it. */
static int build_of(const char *launcher, char *out, size_t cap) {
  static char path[4200], head[128];
  size_t n = len_of(launcher), slash = n;
  while (slash > 0 && launcher[slash - 1] != '/') slash--;
  if (slash == 0 || slash + 40 >= sizeof path) return 0;
  memcpy(path, launcher, slash);
  path[slash] = 0;
  if (!joined(path + slash, sizeof path - slash, "../lib/ocihooks-hooks.js", "", "")) return 0;
  long fd = open_read(path);
  if (fd < 0) return 0;
  long got = read_full(fd, head, sizeof head - 1);
  close_fd(fd);
  if (got < 0) return 0;
  head[got] = 0;
  const char *p = head;
  size_t k = 0;
  if (starts(p, "/*ocihooks-build:")) {
    p += sizeof "/*ocihooks-build:" - 1;
    while (((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') && k + 1 < cap)
      out[k++] = *p++;
    if (!starts(p, "*/")) k = 0;
  }
  if (k == 0) return joined(out, cap, "none", "", "");
  out[k] = 0;
  return 1;
}

static int visible_name(struct slice name) {
  return slice_is(name, "NVIDIA_VISIBLE_DEVICES") || slice_is(name, "ROCR_VISIBLE_DEVICES") ||
         slice_is(name, "HIP_VISIBLE_DEVICES");
}

static int make_key(const struct precreate_call *call) {
  char build[64];
  memcpy(key_var, PRECREATE_KEY_ENV "=", sizeof PRECREATE_KEY_ENV);
  key_n = 0;
  key_full = 0;
  if (!build_of(call->launcher, build, sizeof build)) return fail("the Node bundle unreadable");
  put_str("build", build);
  for (int i = 0; i < call->argc; i++) put_str("arg", call->argv[i]);
  for (char **e = call->envp; *e; e++)
    if (starts(*e, "OCIHOOKS_") && !starts(*e, "OCIHOOKS_STARTED_AS=") && !starts(*e, PRECREATE_KEY_ENV "=") &&
        !starts(*e, "OCIHOOKS_KEPT_TRACE=") && !starts(*e, "OCIHOOKS_RELAY_TRACE=") && !starts(*e, RELAY_ENV "=") &&
        !starts(*e, EARLY_ENV "="))
      put_str("env", *e);
  for (int i = 0; i < c.annotation_count; i++) {
    put_slice("annotation", c.annotation_key[i]);
    put_slice("value", c.annotation_value[i]);
  }
  for (int i = 0; i < c.env_count; i++)
    if (visible_name(c.env_name[i])) put_slice("visible", c.env_text[i]);
  put_slice(c.user_seen ? "user" : "no-user", c.user_seen ? c.user : (struct slice){"", 0});
  put_slice(c.devices_seen ? "devices" : "no-devices", c.devices_seen ? c.devices : (struct slice){"", 0});
  put_slice(c.rules_seen ? "rules" : "no-rules", c.rules_seen ? c.rules : (struct slice){"", 0});
  put_str("userns", c.userns ? "1" : "0");
  key_var[sizeof PRECREATE_KEY_ENV + key_n] = 0;
  return !key_full || fail("a key too long to pass on");
}

/* ---- the entry ---- */

struct reader {
  const char *p, *end;
};
/* The next record: `tag len\nbytes\n`. */
static int record(struct reader *r, struct slice *tag, struct slice *value) {
  const char *t = r->p;
  while (r->p < r->end && *r->p != ' ') r->p++;
  if (r->p >= r->end) return 0;
  *tag = (struct slice){t, (size_t)(r->p - t)};
  r->p++;
  size_t n = 0;
  int digits = 0;
  /* At most 9 digits: no length an entry holds is longer (they are read whole into memory), and
   * n + 2 cannot wrap. */
  for (; r->p < r->end && *r->p >= '0' && *r->p <= '9' && digits < 10; r->p++, digits++) n = n * 10 + (size_t)(*r->p - '0');
  if (!digits || digits > 9 || r->p >= r->end || *r->p != '\n' || (size_t)(r->end - r->p) < n + 2) return 0;
  r->p++;
  *value = (struct slice){r->p, n};
  r->p += n;
  if (*r->p != '\n') return 0;
  r->p++;
  return 1;
}
static int record_tagged(struct reader *r, const char *want, struct slice *value) {
  struct slice tag;
  return record(r, &tag, value) && slice_is(tag, want);
}

static long open_entry(void) {
  struct statx st;
  if (sys6(__NR_statx, AT_FDCWD, (long)KEPT_DIR, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, (long)&st) != 0 ||
      (st.stx_mode & S_IFMT) != S_IFDIR || st.stx_uid != 0 || (st.stx_mode & 077) != 0)
    return fail("no kept entries (no root-only " KEPT_DIR ")"), -1;
  unsigned long long h = 0xcbf29ce484222325ULL;
  const unsigned char *k = (const unsigned char *)key_var + sizeof PRECREATE_KEY_ENV;
  for (size_t i = 0; i < key_n; i++) h = (h ^ k[i]) * 0x100000001b3ULL;
  static const char hex[] = "0123456789abcdef";
  char name[17], path[64];
  for (int i = 15; i >= 0; i--, h >>= 4) name[i] = hex[h & 15];
  name[16] = 0;
  if (!joined(path, sizeof path, KEPT_DIR "/", name, "")) return -1;
  long fd = sys6(__NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0, 0);
  if (fd < 0) return fail("no entry for this key"), -1;
  if (sys6(__NR_statx, fd, (long)"", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_UID, (long)&st) != 0 ||
      (st.stx_mode & S_IFMT) != S_IFREG || st.stx_uid != 0 || (st.stx_mode & 022) != 0) {
    close_fd(fd);
    return fail("an entry that is not root's file"), -1;
  }
  return fd;
}

static int cstr(struct slice v, char *out, size_t cap) {
  if (v.n + 1 > cap) return 0;
  for (size_t i = 0; i < v.n; i++)
    if (!v.s[i]) return 0;
  memcpy(out, v.s, v.n);
  out[v.n] = 0;
  return 1;
}

/* A spec folder's listing and spec texts as the entry has them (its records after `dir`). */
static int same_folder(struct reader *r, struct slice dir) {
  static char path[8192];
  struct slice names[1024];
  int count = 0;
  for (;;) {
    struct reader peek = *r;
    struct slice tag, v;
    if (!record(&peek, &tag, &v)) return fail("an entry not read whole");
    if (slice_is(tag, "name")) {
      if (count == 1024) return fail("a spec folder with too many names");
      names[count++] = v;
    } else if (slice_is(tag, "text")) {
      if (!count || !cstr(dir, path, sizeof path) || dir.n + 1 >= sizeof path ||
          !cstr(names[count - 1], path + dir.n + 1, sizeof path - dir.n - 1))
        return fail("a spec path too long");
      path[dir.n] = '/';
      long n = read_file(path, file_text, sizeof file_text);
      if (n < 0 || (size_t)n != v.n || !same_bytes(file_text, v.s, v.n)) return fail("a CDI spec changed");
    } else {
      break;
    }
    *r = peek;
  }
  if (!cstr(dir, path, sizeof path)) return fail("a spec folder path too long");
  struct listing l;
  open_listing(&l, path);
  if (l.failed) return fail("a spec folder gone");
  int listed = 0;
  for (const char *name; (name = next_name(&l));) {
    if (same(name, ".") || same(name, "..")) continue;
    int found = 0;
    for (int i = 0; i < count && !found; i++) found = slice_is(names[i], name);
    if (!found) {
      close_listing(&l);
      return fail("a spec folder's listing changed");
    }
    listed++;
  }
  int failed = l.failed;
  close_listing(&l);
  return (!failed && listed == count) || fail("a spec folder's listing changed");
}

static int no_folder(struct slice dir) {
  static char path[8192];
  if (!cstr(dir, path, sizeof path)) return fail("a spec folder path too long");
  struct listing l;
  open_listing(&l, path);
  close_listing(&l);
  return l.failed || fail("a spec folder made since");
}

/* A host node as the Node filter saw it: "c 195 0 438" (type, numbers, mode) or "absent". */
static int same_node(struct slice host_path, struct slice want) {
  static char path[4096];
  char seen[80] = "absent";
  struct statx st;
  if (!cstr(host_path, path, sizeof path)) return fail("a node path too long");
  if (sys6(__NR_statx, AT_FDCWD, (long)path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE, (long)&st) == 0) {
    unsigned kind = st.stx_mode & S_IFMT;
    const char *type = kind == S_IFCHR ? "c" : kind == S_IFBLK ? "b" : kind == S_IFIFO ? "p" : 0;
    char major[24], minor[24], mode[24], both[56];
    decimal(major, st.stx_rdev_major);
    decimal(minor, st.stx_rdev_minor);
    decimal(mode, st.stx_mode & 07777);
    if (type && !(joined(both, sizeof both, major, " ", minor) && joined(seen, sizeof seen, type, " ", both) &&
                  joined(seen + len_of(seen), sizeof seen - len_of(seen), " ", mode, "")))
      return fail("a device node changed");
  }
  return slice_is(want, seen) || fail("a device node changed");
}

/* A host path as the Node filter's plan saw it, symlinks followed (src/hook/real-host.ts describe):
 * "file", "directory", "socket", "fifo", "device c 195 0", "other" or "missing" (it could not be stat'ed). */
static int same_kind(struct slice host_path, struct slice want) {
  static char path[4096];
  char seen[80] = "missing";
  struct statx st;
  if (!cstr(host_path, path, sizeof path)) return fail("a host path too long");
  if (sys6(__NR_statx, AT_FDCWD, (long)path, 0, STATX_TYPE, (long)&st) == 0) {
    unsigned kind = st.stx_mode & S_IFMT;
    const char *name = kind == S_IFDIR ? "directory" : kind == S_IFREG ? "file" : kind == S_IFSOCK ? "socket"
                     : kind == S_IFIFO ? "fifo" : "other";
    if (kind == S_IFCHR || kind == S_IFBLK) {
      char major[24], minor[24], both[56];
      decimal(major, st.stx_rdev_major);
      decimal(minor, st.stx_rdev_minor);
      if (!joined(both, sizeof both, major, " ", minor) ||
          !joined(seen, sizeof seen, kind == S_IFCHR ? "device c " : "device b ", both, ""))
        return fail("a host path changed");
    } else if (!joined(seen, sizeof seen, name, "", "")) {
      return 0;
    }
  }
  return slice_is(want, seen) || fail("a host path changed");
}

/* ---- the edits ---- */

struct patch {
  const char *at, *end; /* input[at..end) replaced (an insertion where at == end) */
  const char *text;
  size_t n;
};
static struct patch patches[MAX_ITEMS];
static int patch_count;

static char *arena_take(size_t n) {
  if (arena_n + n > sizeof arena) return 0;
  char *p = arena + arena_n;
  arena_n += n;
  return p;
}
/* Text built in the arena, piece by piece. */
struct piece {
  char *s;
  size_t n;
  int failed;
};
static void add(struct piece *p, const char *s, size_t n) {
  if (p->failed) return;
  if (p->s && p->s + p->n == arena + arena_n) { /* the arena's last piece: it grows in place */
    if (!arena_take(n)) p->failed = 1;
    else memcpy(p->s + p->n, s, n), p->n += n;
    return;
  }
  char *moved = arena_take(p->n + n); /* another piece was begun since: this one moves to the end */
  if (!moved) {
    p->failed = 1;
    return;
  }
  if (p->n) memcpy(moved, p->s, p->n);
  memcpy(moved + p->n, s, n);
  p->s = moved;
  p->n += n;
}
static void add_str(struct piece *p, const char *s) { add(p, s, len_of(s)); }

static int patch(const char *at, const char *end, struct piece text) {
  if (text.failed || patch_count == MAX_ITEMS) return fail("edits too large");
  patches[patch_count++] = (struct patch){at, end, text.s ? text.s : "", text.n};
  return 1;
}

/* Members inserted into an object before its '}', after any it has. */
struct insertion {
  struct object *o;
  struct piece text;
  int count;
};
static void insert_member(struct insertion *in, const char *name, struct slice value) {
  if (in->o->count || in->count) add_str(&in->text, ",");
  add_str(&in->text, "\"");
  add_str(&in->text, name);
  add_str(&in->text, "\":");
  add(&in->text, value.s, value.n);
  in->count++;
}

/* How deep a mount is, as src/cdi/apply.ts mountDepth counts (Go's filepath.Clean, then "/"s). */
static long depth_of(struct slice p) {
  int rooted = p.n > 0 && p.s[0] == '/';
  long up = 0, names = 0;
  size_t i = 0;
  while (i < p.n) {
    size_t j = i;
    while (j < p.n && p.s[j] != '/') j++;
    struct slice part = {p.s + i, j - i};
    if (part.n == 0 || slice_is(part, ".")) {
    } else if (slice_is(part, "..")) {
      if (names) names--;
      else if (!rooted) up++;
    } else {
      names++;
    }
    i = j + 1;
  }
  long parts = up + names;
  if (rooted) return parts ? parts : 1;
  return parts ? parts - 1 : 0;
}

/* A rooted path as Go's Clean writes it: "/", or "/" and names, none empty, "." or "..". */
static int written_clean(struct slice p) {
  if (p.n == 0 || p.s[0] != '/') return 0;
  if (p.n == 1) return 1;
  size_t i = 1;
  while (i <= p.n) {
    size_t j = i;
    while (j < p.n && p.s[j] != '/') j++;
    struct slice part = {p.s + i, j - i};
    if (part.n == 0 || slice_is(part, ".") || slice_is(part, "..")) return 0;
    i = j + 1;
  }
  return 1;
}

static long number_of(struct slice v) {
  long n = 0;
  if (!v.n || v.n > 9) return -1;
  for (size_t i = 0; i < v.n; i++) {
    if (v.s[i] < '0' || v.s[i] > '9') return -1;
    n = n * 10 + (v.s[i] - '0');
  }
  return n;
}

static int same_slice(struct slice a, struct slice b) { return a.n == b.n && same_bytes(a.s, b.s, a.n); }

static struct slice new_mount_text[MAX_ITEMS];
static long new_mount_depth[MAX_ITEMS];
static int new_mounts;
static struct slice new_hook_stage[MAX_ITEMS], new_hook_text[MAX_ITEMS];
static int new_hooks;
/* The log records the Node filter wrote while planning, to write again (\x01: the time, \x02: the pid). */
#define MAX_LINES 64
static struct slice log_file, log_line[MAX_LINES];
static int log_lines;

static int apply_entry(struct reader *r) {
  struct insertion top = {&c.top, {0, 0, 0}, 0}, process = {&c.process, {0, 0, 0}, 0};
  struct insertion lnx = {&c.lnx, {0, 0, 0}, 0}, resources = {&c.resources, {0, 0, 0}, 0};
  struct piece env_added = {0, 0, 0};
  int env_adds = 0;
  struct slice busy[64];
  int busy_count = 0;
  for (int i = 0; i < c.hook_count; i++) c.hook_left[i] = 0;
  patch_count = new_mounts = new_hooks = log_lines = 0;
  log_file = (struct slice){0, 0};
  arena_n = 0;
  for (;;) {
    struct slice tag, v, value;
    if (!record(r, &tag, &v)) return fail("an entry not read whole");
    if (slice_is(tag, "end")) break;
    if (slice_is(tag, "dir")) {
      if (!same_folder(r, v)) return 0;
    } else if (slice_is(tag, "no-dir")) {
      if (!no_folder(v)) return 0;
    } else if (slice_is(tag, "node")) {
      if (!record_tagged(r, "stat", &value) || !same_node(v, value)) return why[0] ? 0 : fail("an entry not read whole");
    } else if (slice_is(tag, "path")) {
      if (!record_tagged(r, "kind", &value) || !same_kind(v, value)) return why[0] ? 0 : fail("an entry not read whole");
    } else if (slice_is(tag, "env")) {
      if (!record_tagged(r, "value", &value)) return fail("an entry not read whole");
      if (!c.env_seen) return fail("a config without process.env");
      int last = -1;
      for (int i = 0; i < c.env_count; i++)
        if (same_slice(c.env_name[i], v)) last = i;
      if (last >= 0) {
        struct piece p = {0, 0, 0};
        add(&p, value.s, value.n);
        if (!patch(c.env_text[last].s, c.env_text[last].s + c.env_text[last].n, p)) return 0;
      } else {
        if (c.env_count || env_adds) add_str(&env_added, ",");
        add(&env_added, value.s, value.n);
        env_adds++;
      }
    } else if (slice_is(tag, "set")) {
      if (!record_tagged(r, "value", &value)) return fail("an entry not read whole");
      /* The member's value replaced where the config has it, else the member added to its parent. */
      int seen;
      struct slice *was;
      struct insertion *parent;
      const char *name;
      if (slice_is(v, "process.user")) seen = c.user_seen, was = &c.user, parent = &process, name = "user";
      else if (slice_is(v, "linux.devices")) seen = c.devices_seen, was = &c.devices, parent = &lnx, name = "devices";
      else if (slice_is(v, "linux.resources.devices"))
        seen = c.rules_seen, was = &c.rules, parent = &resources, name = "devices";
      else return fail("an entry not read whole");
      if (seen) {
        struct piece p = {0, 0, 0};
        add(&p, value.s, value.n);
        if (!patch(was->s, was->s + was->n, p)) return 0;
      } else if (parent->o->seen) {
        insert_member(parent, name, value);
      } else {
        return fail("a config without the member's parent");
      }
    } else if (slice_is(tag, "mount")) {
      struct slice dest;
      long depth = number_of(v);
      if (depth < 0 || !record_tagged(r, "destination", &dest) || !record_tagged(r, "value", &value))
        return fail("an entry not read whole");
      if (!c.mounts_seen) return fail("a config without mounts");
      /* Node compares cleaned destinations (the reference's hasMountEntry); bytes are the same
       * comparison for paths written clean, as the entry's are (src/gpu/kept-edits.ts). */
      for (int i = 0; i < c.mount_count; i++) {
        if (!written_clean(c.mount_dest[i])) return fail("a mount destination not written clean");
        if (same_slice(c.mount_dest[i], dest)) return fail("a mount destination the config has");
      }
      if (new_mounts == MAX_ITEMS) return fail("edits too large");
      new_mount_text[new_mounts] = value;
      new_mount_depth[new_mounts++] = depth;
    } else if (slice_is(tag, "hook")) {
      if (!record_tagged(r, "value", &value)) return fail("an entry not read whole");
      if (new_hooks == MAX_ITEMS) return fail("edits too large");
      new_hook_stage[new_hooks] = v;
      new_hook_text[new_hooks++] = value;
    } else if (slice_is(tag, "leave")) {
      /* A hook of the config the Node filter left out (gpu/settled-hooks.ts): the first of that
       * stage written exactly so. */
      if (!record_tagged(r, "value", &value)) return fail("an entry not read whole");
      int found = 0;
      for (int i = 0; i < c.hook_count && !found; i++)
        if (!c.hook_left[i] && same_slice(c.stage_name[c.hook_stage[i]], v) && same_slice(c.hook_text[i], value))
          c.hook_left[i] = found = 1;
      if (!found) return fail("a hook to leave out that the config does not have");
    } else if (slice_is(tag, "log")) {
      log_file = v;
    } else if (slice_is(tag, "line")) {
      if (!log_file.n || log_lines == MAX_LINES) return fail("an entry not read whole");
      log_line[log_lines++] = v;
    } else if (slice_is(tag, "busy")) {
      if (busy_count == 64) return fail("edits too large");
      busy[busy_count++] = v;
    } else {
      return fail("an entry not read whole");
    }
  }
  if (env_adds && !patch(c.env_close, c.env_close, env_added)) return 0;
  if (new_mounts) {
    /* Every mount sorted by depth, stably (the config's, then the new ones): an insertion sort of
     * their places, bounded by the counts -- never by a depth a destination could make huge. */
    static struct slice text[2 * MAX_ITEMS];
    static long depth[2 * MAX_ITEMS];
    int n = 0;
    for (int i = 0; i < c.mount_count; i++, n++) text[n] = c.mount_text[i], depth[n] = depth_of(c.mount_dest[i]);
    for (int i = 0; i < new_mounts; i++, n++) text[n] = new_mount_text[i], depth[n] = new_mount_depth[i];
    for (int i = 1; i < n; i++) {
      struct slice t = text[i];
      long d = depth[i];
      int j = i;
      for (; j > 0 && depth[j - 1] > d; j--) text[j] = text[j - 1], depth[j] = depth[j - 1];
      text[j] = t, depth[j] = d;
    }
    struct piece p = {0, 0, 0};
    add_str(&p, "[");
    for (int i = 0; i < n; i++) {
      if (i) add_str(&p, ",");
      add(&p, text[i].s, text[i].n);
    }
    add_str(&p, "]");
    if (!patch(c.mounts.s, c.mounts.s + c.mounts.n, p)) return 0;
  }
  /* A hook with a busy path (the spec's, the installation's GPU hook's) is one the Node filter left
   * out, or the edits may not be the same. */
  for (int i = 0; i < c.hook_count; i++)
    for (int j = 0; j < busy_count && !c.hook_left[i]; j++)
      if (same_slice(c.hook_path[i], busy[j])) return fail("a hook the config has");
  /* The config's stages with a hook left out or added: each list written again. */
  for (int k = 0; k < c.stage_count; k++) {
    int changed = 0;
    for (int i = 0; i < c.hook_count; i++) changed |= c.hook_stage[i] == k && c.hook_left[i];
    for (int j = 0; j < new_hooks; j++) changed |= same_slice(new_hook_stage[j], c.stage_name[k]);
    if (!changed) continue;
    struct piece p = {0, 0, 0};
    int written = 0;
    add_str(&p, "[");
    for (int i = 0; i < c.hook_count; i++)
      if (c.hook_stage[i] == k && !c.hook_left[i]) {
        if (written++) add_str(&p, ",");
        add(&p, c.hook_text[i].s, c.hook_text[i].n);
      }
    for (int j = 0; j < new_hooks; j++)
      if (same_slice(new_hook_stage[j], c.stage_name[k])) {
        if (written++) add_str(&p, ",");
        add(&p, new_hook_text[j].s, new_hook_text[j].n);
      }
    add_str(&p, "]");
    if (!patch(c.stage_list[k].s, c.stage_list[k].s + c.stage_list[k].n, p)) return 0;
  }
  /* New stages (in the order the entry first names them), into the hooks member or a new one. */
  struct piece stages = {0, 0, 0};
  int stage_members = 0;
  for (int i = 0; i < new_hooks; i++) {
    int seen_before = 0;
    for (int j = 0; j < i && !seen_before; j++) seen_before = same_slice(new_hook_stage[j], new_hook_stage[i]);
    for (int k = 0; k < c.stage_count && !seen_before; k++) seen_before = same_slice(c.stage_name[k], new_hook_stage[i]);
    if (seen_before) continue;
    for (size_t k = 0; k < new_hook_stage[i].n; k++) {
      char ch = new_hook_stage[i].s[k];
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return fail("an entry not read whole");
    }
    if (stage_members++ || (c.hooks.seen && c.hooks.count)) add_str(&stages, ",");
    add_str(&stages, "\"");
    add(&stages, new_hook_stage[i].s, new_hook_stage[i].n);
    add_str(&stages, "\":[");
    int written = 0;
    for (int j = i; j < new_hooks; j++)
      if (same_slice(new_hook_stage[j], new_hook_stage[i])) {
        if (written++) add_str(&stages, ",");
        add(&stages, new_hook_text[j].s, new_hook_text[j].n);
      }
    add_str(&stages, "]");
  }
  if (stage_members && c.hooks.seen && !patch(c.hooks.close, c.hooks.close, stages)) return 0;
  if (stage_members && !c.hooks.seen) {
    struct piece object = {0, 0, 0};
    add_str(&object, "{");
    add(&object, stages.s, stages.n);
    add_str(&object, "}");
    if (object.failed || stages.failed) return fail("edits too large");
    insert_member(&top, "hooks", (struct slice){object.s, object.n});
  }
  struct insertion *ins[4] = {&process, &lnx, &resources, &top};
  for (int i = 0; i < 4; i++)
    if (ins[i]->count && !patch(ins[i]->o->close, ins[i]->o->close, ins[i]->text)) return 0;
  return 1;
}

/* The input with the patches, in order, into output. */
static long patched(void) {
  /* Insertion sort by position: patches never overlap, and insertions at one place are merged. */
  for (int i = 1; i < patch_count; i++) {
    struct patch p = patches[i];
    int j = i;
    while (j > 0 && patches[j - 1].at > p.at) patches[j] = patches[j - 1], j--;
    patches[j] = p;
  }
  size_t n = 0;
  const char *from = input;
  for (int i = 0; i <= patch_count; i++) {
    const char *to = i < patch_count ? patches[i].at : input + input_n;
    if (to < from) return -1;
    size_t k = (size_t)(to - from);
    if (n + k > sizeof output) return -1;
    memcpy(output + n, from, k), n += k;
    if (i == patch_count) break;
    if (n + patches[i].n > sizeof output) return -1;
    memcpy(output + n, patches[i].text, patches[i].n), n += patches[i].n;
    from = patches[i].end;
  }
  return (long)n;
}

/* The Node filter's records again, with this process's time and pid, one write each as Node
 * writes them; 0 when the log file does not open (Node opens it, and says why). */
static int write_log(void) {
  if (!log_lines) return 1;
  char path[4096], now[32], pid[24];
  if (!cstr(log_file, path, sizeof path)) return fail("an entry not read whole");
  for (int i = 0; i < log_lines; i++) {
    int marks[3] = {0, 0, 0};
    for (size_t k = 0; k < log_line[i].n; k++)
      if (log_line[i].s[k] == 1 || log_line[i].s[k] == 2) marks[(int)log_line[i].s[k]]++;
    if (marks[1] != 1 || marks[2] != 1 || log_line[i].n + 64 > sizeof file_text) return fail("an entry not read whole");
  }
  long fd = sys6(__NR_openat, AT_FDCWD, (long)path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640, 0);
  if (fd < 0) return fail("the log file did not open");
  iso_now(now);
  decimal(pid, sys3(__NR_getpid, 0, 0, 0));
  for (int i = 0; i < log_lines; i++) {
    size_t n = 0;
    for (size_t k = 0; k < log_line[i].n; k++) {
      char ch = log_line[i].s[k];
      const char *put = ch == 1 ? now : ch == 2 ? pid : 0;
      if (!put) file_text[n++] = ch;
      else
        for (; *put; put++) file_text[n++] = *put;
    }
    write_all((int)fd, file_text, n);
  }
  close_fd(fd);
  return 1;
}

static void trace(const struct precreate_call *call, const char *what, const char *detail) {
  if (!*env_or(call->envp, "OCIHOOKS_KEPT_TRACE", "")) return;
  say(2, "ocihook-gpu precreate: ");
  say(2, what);
  say(2, detail);
  say(2, "\n");
}

/* What was read of stdin, and the rest of it, onto fd 0 again (a memory file) for the Node filter
 * when this path returns. */
static int give_back_stdin(void) {
  long fd = sys3(__NR_memfd_create, "config.json", 0, 0);
  if (fd < 0) return 0;
  write_all((int)fd, input, input_n);
  for (long r; input_n == sizeof input && (r = read_input(0, file_text, sizeof file_text)) != 0;) {
    if (r < 0) return 0;
    write_all((int)fd, file_text, (size_t)r);
    if ((size_t)r < sizeof file_text) break;
  }
  if (sys3(__NR_lseek, fd, 0, 0) != 0) return 0;
  if (fd != 0 && sys3(__NR_dup3, fd, 0, 0) < 0) return 0;
  if (fd != 0) close_fd(fd);
  return 1;
}

const char *kept_precreate(const struct precreate_call *call) {
  input_n = 0;
  /* Root of the host alone: the entries are root's, in the host's /run (a user namespace's root is not). */
  if (!host_root()) return 0;
  long got = read_input(0, input, sizeof input);
  if (got < 0) exit_with(1);
  input_n = (size_t)got;
  if (input_n == sizeof input) { /* more than the launcher holds: Node reads it whole */
    trace(call, "not kept: ", "a config too large");
    if (!give_back_stdin()) exit_with(1);
    return 0;
  }
  int keyed = read_config() && make_key(call);
  if (!keyed) {
    trace(call, "not kept: ", why);
    if (!give_back_stdin()) exit_with(1);
    return 0;
  }
  long fd = open_entry();
  long n = fd < 0 ? -1 : read_full(fd, entry, sizeof entry);
  struct reader r = {entry, entry + (n > 0 ? n : 0)};
  struct slice header = {ENTRY_HEADER, sizeof ENTRY_HEADER - 1}, kept_key;
  int applied = n > (long)header.n && n < (long)sizeof entry && same_bytes(entry, header.s, header.n) &&
                (r.p += header.n, record_tagged(&r, "key", &kept_key)) &&
                same_slice(kept_key, (struct slice){key_var + sizeof PRECREATE_KEY_ENV, key_n}) && apply_entry(&r);
  long out = applied ? patched() : -1;
  if (out >= 0 && !write_log()) out = -1;
  /* Used now: the Node filter prunes the entries used longest ago first (kept-edits.ts pruneEntries). */
  if (out >= 0) sys6(__NR_utimensat, fd, 0, 0, 0, 0);
  if (fd >= 0) close_fd(fd);
  if (out < 0) {
    trace(call, "not kept: ", why[0] ? why : n >= 0 ? "an entry for another key" : "no entry");
    if (!give_back_stdin()) exit_with(1);
    return key_var;
  }
  trace(call, "kept edits applied", "");
  relay_config(output, (size_t)out, call->started_as, call->envp, call->watched, call->program_start);
}
