/*
 * fsx.h: file system chores shared by the tools that keep state: writing
 * a state file so that a crash leaves the old one or the new one, never a
 * mix (DESIGN.md: write, fsync, rename), and removing a tree without ever
 * following a symbolic link out of it.
 *
 * Functions that log say so; the others leave errno for the caller.
 */
#ifndef SLUICE_FSX_H
#define SLUICE_FSX_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

/* write(2) all n bytes, retrying on EINTR. 0, or -1 with errno. */
int fsx_write_all(int fd, const void *p, size_t n);

/*
 * Replace path with n bytes of data atomically: write "path.tmp", fsync
 * it, rename it over path, fsync the folder. 0, or -1 (logged).
 */
int fsx_write_atomic(const char *path, const void *data, size_t n,
    mode_t mode);

/*
 * The same, for name in the folder dirfd (or AT_FDCWD), never following a
 * link at name, and with nothing logged: 0, or -1 with the reason appended
 * to err, naming the file as shown (NULL: name).
 */
int fsx_write_atomic_at(int dirfd, const char *name, const void *data,
    size_t n, mode_t mode, const char *shown, struct buf *err);

/* fsync the folder that holds path. 0, or -1 (logged). */
int fsx_sync_parent(const char *path);

/*
 * Remove name in the folder dirfd, whatever it is, following no link.
 * A missing name is fine. 0, or -1 with errno.
 */
int fsx_remove_at(int dirfd, const char *name);

/* Remove everything in the folder fd, which this closes. -1, errno. */
int fsx_empty_dir(int fd);

/* rm -rf path, following no link; a missing path is fine. -1, errno. */
int fsx_remove_tree(const char *path);

/* O_ flags that open a folder, and only a folder, never through a link. */
#define FSX_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

#endif
