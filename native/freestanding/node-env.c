/* The environment a Node program of this installation is started with (node-env.c). */
#include "freestanding.h"

/*
 * Node reads settings of its own from the environment before any of our code runs: NODE_OPTIONS
 * (a --require of any file, into a root process), NODE_EXTRA_CA_CERTS (a certificate bundle read
 * and parsed at start: Debian's ca-certificates cost 35-40 ms on a 2-core VM, against ~25 ms for
 * all the rest of `node -e 0`), NODE_PATH, NODE_V8_COVERAGE, NODE_REDIRECT_WARNINGS (files it
 * writes), ... None is ours to honour: the programs load no module but their own and make no TLS
 * connection. An engine's environment (the wrapper's) or a hook's env may hold them all the same,
 * meant for another program. So each NODE_* variable is put aside as ASIDE_PREFIX NODE_...=...,
 * and the Node launcher (src/cmd/launcher.ts) puts it back before the program runs: the program,
 * and the hooks and the runtime it starts, get the environment they were given, unchanged.
 */
static char *env[8192];
static char aside[1 << 16];

char **node_env(const char *first, char **envp, const char *skip) {
  int k = 0;
  size_t used = 0, prefix = sizeof ASIDE_PREFIX - 1;
  if (first) env[k++] = (char *)first;
  for (char **e = envp; *e && k + 1 < (int)(sizeof env / sizeof *env); e++) {
    if ((skip && starts(*e, skip)) || starts(*e, ASIDE_PREFIX)) continue; /* never an inherited one */
    size_t n = starts(*e, "NODE_") ? len_of(*e) + 1 : 0;
    if (n && used + prefix + n <= sizeof aside) {
      char *moved = aside + used;
      memcpy(moved, ASIDE_PREFIX, prefix);
      memcpy(moved + prefix, *e, n);
      used += prefix + n;
      env[k++] = moved;
    } else {
      env[k++] = *e; /* not NODE_*, or no room left: as given (Node reads it, as it would have) */
    }
  }
  env[k] = 0;
  return env;
}
