/* The addon's shared helpers (addon.h): JS arguments in, errno Errors out, the monotonic clock. */
#define _GNU_SOURCE
#include "addon.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* The Error for a failed syscall: message "<syscall> <path>: <strerror> (<ERRNO>)", and code,
 * errno, syscall and path properties. */
napi_value errno_error(napi_env env, int err, const char *syscall_name, const char *path) {
  char msg[MAX_PATH + 256];
  const char *name = strerrorname_np(err);
  if (name == NULL) name = "EUNKNOWN";
  if (path != NULL && path[0] != '\0')
    snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall_name, path, strerror(err), name);
  else
    snprintf(msg, sizeof msg, "%s: %s (%s)", syscall_name, strerror(err), name);
  napi_value js_msg, error, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg);
  napi_create_error(env, NULL, js_msg, &error);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "code", v);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  if (path != NULL) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "path", v);
  }
  return error;
}

napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *path) {
  napi_throw(env, errno_error(env, err, syscall_name, path));
  return NULL;
}

void throw_type(napi_env env, const char *fn, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", fn, what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}


int get_args(napi_env env, napi_callback_info info, const char *fn, size_t want, args_t *a) {
  a->env = env;
  a->fn = fn;
  a->argc = MAX_ARGS;
  a->failed = 0;
  napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL);
  if (a->argc < want) {
    throw_type(env, fn, "too few arguments");
    return 0;
  }
  return 1;
}

int64_t arg_int(args_t *a, size_t i) {
  int64_t v = 0;
  if (a->failed) return 0;
  if (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok) {
    throw_type(a->env, a->fn, "expected a number argument");
    a->failed = 1;
  }
  return v;
}

/* Copies a string argument into buf; an undefined/null argument gives NULL (for optional paths). */
const char *arg_str(args_t *a, size_t i, char *buf, size_t len, int optional) {
  napi_valuetype t;
  size_t out;
  if (a->failed) return NULL;
  napi_typeof(a->env, a->argv[i], &t);
  if (optional && (t == napi_undefined || t == napi_null)) return NULL;
  if (t != napi_string || napi_get_value_string_utf8(a->env, a->argv[i], buf, len, &out) != napi_ok) {
    throw_type(a->env, a->fn, "expected a string argument");
    a->failed = 1;
    return NULL;
  }
  if (out >= len - 1) {
    throw_type(a->env, a->fn, "string argument too long");
    a->failed = 1;
    return NULL;
  }
  return buf;
}

napi_value num(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

napi_value undef(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

char **arg_str_array(args_t *a, size_t i) {
  uint32_t n = 0;
  bool is_array = false;
  if (a->failed) return NULL;
  napi_is_array(a->env, a->argv[i], &is_array);
  if (!is_array) goto wrong;
  napi_get_array_length(a->env, a->argv[i], &n);
  char **v = calloc(n + 1, sizeof(char *));
  for (uint32_t k = 0; k < n; k++) {
    napi_value item;
    size_t len = 0;
    napi_get_element(a->env, a->argv[i], k, &item);
    if (napi_get_value_string_utf8(a->env, item, NULL, 0, &len) != napi_ok) {
      free_str_array(v);
      goto wrong;
    }
    v[k] = malloc(len + 1);
    napi_get_value_string_utf8(a->env, item, v[k], len + 1, &len);
  }
  return v;
wrong:
  throw_type(a->env, a->fn, "expected an array of strings");
  a->failed = 1;
  return NULL;
}

void free_str_array(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

int64_t monotonic_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
