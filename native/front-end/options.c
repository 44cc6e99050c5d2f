/* The command line as the wrapper reads it (src/wrapper/command-line/: options.ts, its own options
 * before "--"; runtime-args.ts, the runtime's subcommand past its global options; and with
 * src/wrapper/config-file.ts, the runtime the config file names and where a runtime name is looked up). Where the front-end cannot
 * decide as the wrapper would, it hands the call to the wrapper (to_wrapper), which reports. */
#include "front-end.h"

/* --annotation's value: KEY=VALUE with a key. */
static int annotation_ok(const char *a) { return a[0] != '=' && has_char(a, '='); }
/* --prestart-as's value: one the wrapper knows (hooksd/prestart.ts). */
static int prestart_ok(const char *a) { return same(a, "createRuntime") || same(a, "prestart"); }

static char config_text[65536];
static char runtime_from_file[4096];

/* The single-valued options: the same one given again with another value goes to the wrapper,
 * which refuses the line (src/wrapper/command-line/options.ts); the same value again is that value. */
static const char *const single[] = {"--runtime", "--log-file", "--root-per-user", "--prestart-as"};
#define SINGLE (sizeof single / sizeof single[0])

static void once(const char *given[SINGLE], const char *name, const char *value) {
  for (unsigned k = 0; k < SINGLE; k++)
    if (same(name, single[k])) {
      if (given[k] && !same(given[k], value)) to_wrapper();
      given[k] = value;
    }
}

struct wrapper_options read_wrapper_options(void) {
  int dashdash = 0;
  for (int i = 1; i < inv.argc; i++)
    if (same(inv.argv[i], "--")) dashdash = 1;
  struct wrapper_options o = {0, "", 0, 0, 0};
  const char *given[SINGLE] = {0};
  const char *want = 0;
  for (int i = 1; i < inv.argc; i++) {
    const char *a = inv.argv[i];
    if (want) {
      if (same(a, "--")) to_wrapper(); /* an option without its value: the wrapper says so */
      once(given, want, a);
      if (same(want, "--runtime")) o.runtime = a, o.runtime_given = 1;
      if (same(want, "--root-per-user")) o.per_user = a;
      if (!same(want, "--runtime") && !same(want, "--annotation") && !same(want, "--log-file")) o.folders_or_stages = 1;
      if (same(want, "--annotation") && !annotation_ok(a)) to_wrapper();
      if (same(want, "--prestart-as") && !prestart_ok(a)) to_wrapper();
      want = 0, o.n++;
      continue;
    }
    if (same(a, "--")) {
      o.n++;
      break;
    } else if (starts(a, "--runtime=")) {
      once(given, "--runtime", a + 10);
      o.runtime = a + 10, o.runtime_given = 1, o.n++;
    } else if (starts(a, "--annotation=")) {
      if (!annotation_ok(a + 13)) to_wrapper();
      o.n++;
    } else if (starts(a, "--root-per-user=")) {
      once(given, "--root-per-user", a + 16);
      o.per_user = a + 16, o.n++, o.folders_or_stages = 1;
    } else if (starts(a, "--prestart-as=")) {
      if (!prestart_ok(a + 14)) to_wrapper();
      once(given, "--prestart-as", a + 14);
      o.n++, o.folders_or_stages = 1;
    } else if (starts(a, "--log-file=")) {
      once(given, "--log-file", a + 11);
      o.n++;
    } else if (starts(a, "--hooks-dir=") || starts(a, "--cdi-spec-dir=")) {
      o.n++, o.folders_or_stages = 1;
    } else if (same(a, "--runtime") || same(a, "--hooks-dir") || same(a, "--annotation") || same(a, "--log-file") || same(a, "--cdi-spec-dir") || same(a, "--root-per-user") || same(a, "--prestart-as")) {
      want = a, o.n++;
    } else if (same(a, "--ocihooks-help") || same(a, "--ocihooks-version")) {
      to_wrapper();
    } else {
      if (dashdash) to_wrapper();
      break;
    }
  }
  if (want || (o.runtime_given && !*o.runtime)) to_wrapper(); /* an empty --runtime: the wrapper says so */
  return o;
}

/* The runtime's subcommand: its index, past the runtime's global options from `from` (those with a
 * value take the next argument); -1 when there is none. */
int subcommand_at(int from) {
  for (int i = from, skip = 0; i < inv.argc; i++) {
    const char *a = inv.argv[i];
    if (skip) {
      skip = 0;
      continue;
    }
    if (same(a, "--root") || same(a, "--log") || same(a, "--log-format") || same(a, "--criu") || same(a, "--rootless") || same(a, "--log-level") || same(a, "--cgroup-manager")) skip = 1;
    else if (a[0] != '-') return i;
  }
  return -1;
}

/* The config file's fields as src/wrapper/config-file.ts's schema takes them, each to be read once
 * (JSON.parse would keep a repeated one's last value): a bit each in `seen`. */
static const char *const config_fields[] = {"runtime", "hooksDirs", "annotations", "logFile", "cdiSpecDirs", "prestartAs", "serveHooks"};
enum { RUNTIME, HOOKS_DIRS, ANNOTATIONS, LOG_FILE, CDI_SPEC_DIRS, PRESTART_AS, SERVE_HOOKS, FIELDS };
struct config_reading {
  unsigned seen;
  struct slice runtime;
};

static int nonempty_string(struct scan *s, void *ctx) {
  (void)ctx;
  struct slice v;
  int escaped;
  return string_at(s, &v, &escaped) && v.n;
}

static int annotation_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)ctx;
  struct slice v;
  return key.n && string_at(s, &v, &escaped);
}

/* One field, its value as the schema wants it; 0 for anything else, or what only a decoding of an
 * escape would tell (an escaped key, runtime or prestartAs). */
static int config_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  struct config_reading *c = ctx;
  unsigned k = 0;
  while (k < FIELDS && !slice_is(key, config_fields[k])) k++;
  if (escaped || k == FIELDS || (c->seen & 1u << k)) return 0;
  c->seen |= 1u << k;
  struct slice v;
  int esc;
  switch (k) {
  case RUNTIME:
    return string_at(s, &c->runtime, &esc) && !esc && c->runtime.n && c->runtime.n < sizeof runtime_from_file;
  case HOOKS_DIRS:
  case CDI_SPEC_DIRS:
    return elements_at(s, nonempty_string, 0);
  case ANNOTATIONS:
    return members_at(s, annotation_member, 0);
  case LOG_FILE:
    return nonempty_string(s, 0);
  case PRESTART_AS:
    return string_at(s, &v, &esc) && !esc && (slice_is(v, "createRuntime") || slice_is(v, "prestart"));
  default: /* SERVE_HOOKS */
    return (at(s, 't') || at(s, 'f')) && value_at(s, 1);
  }
}

/* The runtime the config file names ("" for none); *annotations set when the file gives
 * annotations. A config file that is not there is no settings, unless it was named (`named`:
 * OCIHOOKS_RUNTIME_CONFIG), which the wrapper refuses; a file the wrapper would refuse, or one
 * config_member cannot read as the wrapper would, goes to the wrapper, which reads it and reports. */
const char *runtime_of_config(const char *config, int named, int *annotations) {
  if (!facts(config).regular) {
    if (named) to_wrapper();
    return "";
  }
  long len = read_file(config, config_text, sizeof config_text);
  if (len < 0) to_wrapper(); /* unreadable or huge: the wrapper says which */
  struct config_reading c = {0, {0, 0}};
  if (!document(config_text, (size_t)len, config_member, &c)) to_wrapper();
  *annotations = (c.seen >> ANNOTATIONS) & 1;
  if (!(c.seen >> RUNTIME & 1)) return "";
  memcpy(runtime_from_file, c.runtime.s, c.runtime.n);
  runtime_from_file[c.runtime.n] = 0;
  return runtime_from_file;
}

/* A runtime by path, or by name in the fixed program folders (a file, not a folder). */
const char *runtime_path(const char *runtime) {
  static char found[4096];
  if (runtime[0] == '/') return runtime;
  if (has_char(runtime, '/') || same(runtime, ".") || same(runtime, "..")) to_wrapper();
  static const char *const dirs[] = {"/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
    if (joined(found, sizeof found, dirs[i], runtime, "") && facts(found).regular) return found;
  to_wrapper();
}
