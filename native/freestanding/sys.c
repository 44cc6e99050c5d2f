/* The system calls the front-end makes, raw (no C library), and the two functions a compiler may
 * call for copies and zeroing even in a freestanding program. No TypeScript twin. */
#include "freestanding.h"

long sys6(long n, long a, long b, long c, long d, long e) {
  long r;
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
#else
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  r = x0;
#endif
  return r;
}

long open_read(const char *path) { return sys6(__NR_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0); }
long read_fd(long fd, char *buf, size_t len) { return sys3(__NR_read, fd, buf, len); }
void close_fd(long fd) { sys3(__NR_close, fd, 0, 0); }
void write_all(int fd, const char *s, size_t len) {
  while (len) {
    long w = sys3(__NR_write, fd, s, len);
    if (w <= 0) return;
    s += w;
    len -= (size_t)w;
  }
}
__attribute__((noreturn)) void exit_with(int code) {
  sys3(__NR_exit_group, code, 0, 0);
  for (;;) {}
}

/* The compiler may emit calls to these for copies and zeroing even without a C library. */
void *memset(void *d, int c, size_t n) {
  unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  unsigned char *p = d;
  const unsigned char *q = s;
  while (n--) *p++ = *q++;
  return d;
}
