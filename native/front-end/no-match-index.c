/* create/run straight to the runtime when no hooks.d file can match: the index the wrapper writes
 * (src/wrapper/no-match-index.ts writes it and says when it may be trusted), checked here against
 * every change to what it covers. */
#include "front-end.h"

/* Whether a process named slurmstepd is among the six nearest ancestors, as many as the wrapper
 * looks at (src/wrapper/slurm/step.ts): a Slurm step gets its GPUs from the wrapper. */
int under_slurmstepd(void) {
  long p = sys3(__NR_getppid, 0, 0, 0);
  char path[64], num[24], text[1024];
  for (int k = 0; k < 6; k++) {
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

/* Whether every *.json in dir (dot files too: podman reads them, as src/hooksd/read.ts does) and
 * dir itself are older than the index, or absent. */
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
    if (k < 5 || !same(name + k - 5, ".json")) continue;
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

static char bundle_config[4 << 20];

/* A top-level key of config.json: 0 for "annotations", and for an escaped key (it may spell it). */
static int unannotated_member(struct scan *s, struct slice key, int escaped, void *ctx) {
  (void)ctx;
  return !escaped && !slice_is(key, "annotations") && value_at(s, 1);
}

/* Whether the bundle's config.json can be read, is JSON and has no "annotations" (as the wrapper
 * reads it: an escaped key that spells it counts). */
static int bundle_unannotated(const char *bundle) {
  char path[4096 + 16];
  if (!joined(path, sizeof path, bundle, *bundle ? "/" : "", "config.json")) return 0;
  long n = read_file(path, bundle_config, sizeof bundle_config);
  return n >= 0 && document(bundle_config, (size_t)n, unannotated_member, 0);
}

/*
 * The index at index_path, read into text, when it is one of `header` for this config file and
 * newer than every change to it and to each hooks folder and *.json in them: its length; -1
 * otherwise. Lines starting with one of `extra` (a list ending in NULL; NULL: none may) are the
 * caller's to read.
 */
long fresh_index(const char *index_path, const char *header, const char *config, const char *const *extra, char *text, size_t cap) {
  if (index_path[0] != '/') return -1; /* relative: no index (no-match-index.ts says why) */
  struct file_facts c = facts(config);
  struct file_facts index = facts(index_path);
  if (!c.regular || !index.regular || !newer(index, c)) return -1;
  /* Written by the wrapper as the caller or as root (0644), or it is nobody's to trust: the early
   * index's slots run as root. */
  long uid = sys3(__NR_geteuid, 0, 0, 0);
  if ((index.uid != 0 && index.uid != (unsigned)uid) || (index.mode & 022)) return -1;
  long len = read_file(index_path, text, cap);
  if (len < 0) return -1;
  struct lines l = {text, text + len};
  struct slice line;
  int covered = 0, first = 1;
  char dir[4096];
  while (next_line(&l, &line)) {
    if (first) {
      if (!slice_is(line, header)) return -1;
      first = 0;
    } else if (slice_starts(line, "config=")) {
      line.s += 7, line.n -= 7;
      if (!slice_is(line, config)) return -1;
      covered = 1;
    } else if (slice_starts(line, "dir=")) {
      if (line.n - 4 >= sizeof dir) return -1;
      memcpy(dir, line.s + 4, line.n - 4);
      dir[line.n - 4] = 0;
      if (!folder_older(dir, index)) return -1;
    } else {
      int known = 0;
      for (const char *const *e = extra; e && *e; e++) known |= slice_starts(line, *e);
      if (!known) return -1;
    }
  }
  return covered ? len : -1;
}

/* The bundle a create/run names: --bundle/-b after the subcommand, else the current folder (""). */
const char *bundle_of(int sub) {
  const char *bundle = "", *prev = "";
  for (int i = sub + 1; i < inv.argc; i++) {
    const char *a = inv.argv[i];
    if (same(prev, "--bundle") || same(prev, "-b")) bundle = a;
    if (starts(a, "--bundle=")) bundle = a + 9;
    else if (starts(a, "-b=")) bundle = a + 3;
    prev = a;
  }
  return bundle;
}

/*
 * Whether create/run may go straight to the runtime because no hooks.d file can match it
 * (src/wrapper/no-match-index.ts writes the index and says when): an engine-style call (no options
 * of ours, settings from a config file that gives no annotations), an index for this config file
 * newer than every change to it and to each hooks folder and *.json in them, a bundle config.json
 * without annotations, and no slurmstepd above.
 */
int no_match(int n, const char *config, int config_annotations, int sub) {
  if (n != 0 || config_annotations) return 0;
  const char *index_path = env_or(inv.envp, "OCIHOOKS_RUNTIME_INDEX", "/run/ocihooks/runtime-index");
  if (fresh_index(index_path, "ocihooks-runtime no-match index 1", config, 0, index_text, sizeof index_text) < 0) return 0;
  if (under_slurmstepd()) return 0;
  return bundle_unannotated(bundle_of(sub));
}
