/* Strings, slices of a buffer (a line of a file), numbers as text. No TypeScript twin. */
#include "freestanding.h"

size_t len_of(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
int starts(const char *s, const char *prefix) {
  while (*prefix && *s == *prefix) s++, prefix++;
  return !*prefix;
}
int has_char(const char *s, char c) {
  for (; *s; s++)
    if (*s == c) return 1;
  return 0;
}
/* Whether s[0..n) holds `needle`. */
int holds(const char *s, size_t n, const char *needle) {
  size_t k = len_of(needle);
  for (size_t i = 0; i + k <= n; i++) {
    size_t j = 0;
    while (j < k && s[i + j] == needle[j]) j++;
    if (j == k) return 1;
  }
  return 0;
}
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
struct slice trimmed(struct slice t) {
  while (t.n && is_space(t.s[0])) t.s++, t.n--;
  while (t.n && is_space(t.s[t.n - 1])) t.n--;
  return t;
}
int slice_starts(struct slice t, const char *prefix) {
  size_t k = len_of(prefix);
  if (t.n < k) return 0;
  for (size_t i = 0; i < k; i++)
    if (t.s[i] != prefix[i]) return 0;
  return 1;
}
int slice_is(struct slice t, const char *s) { return t.n == len_of(s) && slice_starts(t, s); }
/* dst = a + b + c, or 0 when it would not fit. */
int joined(char *dst, size_t cap, const char *a, const char *b, const char *c) {
  size_t n = 0;
  for (const char *parts[3] = {a, b, c}, **p = parts; p < parts + 3; p++)
    for (const char *s = *p; *s; s++) {
      if (n + 1 >= cap) return 0;
      dst[n++] = *s;
    }
  dst[n] = 0;
  return 1;
}
void decimal(char *dst, long v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10), v /= 10;
  while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

void say(int fd, const char *s) { write_all(fd, s, len_of(s)); }

static const char *env_of(char **envp, const char *name) {
  size_t k = len_of(name);
  for (char **e = envp; *e; e++)
    if (starts(*e, name) && (*e)[k] == '=') return *e + k + 1;
  return 0;
}
const char *env_or(char **envp, const char *name, const char *fallback) {
  const char *v = env_of(envp, name);
  return v && *v ? v : fallback;
}

/* Whether a[0..n) and b[0..n) are the same bytes. */
int same_bytes(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}
