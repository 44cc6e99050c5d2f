/* JSON read only for where things are (no value is decoded), and written piece by piece: what the
 * front-end's early create (../front-end/early-create.c) and the hook launcher's relay filter
 * (../hook-launcher/precreate-relay.c) edit a config with, keeping the rest of its text as it was.
 * The reading takes what JSON.parse takes (strings, escapes, numbers and literals as JSON spells
 * them) and nothing else: a text it accepts is one the Node side would read too. */
#include "freestanding.h"

void blanks(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

int at(struct scan *s, char c) {
  blanks(s);
  return s->p < s->end && *s->p == c;
}

static int hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* A string at s->p; its inside into *out. *escaped set when it holds a backslash. */
int string_at(struct scan *s, struct slice *out, int *escaped) {
  if (!at(s, '"')) return 0;
  const char *start = ++s->p;
  *escaped = 0;
  for (; s->p < s->end; s->p++) {
    unsigned char c = (unsigned char)*s->p;
    if (c == '"') {
      *out = (struct slice){start, (size_t)(s->p - start)};
      s->p++;
      return 1;
    }
    if (c < 0x20) return 0;
    if (c == '\\') { /* one of JSON's escapes, as JSON.parse and Go's decoder take them */
      *escaped = 1;
      if (++s->p >= s->end) return 0;
      if (*s->p == 'u') {
        for (int k = 0; k < 4; k++)
          if (++s->p >= s->end || !hex_digit(*s->p)) return 0;
      } else if (!has_char("\"\\/bfnrt", *s->p)) {
        return 0;
      }
    }
  }
  return 0;
}

/* Digits at s->p: how many. */
static int digits(struct scan *s) {
  int n = 0;
  for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++) n++;
  return n;
}

/* A number as JSON writes one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number_at(struct scan *s) {
  if (s->p < s->end && *s->p == '-') s->p++;
  if (s->p < s->end && *s->p == '0') s->p++;
  else if (!digits(s)) return 0;
  if (s->p < s->end && *s->p == '.') {
    s->p++;
    if (!digits(s)) return 0;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
    if (!digits(s)) return 0;
  }
  return 1;
}

/* The members or elements of the object or array at s->p, up to its end. */
static int container_at(struct scan *s, int depth) {
  char close = *s->p == '{' ? '}' : ']';
  int object = close == '}';
  s->p++;
  if (at(s, close)) {
    s->p++;
    return 1;
  }
  for (;;) {
    if (object) {
      struct slice key;
      int escaped;
      if (!string_at(s, &key, &escaped) || !at(s, ':')) return 0;
      s->p++;
    }
    if (!value_at(s, depth + 1)) return 0;
    if (at(s, ',')) {
      s->p++;
      continue;
    }
    if (!at(s, close)) return 0;
    s->p++;
    return 1;
  }
}

int value_at(struct scan *s, int depth) {
  blanks(s);
  if (s->p >= s->end || depth > 256) return 0;
  if (*s->p == '"') {
    struct slice v;
    int escaped;
    return string_at(s, &v, &escaped);
  }
  if (*s->p == '{' || *s->p == '[') return container_at(s, depth);
  static const char *const literals[] = {"true", "false", "null"};
  for (int k = 0; k < 3; k++) {
    size_t n = len_of(literals[k]);
    if ((size_t)(s->end - s->p) >= n && same_bytes(s->p, literals[k], n)) {
      s->p += n;
      return 1;
    }
  }
  return number_at(s);
}

/* After a member or an element: 1 when another follows (past its ','), 0 at the end (past `close`),
 * -1 for anything else. */
static int next_item(struct scan *s, char close) {
  if (at(s, ',') || at(s, close)) return *s->p++ == ',';
  return -1;
}

int members_at(struct scan *s, member_fn member, void *ctx) {
  if (!at(s, '{')) return 0;
  s->p++;
  if (at(s, '}')) {
    s->p++;
    return 1;
  }
  for (;;) {
    struct slice key;
    int escaped;
    if (!string_at(s, &key, &escaped) || !at(s, ':')) return 0;
    s->p++;
    if (!member(s, key, escaped, ctx)) return 0;
    int more = next_item(s, '}');
    if (more <= 0) return more == 0;
  }
}

int elements_at(struct scan *s, element_fn element, void *ctx) {
  if (!at(s, '[')) return 0;
  s->p++;
  if (at(s, ']')) {
    s->p++;
    return 1;
  }
  for (;;) {
    if (!element(s, ctx)) return 0;
    int more = next_item(s, ']');
    if (more <= 0) return more == 0;
  }
}

int document(const char *text, size_t n, member_fn member, void *ctx) {
  struct scan s = {text, text + n};
  if (!members_at(&s, member, ctx)) return 0;
  blanks(&s);
  return s.p == s.end;
}


void emit(struct out *o, const char *s, size_t n) {
  while (n && !o->failed) {
    long w = sys3(__NR_write, o->fd, s, n);
    if (w == -4) continue;
    if (w <= 0) o->failed = 1;
    else s += w, n -= (size_t)w;
  }
}
void emit_str(struct out *o, const char *s) { emit(o, s, len_of(s)); }

