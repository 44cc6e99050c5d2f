/*
 * The hook launcher (main.c says what it is): what its files share besides ../freestanding/.
 *   main.c   _start, the run markers, starting the Node program (apart for a precreate filter)
 *   relay.c  a hook the runtime wrapper serves in its own process
 *   precreate-relay.c  podman's precreate filter that starts the hook server before the runtime
 */
#ifndef OCIHOOKS_HOOK_LAUNCHER_H
#define OCIHOOKS_HOOK_LAUNCHER_H

#include "../freestanding/freestanding.h"

/* The flag in argv[1] of a hook the runtime wrapper serves (src/hook/program/chain.ts RELAY_FLAG). */
#define RELAY_FLAG "--ocihooks-relay="

/* relay.c: the exit code of the hook as the wrapper's hook server ran it, -1 to start it here. */
int relayed_exit_code(const char *socket_path, const char *path, int argc, char **argv, char **envp);

/* precreate-relay.c: the config on stdin to stdout, this installation's hooks relayed to a hook
 * server it starts with `program_start` (the Node program), serving for `watched` (podman); never
 * returns. */
__attribute__((noreturn)) void precreate_relay(const char *started_as, char **envp, long watched,
                                               void (*program_start)(char **env));

__attribute__((noreturn)) void relay_config(const char *text, size_t got, const char *started_as, char **envp, long watched,
                                            void (*program_start)(char **env));

/* kept-precreate.c: the GPU precreate filter's kept edits (its key: PRECREATE_KEY_ENV). */
struct precreate_call {
  int argc;
  char **argv, **envp;
  const char *started_as; /* bin/ocihook-gpu */
  const char *launcher;   /* libexec/ocihook-gpu, the Node launcher */
  long watched;
  void (*program_start)(char **env);
};
const char *kept_precreate(const struct precreate_call *call);

#endif
