/*
 * bpf(2) for cgroup v2 device programs: query, load, attach, detach (the programs are built in
 * TypeScript, src/linux/cgroups/bpf.ts).
 */
#define _GNU_SOURCE
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/bpf.h>

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

/* bpfProgQuery(targetFd, attachType, label) -> { attachFlags, ids: number[] } (effective=false) */
napi_value js_bpf_prog_query(napi_env env, napi_callback_info info) {
  args_t a;
  char label[MAX_PATH];
  if (!get_args(env, info, "bpfProgQuery", 2, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  int type = (int)arg_int(&a, 1);
  const char *shown = a.argc > 2 ? arg_str(&a, 2, label, sizeof label, 1) : NULL;
  if (a.failed) return NULL;
  uint32_t ids[64];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = fd;
  attr.query.attach_type = type;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 64;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_QUERY)", shown);
  napi_value result, arr;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "attachFlags", num(env, attr.query.attach_flags));
  napi_create_array_with_length(env, attr.query.prog_cnt, &arr);
  for (uint32_t i = 0; i < attr.query.prog_cnt; i++) napi_set_element(env, arr, i, num(env, ids[i]));
  napi_set_named_property(env, result, "ids", arr);
  return result;
}

/* bpfProgGetFdById(id) -> fd */
napi_value js_bpf_prog_get_fd_by_id(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgGetFdById", 1, &a)) return NULL;
  uint32_t id = (uint32_t)arg_int(&a, 0);
  if (a.failed) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) {
    char shown[64];
    snprintf(shown, sizeof shown, "program id %u", id);
    return throw_errno(env, errno, "bpf(BPF_PROG_GET_FD_BY_ID)", shown);
  }
  return num(env, fd);
}

/* bpfProgInfo(progFd) -> { type, id, insns: Buffer } with the kernel's translated instructions */
napi_value js_bpf_prog_info(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgInfo", 1, &a)) return NULL;
  int fd = (int)arg_int(&a, 0);
  if (a.failed) return NULL;
  struct bpf_prog_info pi;
  union bpf_attr attr;
  memset(&pi, 0, sizeof pi);
  memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = fd;
  attr.info.info_len = sizeof pi;
  attr.info.info = (uint64_t)(uintptr_t)&pi;
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_OBJ_GET_INFO_BY_FD)", NULL);
  uint32_t len = pi.xlated_prog_len;
  void *data = NULL;
  napi_value buf;
  napi_create_buffer(env, len, &data, &buf);
  if (len > 0) {
    memset(&pi, 0, sizeof pi);
    pi.xlated_prog_len = len;
    pi.xlated_prog_insns = (uint64_t)(uintptr_t)data;
    memset(&attr, 0, sizeof attr);
    attr.info.bpf_fd = fd;
    attr.info.info_len = sizeof pi;
    attr.info.info = (uint64_t)(uintptr_t)&pi;
    if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_OBJ_GET_INFO_BY_FD)", NULL);
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "type", num(env, pi.type));
  napi_set_named_property(env, result, "id", num(env, pi.id));
  napi_set_named_property(env, result, "insns", buf);
  return result;
}

/* bpfProgLoad(progType, insns: Buffer, license) -> fd; the verifier log is in the error message. */
napi_value js_bpf_prog_load(napi_env env, napi_callback_info info) {
  args_t a;
  char license[64];
  if (!get_args(env, info, "bpfProgLoad", 3, &a)) return NULL;
  int type = (int)arg_int(&a, 0);
  arg_str(&a, 2, license, sizeof license, 0);
  if (a.failed) return NULL;
  void *insns;
  size_t len;
  if (napi_get_buffer_info(env, a.argv[1], &insns, &len) != napi_ok || len % 8 != 0) {
    throw_type(env, "bpfProgLoad", "insns must be a Buffer of 8-byte instructions");
    return NULL;
  }
  static char log[16384];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = type;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)(len / 8);
  attr.license = (uint64_t)(uintptr_t)license;
  log[0] = '\0';
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == ENOSPC) { /* log too small: retry without a log for the real errno */
    attr.log_buf = 0;
    attr.log_size = 0;
    attr.log_level = 0;
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
  }
  if (fd < 0) {
    int err = errno;
    size_t n = strlen(log);
    while (n > 0 && (log[n - 1] == '\n')) log[--n] = '\0';
    const char *last = strrchr(log, '\n');
    return throw_errno(env, err, "bpf(BPF_PROG_LOAD)", n ? (last ? last + 1 : log) : NULL);
  }
  return num(env, fd);
}

/* bpfProgAttach(targetFd, progFd, attachType, flags, replaceFd) */
napi_value js_bpf_prog_attach(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgAttach", 5, &a)) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)arg_int(&a, 0);
  attr.attach_bpf_fd = (uint32_t)arg_int(&a, 1);
  attr.attach_type = (uint32_t)arg_int(&a, 2);
  attr.attach_flags = (uint32_t)arg_int(&a, 3);
  attr.replace_bpf_fd = (uint32_t)arg_int(&a, 4);
  if (a.failed) return NULL;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_ATTACH)", NULL);
  return undef(env);
}

/* bpfProgDetach(targetFd, progFd, attachType) */
napi_value js_bpf_prog_detach(napi_env env, napi_callback_info info) {
  args_t a;
  if (!get_args(env, info, "bpfProgDetach", 3, &a)) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)arg_int(&a, 0);
  attr.attach_bpf_fd = (uint32_t)arg_int(&a, 1);
  attr.attach_type = (uint32_t)arg_int(&a, 2);
  if (a.failed) return NULL;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) return throw_errno(env, errno, "bpf(BPF_PROG_DETACH)", NULL);
  return undef(env);
}
