/*
 * srctree.h: the files of one source revision, read the same way whether
 * they sit in a commit of a bare repository (read straight from the object
 * store with libgit2: no worktree is ever written) or in a plain folder
 * (manifest-gen --dir).
 *
 * Paths are relative to the root, "/"-separated, without "./" or a
 * trailing "/"; "" is the root itself. Symbolic links and submodules are
 * neither followed nor read: a link in Git could point anywhere on the
 * host running the tool.
 */
#ifndef SLUICE_SRCTREE_H
#define SLUICE_SRCTREE_H

#include <stddef.h>

#include <git2.h>

#include "lib/buf.h"

enum srctree_kind {
	SRCTREE_NONE,		/* no such path */
	SRCTREE_FILE,
	SRCTREE_DIR,
	SRCTREE_OTHER		/* a symbolic link, submodule, device... */
};

struct srctree;

/*
 * A tree over commit (a full hex id) in the repository at git_dir. NULL if
 * the repository or commit cannot be read, with the reason in err.
 */
struct srctree *srctree_open_git(const char *git_dir, const char *commit,
    struct buf *err);
struct srctree *srctree_open_dir(const char *root);
void srctree_free(struct srctree *t);

/* The repository behind a git tree (borrowed), or NULL for a folder. */
git_repository *srctree_repo(struct srctree *t);
const git_oid *srctree_commit(struct srctree *t);

enum srctree_kind srctree_stat(struct srctree *t, const char *path);

/*
 * Append the content of the file at path to out: 0, or -1 with the reason
 * in err (missing, not a regular file, larger than max bytes, I/O).
 */
int srctree_read(struct srctree *t, const char *path, struct buf *out,
    size_t max, struct buf *err);

/*
 * The id of the blob at path, in hex, into out (at least GIT_OID_HEXSZ + 1
 * bytes): 0, or -1 if path is not a regular file of a git tree (a folder
 * tree has no ids).
 */
int srctree_blob_id(struct srctree *t, const char *path, char *out);

/*
 * The id of the tree of folder path ("" for the commit's root tree), as
 * srctree_blob_id: -1 if path is not a folder of a git tree.
 */
int srctree_tree_id(struct srctree *t, const char *path, char *out);

/*
 * srctree_read for the blob whose id (in hex) a listing or
 * srctree_blob_id gave: the same content and errors, without finding the
 * blob by path again. Only for a git tree.
 */
int srctree_read_id(struct srctree *t, const char *id, struct buf *out,
    size_t max, struct buf *err);

struct srctree_entry {
	char *name;
	enum srctree_kind kind;
	/*
	 * In a git tree, the id of the entry's object in hex: what it holds
	 * is known from it without reading it (a blob's content, a whole
	 * folder's); "" in a plain folder.
	 */
	char id[GIT_OID_HEXSZ + 1];
};

/*
 * The entries of directory path, sorted bytewise by name (the order of
 * Go's filepath.Walk, which Flux v1 walked in). *entries is a new array:
 * free it with srctree_entries_free. 0, or -1 with err.
 */
int srctree_list(struct srctree *t, const char *path,
    struct srctree_entry **entries, size_t *n, struct buf *err);
void srctree_entries_free(struct srctree_entry *entries, size_t n);

/*
 * Normalise a --git-path value into *out ("./a/b/" -> "a/b", "." -> "").
 * -1 for an absolute path or one with a ".." component (err says which).
 */
int srctree_clean_path(const char *in, struct buf *out, struct buf *err);

/* 1 if p is a relative path of plain components: none empty, "." or
 * "..", no leading or trailing '/' (what srctree_clean_path makes). */
int srctree_plain_path(const char *p);

/* "a/b" + "c" -> "a/b/c"; "" + "c" -> "c" (into out, reset first) */
void srctree_join(struct buf *out, const char *dir, const char *name);

#endif
