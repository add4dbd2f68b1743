/*
 * fluxupd.h: .flux.yaml updates (flux-v1-reference.md 4.3, 4.4): change
 * the files behind generated workloads by running the commands a
 * commandUpdated config names, or by writing a patchUpdated config's patch
 * file anew, in a checkout of the commit, and say which files changed, as
 * Flux v1's "git add ." did.
 *
 *	struct fluxupd u = FLUXUPD_INIT;
 *	fluxupd_open(&u, state_dir, source, git_dir, commit, &err);
 *	fluxupd_image(&u, label, &change, &err);
 *	...
 *	fluxupd_changes(&u, &err);	-- u.files, u.nfiles
 *	fluxupd_close(&u);
 *
 * Commands from Git run here: callers run them only when the operator
 * asked (--manifest-generation). Each runs as "/bin/sh -c COMMAND" in the
 * target path of the checkout, with only PATH and the FLUX_* variables in
 * its environment, its stdout and stderr joined (lib/genrun).
 *
 * The checkout is scratch: it is made (lib/checkout) at open, and its
 * record dropped at close, since the commands change it.
 */
#ifndef SLUICE_FLUXUPD_H
#define SLUICE_FLUXUPD_H

#include <stddef.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/gitcommit.h"
#include "lib/yannot.h"

/* A file the commands changed: its bytes now, and in the commit. */
struct fluxupd_file {
	char *path;
	int removed;		/* gone now */
	struct buf now;
	unsigned mode;		/* 0100644 or 0100755 */
	int existed;		/* in the commit, with these bytes: */
	struct buf was;
};

struct fluxupd {
	git_repository *repo;
	git_tree *tree;
	char *dir;		/* the checkout */
	double timeout;		/* per command, when its own is under 1 s */
	struct fluxupd_file *files;
	size_t nfiles;
};
#define FLUXUPD_INIT { NULL, NULL, NULL, 60, NULL, 0 }

/*
 * The target path (where commands run) and the config's path for a
 * generated object's file field, as manifest-gen names it
 * ("staging/../.flux.yaml"). -1 if it is not such a name.
 */
int fluxupd_label(const char *label, struct buf *target, struct buf *cfg);

/*
 * Check commit of the bare repository git_dir out into the scratch folder
 * STATE_DIR/SOURCE/updaters. 0, or -1 with err.
 */
int fluxupd_open(struct fluxupd *u, const char *state_dir, const char *source,
    const char *git_dir, const char *commit, struct buf *err);

/* An image change to a generated workload. */
struct fluxupd_image {
	const char *id;		/* ns:kind/name */
	const char *container;
	/* for commandUpdated: the image's name as written in the manifest,
	 * without its tag, and the new tag */
	const char *name, *tag;
	/* for patchUpdated: the field of the (patched) object, at a JSON
	 * Pointer, its value now and its new value (lib/patchupd.h) */
	const char *ptr, *expect, *value;
};

/*
 * Make change c to a workload label's config made: for commandUpdated,
 * run its containerImage updaters; for patchUpdated, run its generators
 * and write its patch file anew (lib/patchupd). 0, or -1 with err (the
 * first command that failed, and its output).
 */
int fluxupd_image(struct fluxupd *u, const char *label,
    const struct fluxupd_image *c, struct buf *err);

/*
 * Set (or, with a NULL value, remove) the n annotations a of workload id,
 * which label's config made: for commandUpdated, run its policy updaters
 * once per policy (FLUX_POLICY "automated", "locked", "tag.app"...;
 * FLUX_POLICY_VALUE, unset to remove it); for patchUpdated, write its
 * patch file anew. 0, or -1 with err.
 */
int fluxupd_policy(struct fluxupd *u, const char *label, const char *id,
    const struct yannot *a, size_t n, struct buf *err);

/* Fill u->files with what the checkout changed since open. 0, or -1. */
int fluxupd_changes(struct fluxupd *u, struct buf *err);

/* The file u changed at path, or NULL (u may be NULL). */
const struct fluxupd_file *fluxupd_find(const struct fluxupd *u,
    const char *path);

/*
 * Is every file u changed as it was in the commit it ran on, in the tree
 * gc is editing now? Written over a branch that moved, some but not all
 * of them would be a half update. 0, or -1 with err naming the first.
 */
int fluxupd_unmoved(const struct fluxupd *u, struct gitcommit *gc,
    struct buf *err);

/* f as gitcommit's edit callback gives it: GITCOMMIT_WRITE or _REMOVE. */
int fluxupd_write(const struct fluxupd_file *f, struct buf *out,
    unsigned *mode);

void fluxupd_close(struct fluxupd *u);

/*
 * One commit of a tool's own in-place edits and of the files u changed
 * (img-update, policy), so that each tool need not merge the two lists,
 * nor check the updaters' files once per attempt, its own way:
 *
 *	struct fluxupd_commit fc = FLUXUPD_COMMIT_INIT;
 *	fluxupd_commit_files(&fc, &u, paths, n);
 *	fc.gc.edit = my_edit;  fc.gc.message = my_message;  fc.gc.arg = me;
 *	rc = fluxupd_commit_run(&fc, g, o, git_dir, base, hex, &err);
 *
 * my_edit's file index counts in fc.gc.files, and it calls
 * fluxupd_commit_check first. fc borrows u, which the caller closes
 * after the run.
 */
struct fluxupd_commit {
	struct gitcommit gc;
	const struct fluxupd *u;	/* NULL when u changed no file */
	const char **files;	/* owned; the paths are borrowed */
	size_t last;		/* the last file edited */
};
#define FLUXUPD_COMMIT_INIT { GITCOMMIT_INIT, NULL, NULL, 0 }

/*
 * fc.gc's files: paths (the tool's own edits', in any order, repeats
 * allowed) and those u changed, sorted and distinct, as gitcommit wants
 * them.
 */
void fluxupd_commit_files(struct fluxupd_commit *fc, const struct fluxupd *u,
    const char *const *paths, size_t n);

/*
 * From edit, at file i: at the first file of each attempt (gitcommit
 * starts again at file 0 when the branch moved), fluxupd_unmoved on the
 * tree being edited, 0 or -1 with err; the tool then fails its generated
 * changes. 0 at the other files.
 */
int fluxupd_commit_check(struct fluxupd_commit *fc, size_t i,
    struct buf *err);

/*
 * Set fc.gc up from the flags and the source (gitcommit_setup), run it,
 * and free fc's file list. hex (GIT_OID_HEXSZ + 1 bytes) gets the pushed
 * commit, or "". Returns as gitcommit_run.
 */
int fluxupd_commit_run(struct fluxupd_commit *fc, const struct gitopts *g,
    const struct commitopts *o, const char *git_dir, const char *base,
    char *hex, struct buf *err);

#endif
