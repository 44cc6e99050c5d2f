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

void iso_now(char out[32]) {
  struct {
    long sec, nsec;
  } ts = {0, 0};
  sys3(__NR_clock_gettime, 0 /* CLOCK_REALTIME */, &ts, 0);
  long days = ts.sec / 86400, secs = ts.sec % 86400;
  /* civil_from_days (H. Hinnant): days since 1970-01-01 to year, month, day */
  long z = days + 719468, era = z / 146097, doe = z - era * 146097;
  long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  long parts[7] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60, ts.nsec / 1000000};
  static const char after[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  static const int width[7] = {4, 2, 2, 2, 2, 2, 3};
  size_t n = 0;
  for (int i = 0; i < 7; i++) {
    char num[24];
    decimal(num, parts[i]);
    for (int k = (int)len_of(num); k < width[i]; k++) out[n++] = '0';
    for (char *c = num; *c && n < 30; c++) out[n++] = *c;
    out[n++] = after[i];
  }
  out[n] = 0;
}

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
