/*
 * ocihooks-runtime's front-end (main.c says what it is and why it is written this way): what its
 * files share (besides ../freestanding/). One concept a file, each naming its TypeScript twin:
 *   runtime-log.c     its own failures on stderr and in the runtime's --log, the trace's lines  (src/wrapper/runtime-log.ts)
 *   options.c         the command line, and the config file as its schema reads it (src/wrapper/command-line/options.ts, runtime-args.ts; src/wrapper/config-file.ts)
 *   no-match-index.c  create/run straight to the runtime                    (src/wrapper/no-match-index.ts)
 *   early-create.c    create/run to the runtime with the hook server starting beside it (src/wrapper/early-index.ts)
 *   per-user-root.c   --root-per-user PATTERN                               (src/wrapper/command-line/per-user-root.ts)
 *   handoff.c         the call handed to the wrapper (its path, as install writes it); for create and run
 *                     the wrapper apart and the runtime's command line back (src/hook/server/hand-off.ts)
 *   invocation.c      the process's arguments and environment
 *   main.c            _start, the decision
 * The cases both sides must agree on are src/wrapper/testdata/front-end-cases.json.
 */
#ifndef OCIHOOKS_FRONT_END_H
#define OCIHOOKS_FRONT_END_H

#include "../freestanding/freestanding.h"

/* The process's arguments and environment, and OCIHOOKS_FRONTEND_TRACE (print the decision). */
struct invocation {
  int argc;
  char **argv, **envp;
  int trace;
};
extern struct invocation inv;

/* runtime-log.c */
void put(struct text *t, const char *s);
void report(const char *message);
/* OCIHOOKS_FRONTEND_TRACE's line for an exec: `what`, the path, each argument after args[0] in brackets. */
void say_exec(const char *what, const char *path, char **args);

/* options.c */
/* The wrapper's own options at the front of the line: how many arguments are ours, --runtime and
 * --root-per-user; `folders_or_stages`: an option that changes which hooks.d folders are read or
 * where their hooks go (--hooks-dir, --prestart-as, --cdi-spec-dir, --root-per-user). */
struct wrapper_options {
  int n;
  const char *runtime;
  int runtime_given;
  const char *per_user;
  int folders_or_stages;
};
struct wrapper_options read_wrapper_options(void);
int subcommand_at(int from);
const char *runtime_of_config(const char *config, int named, int *annotations);
const char *runtime_path(const char *runtime);

/* no-match-index.c */
int no_match(int n, const char *config, int config_annotations, int sub);
long fresh_index(const char *index_path, const char *header, const char *config, const char *const *extra, char *text, size_t cap);
const char *bundle_of(int sub);
int under_slurmstepd(void);

/* early-create.c */
void early_create(struct wrapper_options o, const char *config, int config_annotations, const char *runtime, int sub);

/* per-user-root.c */
char **with_per_user_root(const char *pattern, char **args, int sub);

/* handoff.c */
/* The wrapper's path, as install writes it into the program; whether it is absolute and can be run. */
const char *wrapper_path(void);
int wrapper_runnable(void);
__attribute__((noreturn)) void to_wrapper(void);
/* create and run: the wrapper as a child that sends back the runtime's command line, then serves hooks. */
__attribute__((noreturn)) void to_wrapper_serving(void);
/* The wrapper started apart with `var` in its environment and `keep` open (the early create's
 * listening socket); 0 when it cannot be. */
int wrapper_apart(const char *var, long keep);

#endif
