/* What the decision reads of files: stat (statx), whole small files, folder listings (getdents64),
 * lines. No TypeScript twin: node:fs on the wrapper's side. */
#include "freestanding.h"

static int later(struct stamp a, struct stamp b) { return a.s > b.s || (a.s == b.s && a.ns > b.ns); }
static struct stamp changed_of(const struct statx *st) {
  struct stamp m = {st->stx_mtime.tv_sec, st->stx_mtime.tv_nsec}, c = {st->stx_ctime.tv_sec, st->stx_ctime.tv_nsec};
  return later(c, m) ? c : m;
}
struct file_facts facts(const char *path) {
  enum { WANT = STATX_TYPE | STATX_MODE | STATX_UID | STATX_MTIME | STATX_CTIME };
  struct statx st;
  struct file_facts f = {0, 0, 0, 0, {0, 0}, {0, 0}};
  /* The path itself first: one call where it is no link, as most are. */
  if (sys6(__NR_statx, AT_FDCWD, (long)path, AT_STATX_SYNC_AS_STAT | AT_SYMLINK_NOFOLLOW, WANT, (long)&st) != 0) return f;
  struct stamp link = {0, 0};
  if ((st.stx_mode & S_IFMT) == S_IFLNK) {
    link = changed_of(&st);
    if (sys6(__NR_statx, AT_FDCWD, (long)path, AT_STATX_SYNC_AS_STAT, WANT, (long)&st) != 0) return f; /* dangling: absent */
  }
  f.exists = 1;
  f.regular = (st.stx_mode & S_IFMT) == S_IFREG;
  f.uid = st.stx_uid;
  f.mode = st.stx_mode;
  f.modified = (struct stamp){st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec};
  f.changed = changed_of(&st);
  if (later(link, f.changed)) f.changed = link;
  return f;
}
/* Whether the index (its modification time: when the wrapper began reading) is newer than every
 * change to f. */
int newer(struct file_facts index, struct file_facts f) { return index.exists && f.exists && later(index.modified, f.changed); }

/* The whole file into buf (NUL after it); its length, or -1 when unreadable or larger than cap - 1. */
long read_file(const char *path, char *buf, size_t cap) {
  long fd = open_read(path);
  if (fd < 0) return -1;
  size_t n = 0;
  for (;;) {
    long r = read_fd(fd, buf + n, cap - 1 - n);
    if (r < 0) n = cap;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == cap - 1) {
      char probe;
      if (read_fd(fd, &probe, 1) != 0) n = cap;
      break;
    }
  }
  close_fd(fd);
  if (n >= cap) return -1;
  buf[n] = 0;
  return (long)n;
}

/* fd read to its end into buf, or until cap bytes are in it: how many (cap: there may be more); -1 on an error. */
long read_input(long fd, char *buf, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    long r = read_fd(fd, buf + got, cap - got);
    if (r == -4) continue; /* EINTR */
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  return (long)got;
}

void open_listing(struct listing *l, const char *dir) {
  l->fd = sys3(__NR_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  l->got = l->at = 0;
  l->failed = l->fd < 0;
}
const char *next_name(struct listing *l) {
  if (l->failed) return 0;
  if (l->at >= l->got) {
    l->got = sys3(__NR_getdents64, l->fd, l->buf, sizeof l->buf);
    l->at = 0;
    if (l->got < 0) l->failed = 1;
    if (l->got <= 0) return 0;
  }
  const char *name = l->buf + l->at + 19; /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1 */
  unsigned short reclen;
  memcpy(&reclen, l->buf + l->at + 16, 2);
  l->at += reclen;
  return name;
}
void close_listing(struct listing *l) {
  if (l->fd >= 0) close_fd(l->fd);
}

int next_line(struct lines *l, struct slice *line) {
  if (l->at >= l->end) return 0;
  const char *e = l->at;
  while (e < l->end && *e != '\n') e++;
  line->s = l->at;
  line->n = (size_t)(e - l->at);
  l->at = e < l->end ? e + 1 : e;
  return 1;
}
