/*
 * What the addon's files share: how a function reads its JS arguments and how a failed syscall
 * becomes a JS Error (message "<syscall> <path>: <strerror> (<ERRNO>)", with code, errno,
 * syscall and path properties).
 */
#ifndef OCIHOOKS_ADDON_H
#define OCIHOOKS_ADDON_H

#include <node_api.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_PATH 4096
#define MAX_ARGS 8

typedef struct {
  napi_env env;
  const char *fn;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
} args_t;

napi_value errno_error(napi_env env, int err, const char *syscall_name, const char *path);
napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *path);
void throw_type(napi_env env, const char *fn, const char *what);
int get_args(napi_env env, napi_callback_info info, const char *fn, size_t want, args_t *a);
int64_t arg_int(args_t *a, size_t i);
/* Copies a string argument into buf; an undefined/null argument gives NULL (for optional paths). */
const char *arg_str(args_t *a, size_t i, char *buf, size_t len, int optional);
/* A JS array of strings as a NULL-terminated vector (free it with free_str_array); NULL after
 * throwing a TypeError. */
char **arg_str_array(args_t *a, size_t i);
void free_str_array(char **v);
napi_value num(napi_env env, int64_t v);
napi_value undef(napi_env env);
/* CLOCK_MONOTONIC in milliseconds: deadlines of waits. */
int64_t monotonic_ms(void);

/* The functions of the other files (one file per concept that is more than a syscall). */
/* run.c */
napi_value js_run(napi_env env, napi_callback_info info);
/* bpf.c */
napi_value js_bpf_prog_query(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_get_fd_by_id(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_info(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_load(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_attach(napi_env env, napi_callback_info info);
napi_value js_bpf_prog_detach(napi_env env, napi_callback_info info);
/* mount-point.c */
napi_value js_mount_point(napi_env env, napi_callback_info info);
napi_value js_mount_of(napi_env env, napi_callback_info info);
napi_value js_mount_id(napi_env env, napi_callback_info info);
/* open-as.c */
napi_value js_open_as(napi_env env, napi_callback_info info);
/* open_as without JS: 0, or -1 with *what naming the failed syscall and errno set. */
int open_as(const char *path, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, int *fd_out, const char **what);
/* open_tree(2) of a path looked up as open_as looks it up; the same results. */
int open_tree_as(const char *path, unsigned flags, uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups, int *fd_out,
                 const char **what);
/* A JS number array as a fresh gid_t array (*n its length); NULL when it is not one. */
gid_t *get_gids(napi_env env, napi_value v, size_t *n);
/* userns-helper.c */
napi_value js_mount_in_user_namespace(napi_env env, napi_callback_info info);
/* relay.c */
napi_value js_relay_listen(napi_env env, napi_callback_info info);
napi_value js_relay_next(napi_env env, napi_callback_info info);
napi_value js_pidfd_open(napi_env env, napi_callback_info info);
napi_value js_release_stdio(napi_env env, napi_callback_info info);
napi_value js_relay_gone(napi_env env, napi_callback_info info);

#endif
