#include "lib/treediff.h"

#include <string.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/srctree.h"
#include "lib/banned.h"

struct walk {
	git_repository *repo;
	char *const *paths;
	size_t npaths;
	treediff_fn *fn;
	void *arg;
	struct buf path;	/* the entry at hand, from the root */
	int depth;
};

/* Where an entry stands against the pathspec. */
enum scope {
	SCOPE_OUT,		/* neither holds nor lies below any path */
	SCOPE_ABOVE,		/* a folder some path lies below */
	SCOPE_IN		/* a path, or below one: all of it counts */
};

static int walk_trees(struct walk *w, const git_tree *a, const git_tree *b,
    int in);

int
treediff_paths_plain(char *const *paths, size_t npaths)
{
	const char *p;
	size_t i, n;

	for (i = 0; i < npaths; i++) {
		p = paths[i];
		n = strlen(p);
		/* what libgit2's pathspec parser reads as more than bytes */
		if (n == 0 || p[0] == '!' || p[0] == '#' || p[0] == ' ' ||
		    p[n - 1] == ' ' || strpbrk(p, "*?[\\\t\n\v\f\r") != NULL)
			return 0;
		/* scope() matches bytes, so "./apps" would match nothing */
		if (!srctree_plain_path(p))
			return 0;
	}
	return 1;
}

static int
is_tree(const git_tree_entry *e)
{
	return git_tree_entry_type(e) == GIT_OBJECT_TREE;
}

/* git's order of tree entries: a folder's name ends in an implicit '/'. */
static int
entry_cmp(const git_tree_entry *a, const git_tree_entry *b)
{
	const char *na = git_tree_entry_name(a), *nb = git_tree_entry_name(b);
	size_t la = strlen(na), lb = strlen(nb);
	unsigned char ca, cb;
	int c;

	c = memcmp(na, nb, la < lb ? la : lb);
	if (c != 0)
		return c;
	ca = la > lb ? (unsigned char)na[lb] : is_tree(a) ? '/' : '\0';
	cb = lb > la ? (unsigned char)nb[la] : is_tree(b) ? '/' : '\0';
	return (int)ca - (int)cb;
}

/* w->path (the entry at hand) against the pathspec. */
static enum scope
scope(const struct walk *w, int tree)
{
	const char *s = w->path.s;
	size_t len = w->path.len, i, n;
	enum scope sc = SCOPE_OUT;

	for (i = 0; i < w->npaths; i++) {
		n = strlen(w->paths[i]);
		if (n <= len && memcmp(s, w->paths[i], n) == 0 &&
		    (n == len || s[n] == '/'))
			return SCOPE_IN;
		if (tree && n > len && w->paths[i][len] == '/' &&
		    memcmp(s, w->paths[i], len) == 0)
			sc = SCOPE_ABOVE;
	}
	return sc;
}

static int
tree_get(struct walk *w, const git_tree_entry *e, git_tree **out)
{
	const git_error *err;

	*out = NULL;
	if (e == NULL)
		return 0;
	if (git_tree_lookup(out, w->repo, git_tree_entry_id(e)) == 0)
		return 0;
	err = git_error_last();
	return log_error("cannot read tree '%s': %s", w->path.s,
	    err != NULL && err->message != NULL ? err->message :
	    "unknown libgit2 error");
}

/*
 * An entry that differs: on one side only (ea or eb NULL), or on both
 * with the same name and kind (file or folder) but another id or mode.
 */
static int
walk_entry(struct walk *w, const git_tree_entry *ea,
    const git_tree_entry *eb, int in)
{
	const git_tree_entry *e = ea != NULL ? ea : eb;
	git_tree *ta = NULL, *tb = NULL;
	size_t len = w->path.len;
	enum scope sc = SCOPE_IN;
	int ret = 0;

	buf_adds(&w->path, git_tree_entry_name(e));
	if (!in)
		sc = scope(w, is_tree(e));
	if (sc == SCOPE_OUT) {
		/* a folder here is never read */
	} else if (!is_tree(e)) {
		w->fn(w->path.s, w->arg);
	} else if (tree_get(w, ea, &ta) < 0 || tree_get(w, eb, &tb) < 0) {
		ret = -1;
	} else {
		buf_addch(&w->path, '/');
		ret = walk_trees(w, ta, tb, sc == SCOPE_IN);
	}
	git_tree_free(ta);
	git_tree_free(tb);
	buf_setlen(&w->path, len);
	return ret;
}

/*
 * Both trees' entries in step, in git's order, so each name is met once
 * on each side that has it. in: every file below counts (no pathspec
 * left to check).
 */
static int
walk_trees(struct walk *w, const git_tree *a, const git_tree *b, int in)
{
	const git_tree_entry *ea, *eb;
	size_t i = 0, j = 0, na, nb;
	int c, ret = 0;

	if (w->depth >= TREEDIFF_MAX_DEPTH)
		return log_error("cannot diff trees nested deeper than %d "
		    "folders ('%.200s')", TREEDIFF_MAX_DEPTH, w->path.s);
	w->depth++;
	na = a != NULL ? git_tree_entrycount(a) : 0;
	nb = b != NULL ? git_tree_entrycount(b) : 0;
	while (ret == 0 && (i < na || j < nb)) {
		ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		c = ea == NULL ? 1 : eb == NULL ? -1 : entry_cmp(ea, eb);
		if (c < 0) {
			eb = NULL;
			i++;
		} else if (c > 0) {
			ea = NULL;
			j++;
		} else {
			i++;
			j++;
			/*
			 * The point of the walk: an equal folder is not read.
			 * The raw mode, as libgit2's diff compares it, so an
			 * odd 100664 still differs from 100644; a folder's
			 * mode says nothing about the files below it.
			 */
			if (git_oid_equal(git_tree_entry_id(ea),
			    git_tree_entry_id(eb)) && (is_tree(ea) ||
			    git_tree_entry_filemode_raw(ea) ==
			    git_tree_entry_filemode_raw(eb)))
				continue;
		}
		ret = walk_entry(w, ea, eb, in);
	}
	w->depth--;
	return ret;
}

int
treediff_files(git_repository *repo, const git_tree *a, const git_tree *b,
    char *const *paths, size_t npaths, treediff_fn *fn, void *arg)
{
	struct walk w = { repo, paths, npaths, fn, arg, BUF_INIT, 0 };
	int ret = 0;

	if (a == NULL || b == NULL ||
	    !git_oid_equal(git_tree_id(a), git_tree_id(b)))
		ret = walk_trees(&w, a, b, npaths == 0);
	buf_release(&w.path);
	return ret;
}
