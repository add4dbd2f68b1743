/*
 * gitcommit.h: change files of a source's commit and push the result,
 * with no worktree: the new blobs, the trees above them and one commit
 * go into the source's bare mirror (the revision record's gitDir), and
 * the commit is pushed to the branch as a fast-forward. img-update and
 * the workload commands share it.
 *
 *	struct gitcommit c = GITCOMMIT_INIT;
 *	c.g = &opts.g;  c.git_dir = dir;  c.base = commit_hex;
 *	c.files = files;  c.nfiles = n;	   -- sorted, distinct
 *	c.edit = my_edit;  c.message = my_message;  c.arg = me;
 *	rc = gitcommit_run(&c, &err);	   -- c.commit: the pushed id
 *
 * edit is called once per file per attempt with the file's bytes in the
 * commit being changed (old NULL when the path is not a file there) and
 * returns GITCOMMIT_WRITE with the whole new file in *new,
 * GITCOMMIT_REMOVE to delete it, or GITCOMMIT_KEEP to leave it; *mode is
 * the file's mode there (0 if none; 0100644 for a new file unless edit
 * sets 0100755). edit keeps its own record of what it did and why not,
 * since each attempt starts over. message is called after the edits of the attempt that commits.
 *
 * If the push is refused because the branch moved, the mirror is fetched
 * and the edits are made again on the new head, up to three times:
 * nobody else's commit is overwritten (an edit should check that what it
 * changes still holds what it expected). With dry_run the edits are made
 * in memory on base, their diff goes to stderr, and nothing is written.
 *
 * The committer is --git-user and --git-email; the author is author when
 * given ("Name <email>", or a bare name with the committer's email), as
 * Flux v1 credited the user of a release with --git-set-author.
 *
 * Returns 0 (commit "" when no file changed), or an exit status with err:
 * 74 the mirror could not be read or written, 75 the push failed for now
 * or the branch kept moving, 78 credentials or the signing key, 65 a base
 * that is not a commit id.
 */
#ifndef SLUICE_GITCOMMIT_H
#define SLUICE_GITCOMMIT_H

#include <stddef.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/gitopts.h"

/*
 * The flags of the tools that commit (img-update, policy) beside
 * gitopts': parsed one way for both.
 *
 *	default:
 *		if (!gitopts_flag(&o.g, ch, optarg) &&
 *		    !commitopts_flag(&o.c, ch, optarg))
 *			tool_usage(usage_line);
 */
enum {
	COMMITOPT_CI_SKIP = 1100, COMMITOPT_CI_SKIP_MESSAGE, COMMITOPT_DRY_RUN,
	COMMITOPT_USER, COMMITOPT_OUTPUT
};

#define COMMITOPTS_LONG_OPTIONS \
	{ "git-ci-skip", no_argument, NULL, COMMITOPT_CI_SKIP }, \
	{ "git-ci-skip-message", required_argument, NULL, \
	    COMMITOPT_CI_SKIP_MESSAGE }, \
	{ "dry-run", no_argument, NULL, COMMITOPT_DRY_RUN }, \
	{ "message", required_argument, NULL, 'm' }, \
	{ "user", required_argument, NULL, COMMITOPT_USER }, \
	{ "output", required_argument, NULL, COMMITOPT_OUTPUT }

#define COMMITOPTS_HELP \
    "  --git-ci-skip                 end commit messages with [ci skip]\n" \
    "  --git-ci-skip-message TEXT    end them with TEXT instead\n" \
    "  --dry-run                     change nothing; show the diff\n" \
    "  -m, --message TEXT            the commit message\n" \
    "  --user 'NAME <EMAIL>'         the commit's author\n" \
    "  --output records|text         text: a table of what changed,\n" \
    "                                instead of the records\n"

struct commitopts {
	const char *ci_skip;	/* the message's suffix, or NULL */
	const char *message, *user;
	int dry_run;
	int text;		/* --output text */
	struct buf ci;		/* owned: --git-ci-skip-message's */
};

/*
 * One flag of COMMITOPTS_LONG_OPTIONS ('m' included): 1 if ch is one,
 * else 0; exits 64 on a bad --output.
 */
int commitopts_flag(struct commitopts *o, int ch, const char *arg);
void commitopts_release(struct commitopts *o);

/*
 * After the flags: refuse --git-readonly without --dry-run (exit 78; tool
 * names the one that would commit), finish g, and set up libgit2 and the
 * mirror's global settings. Exits on failure. commitopts_end undoes it
 * and releases g and o.
 */
void commitopts_start(const char *tool, struct gitopts *g,
    const struct commitopts *o);
void commitopts_end(struct gitopts *g, struct commitopts *o);

/*
 * --output text's last line for a source: why nothing was committed, the
 * dry run, or the commit pushed (hex, "" when none was needed).
 */
void commitopts_print_outcome(const struct commitopts *o, const char *hex,
    const char *why);

enum { GITCOMMIT_KEEP, GITCOMMIT_WRITE, GITCOMMIT_REMOVE };

struct gitcommit {
	const struct gitopts *g;
	const char *git_dir;		/* the source's bare mirror */
	const char *base;		/* the commit to change, hex */
	const char *const *files;	/* paths in the tree, sorted */
	size_t nfiles;
	int (*edit)(void *arg, size_t file, const char *old, size_t len,
	    struct buf *new, unsigned *mode);
	void (*message)(void *arg, struct buf *msg);
	void *arg;
	const char *ci_skip;		/* appended to the message, or NULL */
	const char *author;		/* "Name <email>"; NULL: the committer */
	int dry_run;
	/* out */
	char commit[41];		/* pushed, or "" */
	/* private: the attempt's repository and tree, for gitcommit_read */
	void *repo, *tree;
};
#define GITCOMMIT_INIT { NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, \
	NULL, NULL, 0, "", NULL, NULL }

/* c's fields that come from the flags, and the source's mirror and commit. */
void gitcommit_setup(struct gitcommit *c, const struct gitopts *g,
    const struct commitopts *o, const char *git_dir, const char *base);

int gitcommit_run(struct gitcommit *c, struct buf *err);

/*
 * From inside edit: the bytes of any path in the commit being changed
 * (appended to out). 1, or 0 if it is not a file there.
 */
int gitcommit_read(const struct gitcommit *c, const char *path,
    struct buf *out);

/* The same for any tree of repo: 1 with the bytes appended, or 0. */
int gitcommit_blob(git_repository *repo, git_tree *tree, const char *path,
    struct buf *out);

#endif
