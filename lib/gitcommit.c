/*
 * gitcommit.c: edit, commit and push without a worktree (gitcommit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "lib/exitcode.h"
#include "lib/gitcommit.h"
#include "lib/gpgv.h"
#include "lib/log.h"
#include "lib/mirror.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAX_PUSHES 3
#define WORK_REF "refs/sluice/commit"

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

/* Write lines of old and new that differ, as a unified diff, to stderr. */
static void
show_diff(const char *file, const struct buf *old, const struct buf *new)
{
	const char *a = old->s, *b = new->s, *ae, *be;
	unsigned long line = 1;

	fprintf(stderr, "--- a/%s\n+++ b/%s\n", file, file);
	while (*a != '\0' || *b != '\0') {
		ae = a + strcspn(a, "\n");
		be = b + strcspn(b, "\n");
		if (ae - a != be - b || memcmp(a, b, (size_t)(ae - a)) != 0) {
			fprintf(stderr, "@@ -%lu +%lu @@\n", line, line);
			if (ae > a || *ae == '\n')
				fprintf(stderr, "-%.*s\n", (int)(ae - a), a);
			if (be > b || *be == '\n')
				fprintf(stderr, "+%.*s\n", (int)(be - b), b);
		}
		a = *ae ? ae + 1 : ae;
		b = *be ? be + 1 : be;
		line++;
	}
}

/*
 * Run the edits on tree: each changed file's blob is written (unless
 * dry_run) and its tree update added to ups (c->nfiles long). Returns
 * how many files changed, or -1 with err when a blob cannot be written.
 */
static long
edit_files(struct gitcommit *c, git_repository *repo, git_tree *tree,
    git_tree_update *ups, size_t *nups, struct buf *err)
{
	struct buf old = BUF_INIT, new = BUF_INIT;
	git_tree_entry *te;
	git_blob *blob;
	git_oid oid;
	unsigned mode;
	size_t i;
	long made = 0;
	int what;

	*nups = 0;
	c->repo = repo;
	c->tree = tree;
	for (i = 0; i < c->nfiles; i++) {
		buf_reset(&old);
		buf_reset(&new);
		te = NULL;
		blob = NULL;
		mode = 0;
		if (git_tree_entry_bypath(&te, tree, c->files[i]) == 0 &&
		    git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
		    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) == 0) {
			buf_add(&old, git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob));
			mode = (unsigned)git_tree_entry_filemode(te);
			what = c->edit(c->arg, i, old.s, old.len, &new, &mode);
		} else {
			what = c->edit(c->arg, i, NULL, 0, &new, &mode);
		}
		if (what == GITCOMMIT_KEEP)
			goto next;
		made++;
		if (c->dry_run) {
			show_diff(c->files[i], &old, &new);
			goto next;
		}
		if (what == GITCOMMIT_REMOVE) {
			ups[*nups].action = GIT_TREE_UPDATE_REMOVE;
			ups[(*nups)++].path = c->files[i];
			goto next;
		}
		if (git_blob_create_from_buffer(&oid, repo, new.s,
		    new.len) < 0) {
			buf_addf(err, "cannot write a blob: %s", git_msg());
			made = -1;
			git_blob_free(blob);
			git_tree_entry_free(te);
			break;
		}
		ups[*nups].action = GIT_TREE_UPDATE_UPSERT;
		ups[*nups].id = oid;
		ups[*nups].filemode = mode == 0100755 ? GIT_FILEMODE_BLOB_EXECUTABLE :
		    mode != 0 ? (git_filemode_t)mode : GIT_FILEMODE_BLOB;
		ups[(*nups)++].path = c->files[i];
next:
		git_blob_free(blob);
		git_tree_entry_free(te);
	}
	c->repo = NULL;
	c->tree = NULL;
	buf_release(&old);
	buf_release(&new);
	return made;
}

int
gitcommit_blob(git_repository *repo, git_tree *tree, const char *path,
    struct buf *out)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int found = 0;

	if (tree != NULL && git_tree_entry_bypath(&te, tree, path) == 0 &&
	    git_tree_entry_type(te) == GIT_OBJECT_BLOB &&
	    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) == 0) {
		buf_add(out, git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob));
		found = 1;
	}
	git_blob_free(blob);
	git_tree_entry_free(te);
	return found;
}

int
gitcommit_read(const struct gitcommit *c, const char *path, struct buf *out)
{
	return gitcommit_blob(c->repo, c->tree, path, out);
}

/*
 * The message as "git commit --file" leaves it, which is how Flux v1
 * committed: blank lines collapsed, trailing white space gone, one final
 * newline.
 */
static void
clean_message(struct buf *msg)
{
	git_buf clean = GIT_BUF_INIT;

	if (git_message_prettify(&clean, msg->s, 0, '#') == 0) {
		buf_reset(msg);
		buf_add(msg, clean.ptr, clean.size);
	}
	git_buf_dispose(&clean);
}

/* The author from "Name <email>" (or a bare name): 0, or -1 with err. */
static int
make_author(const struct gitcommit *c, git_signature **out, struct buf *err)
{
	const char *lt = strchr(c->author, '<'), *gt = strrchr(c->author, '>');
	char *name, *email;
	size_t n;
	int rc;

	if (lt != NULL && gt != NULL && gt > lt) {
		for (n = (size_t)(lt - c->author); n > 0 &&
		    c->author[n - 1] == ' '; n--)
			;
		name = xstrndup(c->author, n);
		email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		name = xstrdup(c->author);
		email = xstrdup(c->g->email);
	}
	rc = git_signature_now(out, name, email);
	if (rc < 0)
		buf_addf(err, "bad author '%s'", c->author);
	free(name);
	free(email);
	return rc < 0 ? -1 : 0;
}

/*
 * The commit of tree on parent, signed when asked: its id in *out. 0, or
 * an exit status with err.
 */
static int
make_commit(const struct gitcommit *c, git_repository *repo,
    const git_oid *tree_id, git_commit *parent, const char *msg, git_oid *out,
    struct buf *err)
{
	git_signature *sig = NULL, *author = NULL;
	git_tree *tree = NULL;
	git_buf body = GIT_BUF_INIT;
	struct buf gpg = BUF_INIT;
	const git_commit *parents[1] = { parent };
	int rc = EXIT_IOERR;

	if (git_signature_now(&sig, c->g->user, c->g->email) < 0) {
		buf_addf(err, "bad committer '%s <%s>'", c->g->user,
		    c->g->email);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (c->author != NULL && make_author(c, &author, err) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (git_tree_lookup(&tree, repo, tree_id) < 0)
		goto git_err;
	if (c->g->signing_key == NULL) {
		if (git_commit_create(out, repo, NULL, author ? author : sig,
		    sig, NULL, msg, tree,
		    1, parents) < 0)
			goto git_err;
		rc = 0;
		goto out;
	}
	if (git_commit_create_buffer(&body, repo, author ? author : sig, sig,
	    NULL, msg, tree, 1, parents) < 0)
		goto git_err;
	if (gpgv_sign(c->g->signing_key, body.ptr, body.size, &gpg,
	    err) < 0) {
		rc = EXIT_CONFIG;
		goto out;
	}
	if (git_commit_create_with_signature(out, repo, body.ptr, gpg.s,
	    NULL) < 0)
		goto git_err;
	rc = 0;
	goto out;
git_err:
	buf_addf(err, "cannot make the commit: %s", git_msg());
out:
	git_buf_dispose(&body);
	buf_release(&gpg);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(sig);
	return rc;
}

/*
 * Edit on base, and unless dry_run commit and push. 0 done (*commit set,
 * to base when nothing changed); 1 the push was refused because the
 * branch moved; or an exit status with err.
 */
static int
attempt(struct gitcommit *c, git_repository *repo, struct mirror *m,
    const git_oid *base, git_oid *commit, struct buf *err)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_tree_update *ups = xcalloc(c->nfiles ? c->nfiles : 1,
	    sizeof(*ups));
	git_reference *ref = NULL;
	git_oid tree_id;
	struct buf msg = BUF_INIT, spec = BUF_INIT;
	size_t nups = 0;
	long made;
	int rc = EXIT_IOERR;

	git_oid_cpy(commit, base);
	if (git_commit_lookup(&parent, repo, base) < 0 ||
	    git_commit_tree(&tree, parent) < 0) {
		buf_addf(err, "cannot read the commit to change: %s",
		    git_msg());
		goto out;
	}
	if ((made = edit_files(c, repo, tree, ups, &nups, err)) < 0)
		goto out;
	rc = 0;
	if (made == 0 || c->dry_run)
		goto out;
	c->message(c->arg, &msg);
	if (c->ci_skip != NULL)
		buf_adds(&msg, c->ci_skip);
	clean_message(&msg);
	rc = EXIT_IOERR;
	if (git_tree_create_updated(&tree_id, repo, tree, nups, ups) < 0) {
		buf_addf(err, "cannot write the tree: %s", git_msg());
		goto out;
	}
	if ((rc = make_commit(c, repo, &tree_id, parent, msg.s, commit,
	    err)) != 0)
		goto out;
	if (git_reference_create(&ref, repo, WORK_REF, commit, 1,
	    "sluice: to push") < 0) {
		buf_addf(err, "cannot write %s: %s", WORK_REF, git_msg());
		rc = EXIT_IOERR;
		goto out;
	}
	/* not forced: a branch that moved refuses it */
	buf_addf(&spec, "%s:refs/heads/%s", WORK_REF, c->g->m.branch);
	rc = mirror_push(m, spec.s, err);
	if (rc != 0 && m->push_rejected)
		rc = 1;
out:
	free(ups);
	git_reference_free(ref);
	git_tree_free(tree);
	git_commit_free(parent);
	buf_release(&msg);
	buf_release(&spec);
	return rc;
}

/* The pushed commit becomes the mirror's branch too. */
static void
move_branch(const struct gitcommit *c, struct mirror *m,
    const git_oid *commit)
{
	struct buf name = BUF_INIT;
	git_reference *ref = NULL;

	buf_addf(&name, "refs/heads/%s", c->g->m.branch);
	if (git_reference_create(&ref, m->repo, name.s, commit, 1,
	    "sluice: pushed") < 0)
		log_warn("cannot move '%s' in the mirror: %s", name.s,
		    git_msg());
	git_reference_free(ref);
	buf_release(&name);
}

static int
dry_run(struct gitcommit *c, const git_oid *base, struct buf *err)
{
	git_repository *repo = NULL;
	git_oid commit;
	int rc;

	if (git_repository_open_bare(&repo, c->git_dir) < 0) {
		buf_addf(err, "cannot open the mirror '%s': %s", c->git_dir,
		    git_msg());
		return EXIT_IOERR;
	}
	rc = attempt(c, repo, NULL, base, &commit, err);
	git_repository_free(repo);
	return rc;
}

int
gitcommit_run(struct gitcommit *c, struct buf *err)
{
	struct mirror m;
	struct mirror_heads heads;
	git_oid base, commit;
	int rc, tries;

	c->commit[0] = '\0';
	/* libgit2 caches no tree over 4 KB: a folder of 1,000 files would
	 * be inflated again for each file changed in it */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
	    (size_t)1 << 20);
	if (git_oid_fromstr(&base, c->base) < 0) {
		buf_addf(err, "'%s' is not a commit id", c->base);
		return EXIT_DATAERR;
	}
	if (c->dry_run)
		return dry_run(c, &base, err);
	memset(&m, 0, sizeof(m));
	m.lock_fd = -1;
	if ((rc = mirror_open_existing(&m, c->git_dir, &c->g->m, err)) != 0)
		return rc;
	for (tries = 1; ; tries++) {
		rc = attempt(c, m.repo, &m, &base, &commit, err);
		if (rc != 1)
			break;
		if (tries == MAX_PUSHES) {
			buf_addf(err, " (the branch moved %d times: the next "
			    "run tries again)", MAX_PUSHES);
			rc = EXIT_TEMPFAIL;
			break;
		}
		log_info("'%s' moved meanwhile: fetching, and changing the "
		    "new head", c->g->m.branch);
		buf_reset(err);
		if ((rc = mirror_fetch(&m, &heads, err)) != 0)
			break;
		if (!heads.has_branch) {
			buf_addf(err, "the branch '%s' is gone",
			    c->g->m.branch);
			rc = EXIT_CONFIG;
			break;
		}
		git_oid_cpy(&base, &heads.branch);
	}
	if (rc == 0 && !git_oid_equal(&commit, &base)) {
		move_branch(c, &m, &commit);
		git_oid_tostr(c->commit, sizeof(c->commit), &commit);
	}
	mirror_close(&m);
	return rc;
}

int
commitopts_flag(struct commitopts *o, int ch, const char *arg)
{
	switch (ch) {
	case COMMITOPT_CI_SKIP:
		if (o->ci_skip == NULL)
			o->ci_skip = "\n\n[ci skip]";
		return 1;
	case COMMITOPT_CI_SKIP_MESSAGE:
		/* verbatim, and it wins over --git-ci-skip (Flux) */
		buf_reset(&o->ci);
		buf_adds(&o->ci, arg);
		o->ci_skip = o->ci.s;
		return 1;
	case COMMITOPT_DRY_RUN:
		o->dry_run = 1;
		return 1;
	case 'm':
		o->message = arg;
		return 1;
	case COMMITOPT_USER:
		o->user = arg;
		return 1;
	case COMMITOPT_OUTPUT:
		if (strcmp(arg, "text") != 0 && strcmp(arg, "records") != 0)
			die(EXIT_USAGE, "--output '%s': records or text", arg);
		o->text = strcmp(arg, "text") == 0;
		return 1;
	}
	return 0;
}

void
commitopts_release(struct commitopts *o)
{
	buf_release(&o->ci);
}

void
commitopts_start(const char *tool, struct gitopts *g,
    const struct commitopts *o)
{
	struct buf err = BUF_INIT;

	if (g->readonly && !o->dry_run)
		die(EXIT_CONFIG, "--git-readonly: %s commits to Git; give "
		    "--dry-run to see what it would change", tool);
	gitopts_finish(g);
	git_libgit2_init();
	if (!o->dry_run && mirror_global_init(&g->m, &err) != 0)
		die(EXIT_CONFIG, "%s", err.s);
	buf_release(&err);
}

void
commitopts_end(struct gitopts *g, struct commitopts *o)
{
	gitopts_release(g);
	git_libgit2_shutdown();
	commitopts_release(o);
}

void
commitopts_print_outcome(const struct commitopts *o, const char *hex,
    const char *why)
{
	if (why != NULL)
		printf("Nothing committed: %s\n", why);
	else if (o->dry_run)
		printf("Dry run: nothing committed.\n");
	else if (*hex != '\0')
		printf("Commit pushed:\t%.7s\n", hex);
}

void
gitcommit_setup(struct gitcommit *c, const struct gitopts *g,
    const struct commitopts *o, const char *git_dir, const char *base)
{
	c->g = g;
	c->git_dir = git_dir;
	c->base = base;
	c->ci_skip = o->ci_skip;
	c->author = o->user;
	c->dry_run = o->dry_run;
}
