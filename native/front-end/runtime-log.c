/* The front-end's own failures, where the engine shows them: a line on stderr and, when the
 * runtime's arguments name a --log, a record there as runc writes one. Twin of
 * src/wrapper/runtime-log.ts (the wrapper's own failures). */
#include "front-end.h"

void put(struct text *t, const char *s) {
  while (*s && t->n + 1 < sizeof t->s) t->s[t->n++] = *s++;
  t->s[t->n] = 0;
}
/* s as a JSON string, quotes included (what JSON.stringify writes for it). */
static void put_json(struct text *t, const char *s) {
  static const char hex[] = "0123456789abcdef";
  put(t, "\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char one[7] = {(char)c, 0};
    if (c == '"' || c == '\\') one[0] = '\\', one[1] = (char)c, one[2] = 0;
    else if (c == '\n') one[0] = '\\', one[1] = 'n', one[2] = 0;
    else if (c < 0x20) one[0] = '\\', one[1] = 'u', one[2] = '0', one[3] = '0', one[4] = hex[c >> 4], one[5] = hex[c & 15], one[6] = 0;
    put(t, one);
  }
  put(t, "\"");
}
/*
 * Says `message` on stderr and, when the runtime's arguments name a --log (docker and containerd:
 * `--log FILE --log-format json`, whose last error record they show), appends it there as runc
 * writes one -- as src/wrapper/runtime-log.ts does for the wrapper's own failures.
 */
void report(const char *message) {
  say(2, message);
  say(2, "\n");
  const char *file = 0;
  int json = 0;
  for (int i = 1; i < inv.argc; i++) {
    const char *a = inv.argv[i];
    if (same(a, "--log")) file = inv.argv[i + 1];
    else if (starts(a, "--log=")) file = a + 6;
    else if (same(a, "--log-format")) json = inv.argv[i + 1] && same(inv.argv[i + 1], "json");
    else if (starts(a, "--log-format=")) json = same(a + 13, "json");
  }
  if (!file || !*file) return;
  static struct text line;
  char now[32];
  line.n = 0;
  if (json) {
    put(&line, "{\"level\":\"error\",\"msg\":");
    put_json(&line, message);
    put(&line, ",\"time\":\"");
    iso_now(now);
    put(&line, now);
    put(&line, "\"}\n");
  } else {
    put(&line, "time=\"");
    iso_now(now);
    put(&line, now);
    put(&line, "\" level=error msg=");
    put_json(&line, message);
    put(&line, "\n");
  }
  long fd = sys6(__NR_openat, AT_FDCWD, (long)file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666, 0);
  if (fd < 0) return; /* the engine reads stderr then, or nothing: the line was written there */
  write_all((int)fd, line.s, line.n);
  close_fd(fd);
}

/* The trace's line for an exec: what, the path, then each argument after args[0] in brackets. */
void say_exec(const char *what, const char *path, char **args) {
  say(1, what);
  say(1, path);
  for (char **a = args + 1; *a; a++) {
    say(1, " [");
    say(1, *a);
    say(1, "]");
  }
  say(1, "\n");
}
