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

/* The runtime the config file names ("" for none), as install writes it; *annotations set when the
 * file gives annotations. A config file that is not there is no settings, unless it was named
 * (`named`: OCIHOOKS_RUNTIME_CONFIG), which the wrapper refuses. */
const char *runtime_of_config(const char *config, int named, int *annotations) {
  if (!facts(config).regular) {
    if (named) to_wrapper();
    return "";
  }
  long len = read_file(config, config_text, sizeof config_text);
  if (len < 0) to_wrapper(); /* unreadable or huge: the wrapper says which */
  struct lines l = {config_text, config_text + len};
  struct slice line;
  int mentioned = 0, found = 0;
  while (next_line(&l, &line)) {
    if (holds(line.s, line.n, "\"runtime\"")) {
      /* Twice: one is not the top-level field (an annotation's key, say), which only a JSON
       * reading tells apart. */
      if (mentioned++) to_wrapper();
      found |= runtime_line(line);
    }
    if (holds(line.s, line.n, "\"annotations\"")) *annotations = 1;
  }
  if (mentioned && !(found && *runtime_from_file)) to_wrapper();
  return found ? runtime_from_file : "";
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
