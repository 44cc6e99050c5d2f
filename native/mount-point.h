/*
 * The mount-point walk (mount-point.c), shared with the user-namespace helper (userns-helper.c),
 * which runs it in a forked single-threaded child: one walk, so that the two cannot disagree.
 */
#ifndef OCIHOOKS_MOUNT_POINT_H
#define OCIHOOKS_MOUNT_POINT_H

#include "addon.h"

#include <sys/types.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

/* What a mount point must be; the order of MountPointKind in src/linux/mount/mount-point.ts. */
enum { MP_FILE = 0, MP_DIRECTORY = 1, MP_DEVICE = 2 };

#define MP_MAX_ALLOWED 8
#define MP_MAX_LINKS 40 /* the kernel's MAXSYMLINKS */

/* What the walk must respect besides staying inside the root. */
typedef struct {
  /* When n_allowed > 0, a destination only on these mounts (the container's own filesystems):
   * a directory is judged by its own mount, anything else by its folder's, a missing one by the
   * folder it would be created in. */
  uint64_t allowed[MP_MAX_ALLOWED];
  int n_allowed;
  uid_t uid; /* owner of what the walk creates; (uid_t)-1 leaves it as created */
  gid_t gid;
} mp_policy;

/* Why no mount point could be had, besides a failed syscall; the names TypeScript reads. */
typedef enum { MP_SYSCALL, MP_ROOT, MP_NOT_DIRECTORY, MP_WRONG_KIND, MP_VANISHED, MP_FOREIGN } mp_reason;
extern const char *const MP_REASONS[];

typedef struct {
  mp_reason reason;
  int err;             /* errno, for MP_SYSCALL */
  const char *syscall; /* for MP_SYSCALL */
  char at[MAX_PATH];   /* the path at fault, relative to the root (after symlinks); on success the mount point's */
  mode_t mode;         /* what was found there, for MP_NOT_DIRECTORY and MP_WRONG_KIND */
  uint64_t mnt;        /* MP_FOREIGN, or a creation that failed: the mount of the folder */
  int64_t fs_type;     /* its statfs f_type */
} mp_failure;

/* An O_PATH fd on the mount point rel inside root, made when missing; -1 with *f saying why not.
 * want_path: f->at is its path in the root, the image's symlinks followed. */
int mount_point(int root, const char *rel, int kind, const mp_policy *p, mp_failure *f, int want_path);
/* The mount an fd lies on (the id /proc/<pid>/mountinfo shows; 0 when it cannot be had). */
uint64_t mount_id_of(int fd);
/* Reads the policy object {allowedMounts?: number[], uid?: number, gid?: number}; 0 when malformed. */
int get_policy(napi_env env, napi_value v, mp_policy *p);

#endif
