#include "lib/fsx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/banned.h"

int
fsx_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fsx_sync_parent(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (slash == NULL)
		buf_addch(&dir, '.');
	else if (slash == path)
		buf_addch(&dir, '/');
	else
		buf_add(&dir, path, (size_t)(slash - path));
	fd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = log_errno("cannot sync the folder '%s'", dir.s);
	if (fd >= 0)
		close(fd);
	buf_release(&dir);
	return ret;
}

/* fsync the folder dirfd, or the one that holds name if it is AT_FDCWD. */
static int
sync_folder(int dirfd, const char *name)
{
	struct buf dir = BUF_INIT;
	const char *slash;
	int fd, ret;

	if (dirfd != AT_FDCWD)
		return fsync(dirfd);
	slash = strrchr(name, '/');
	if (slash == NULL)
		buf_addch(&dir, '.');
	else if (slash == name)
		buf_addch(&dir, '/');
	else
		buf_add(&dir, name, (size_t)(slash - name));
	fd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = fd < 0 ? -1 : fsync(fd);
	if (fd >= 0)
		close(fd);
	buf_release(&dir);
	return ret;
}

int
fsx_write_atomic_at(int dirfd, const char *name, const void *data, size_t n,
    mode_t mode, const char *shown, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	int fd, ret = -1;

	if (shown == NULL)
		shown = name;
	buf_addf(&tmp, "%s.tmp", name);
	fd = openat(dirfd, tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd < 0) {
		buf_addf(err, "cannot create '%s.tmp': %s", shown,
		    strerror(errno));
		goto out;
	}
	if (fsx_write_all(fd, data, n) < 0 || fsync(fd) < 0) {
		buf_addf(err, "cannot write '%s.tmp': %s", shown,
		    strerror(errno));
		close(fd);
		goto unlink;
	}
	if (close(fd) < 0) {
		buf_addf(err, "cannot write '%s.tmp': %s", shown,
		    strerror(errno));
		goto unlink;
	}
	if (renameat(dirfd, tmp.s, dirfd, name) < 0) {
		buf_addf(err, "cannot rename '%s.tmp' to '%s': %s", shown,
		    shown, strerror(errno));
		goto unlink;
	}
	if (sync_folder(dirfd, name) < 0) {
		buf_addf(err, "cannot sync the folder of '%s': %s", shown,
		    strerror(errno));
		goto out;
	}
	ret = 0;
	goto out;
unlink:
	(void)unlinkat(dirfd, tmp.s, 0);
out:
	buf_release(&tmp);
	return ret;
}

int
fsx_write_atomic(const char *path, const void *data, size_t n, mode_t mode)
{
	struct buf err = BUF_INIT;
	int ret;

	ret = fsx_write_atomic_at(AT_FDCWD, path, data, n, mode, NULL, &err);
	if (ret < 0)
		log_error("%s", err.s);
	buf_release(&err);
	return ret;
}

int
fsx_empty_dir(int fd)
{
	struct dirent *e;
	DIR *d;
	int saved;

	d = fdopendir(fd);
	if (d == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fsx_remove_at(dirfd(d), e->d_name) < 0)
			break;
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

int
fsx_remove_at(int fd, const char *name)
{
	int sub;

	if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	sub = openat(fd, name, FSX_DIR_FLAGS);
	if (sub < 0)
		return -1;
	if (fsx_empty_dir(sub) < 0)
		return -1;
	return unlinkat(fd, name, AT_REMOVEDIR);
}

int
fsx_remove_tree(const char *path)
{
	return fsx_remove_at(AT_FDCWD, path);
}
