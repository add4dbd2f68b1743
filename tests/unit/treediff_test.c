/*
 * Unit tests of lib/treediff. The trees are built with libgit2's
 * treebuilder in a bare repository under /tmp, and what treediff names is
 * compared with what git-fetch wrote before it (git_diff_tree_to_tree with
 * the same pathspec, each delta's paths) and, where the answer is worth
 * spelling out, with a list written here. That a shared folder is never
 * read is tested by deleting its object: the walk must not notice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/mempack.h>

#include "lib/buf.h"
#include "lib/fsx.h"
#include "lib/log.h"
#include "lib/treediff.h"
#include "lib/xalloc.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/treediff_test.XXXXXX";
static struct buf gitdir = BUF_INIT;
static git_repository *repo;

/* ---- trees from lists of files ---- */

struct file {
	char *path;
	unsigned mode;
	git_oid id;
};

struct files {
	struct file *v;
	size_t n, alloc;
};

static void
die_git(const char *what)
{
	const git_error *e = git_error_last();

	printf("Bail out! %s: %s\n", what, e != NULL ? e->message : "?");
	exit(1);
}

/* Is path equal to dir, or below it? */
static int
at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/* Remove path, and every file below it. */
static void
del(struct files *fs, const char *path)
{
	size_t i = 0;

	while (i < fs->n) {
		if (at_or_below(fs->v[i].path, path)) {
			free(fs->v[i].path);
			fs->v[i] = fs->v[--fs->n];
		} else {
			i++;
		}
	}
}

/*
 * Set path to a file of mode whose content is text (for a submodule: a
 * commit id made from text). Whatever is in the way goes: path and what
 * is below it, and a file where one of path's folders must be.
 */
static void
put(struct files *fs, const char *path, unsigned mode, const char *text)
{
	struct file *f;
	size_t i = 0;

	del(fs, path);
	while (i < fs->n) {
		if (at_or_below(path, fs->v[i].path)) {
			free(fs->v[i].path);
			fs->v[i] = fs->v[--fs->n];
		} else {
			i++;
		}
	}
	if (fs->n == fs->alloc) {
		fs->alloc = fs->alloc ? 2 * fs->alloc : 64;
		fs->v = xreallocarray(fs->v, fs->alloc, sizeof(*fs->v));
	}
	f = &fs->v[fs->n++];
	f->path = xstrdup(path);
	f->mode = mode;
	if (mode == GIT_FILEMODE_COMMIT) {
		if (git_odb_hash(&f->id, text, strlen(text),
		    GIT_OBJECT_COMMIT) < 0)
			die_git("cannot hash");
	} else if (git_blob_create_from_buffer(&f->id, repo, text,
	    strlen(text)) < 0) {
		die_git("cannot write a blob");
	}
}

static void
files_copy(struct files *dst, const struct files *src)
{
	size_t i;

	dst->n = dst->alloc = src->n;
	dst->v = xreallocarray(NULL, src->n ? src->n : 1, sizeof(*dst->v));
	for (i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		dst->v[i].path = xstrdup(src->v[i].path);
	}
}

static void
files_release(struct files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].path);
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->alloc = 0;
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path,
	    ((const struct file *)b)->path);
}

/*
 * The tree of v[0..n), all of whose paths start with the off bytes of a
 * folder's path; sorted, so that the files of each subfolder are adjacent.
 */
static void
build(git_oid *out, const struct file *v, size_t n, size_t off)
{
	git_treebuilder *tb;
	const char *name, *slash;
	struct buf sub = BUF_INIT;
	size_t i = 0, j, len;
	git_oid id;

	if (git_treebuilder_new(&tb, repo, NULL) < 0)
		die_git("cannot make a treebuilder");
	while (i < n) {
		name = v[i].path + off;
		slash = strchr(name, '/');
		if (slash == NULL) {
			if (git_treebuilder_insert(NULL, tb, name, &v[i].id,
			    v[i].mode) < 0)
				die_git(v[i].path);
			i++;
			continue;
		}
		len = (size_t)(slash - name);
		for (j = i + 1; j < n; j++)
			if (strncmp(v[j].path + off, name, len + 1) != 0)
				break;
		build(&id, v + i, j - i, off + len + 1);
		buf_reset(&sub);
		buf_add(&sub, name, len);
		if (git_treebuilder_insert(NULL, tb, sub.s, &id,
		    GIT_FILEMODE_TREE) < 0)
			die_git(sub.s);
		i = j;
	}
	if (git_treebuilder_write(out, tb) < 0)
		die_git("cannot write a tree");
	git_treebuilder_free(tb);
	buf_release(&sub);
}

static git_tree *
tree_of(struct files *fs)
{
	git_tree *t;
	git_oid id;

	qsort(fs->v, fs->n, sizeof(*fs->v), file_cmp);
	build(&id, fs->v, fs->n, 0);
	if (git_tree_lookup(&t, repo, &id) < 0)
		die_git("cannot read a tree");
	return t;
}

/* ---- the two answers ---- */

/* A pathspec from a string: "apps:infra" is two paths, "" none. */
struct spec {
	char *s;
	char *v[8];
	size_t n;
};

static void
spec_init(struct spec *sp, const char *text)
{
	char *p;

	sp->s = xstrdup(text);
	sp->n = 0;
	for (p = sp->s; *p != '\0' && sp->n < 8; ) {
		sp->v[sp->n++] = p;
		p += strcspn(p, ":");
		if (*p == ':')
			*p++ = '\0';
	}
}

static void
spec_release(struct spec *sp)
{
	free(sp->s);
}

/*
 * What changed_files in git-fetch wrote before treediff: libgit2's
 * deltas, in its order. A type change is a deletion and an addition of
 * the same path, which libgit2 names twice in a row; twice is kept here
 * only with dups, so the type-change case can show it.
 */
struct ref {
	struct buf out;
	size_t last;		/* where the last path starts in out */
	int dups;
};

static void
ref_add(struct ref *r, const char *path)
{
	size_t n = strlen(path);

	if (!r->dups && r->out.len > 0 && r->out.len - r->last == n + 1 &&
	    memcmp(r->out.s + r->last, path, n) == 0)
		return;
	r->last = r->out.len;
	buf_adds(&r->out, path);
	buf_addch(&r->out, '\n');
}

static int
on_delta(const git_diff_delta *d, float progress, void *payload)
{
	struct ref *r = payload;

	(void)progress;
	if (d->old_file.path && d->status != GIT_DELTA_ADDED)
		ref_add(r, d->old_file.path);
	if (d->new_file.path && d->status != GIT_DELTA_DELETED &&
	    (d->old_file.path == NULL ||
	    strcmp(d->old_file.path, d->new_file.path) != 0 ||
	    d->status == GIT_DELTA_ADDED))
		ref_add(r, d->new_file.path);
	return 0;
}

static void
libgit2_files(struct buf *out, git_tree *a, git_tree *b, const char *paths,
    int dups)
{
	struct ref r = { BUF_INIT, 0, dups };
	git_diff_options dopt;
	git_diff *diff = NULL;
	struct spec sp;

	spec_init(&sp, paths);
	git_diff_options_init(&dopt, GIT_DIFF_OPTIONS_VERSION);
	dopt.pathspec.strings = sp.v;
	dopt.pathspec.count = sp.n;
	if (git_diff_tree_to_tree(&diff, repo, a, b, &dopt) < 0)
		die_git("cannot diff");
	git_diff_foreach(diff, on_delta, NULL, NULL, NULL, &r);
	git_diff_free(diff);
	buf_reset(out);
	buf_add(out, r.out.s, r.out.len);
	buf_release(&r.out);
	spec_release(&sp);
}

struct got {
	struct buf out;
	struct buf prev;
	int sorted;		/* each path after the one before (strcmp) */
};

static void
got_add(const char *path, void *arg)
{
	struct got *g = arg;

	if (g->out.len > 0 && strcmp(g->prev.s, path) >= 0)
		g->sorted = 0;
	buf_reset(&g->prev);
	buf_adds(&g->prev, path);
	buf_adds(&g->out, path);
	buf_addch(&g->out, '\n');
}

/* treediff's answer in out, one path a line; its return value. */
static int
treediff_of(struct buf *out, git_repository *r, git_tree *a, git_tree *b,
    const char *paths, int *sorted)
{
	struct got g = { BUF_INIT, BUF_INIT, 1 };
	struct spec sp;
	int ret;

	spec_init(&sp, paths);
	if (!treediff_paths_plain(sp.v, sp.n))
		printf("# not plain: %s\n", paths);
	ret = treediff_files(r, a, b, sp.v, sp.n, got_add, &g);
	spec_release(&sp);
	buf_reset(out);
	buf_add(out, g.out.s, g.out.len);
	*sorted = g.sorted;
	buf_release(&g.out);
	buf_release(&g.prev);
	return ret;
}

/*
 * treediff and libgit2 must agree on a to b (and on b to a), with the
 * pathspec; with want, both must say that. Returns treediff's answer's
 * line count, so a case can check that it tested something.
 */
static size_t
check(const char *name, git_tree *a, git_tree *b, const char *paths,
    const char *want)
{
	struct buf got = BUF_INIT, ref = BUF_INIT;
	size_t lines = 0, i;
	int sorted, back;

	for (back = 0; back < 2; back++) {
		if (treediff_of(&got, repo, back ? b : a, back ? a : b, paths,
		    &sorted) < 0) {
			ok(0, "%s%s: treediff fails", name,
			    back ? " (backwards)" : "");
			continue;
		}
		libgit2_files(&ref, back ? b : a, back ? a : b, paths, 0);
		is_str(got.s, ref.s, "%s%s: as libgit2 says", name,
		    back ? " (backwards)" : "");
		ok(sorted, "%s%s: in path order, each once", name,
		    back ? " (backwards)" : "");
		if (!back && want != NULL)
			is_str(got.s, want, "%s: the files expected", name);
		if (!back)
			for (i = 0; i < got.len; i++)
				lines += got.s[i] == '\n';
	}
	buf_release(&got);
	buf_release(&ref);
	return lines;
}

/* ---- the cases ---- */

#define NPATHS(a) (sizeof(a) / sizeof((a)[0]))

/* Is the one path text plain? */
static int
plain1(const char *text)
{
	char *p = xstrdup(text);
	int r = treediff_paths_plain(&p, 1);

	free(p);
	return r;
}

static void
test_plain_paths(void)
{
	static const char *const not_plain[] = { "", "*.yaml", "a?", "[ab]",
	    "a\\b", "!a", "#a", ".", "..", "./a", "a/.", "a/../b", "a/",
	    "/a", "a//b", " a", "a ", "a\tb", "a\nb" };
	struct buf name = BUF_INIT;
	struct spec sp;
	const char *p;
	size_t i;

	ok(treediff_paths_plain(NULL, 0), "no paths: the whole tree");
	spec_init(&sp, "apps:apps/web.yaml:a b/c:..a:.hidden/x:x!:x#:a.b..c");
	ok(treediff_paths_plain(sp.v, sp.n), "plain paths");
	spec_release(&sp);
	for (i = 0; i < NPATHS(not_plain); i++) {
		/* TAP is lines: show a tab or a newline escaped */
		buf_reset(&name);
		for (p = not_plain[i]; *p != '\0'; p++)
			if (*p == '\t' || *p == '\n')
				buf_adds(&name, *p == '\t' ? "\\t" : "\\n");
			else
				buf_addch(&name, *p);
		ok(!plain1(not_plain[i]), "'%s' is for libgit2", name.s);
	}
	spec_init(&sp, "apps:a*");
	ok(!treediff_paths_plain(sp.v, sp.n),
	    "one glob among plain paths is enough");
	spec_release(&sp);
	buf_release(&name);
}

/* A folder apps/tN/aM/... of 2,000 files, and one of them changed. */
static void
test_big_tree(void)
{
	struct files fa = { 0 }, fb;
	struct buf p = BUF_INIT;
	git_tree *a, *b;
	int t, m, k;

	for (t = 0; t < 20; t++)
		for (m = 0; m < 10; m++)
			for (k = 0; k < 10; k++) {
				buf_reset(&p);
				buf_addf(&p, "apps/t%02d/a%d/%s/f%d.yaml", t,
				    m, k < 5 ? "base" : "base/deep/er", k);
				put(&fa, p.s, GIT_FILEMODE_BLOB, p.s);
			}
	files_copy(&fb, &fa);
	put(&fb, "apps/t07/a3/base/deep/er/f8.yaml", GIT_FILEMODE_BLOB,
	    "image: x:2");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("a file deep in a big tree", a, b, "",
	    "apps/t07/a3/base/deep/er/f8.yaml\n");
	check("the same, under its folder", a, b, "apps/t07",
	    "apps/t07/a3/base/deep/er/f8.yaml\n");
	check("the same, outside the path", a, b, "apps/t08",
	    "");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
	buf_release(&p);
}

static void
test_add_delete(void)
{
	struct files fa = { 0 }, fb;
	git_tree *a, *b;

	put(&fa, "keep.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "old.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "gone/a.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "gone/sub/b.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fa, "gone/sub/deeper/c.yaml", GIT_FILEMODE_BLOB, "3");
	put(&fa, "stay/x.yaml", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	del(&fb, "old.yaml");
	del(&fb, "gone");
	put(&fb, "new.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fb, "fresh/a.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fb, "fresh/sub/b.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fb, "stay/y.yaml", GIT_FILEMODE_BLOB, "1");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("added and deleted files and folders", a, b, "",
	    "fresh/a.yaml\nfresh/sub/b.yaml\ngone/a.yaml\ngone/sub/b.yaml\n"
	    "gone/sub/deeper/c.yaml\nnew.yaml\nold.yaml\nstay/y.yaml\n");
	check("a deleted folder, by its name", a, b, "gone",
	    "gone/a.yaml\ngone/sub/b.yaml\ngone/sub/deeper/c.yaml\n");
	check("below a deleted folder", a, b, "gone/sub",
	    "gone/sub/b.yaml\ngone/sub/deeper/c.yaml\n");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
}

static void
test_file_and_folder(void)
{
	struct files fa = { 0 }, fb;
	git_tree *a, *b;

	put(&fa, "x", GIT_FILEMODE_BLOB, "file");
	put(&fa, "x-y", GIT_FILEMODE_BLOB, "1");
	put(&fa, "y/z", GIT_FILEMODE_BLOB, "1");
	put(&fa, "y/w/v", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	put(&fb, "x/inner.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fb, "x/deep/er.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fb, "y", GIT_FILEMODE_BLOB, "now a file");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("a file becomes a folder, a folder a file", a, b, "",
	    "x\nx/deep/er.yaml\nx/inner.yaml\ny\ny/w/v\ny/z\n");
	check("the same, by name", a, b, "x:y",
	    "x\nx/deep/er.yaml\nx/inner.yaml\ny\ny/w/v\ny/z\n");
	check("the same, a path inside the new folder", a, b,
	    "x/deep", "x/deep/er.yaml\n");
	check("the same, a path inside the old folder", a, b,
	    "y/w/v", "y/w/v\n");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
}

/* Sorted as trees ("a/") and as files ("a"), these names differ. */
static void
test_tree_order(void)
{
	static const char *const names[] = { "a", "a-b", "a.yaml", "a0" };
	struct files fa = { 0 }, fb;
	git_tree *a, *b;
	size_t i;

	for (i = 0; i < NPATHS(names); i++)
		put(&fa, names[i], GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	for (i = 1; i < NPATHS(names); i++)
		put(&fb, names[i], GIT_FILEMODE_BLOB, "2");
	put(&fb, "a/x", GIT_FILEMODE_BLOB, "1");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("a, a-b, a.yaml, a/x, a0", a, b, "",
	    "a\na-b\na.yaml\na/x\na0\n");
	check("the same, with a pathspec of a", a, b, "a",
	    "a\na/x\n");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fb);

	/* a folder both sides, changed only inside */
	put(&fa, "a/x", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	put(&fb, "a/x", GIT_FILEMODE_BLOB, "2");
	put(&fb, "a.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "a-b/c", GIT_FILEMODE_BLOB, "2");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("a folder among names that sort before and after it", a, b,
	    "", "a-b\na-b/c\na.yaml\na/x\n");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
}

static void
test_modes(void)
{
	struct files fa = { 0 }, fb;
	struct buf got = BUF_INIT, ref = BUF_INIT;
	git_tree *a, *b;
	int sorted;

	put(&fa, "run.sh", GIT_FILEMODE_BLOB, "echo");
	put(&fa, "link", GIT_FILEMODE_LINK, "run.sh");
	put(&fa, "was-file", GIT_FILEMODE_BLOB, "x");
	put(&fa, "was-link", GIT_FILEMODE_LINK, "x");
	put(&fa, "sub", GIT_FILEMODE_COMMIT, "commit 1");
	put(&fa, "sub2", GIT_FILEMODE_COMMIT, "commit 1");
	put(&fa, "sub3", GIT_FILEMODE_COMMIT, "commit 1");
	put(&fa, "same", GIT_FILEMODE_COMMIT, "commit 1");
	files_copy(&fb, &fa);
	put(&fb, "run.sh", GIT_FILEMODE_BLOB_EXECUTABLE, "echo");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("100644 to 100755", a, b, "", "run.sh\n");
	git_tree_free(b);
	put(&fb, "link", GIT_FILEMODE_LINK, "elsewhere");
	put(&fb, "new-link", GIT_FILEMODE_LINK, "run.sh");
	put(&fb, "was-file", GIT_FILEMODE_LINK, "x");
	put(&fb, "was-link", GIT_FILEMODE_BLOB, "x");
	put(&fb, "sub", GIT_FILEMODE_COMMIT, "commit 2");
	put(&fb, "sub2", GIT_FILEMODE_BLOB, "commit 1");
	put(&fb, "sub3/now-a-folder", GIT_FILEMODE_BLOB, "1");
	put(&fb, "new-sub", GIT_FILEMODE_COMMIT, "commit 3");
	b = tree_of(&fb);
	check("symlinks and submodules", a, b, "",
	    "link\nnew-link\nnew-sub\nrun.sh\nsub\nsub2\nsub3\n"
	    "sub3/now-a-folder\nwas-file\nwas-link\n");

	/* why the comparison above drops libgit2's repeats */
	libgit2_files(&ref, a, b, "was-file", 1);
	is_str(ref.s, "was-file\nwas-file\n",
	    "libgit2 names a file that became a symlink twice");
	if (treediff_of(&got, repo, a, b, "was-file",
	    &sorted) < 0)
		buf_adds(&got, "(failed)");
	is_str(got.s, "was-file\n", "treediff names it once");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
	buf_release(&got);
	buf_release(&ref);
}

/* 100664 is no mode git writes, but old trees have it: raw modes count. */
static void
test_odd_mode(void)
{
	struct buf cmd = BUF_INIT, hex = BUF_INIT;
	git_tree *a = NULL, *b = NULL;
	git_oid blob, ida, idb;
	char bh[GIT_OID_HEXSZ + 1];
	FILE *fp;
	int i;

	if (git_blob_create_from_buffer(&blob, repo, "x\n", 2) < 0)
		die_git("cannot write a blob");
	git_oid_tostr(bh, sizeof(bh), &blob);
	for (i = 0; i < 2; i++) {
		buf_reset(&cmd);
		buf_addf(&cmd, "printf '%s blob %s\\tf\\n' | git --git-dir=%s"
		    " mktree", i ? "100644" : "100664", bh, gitdir.s);
		buf_reset(&hex);
		fp = popen(cmd.s, "r");
		if (fp != NULL) {
			buf_grow(&hex, 64);
			if (fgets(hex.s, 64, fp) != NULL)
				buf_setlen(&hex, strlen(hex.s));
			pclose(fp);
		}
		if (hex.len < GIT_OID_HEXSZ ||
		    git_oid_fromstrn(i ? &idb : &ida, hex.s, GIT_OID_HEXSZ) < 0 ||
		    git_tree_lookup(i ? &b : &a, repo, i ? &idb : &ida) < 0)
			printf("# cannot make the tree: %s\n", cmd.s);
	}
	if (a != NULL && b != NULL)
		check("100664 to 100644, the same blob", a, b, "", "f\n");
	else
		ok(0, "100664 to 100644: no trees to compare");
	git_tree_free(a);
	git_tree_free(b);
	buf_release(&cmd);
	buf_release(&hex);
}

static void
test_pathspecs(void)
{
	struct files fa = { 0 }, fb;
	git_tree *a, *b;

	put(&fa, "app/x.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "apps/web/d.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "apps/web/s.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "apps/db.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "apps.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "infra/ns.yaml", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	put(&fb, "app/x.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "apps/web/d.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "apps/db.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "apps.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "infra/ns.yaml", GIT_FILEMODE_BLOB, "2");
	a = tree_of(&fa);
	b = tree_of(&fb);
	check("a folder", a, b, "apps",
	    "apps/db.yaml\napps/web/d.yaml\n");
	check("a folder whose name begins another's", a, b,
	    "app", "app/x.yaml\n");
	check("a folder inside a folder", a, b, "apps/web",
	    "apps/web/d.yaml\n");
	check("a single file", a, b, "apps/db.yaml",
	    "apps/db.yaml\n");
	check("an unchanged file", a, b, "apps/web/s.yaml",
	    "");
	check("a path that does not exist", a, b, "nope",
	    "");
	check("a path below a file", a, b, "apps.yaml/x",
	    "");
	check("a path that is a prefix of no name", a, b,
	    "ap", "");
	check("two paths", a, b, "infra:apps/web",
	    "apps/web/d.yaml\ninfra/ns.yaml\n");
	check("a path and a path below it", a, b,
	    "apps:apps/web/d.yaml",
	    "apps/db.yaml\napps/web/d.yaml\n");
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
}

static void
test_identical(void)
{
	struct files fa = { 0 }, fb;
	git_tree *a, *b, *e;
	git_treebuilder *tb;
	git_oid empty;

	put(&fa, "a/b/c", GIT_FILEMODE_BLOB, "1");
	put(&fa, "d", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	a = tree_of(&fa);
	b = tree_of(&fb);
	ok(git_oid_equal(git_tree_id(a), git_tree_id(b)),
	    "identical trees: one id");
	check("identical trees", a, b, "", "");
	check("a tree against itself", a, a, "", "");
	check("the empty tree against a tree", NULL, a, "", "a/b/c\nd\n");
	git_tree_free(b);

	/* an empty folder is no file: libgit2 names nothing for it */
	if (git_treebuilder_new(&tb, repo, NULL) < 0 ||
	    git_treebuilder_write(&empty, tb) < 0 ||
	    git_tree_lookup(&e, repo, &empty) < 0)
		die_git("cannot make the empty tree");
	git_treebuilder_free(tb);
	if (git_treebuilder_new(&tb, repo, a) < 0 ||
	    git_treebuilder_insert(NULL, tb, "empty", &empty,
	    GIT_FILEMODE_TREE) < 0 || git_treebuilder_write(&empty, tb) < 0 ||
	    git_tree_lookup(&b, repo, &empty) < 0)
		die_git("cannot add an empty folder");
	git_treebuilder_free(tb);
	check("an empty folder added", a, b, "", "");
	check("the empty tree against itself", e, e, "", "");
	git_tree_free(a);
	git_tree_free(b);
	git_tree_free(e);
	files_release(&fa);
	files_release(&fb);
}

/* Remove a loose object, so that reading it fails. */
static int
remove_object(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	struct buf p = BUF_INIT;
	int r;

	git_oid_tostr(hex, sizeof(hex), id);
	buf_addf(&p, "%s/objects/%.2s/%s", gitdir.s, hex, hex + 2);
	r = unlink(p.s);
	if (r < 0)
		printf("# cannot remove %s\n", p.s);
	buf_release(&p);
	return r;
}

/*
 * treediff on the trees ida and idb of a fresh repository object, since
 * libgit2 caches what it has read: a deleted object must be missing.
 */
static int
treediff_fresh(struct buf *got, const git_oid *ida, const git_oid *idb,
    const char *paths)
{
	git_repository *r;
	git_tree *a, *b;
	int sorted, ret;

	if (git_repository_open_bare(&r, gitdir.s) < 0 ||
	    git_tree_lookup(&a, r, ida) < 0 || git_tree_lookup(&b, r, idb) < 0)
		die_git("cannot open the repository");
	ret = treediff_of(got, r, a, b, paths, &sorted);
	git_tree_free(a);
	git_tree_free(b);
	git_repository_free(r);
	return ret;
}

/*
 * What is never read can be missing: a shared folder, and a changed one
 * outside the pathspec. What must be read and is missing is an error.
 * Loose objects, so this runs before the objects move to memory.
 */
static void
test_not_read(void)
{
	struct files fa = { 0 }, fb;
	struct buf got = BUF_INIT, want = BUF_INIT;
	git_tree *a, *b;
	git_oid shared, other_a, other_b, ida, idb;

	put(&fa, "shared/big/x.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "other/y.yaml", GIT_FILEMODE_BLOB, "1");
	put(&fa, "changed/z.yaml", GIT_FILEMODE_BLOB, "1");
	files_copy(&fb, &fa);
	put(&fb, "other/y.yaml", GIT_FILEMODE_BLOB, "2");
	put(&fb, "changed/z.yaml", GIT_FILEMODE_BLOB, "2");
	a = tree_of(&fa);
	b = tree_of(&fb);
	git_oid_cpy(&shared, git_tree_entry_id(git_tree_entry_byname(a,
	    "shared")));
	git_oid_cpy(&other_a, git_tree_entry_id(git_tree_entry_byname(a,
	    "other")));
	git_oid_cpy(&other_b, git_tree_entry_id(git_tree_entry_byname(b,
	    "other")));
	git_oid_cpy(&ida, git_tree_id(a));
	git_oid_cpy(&idb, git_tree_id(b));
	libgit2_files(&want, a, b, "changed", 0);
	git_tree_free(a);
	git_tree_free(b);

	is_int(treediff_fresh(&got, &ida, &idb, ""), 0,
	    "all objects there: no error");
	is_str(got.s, "changed/z.yaml\nother/y.yaml\n",
	    "all objects there: the files");
	remove_object(&shared);
	is_int(treediff_fresh(&got, &ida, &idb, ""), 0,
	    "a shared folder is not read");
	is_str(got.s, "changed/z.yaml\nother/y.yaml\n",
	    "a shared folder is not read: the other files");
	remove_object(&other_a);
	remove_object(&other_b);
	is_int(treediff_fresh(&got, &ida, &idb, "changed"), 0,
	    "a folder outside the paths is not read");
	is_str(got.s, want.s, "a folder outside the paths is not read: "
	    "the files as libgit2 named them");
	is_int(treediff_fresh(&got, &ida, &idb, "changed:otherwise/x"), 0,
	    "a folder whose name only begins a path's is not read");
	is_str(got.s, want.s, "a folder whose name only begins a path's is "
	    "not read: the files");
	is_int(treediff_fresh(&got, &ida, &idb, ""), -1,
	    "a missing folder that must be read is an error");
	files_release(&fa);
	files_release(&fb);
	buf_release(&got);
	buf_release(&want);
}

/* Trees nested deeper than TREEDIFF_MAX_DEPTH are refused, not walked. */
static void
test_depth(void)
{
	struct files fa = { 0 }, fb = { 0 };
	struct buf p = BUF_INIT;
	git_tree *a, *b;
	int sorted, i;

	for (i = 0; i < TREEDIFF_MAX_DEPTH + 1; i++)
		buf_adds(&p, "d/");
	buf_adds(&p, "f");
	put(&fa, p.s, GIT_FILEMODE_BLOB, "1");
	put(&fb, p.s, GIT_FILEMODE_BLOB, "2");
	a = tree_of(&fa);
	b = tree_of(&fb);
	is_int(treediff_of(&p, repo, a, b, "", &sorted), -1,
	    "trees nested deeper than %d are refused", TREEDIFF_MAX_DEPTH);
	git_tree_free(a);
	git_tree_free(b);
	files_release(&fa);
	files_release(&fb);
	buf_release(&p);
}

/* ---- random trees ---- */

static uint64_t rng = 88172645463325252ULL;

/* xorshift64: the same numbers everywhere, unlike rand(3) */
static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* names that sort differently as files and as folders */
static const char *const rnames[] = { "a", "a-b", "a.yaml", "a0", "b",
    "ba", "c" };

static void
random_path(struct buf *p, unsigned maxdepth)
{
	unsigned i, d = 1 + rnd(maxdepth);

	buf_reset(p);
	for (i = 0; i < d; i++) {
		if (i > 0)
			buf_addch(p, '/');
		buf_adds(p, rnames[rnd(NPATHS(rnames))]);
	}
}

static unsigned
random_mode(void)
{
	switch (rnd(10)) {
	case 0:
		return GIT_FILEMODE_BLOB_EXECUTABLE;
	case 1:
		return GIT_FILEMODE_LINK;
	case 2:
		return GIT_FILEMODE_COMMIT;
	default:
		return GIT_FILEMODE_BLOB;
	}
}

/* A path in fs cut to a random number of components (a folder, often). */
static void
random_prefix(struct buf *p, const struct files *fs)
{
	const char *s;
	unsigned k;

	buf_reset(p);
	if (fs->n == 0)
		return;
	s = fs->v[rnd((unsigned)fs->n)].path;
	k = rnd(4);
	while (*s != '\0' && !(*s == '/' && k-- == 0))
		buf_addch(p, *s++);
}

static void
random_edit(struct files *fs, struct buf *p)
{
	struct buf text = BUF_INIT;
	struct file *f;

	buf_addf(&text, "%u", rnd(1000000));
	switch (rnd(6)) {
	case 0:		/* new content, or a new mode */
	case 1:
		if (fs->n == 0)
			break;
		f = &fs->v[rnd((unsigned)fs->n)];
		buf_reset(p);
		buf_adds(p, f->path);
		put(fs, p->s, rnd(2) ? f->mode : random_mode(), text.s);
		break;
	case 2:		/* a file, or a folder, gone */
		random_prefix(p, fs);
		if (p->len > 0)
			del(fs, p->s);
		break;
	case 3:		/* a folder becomes a file */
		random_prefix(p, fs);
		if (p->len > 0)
			put(fs, p->s, random_mode(), text.s);
		break;
	default:	/* a new file, maybe where a file or folder was */
		random_path(p, 4);
		put(fs, p->s, random_mode(), text.s);
	}
	buf_release(&text);
}

static void
test_random(void)
{
	struct files fa = { 0 }, fb;
	struct buf p = BUF_INIT, name = BUF_INIT, spec = BUF_INIT;
	git_tree *a, *b;
	size_t changes = 0, lines, limited = 0;
	unsigned round, k, n, npaths, i;

	for (round = 0; round < 300; round++) {
		n = 1 + rnd(80);
		for (k = 0; k < n; k++) {
			random_path(&p, 4);
			buf_reset(&name);
			buf_addf(&name, "%u", rnd(1000000));
			put(&fa, p.s, random_mode(), name.s);
		}
		files_copy(&fb, &fa);
		n = 1 + rnd(6);
		for (k = 0; k < n; k++)
			random_edit(&fb, &p);
		npaths = rnd(3);
		buf_reset(&spec);
		for (i = 0; i < npaths; i++) {
			if (rnd(3) == 0)
				random_path(&p, 3);
			else
				random_prefix(&p, rnd(2) ? &fa : &fb);
			if (p.len == 0)
				buf_adds(&p, "a");
			if (i > 0)
				buf_addch(&spec, ':');
			buf_add(&spec, p.s, p.len);
		}
		a = tree_of(&fa);
		b = tree_of(&fb);
		buf_reset(&name);
		buf_addf(&name, "random %u", round);
		lines = check(name.s, a, b, spec.s, NULL);
		changes += lines;
		limited += npaths > 0 && lines > 0;
		git_tree_free(a);
		git_tree_free(b);
		files_release(&fa);
		files_release(&fb);
	}
	/* a generator that made no changes would test nothing */
	ok(changes > 300 && limited > 50, "the random trees differ: %zu "
	    "files in all, %zu rounds with a pathspec name some", changes,
	    limited);
	buf_release(&p);
	buf_release(&name);
	buf_release(&spec);
}

int
main(void)
{
	git_odb_backend *mem;
	git_odb *odb;

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	log_set_level(LOG_ERROR);
	git_libgit2_init();
	buf_addf(&gitdir, "%s/repo.git", tmp);
	if (git_repository_init(&repo, gitdir.s, 1) < 0)
		die_git("cannot make the repository");
	/* these two need loose objects: git mktree, and unlink */
	test_odd_mode();
	test_not_read();
	/* the rest writes 30,000 objects: memory, not files, is faster */
	if (git_repository_odb(&odb, repo) < 0 || git_mempack_new(&mem) < 0 ||
	    git_odb_add_backend(odb, mem, 1000) < 0)
		die_git("cannot keep objects in memory");
	git_odb_free(odb);
	test_plain_paths();
	test_big_tree();
	test_add_delete();
	test_file_and_folder();
	test_tree_order();
	test_modes();
	test_pathspecs();
	test_identical();
	test_depth();
	test_random();
	git_repository_free(repo);
	git_libgit2_shutdown();
	fsx_remove_tree(tmp);
	buf_release(&gitdir);
	return tap_done();
}
