#include "lib/checkout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/fsx.h"
#include "lib/log.h"
#include "lib/srctree.h"
#include "lib/xalloc.h"
#include "lib/banned.h"


struct co {
	git_repository *repo;
	const char *dir;	/* for messages */
	int root;		/* fd of dir */
	int fresh;		/* dir was emptied: nothing is in the way */
	struct buf name;	/* scratch: one path component */
};

static int
git_fail(const char *what, const char *arg)
{
	const git_error *e = git_error_last();

	return log_error("%s '%s': %s", what, arg,
	    e != NULL && e->message != NULL ? e->message :
	    "unknown libgit2 error");
}

/*
 * Open the directory name in fd, never through a symlink. With create,
 * make it, first removing a non-directory in the way. -1, errno.
 */
static int
open_subdir(int fd, const char *name, int create)
{
	struct stat st;
	int sub;

	sub = openat(fd, name, FSX_DIR_FLAGS);
	if (sub >= 0 || !create)
		return sub;
	if (errno != ENOENT) {
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
		if (S_ISDIR(st.st_mode))
			return -1;	/* a directory we cannot open */
		if (unlinkat(fd, name, 0) < 0)
			return -1;
	}
	if (mkdirat(fd, name, 0777) < 0 && errno != EEXIST)
		return -1;
	return openat(fd, name, FSX_DIR_FLAGS);
}

/*
 * Open the directory holding path (checked by srctree_plain_path), walking down from
 * c->root one component at a time; *leaf points to path's last component.
 * -1 with errno set.
 */
static int
open_parent(struct co *c, const char *path, int create, const char **leaf)
{
	const char *p = path, *e;
	int fd, sub, saved;

	fd = dup(c->root);
	if (fd < 0)
		return -1;
	while ((e = strchr(p, '/')) != NULL) {
		buf_reset(&c->name);
		buf_add(&c->name, p, (size_t)(e - p));
		sub = open_subdir(fd, c->name.s, create);
		saved = errno;
		close(fd);
		if (sub < 0) {
			errno = saved;
			return -1;
		}
		fd = sub;
		p = e + 1;
	}
	*leaf = p;
	return fd;
}

static int
write_blob(struct co *c, const char *path, git_filemode_t mode,
    const git_oid *id)
{
	git_blob *blob = NULL;
	const char *leaf, *data;
	char *target;
	size_t size;
	int pfd = -1, fd, ret = -1;

	if (mode == GIT_FILEMODE_COMMIT || mode == GIT_FILEMODE_TREE)
		return 0;
	if (!srctree_plain_path(path))
		return log_error("refusing to write '%s' in '%s': not a plain "
		    "relative path", path, c->dir);
	if (git_blob_lookup(&blob, c->repo, id) < 0)
		return git_fail("cannot read the blob of", path);
	data = git_blob_rawcontent(blob);
	size = (size_t)git_blob_rawsize(blob);
	pfd = open_parent(c, path, 1, &leaf);
	if (pfd < 0) {
		log_errno("cannot make the directory of '%s/%s'", c->dir, path);
		goto out;
	}
	if (!c->fresh && fsx_remove_at(pfd, leaf) < 0) {
		log_errno("cannot remove '%s/%s'", c->dir, path);
		goto out;
	}
	if (mode == GIT_FILEMODE_LINK) {
		target = xmemdup(data, size);
		if (strlen(target) != size || size == 0) {
			free(target);
			log_error("cannot make the symlink '%s/%s': its target "
			    "is empty or holds a NUL", c->dir, path);
			goto out;
		}
		fd = symlinkat(target, pfd, leaf);
		free(target);
		if (fd < 0) {
			log_errno("cannot make the symlink '%s/%s'", c->dir,
			    path);
			goto out;
		}
	} else {
		fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC,
		    mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666);
		if (fd < 0) {
			log_errno("cannot create '%s/%s'", c->dir, path);
			goto out;
		}
		if (fsx_write_all(fd, data, size) < 0) {
			log_errno("cannot write '%s/%s'", c->dir, path);
			close(fd);
			goto out;
		}
		if (close(fd) < 0) {
			log_errno("cannot write '%s/%s'", c->dir, path);
			goto out;
		}
	}
	ret = 0;
out:
	if (pfd >= 0)
		close(pfd);
	git_blob_free(blob);
	return ret;
}

/* Remove the directories holding path, from the deepest, while empty. */
static int
prune_parents(struct co *c, const char *path)
{
	struct buf dir = BUF_INIT;
	const char *leaf;
	char *slash;
	int pfd, r, ret = 0;

	buf_adds(&dir, path);
	while ((slash = strrchr(dir.s, '/')) != NULL) {
		buf_setlen(&dir, (size_t)(slash - dir.s));
		pfd = open_parent(c, dir.s, 0, &leaf);
		if (pfd < 0)
			break;
		r = unlinkat(pfd, leaf, AT_REMOVEDIR);
		close(pfd);
		if (r < 0) {
			if (errno != ENOTEMPTY && errno != EEXIST &&
			    errno != ENOENT && errno != ENOTDIR)
				ret = log_errno("cannot remove '%s/%s'",
				    c->dir, dir.s);
			break;
		}
	}
	buf_release(&dir);
	return ret;
}

static int
delete_path(struct co *c, const char *path)
{
	const char *leaf;
	int pfd, r;

	if (!srctree_plain_path(path))
		return log_error("refusing to remove '%s' in '%s': not a "
		    "plain relative path", path, c->dir);
	pfd = open_parent(c, path, 0, &leaf);
	if (pfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return 0;	/* already gone */
		return log_errno("cannot open the directory of '%s/%s'",
		    c->dir, path);
	}
	r = fsx_remove_at(pfd, leaf);
	close(pfd);
	if (r < 0)
		return log_errno("cannot remove '%s/%s'", c->dir, path);
	return prune_parents(c, path);
}

static int
walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct co *c = payload;
	struct buf path = BUF_INIT;
	int r;

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;	/* trees are walked into, submodules skipped */
	buf_addf(&path, "%s%s", root, git_tree_entry_name(entry));
	r = write_blob(c, path.s, git_tree_entry_filemode(entry),
	    git_tree_entry_id(entry));
	buf_release(&path);
	return r < 0 ? -1 : 0;
}

static int
write_tree(struct co *c, git_tree *tree)
{
	int fd;

	fd = dup(c->root);
	if (fd < 0 || fsx_empty_dir(fd) < 0)
		return log_errno("cannot empty '%s'", c->dir);
	c->fresh = 1;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, c) != 0)
		return -1;	/* walk_cb logged */
	return 0;
}

static int
is_written(git_filemode_t mode)
{
	return mode == GIT_FILEMODE_BLOB ||
	    mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
	    mode == GIT_FILEMODE_LINK;
}

static int
update_tree(struct co *c, git_tree *old, git_tree *new)
{
	git_diff_options opts;
	const git_diff_delta *d;
	git_diff *diff = NULL;
	size_t i, n;
	int ret = -1;

	if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0)
		return git_fail("cannot set up a diff for", c->dir);
	opts.flags = GIT_DIFF_INCLUDE_TYPECHANGE;
	if (git_diff_tree_to_tree(&diff, c->repo, old, new, &opts) < 0)
		return git_fail("cannot diff the trees for", c->dir);
	n = git_diff_num_deltas(diff);
	/* deletions first: a file may give way to a directory, or back */
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		if (!is_written(d->old_file.mode))
			continue;
		if (d->status == GIT_DELTA_DELETED ||
		    (d->status != GIT_DELTA_ADDED &&
		    !is_written(d->new_file.mode))) {
			if (delete_path(c, d->old_file.path) < 0)
				goto out;
		}
	}
	for (i = 0; i < n; i++) {
		d = git_diff_get_delta(diff, i);
		if (d->status != GIT_DELTA_ADDED &&
		    d->status != GIT_DELTA_MODIFIED &&
		    d->status != GIT_DELTA_TYPECHANGE)
			continue;
		if (!is_written(d->new_file.mode))
			continue;
		if (write_blob(c, d->new_file.path, d->new_file.mode,
		    &d->new_file.id) < 0)
			goto out;
	}
	ret = 0;
out:
	git_diff_free(diff);
	return ret;
}

/* ---- the record file ---- */

/* 0 with *oid set, or -1: no usable record (a warning says why if odd). */
static int
read_record(const char *path, git_oid *oid)
{
	char s[GIT_OID_HEXSZ + 2];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("cannot open '%s': %s", path,
			    strerror(errno));
		return -1;
	}
	n = read(fd, s, sizeof(s));
	close(fd);
	if (n == GIT_OID_HEXSZ + 1 && s[GIT_OID_HEXSZ] == '\n' &&
	    git_oid_fromstrn(oid, s, GIT_OID_HEXSZ) == 0)
		return 0;
	log_warn("ignoring '%s': it does not hold a commit id", path);
	return -1;
}

static int
remove_record(const char *path)
{
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		return log_errno("cannot remove '%s'", path);
	}
	return fsx_sync_parent(path);
}

static int
write_record(const char *path, const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_fmt(hex, oid);
	hex[GIT_OID_HEXSZ] = '\n';
	return fsx_write_atomic(path, hex, sizeof(hex), 0666);
}

int
checkout_update(git_repository *repo, const git_oid *commit, const char *dir)
{
	struct co c = { repo, NULL, -1, 0, BUF_INIT };
	struct buf d = BUF_INIT, rec = BUF_INIT;
	git_commit *newc = NULL, *oldc = NULL;
	git_tree *newt = NULL, *oldt = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid old;
	int have_old = 0, ret = -1;

	git_oid_tostr(hex, sizeof(hex), commit);
	buf_adds(&d, dir);
	while (d.len > 1 && d.s[d.len - 1] == '/')
		buf_setlen(&d, d.len - 1);
	if (d.len == 0 || strcmp(d.s, "/") == 0) {
		log_error("cannot check out into '%s'", dir);
		goto out;
	}
	c.dir = d.s;
	buf_addf(&rec, "%s.commit", d.s);

	if (git_commit_lookup(&newc, repo, commit) < 0 ||
	    git_commit_tree(&newt, newc) < 0) {
		git_fail("cannot read commit", hex);
		goto out;
	}
	if (read_record(rec.s, &old) == 0) {
		if (git_commit_lookup(&oldc, repo, &old) == 0 &&
		    git_commit_tree(&oldt, oldc) == 0)
			have_old = 1;
		else
			log_warn("'%s' names a commit this repository lacks: "
			    "rewriting '%s'", rec.s, d.s);
	}
	if (mkdir(d.s, 0777) == 0) {
		have_old = 0;	/* the record is for a directory now gone */
	} else if (errno != EEXIST) {
		log_errno("cannot create '%s'", d.s);
		goto out;
	}
	c.root = open(d.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.root < 0) {
		log_errno("cannot open '%s'", d.s);
		goto out;
	}
	if (have_old && git_oid_equal(&old, commit)) {
		ret = 0;
		goto out;
	}
	/* [checkout-record] the record goes first, and comes back last */
	if (remove_record(rec.s) < 0)
		goto out;
	if ((have_old ? update_tree(&c, oldt, newt) :
	    write_tree(&c, newt)) < 0)
		goto out;
	ret = write_record(rec.s, commit);
out:
	if (c.root >= 0)
		close(c.root);
	git_tree_free(oldt);
	git_tree_free(newt);
	git_commit_free(oldc);
	git_commit_free(newc);
	buf_release(&c.name);
	buf_release(&rec);
	buf_release(&d);
	return ret;
}
