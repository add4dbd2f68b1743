/*
 * treediff.h: the files that differ between two trees, found without
 * reading the folders the two share. libgit2's git_diff_tree_to_tree
 * inflates every tree of both sides, even those with equal ids: 20 to
 * 40 ms in genrepo's 10,000-object repository whether one line changed or
 * nothing did, and git-fetch asks on every sync pass. Here a folder whose
 * id is the same on both sides is skipped whole, so the cost follows the
 * change, not the repository (tests/bench/changed measures both).
 *
 *	if (treediff_paths_plain(paths, npaths) &&
 *	    treediff_files(repo, old, new, paths, npaths, add, &list) == 0)
 *		... add was called once per changed file, in path order ...
 *
 * A file differs when it is on one side only, or its id or mode differs
 * (a blob that became a symlink, 100644 that became 100755, a submodule
 * moved to another commit). A file replaced by a folder, or the reverse,
 * is the file's path and every file below the folder. Folders themselves
 * are never named; an added or deleted empty tree names nothing. This is
 * what git_diff_tree_to_tree reports for the same trees and the same plain
 * pathspec, in the same order, except that libgit2 names a path twice
 * when it changes type (a blob that became a symlink or a submodule: a
 * deletion and an addition); here it is named once (and git-fetch drops
 * libgit2's repeat).
 *
 * Trees are read in the order git writes them (entries sorted by name, a
 * folder's name compared as if it ended in '/'); git fsck refuses a tree
 * in any other order, and so does this walk's notion of "same entry".
 */
#ifndef SLUICE_TREEDIFF_H
#define SLUICE_TREEDIFF_H

#include <stddef.h>

#include <git2.h>

/*
 * Nesting beyond this is refused (-1) rather than followed: the walk
 * recurses, and git itself refuses trees deeper than this by default
 * (core.maxTreeDepth).
 */
#define TREEDIFF_MAX_DEPTH 4096

/*
 * Called once per changed file. path is relative to the trees' root
 * ("apps/web.yaml") and borrowed: it is valid only during the call.
 */
typedef void treediff_fn(const char *path, void *arg);

/*
 * 1 if treediff_files limits to paths exactly as a libgit2 pathspec of the
 * same strings would, 0 if only libgit2 can say (the caller should then
 * diff with libgit2). A path qualifies when it is a plain relative path:
 * not empty, no empty, "." or ".." components, no leading or trailing '/',
 * no glob or escape character (* ? [ \), no leading '!' (a negated
 * pathspec) or '#', no leading or trailing space and no whitespace but
 * spaces. No paths at all (the whole tree) qualifies.
 */
int treediff_paths_plain(char *const *paths, size_t npaths);

/*
 * Call fn for each file that differs between trees a and b (a the old
 * side), in path order (strcmp on the bytes), each once. With npaths > 0
 * only files equal to one of paths, or below one (the path and then '/'),
 * are named, and folders that can hold none are not read; paths must pass
 * treediff_paths_plain. repo, a, b and paths are borrowed; a or b may be
 * NULL for the empty tree. 0, or -1 logged (a tree cannot be read, or the
 * trees nest deeper than TREEDIFF_MAX_DEPTH); after a -1, fn may have been
 * called for some of the files, so a caller that must be all or nothing
 * keeps what fn was given aside until the 0.
 */
int treediff_files(git_repository *repo, const git_tree *a,
    const git_tree *b, char *const *paths, size_t npaths, treediff_fn *fn,
    void *arg);

#endif
