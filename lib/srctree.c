#include "lib/srctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/strmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

struct srctree {
	/* git */
	git_repository *repo;
	git_tree *tree;
	git_oid commit;
	/*
	 * Folder path -> its git_tree, each read once. Looking every file up
	 * from the root instead re-inflates the large trees near the root
	 * for each file (libgit2 does not cache trees over 4 KiB), which
	 * made a 10,000-object repository three times slower than a folder.
	 */
	struct strmap trees;
	/* folder */
	char *root;
};

static void
git_err(struct buf *err, const char *what)
{
	const git_error *e = git_error_last();

	buf_addf(err, "%s: %s", what, e && e->message ? e->message :
	    "unknown libgit2 error");
}

struct srctree *
srctree_open_git(const char *git_dir, const char *commit, struct buf *err)
{
	struct srctree *t = xcalloc(1, sizeof(*t));
	git_commit *c = NULL;

	if (git_repository_open_ext(&t->repo, git_dir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
	    NULL) < 0) {
		git_err(err, "cannot open the repository");
		goto fail;
	}
	if (git_oid_fromstr(&t->commit, commit) < 0 ||
	    strlen(commit) != GIT_OID_HEXSZ) {
		buf_addf(err, "'%s' is not a full commit id", commit);
		goto fail;
	}
	if (git_commit_lookup(&c, t->repo, &t->commit) < 0) {
		git_err(err, "cannot read the commit");
		goto fail;
	}
	if (git_commit_tree(&t->tree, c) < 0) {
		git_err(err, "cannot read the commit's tree");
		goto fail;
	}
	git_commit_free(c);
	return t;
fail:
	git_commit_free(c);
	srctree_free(t);
	return NULL;
}

struct srctree *
srctree_open_dir(const char *root)
{
	struct srctree *t = xcalloc(1, sizeof(*t));

	t->root = xstrdup(root);
	return t;
}

static void
free_tree(void *tree)
{
	git_tree_free(tree);
}

void
srctree_free(struct srctree *t)
{
	if (t == NULL)
		return;
	strmap_release(&t->trees, free_tree);
	git_tree_free(t->tree);
	git_repository_free(t->repo);
	free(t->root);
	free(t);
}

git_repository *
srctree_repo(struct srctree *t)
{
	return t->repo;
}

const git_oid *
srctree_commit(struct srctree *t)
{
	return t->repo ? &t->commit : NULL;
}

void
srctree_join(struct buf *out, const char *dir, const char *name)
{
	buf_reset(out);
	buf_adds(out, dir);
	if (*dir != '\0' && *name != '\0')
		buf_addch(out, '/');
	buf_adds(out, name);
}

static void
dir_path(struct srctree *t, const char *path, struct buf *out)
{
	srctree_join(out, t->root, path);
	if (out->len == 0)
		buf_addch(out, '.');
}

static enum srctree_kind
kind_of_mode(git_filemode_t mode)
{
	switch (mode) {
	case GIT_FILEMODE_TREE:
		return SRCTREE_DIR;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return SRCTREE_FILE;
	default:
		return SRCTREE_OTHER;
	}
}

/* The tree of folder dir ("" for the root), borrowed, or NULL. */
static const git_tree *
tree_at(struct srctree *t, const char *dir)
{
	const git_tree_entry *e;
	const git_tree *parent;
	const char *slash, *base;
	git_tree *tree;
	char *up;

	if (*dir == '\0')
		return t->tree;
	if ((tree = strmap_get(&t->trees, dir)) != NULL)
		return tree;
	slash = strrchr(dir, '/');
	up = xstrndup(dir, slash ? (size_t)(slash - dir) : 0);
	base = slash ? slash + 1 : dir;
	parent = tree_at(t, up);
	free(up);
	if (parent == NULL)
		return NULL;
	e = git_tree_entry_byname(parent, base);
	if (e == NULL || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&tree, t->repo, git_tree_entry_id(e)) < 0)
		return NULL;
	strmap_put(&t->trees, dir, tree, NULL);
	return tree;
}

/* The entry at path (not the root), borrowed from its folder's tree. */
static const git_tree_entry *
entry_at(struct srctree *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	const git_tree *parent;
	char *up;

	up = xstrndup(path, slash ? (size_t)(slash - path) : 0);
	parent = tree_at(t, up);
	free(up);
	if (parent == NULL)
		return NULL;
	return git_tree_entry_byname(parent, slash ? slash + 1 : path);
}

enum srctree_kind
srctree_stat(struct srctree *t, const char *path)
{
	const git_tree_entry *e;
	enum srctree_kind k;
	struct buf p = BUF_INIT;
	struct stat st;

	if (t->repo) {
		if (*path == '\0')
			return SRCTREE_DIR;
		e = entry_at(t, path);
		return e ? kind_of_mode(git_tree_entry_filemode(e)) :
		    SRCTREE_NONE;
	}
	dir_path(t, path, &p);
	if (lstat(p.s, &st) < 0)
		k = SRCTREE_NONE;
	else if (S_ISDIR(st.st_mode))
		k = SRCTREE_DIR;
	else if (S_ISREG(st.st_mode))
		k = SRCTREE_FILE;
	else
		k = SRCTREE_OTHER;
	buf_release(&p);
	return k;
}

static int
read_oid(struct srctree *t, const git_oid *id, struct buf *out, size_t max,
    struct buf *err)
{
	git_blob *blob = NULL;
	git_object_size_t size;
	int ret = -1;

	if (git_blob_lookup(&blob, t->repo, id) < 0) {
		git_err(err, "cannot read the blob");
		goto out;
	}
	size = git_blob_rawsize(blob);
	if (size > max) {
		buf_addf(err, "file is larger than %zu bytes", max);
		goto out;
	}
	buf_add(out, git_blob_rawcontent(blob), (size_t)size);
	ret = 0;
out:
	git_blob_free(blob);
	return ret;
}

static int
read_blob(struct srctree *t, const char *path, struct buf *out, size_t max,
    struct buf *err)
{
	const git_tree_entry *e;

	if (*path == '\0' || (e = entry_at(t, path)) == NULL) {
		buf_adds(err, "no such file");
		return -1;
	}
	if (kind_of_mode(git_tree_entry_filemode(e)) != SRCTREE_FILE) {
		buf_adds(err, "not a regular file");
		return -1;
	}
	return read_oid(t, git_tree_entry_id(e), out, max, err);
}

int
srctree_read_id(struct srctree *t, const char *id, struct buf *out,
    size_t max, struct buf *err)
{
	git_oid oid;

	if (t->repo == NULL || strlen(id) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&oid, id) < 0) {
		buf_addf(err, "'%s' is not a blob id", id);
		return -1;
	}
	return read_oid(t, &oid, out, max, err);
}

int
srctree_blob_id(struct srctree *t, const char *path, char *out)
{
	const git_tree_entry *e;

	if (t->repo == NULL || *path == '\0' ||
	    (e = entry_at(t, path)) == NULL ||
	    kind_of_mode(git_tree_entry_filemode(e)) != SRCTREE_FILE)
		return -1;
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_tree_entry_id(e));
	return 0;
}

int
srctree_tree_id(struct srctree *t, const char *path, char *out)
{
	const git_tree *tree;

	if (t->repo == NULL || (tree = tree_at(t, path)) == NULL)
		return -1;
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_tree_id(tree));
	return 0;
}

static int
read_file(struct srctree *t, const char *path, struct buf *out, size_t max,
    struct buf *err)
{
	struct buf p = BUF_INIT;
	struct stat st;
	int fd, ret = -1;

	dir_path(t, path, &p);
	fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		buf_adds(err, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		buf_adds(err, "not a regular file");
		goto out;
	}
	if ((size_t)st.st_size > max) {
		buf_addf(err, "file is larger than %zu bytes", max);
		goto out;
	}
	if (buf_read_fd(out, fd, max) < 0) {
		buf_adds(err, errno == EFBIG ? "file grew past the size bound" :
		    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&p);
	return ret;
}

int
srctree_read(struct srctree *t, const char *path, struct buf *out,
    size_t max, struct buf *err)
{
	return t->repo ? read_blob(t, path, out, max, err) :
	    read_file(t, path, out, max, err);
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct srctree_entry *)a)->name,
	    ((const struct srctree_entry *)b)->name);
}

void
srctree_entries_free(struct srctree_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static int
list_git(struct srctree *t, const char *path, struct srctree_entry **out,
    size_t *n, struct buf *err)
{
	const git_tree *tree = tree_at(t, path);
	const git_tree_entry *te;
	struct srctree_entry *v;
	size_t i, count;

	if (tree == NULL) {
		buf_adds(err, "not a directory");
		return -1;
	}
	count = git_tree_entrycount(tree);
	v = xcalloc(count, sizeof(*v));
	for (i = 0; i < count; i++) {
		te = git_tree_entry_byindex(tree, i);
		v[i].name = xstrdup(git_tree_entry_name(te));
		v[i].kind = kind_of_mode(git_tree_entry_filemode(te));
		git_oid_tostr(v[i].id, sizeof(v[i].id), git_tree_entry_id(te));
	}
	*out = v;
	*n = count;
	return 0;
}

static int
list_dir(struct srctree *t, const char *path, struct srctree_entry **out,
    size_t *n, struct buf *err)
{
	struct srctree_entry *v = NULL;
	struct buf p = BUF_INIT;
	struct dirent *de;
	struct stat st;
	size_t count = 0;
	DIR *d;
	int fd;

	dir_path(t, path, &p);
	d = opendir(p.s);
	buf_release(&p);
	if (d == NULL) {
		buf_adds(err, strerror(errno));
		return -1;
	}
	fd = dirfd(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		v = xreallocarray(v, count + 1, sizeof(*v));
		v[count].name = xstrdup(de->d_name);
		v[count].id[0] = '\0';
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			v[count].kind = SRCTREE_NONE;
		else if (S_ISDIR(st.st_mode))
			v[count].kind = SRCTREE_DIR;
		else if (S_ISREG(st.st_mode))
			v[count].kind = SRCTREE_FILE;
		else
			v[count].kind = SRCTREE_OTHER;
		count++;
	}
	if (errno != 0) {
		buf_adds(err, strerror(errno));
		closedir(d);
		srctree_entries_free(v, count);
		return -1;
	}
	closedir(d);
	*out = v;
	*n = count;
	return 0;
}

int
srctree_list(struct srctree *t, const char *path,
    struct srctree_entry **entries, size_t *n, struct buf *err)
{
	if ((t->repo ? list_git : list_dir)(t, path, entries, n, err) < 0)
		return -1;
	if (*n > 0)
		qsort(*entries, *n, sizeof(**entries), cmp_entry);
	return 0;
}

int
srctree_plain_path(const char *p)
{
	const char *e;
	size_t n;

	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

int
srctree_clean_path(const char *in, struct buf *out, struct buf *err)
{
	const char *p = in, *end;
	size_t n;

	buf_reset(out);
	if (*in == '/') {
		buf_addf(err, "path '%s' is absolute; paths are relative to "
		    "the repository root", in);
		return -1;
	}
	while (*p != '\0') {
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			buf_addf(err, "path '%s' leaves the repository root",
			    in);
			return -1;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (out->len)
				buf_addch(out, '/');
			buf_add(out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}
