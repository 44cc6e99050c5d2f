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
 *
 * RELAY_ENV, EARLY_ENV and PRECREATE_KEY_ENV tell a program that it was started apart and for what:
 * src/cmd/dispatch.ts acts on them (as root: a pipe it answers on, a listening socket it serves and
 * removes, the key its kept edits go under). Only apart.c sets them, beside a hand-off it made; in an
 * engine's environment they are someone's forgery or a leftover, and a start that is not apart drops
 * them.
 */
static char *env[NODE_ENV_MAX + 1];
static char aside[NODE_ASIDE_MAX];
static const char *limit;

/*
 * Past either limit Node is not started at all: an environment cut short, or a NODE_OPTIONS left
 * in place once the room to set it aside is gone, would start the program with an environment it
 * was not given, and nothing would say so.
 */
#define TOO_MANY "the environment holds more than 8191 variables, the most this installation starts Node with"
#define TOO_LARGE "its NODE_* variables need more than the 64 KiB this installation sets aside for Node"
_Static_assert(NODE_ENV_MAX == 8191 && NODE_ASIDE_MAX == 65536, "the limits as the lines name them");

const char *node_env_limit(void) { return limit; }

/* A variable only a starter of ours sets, beside a hand-off it made (apart.c): never the engine's. */
static int handed(const char *e) {
  return starts(e, RELAY_ENV "=") || starts(e, EARLY_ENV "=") || starts(e, PRECREATE_KEY_ENV "=");
}

static size_t aside_size(const char *e) { return starts(e, "NODE_") ? sizeof ASIDE_PREFIX - 1 + len_of(e) + 1 : 0; }

char **node_env(const char *first, char **envp, const char *skip, int apart) {
  int k = 0;
  size_t used = 0, prefix = sizeof ASIDE_PREFIX - 1;
  limit = 0;
  if (first) env[k++] = (char *)first;
  for (char **e = envp; *e; e++) {
    if ((skip && starts(*e, skip)) || starts(*e, ASIDE_PREFIX) || (!apart && handed(*e))) continue; /* never an inherited one */
    if (k == NODE_ENV_MAX) {
      limit = TOO_MANY;
      return 0;
    }
    size_t n = aside_size(*e);
    if (!n) {
      env[k++] = *e;
      continue;
    }
    if (used + n > sizeof aside) {
      limit = TOO_LARGE;
      return 0;
    }
    char *moved = aside + used;
    memcpy(moved, ASIDE_PREFIX, prefix);
    memcpy(moved + prefix, *e, n - prefix);
    used += n;
    env[k++] = moved;
  }
  env[k] = 0;
  return env;
}

const char *node_env_unfit(char **envp, int extra) {
  long count = extra;
  size_t used = 0;
  for (char **e = envp; *e; e++) count++, used += aside_size(*e);
  return count > NODE_ENV_MAX ? TOO_MANY : used > sizeof aside ? TOO_LARGE : 0;
}
