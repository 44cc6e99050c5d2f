/* --root-per-user PATTERN: the runtime's --root for the calling user, or as root for the user whose
 * root holds the container (src/wrapper/command-line/per-user-root.ts says why; the same rules). */
#include "front-end.h"

/* PATTERN with each folder name %U replaced by uid, into dst; 0 when it does not fit. */
static int expand_user(char *dst, size_t cap, const char *pattern, long uid) {
  char num[24];
  decimal(num, uid);
  size_t n = 0;
  for (const char *p = pattern; *p;) {
    const char *e = p;
    while (*e && *e != '/') e++;
    int user = e - p == 2 && p[0] == '%' && p[1] == 'U';
    const char *from = user ? num : p;
    size_t len = user ? len_of(num) : (size_t)(e - p);
    if (n + len + 2 > cap) return 0;
    memcpy(dst + n, from, len);
    n += len;
    if (*e == '/') dst[n++] = '/', e++;
    p = e;
  }
  dst[n] = 0;
  return 1;
}

/* Absolute, %U as one folder name at least once, no other %. */
static int pattern_ok(const char *pattern) {
  if (pattern[0] != '/') return 0;
  int user = 0;
  for (const char *p = pattern; *p;) {
    const char *e = p;
    while (*e && *e != '/') e++;
    if (e - p == 2 && p[0] == '%' && p[1] == 'U') user = 1;
    else
      for (const char *q = p; q < e; q++)
        if (*q == '%') return 0;
    p = *e ? e + 1 : e;
  }
  return user;
}

/* The smallest uid (a numeric folder name in the folder holding %U) whose expansion holds container id; -1 when none. */
static long owner_of(const char *pattern, const char *id) {
  static char parent[4096], path[4096 + 256], root[4096];
  size_t at = 0;
  for (const char *p = pattern; *p;) { /* the folders before the first %U */
    const char *e = p;
    while (*e && *e != '/') e++;
    if (e - p == 2 && p[0] == '%' && p[1] == 'U') break;
    at = (size_t)(e - pattern);
    p = *e ? e + 1 : e;
  }
  if (at >= sizeof parent) return -1;
  memcpy(parent, pattern, at);
  parent[at] = 0;
  if (!at) parent[0] = '/', parent[1] = 0;
  static struct listing l;
  open_listing(&l, parent);
  long best = -1;
  for (const char *name; (name = next_name(&l));) {
    size_t k = len_of(name);
    if (!k || k > 10) continue; /* a uid has at most 10 digits */
    long uid = 0;
    for (size_t i = 0; i < k && uid >= 0; i++) uid = name[i] >= '0' && name[i] <= '9' ? uid * 10 + (name[i] - '0') : -1;
    if (uid < 0 || (best >= 0 && uid >= best)) continue;
    if (expand_user(root, sizeof root, pattern, uid) && joined(path, sizeof path, root, "/", id) && facts(path).exists) best = uid;
  }
  close_listing(&l);
  return best;
}

/*
 * The runtime's arguments (args[0] a slot for its name, the subcommand at args[sub]) with
 * --root ROOT in front: the caller's uid; as root, for a container id, the user whose root holds
 * it, else 0. create/run never get here (they go to the wrapper), nor a runtime --root of its own.
 */
char **with_per_user_root(const char *pattern, char **args, int sub) {
  static char root[4096];
  static char *out[4096];
  int count = 0;
  while (args[count]) count++;
  if (sub < 1) sub = count; /* no subcommand: no container id either */
  if (!pattern_ok(pattern)) to_wrapper();
  for (int i = 1; i < sub; i++)
    if (same(args[i], "--root") || starts(args[i], "--root=")) to_wrapper();
  long uid = sys3(__NR_getuid, 0, 0, 0);
  if (uid == 0) {
    const char *id = 0;
    for (int i = sub + 1; i < count && !id; i++) /* none past the arguments (sub == count: no subcommand) */
      if (args[i][0] != '-') id = args[i];
    uid = id && !has_char(id, '/') ? owner_of(pattern, id) : -1;
    if (uid < 0) uid = 0;
  }
  if (!expand_user(root, sizeof root, pattern, uid)) to_wrapper();
  if (count + 3 > (int)(sizeof out / sizeof *out)) to_wrapper();
  out[0] = args[0], out[1] = "--root", out[2] = root;
  for (int i = 1; i <= count; i++) out[i + 2] = args[i]; /* with the final null */
  return out;
}
