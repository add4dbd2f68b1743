/*
 * img-update: move automated workloads to the newest image their tag
 * filters allow, by editing the YAML in Git byte for byte, and commit and
 * push the change without a worktree.
 *
 * In: NDJSON, as img-scan leaves it: "revision", "object", "image" and
 * "end" records; every record passes through unchanged. Out, after the
 * input ends, per source: one "update" record per container changed (or
 * that would be, with --dry-run), "error" records for what could not be
 * changed, then an "end" record.
 *
 * Which containers: of workloads with fluxcd.io/automated "true", neither
 * locked nor ignored; each moves to the newest tag its filter allows, as
 * lib/latest.h chooses (Flux v1's rules and guards), when that differs
 * from the tag written in Git. The edit changes only the scalar's bytes
 * (lib/yedit.h), and each edited document must read back as the old one
 * with only those values changed.
 *
 * The commit: the edited blobs, the trees above them and one commit on
 * top of the revision's commit are written to the source's bare mirror
 * (the revision record's gitDir) with libgit2, and pushed to the branch
 * as a fast-forward. If the branch moved meanwhile, the mirror is fetched
 * and the same edits are made again on the new head (each only where the
 * field still holds the value it had), up to three times: nobody else's
 * commit is ever overwritten.
 *
 * Objects made by .flux.yaml generators get an error record: their
 * updaters (commandUpdated, patchUpdated) are not run yet.
 *
 * Flags: the Git flags of git-fetch (--git-url, --git-branch,
 * credentials, --git-user, --git-email, --git-signing-key,
 * --git-readonly), --git-ci-skip, --git-ci-skip-message TEXT, --dry-run,
 * --log-format.
 * Exit: 0; 1 some edits failed; 64 usage; 65 bad input; 74 I/O;
 * 75 the push failed for now (the next run retries); 78 --git-readonly
 * without --dry-run, or credentials.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/gitopts.h"
#include "lib/gpgv.h"
#include "lib/imgref.h"
#include "lib/jsonw.h"
#include "lib/latest.h"
#include "lib/log.h"
#include "lib/mirror.h"
#include "lib/num.h"
#include "lib/rec.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/yedit.h"
#include "lib/banned.h"

#define STAGE "img-update"
#define MAX_PUSHES 3
#define WORK_REF "refs/sluice/img-update"

static const char usage_line[] =
    "usage: img-update --git-url URL [--git-branch B] [options]\n"
    "       img-update --dry-run [options]";

static const char help_text[] =
    "usage: img-update --git-url URL [options] <images.ndjson\n"
    "\n"
    "Moves automated workloads to the newest allowed image: edits the\n"
    "YAML in the mirror's object store, commits and pushes. Writes an\n"
    "\"update\" record per container. See img-update(1).\n"
    "\n"
    GITOPTS_HELP
    "  --git-ci-skip                 end commit messages with [ci skip]\n"
    "  --git-ci-skip-message TEXT    end them with TEXT instead\n"
    "  --dry-run                     change nothing; show the diff\n"
    "  --log-format FORMAT           auto, text or json\n";

enum {
	OPT_CI_SKIP = 256, OPT_CI_SKIP_MESSAGE, OPT_DRY_RUN, OPT_LOG_FORMAT,
	OPT_VERSION
};

static const struct option long_options[] = {
	GITOPTS_LONG_OPTIONS,
	{ "git-ci-skip", no_argument, NULL, OPT_CI_SKIP },
	{ "git-ci-skip-message", required_argument, NULL,
	    OPT_CI_SKIP_MESSAGE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	struct gitopts g;
	const char *ci_skip;	/* the suffix, or NULL */
	int dry_run;
};

/* One container to change. */
struct change {
	char *id, *file, *container, *from, *to;
	unsigned long doc;
	char *path;		/* from the document's root */
	char *value, *expect;	/* the scalar's new and current text */
	struct yedit e;
};

/* An automated workload, kept until the images are known. */
struct workload_rec {
	char *id, *file;
	unsigned long doc;
	long item;
	json_t *object;
};

/* An image record: a repository's tags and their times. */
struct image {
	char **tags;
	long long *created;
	size_t n;
};

struct source {
	char *name;
	char *commit, *git_dir;
	int complete;
	struct workload_rec *w;
	size_t nw;
	struct strmap images;	/* canonical name -> struct image */
	struct change *c;
	size_t nc;
	unsigned long skipped, errors;
	char **failed;
	size_t nfailed;
};

struct run {
	const struct options *o;
	struct ordmap sources;
	struct tool_status st;
	int status;		/* an exit status for the whole run */
};

/* ---- records ---- */

static void
add_failed(struct source *s, const char *id)
{
	s->failed = xreallocarray(s->failed, s->nfailed + 1,
	    sizeof(*s->failed));
	s->failed[s->nfailed++] = xstrdup(id);
}

static void
error_record(struct run *r, struct source *s, const char *file,
    const char *id, const char *msg)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "error");
	jsonw_kstr(&w, "stage", STAGE);
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "commit", s->commit);
	if (file != NULL)
		jsonw_kstr(&w, "file", file);
	if (id != NULL)
		jsonw_kstr(&w, "id", id);
	jsonw_kstr(&w, "message", msg);
	jsonw_close(&w);
	rec_out_buf(&b);
	log_event(LOG_ERROR, (const char *const[]){ "source", s->name, "id",
	    id, "file", file, NULL }, "%s", msg);
	s->errors++;
	add_failed(s, id != NULL ? id : file);
	tool_note(&r->st, 0);
	buf_release(&b);
}

static void
update_record(const struct run *r, const struct source *s,
    const struct change *c, const char *commit)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "update");
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "id", c->id);
	jsonw_kstr(&w, "container", c->container);
	jsonw_kstr(&w, "file", c->file);
	jsonw_kstr(&w, "from", c->from);
	jsonw_kstr(&w, "to", c->to);
	jsonw_kstr(&w, "commit", commit);
	jsonw_kbool(&w, "dryRun", r->o->dry_run);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

/* ---- reading the stream ---- */

static struct source *
source_get(struct run *r, const char *name)
{
	int added;
	struct source *s = ordmap_get(&r->sources, name, sizeof(*s), &added);

	if (added)
		s->name = xstrdup(name);
	return s;
}

static char *
dup_str(const json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL ? xstrdup(s) : NULL;
}

static void
take_revision(struct run *r, const json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));

	free(s->commit);
	free(s->git_dir);
	s->commit = dup_str(json_object_get(j, "commit"));
	s->git_dir = dup_str(json_object_get(j, "gitDir"));
}

/* Objects .flux.yaml generators made are named after the .flux.yaml. */
static int
is_generated(const char *file)
{
	size_t n = strlen(file);

	return n >= 10 && strcmp(file + n - 10, ".flux.yaml") == 0 &&
	    (n == 10 || file[n - 11] == '/');
}

static void
take_object(struct run *r, json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));
	json_t *object = json_object_get(j, "object");
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	struct workload_rec *wr;
	json_t *item = json_object_get(j, "item");

	s->complete = 0;
	if (workload_read(object, &w, &err) != 0 || !w.automated ||
	    w.locked || w.ignored || json_is_true(json_object_get(j,
	    "ignored")) || json_string_value(json_object_get(j, "file")) ==
	    NULL || json_string_value(json_object_get(j, "id")) == NULL)
		goto out;
	if (is_generated(json_string_value(json_object_get(j, "file")))) {
		/* NEEDSWORK: .flux.yaml updaters (commandUpdated,
		 * patchUpdated) are not written yet */
		buf_addf(&err, "made by the generators of '%s': img-update "
		    "cannot update generated manifests yet",
		    json_string_value(json_object_get(j, "file")));
		error_record(r, s, json_string_value(json_object_get(j,
		    "file")), json_string_value(json_object_get(j, "id")),
		    err.s);
		goto out;
	}
	s->w = xreallocarray(s->w, s->nw + 1, sizeof(*s->w));
	wr = &s->w[s->nw++];
	wr->id = dup_str(json_object_get(j, "id"));
	wr->file = dup_str(json_object_get(j, "file"));
	wr->doc = (unsigned long)json_integer_value(json_object_get(j, "doc"));
	wr->item = json_is_integer(item) ? (long)json_integer_value(item) : -1;
	wr->object = json_incref(object);
out:
	workload_release(&w);
	buf_release(&err);
}

static void
image_free(void *p)
{
	struct image *im = p;

	tool_free_list(im->tags, im->n);
	free(im->created);
	free(im);
}

static void
take_image(struct run *r, const json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));
	const char *name = json_string_value(json_object_get(j, "name"));
	json_t *tags = json_object_get(j, "tags"), *t;
	struct image *im;
	long long when;
	const char *tag, *created;
	size_t i;
	void *old = NULL;

	if (name == NULL || !json_is_array(tags))
		return;
	im = xcalloc(1, sizeof(*im));
	im->tags = xcalloc(json_array_size(tags) + 1, sizeof(*im->tags));
	im->created = xcalloc(json_array_size(tags) + 1,
	    sizeof(*im->created));
	json_array_foreach(tags, i, t) {
		tag = json_string_value(json_object_get(t, "tag"));
		if (tag == NULL)
			continue;
		created = json_string_value(json_object_get(t, "created"));
		if (created == NULL || num_parse_rfc3339(created, &when) < 0)
			when = 0;
		im->tags[im->n] = xstrdup(tag);
		im->created[im->n++] = when;
	}
	strmap_put(&s->images, name, im, &old);
	if (old != NULL)
		image_free(old);
}

static void
take_end(struct run *r, const json_t *j)
{
	const char *name = json_string_value(json_object_get(j, "source"));
	struct source *s;

	if (name != NULL && (s = strmap_get(&r->sources.map, name)) != NULL)
		s->complete = 1;
}

/* ---- choosing ---- */

static void
plan_container(struct run *r, struct source *s, const struct workload_rec *wr,
    const struct workload *w, const struct workload_container *c)
{
	struct imgref ref = IMGREF_INIT;
	struct buf name = BUF_INIT, err = BUF_INIT;
	struct latest l = LATEST_INIT;
	struct latest_image li;
	const struct image *im;
	struct change *ch;
	char *path = NULL, *value = NULL;

	if (imgref_parse(c->image, &ref, &err) < 0) {
		buf_addf(&err, " (container '%s')", c->name);
		error_record(r, s, wr->file, wr->id, err.s);
		goto out;
	}
	imgref_canonical_name(&ref, &name);
	if ((im = strmap_get(&s->images, name.s)) == NULL) {
		log_debug("%s: no image record for '%s'", wr->id, name.s);
		goto out;
	}
	li.tags = (const char *const *)im->tags;
	li.created = im->created;
	li.n = im->n;
	if (latest_choose(c->image, workload_tag_filter(w, c->name), &li,
	    &l) < 0) {
		buf_addf(&err, "container '%s': %s", c->name, l.why.s);
		error_record(r, s, wr->file, wr->id, err.s);
		goto out;
	}
	if (l.result == LATEST_SKIP) {
		log_event(LOG_WARN, (const char *const[]){ "source", s->name,
		    "id", wr->id, NULL }, "%s: container '%s' left alone: %s",
		    wr->id, c->name, l.why.s);
		s->skipped++;
		goto out;
	}
	if (l.result != LATEST_NEWER)
		goto out;
	if (latest_edit(wr->object, c, l.tag, &path, &value, &err) < 0) {
		error_record(r, s, wr->file, wr->id, err.s);
		goto out;
	}
	s->c = xreallocarray(s->c, s->nc + 1, sizeof(*s->c));
	ch = &s->c[s->nc++];
	memset(ch, 0, sizeof(*ch));
	ch->id = xstrdup(wr->id);
	ch->file = xstrdup(wr->file);
	ch->container = xstrdup(c->name);
	ch->from = xstrdup(c->image);
	ch->to = xstrdup(l.image);
	ch->doc = wr->doc;
	buf_reset(&name);
	if (wr->item >= 0)
		buf_addf(&name, "/items/%ld", wr->item);
	buf_adds(&name, path);
	ch->path = buf_detach(&name, NULL);
	ch->value = value;
	ch->expect = xstrdup(json_string_value(workload_pointer_get(
	    wr->object, path)));
	value = NULL;
	buf_init(&ch->e.err, 0);
out:
	free(path);
	free(value);
	latest_release(&l);
	imgref_release(&ref);
	buf_release(&name);
	buf_release(&err);
}

static void
plan(struct run *r, struct source *s)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	size_t i, k;

	for (i = 0; i < s->nw; i++) {
		if (workload_read(s->w[i].object, &w, &err) == 0)
			for (k = 0; k < w.n; k++)
				if (w.containers[k].image != NULL)
					plan_container(r, s, &s->w[i], &w,
					    &w.containers[k]);
		workload_release(&w);
		buf_reset(&err);
	}
	buf_release(&err);
}

/* ---- editing the blobs ---- */

static int
cmp_file(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	return strcmp(x->file, y->file);
}

/* A blob's bytes at path in tree into out: 0, or -1 with err. */
static int
read_blob(git_repository *repo, git_tree *tree, const char *path,
    struct buf *out, git_filemode_t *mode, struct buf *err)
{
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int rc = -1;

	if (git_tree_entry_bypath(&te, tree, path) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		buf_addf(err, "'%s' is not a file in the commit", path);
		goto out;
	}
	*mode = git_tree_entry_filemode(te);
	buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	rc = 0;
out:
	git_blob_free(blob);
	git_tree_entry_free(te);
	return rc;
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
		if (ae - a != be - b || memcmp(a, b, (size_t)(ae - a)) != 0)
			fprintf(stderr, "@@ -%lu +%lu @@\n-%.*s\n+%.*s\n", line,
			    line, (int)(ae - a), a, (int)(be - b), b);
		a = *ae ? ae + 1 : ae;
		b = *be ? be + 1 : be;
		line++;
	}
}

/*
 * Make the changes to the files of tree: each file's new blob is written
 * (unless dry_run) and its tree update added to *ups. Changes that fail
 * get their e.err. Returns how many were made.
 */
static size_t
edit_files(struct run *r, struct source *s, git_repository *repo,
    git_tree *tree, git_tree_update **ups, size_t *nups)
{
	struct buf old = BUF_INIT, new = BUF_INIT, err = BUF_INIT;
	struct yedit *e;
	git_filemode_t mode;
	git_oid oid;
	size_t i, k, end, made = 0;

	*ups = xcalloc(s->nc ? s->nc : 1, sizeof(**ups));
	*nups = 0;
	for (i = 0; i < s->nc; i = end) {
		for (end = i; end < s->nc && strcmp(s->c[end].file,
		    s->c[i].file) == 0; end++)
			;
		buf_reset(&old);
		buf_reset(&new);
		buf_reset(&err);
		e = xcalloc(end - i, sizeof(*e));
		for (k = i; k < end; k++) {
			buf_reset(&s->c[k].e.err);
			e[k - i] = (struct yedit)YEDIT_INIT;
			e[k - i].doc = s->c[k].doc;
			e[k - i].path = s->c[k].path;
			e[k - i].value = s->c[k].value;
			e[k - i].expect = s->c[k].expect;
		}
		if (read_blob(repo, tree, s->c[i].file, &old, &mode,
		    &err) < 0) {
			for (k = i; k < end; k++)
				buf_adds(&s->c[k].e.err, err.s);
			free(e);
			continue;
		}
		if (yedit_apply(old.s, old.len, e, end - i, &new) == 0) {
			/* nothing to write */
		} else if (r->o->dry_run) {
			show_diff(s->c[i].file, &old, &new);
		} else if (git_blob_create_from_buffer(&oid, repo, new.s,
		    new.len) < 0) {
			for (k = i; k < end; k++)
				e[k - i].done = 0;
			buf_addf(&err, "cannot write a blob: %s",
			    git_error_last()->message);
		} else {
			(*ups)[*nups].action = GIT_TREE_UPDATE_UPSERT;
			(*ups)[*nups].id = oid;
			(*ups)[*nups].filemode = mode;
			(*ups)[(*nups)++].path = s->c[i].file;
		}
		for (k = i; k < end; k++) {
			s->c[k].e.done = e[k - i].done;
			if (!e[k - i].done)
				buf_adds(&s->c[k].e.err, e[k - i].err.len ?
				    e[k - i].err.s : err.s);
			made += e[k - i].done;
			yedit_release(&e[k - i]);
		}
		free(e);
	}
	buf_release(&old);
	buf_release(&new);
	buf_release(&err);
	return made;
}

/* ---- the commit ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Flux v1's automated commit message (flux-v1-reference.md 6.7). */
static void
commit_message(const struct run *r, const struct source *s, struct buf *out)
{
	char **refs = xcalloc(s->nc ? s->nc : 1, sizeof(*refs));
	size_t i, n = 0;

	for (i = 0; i < s->nc; i++)
		if (s->c[i].e.done)
			refs[n++] = s->c[i].to;
	qsort(refs, n, sizeof(*refs), cmp_str);
	/* the same image twice is one line */
	for (i = 1; i < n; ) {
		if (strcmp(refs[i], refs[i - 1]) == 0) {
			memmove(refs + i, refs + i + 1,
			    (n - i - 1) * sizeof(*refs));
			n--;
		} else {
			i++;
		}
	}
	if (n == 1) {
		buf_addf(out, "Auto-release %s\n", refs[0]);
	} else {
		buf_addf(out, "Auto-release multiple (%zu) images\n\n", n);
		for (i = 0; i < n; i++)
			buf_addf(out, " - %s\n", refs[i]);
	}
	if (r->o->ci_skip != NULL)
		buf_adds(out, r->o->ci_skip);
	free(refs);
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

/*
 * The commit of tree on parent, signed when asked: its id in *out. 0, or
 * -1 with err.
 */
static int
make_commit(const struct run *r, git_repository *repo, const git_oid *tree_id,
    git_commit *parent, const char *msg, git_oid *out, struct buf *err)
{
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_buf body = GIT_BUF_INIT;
	struct buf gpg = BUF_INIT;
	const git_commit *parents[1] = { parent };
	int rc = -1;

	if (git_signature_now(&sig, r->o->g.user, r->o->g.email) < 0) {
		buf_addf(err, "bad committer '%s <%s>'", r->o->g.user,
		    r->o->g.email);
		goto out;
	}
	if (git_tree_lookup(&tree, repo, tree_id) < 0)
		goto git_err;
	if (r->o->g.signing_key == NULL) {
		if (git_commit_create(out, repo, NULL, sig, sig, NULL, msg, tree,
		    1, parents) < 0)
			goto git_err;
		rc = 0;
		goto out;
	}
	if (git_commit_create_buffer(&body, repo, sig, sig, NULL, msg, tree, 1,
	    parents) < 0)
		goto git_err;
	if (gpgv_sign(r->o->g.signing_key, body.ptr, body.size, &gpg,
	    err) < 0)
		goto out;
	if (git_commit_create_with_signature(out, repo, body.ptr, gpg.s,
	    NULL) < 0)
		goto git_err;
	rc = 0;
	goto out;
git_err:
	buf_addf(err, "cannot make the commit: %s", git_error_last() ?
	    git_error_last()->message : "unknown error");
out:
	git_buf_dispose(&body);
	buf_release(&gpg);
	git_tree_free(tree);
	git_signature_free(sig);
	return rc;
}

/*
 * Edit, commit on base and push. 0 pushed (*commit set); 1 the push was
 * refused because the branch moved; or an exit status with err.
 */
static int
attempt(struct run *r, struct source *s, struct mirror *m,
    const git_oid *base, git_oid *commit, struct buf *err)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_tree_update *ups = NULL;
	git_reference *ref = NULL;
	git_oid tree_id;
	struct buf msg = BUF_INIT, spec = BUF_INIT;
	size_t nups = 0;
	int rc = EXIT_SOFTWARE;

	if (git_commit_lookup(&parent, m->repo, base) < 0 ||
	    git_commit_tree(&tree, parent) < 0) {
		buf_addf(err, "cannot read the commit to update: %s",
		    git_error_last()->message);
		rc = EXIT_IOERR;
		goto out;
	}
	if (edit_files(r, s, m->repo, tree, &ups, &nups) == 0) {
		rc = 0;
		git_oid_cpy(commit, base);	/* nothing made */
		goto out;
	}
	commit_message(r, s, &msg);
	clean_message(&msg);
	if (git_tree_create_updated(&tree_id, m->repo, tree, nups, ups) < 0) {
		buf_addf(err, "cannot write the tree: %s",
		    git_error_last()->message);
		rc = EXIT_IOERR;
		goto out;
	}
	if (make_commit(r, m->repo, &tree_id, parent, msg.s, commit,
	    err) < 0) {
		rc = r->o->g.signing_key ? EXIT_CONFIG : EXIT_IOERR;
		goto out;
	}
	if (git_reference_create(&ref, m->repo, WORK_REF, commit, 1,
	    "img-update") < 0) {
		buf_addf(err, "cannot write %s: %s", WORK_REF,
		    git_error_last()->message);
		rc = EXIT_IOERR;
		goto out;
	}
	/* not forced: a branch that moved refuses it */
	buf_addf(&spec, "%s:refs/heads/%s", WORK_REF, r->o->g.m.branch);
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
move_branch(const struct run *r, struct mirror *m, const git_oid *commit)
{
	struct buf name = BUF_INIT;
	git_reference *ref = NULL;

	buf_addf(&name, "refs/heads/%s", r->o->g.m.branch);
	if (git_reference_create(&ref, m->repo, name.s, commit, 1,
	    "img-update: pushed") < 0)
		log_warn("cannot move '%s' in the mirror: %s", name.s,
		    git_error_last()->message);
	git_reference_free(ref);
	buf_release(&name);
}

static int
commit_and_push(struct run *r, struct source *s, char *hex, struct buf *err)
{
	struct mirror m;
	struct mirror_heads heads;
	git_oid base, commit;
	int rc, tries;

	memset(&m, 0, sizeof(m));
	m.lock_fd = -1;
	if (git_oid_fromstr(&base, s->commit) < 0) {
		buf_addf(err, "the revision's commit '%s' is not a commit id",
		    s->commit);
		return EXIT_DATAERR;
	}
	if ((rc = mirror_open_existing(&m, s->git_dir, &r->o->g.m, err)) != 0)
		return rc;
	for (tries = 1; ; tries++) {
		rc = attempt(r, s, &m, &base, &commit, err);
		if (rc != 1)
			break;
		if (tries == MAX_PUSHES) {
			buf_addf(err, " (the branch moved %d times: the next "
			    "run tries again)", MAX_PUSHES);
			rc = EXIT_TEMPFAIL;
			break;
		}
		log_info("'%s' moved while updating: fetching and updating "
		    "the new head", r->o->g.m.branch);
		buf_reset(err);
		if ((rc = mirror_fetch(&m, &heads, err)) != 0)
			break;
		if (!heads.has_branch) {
			buf_addf(err, "the branch '%s' is gone",
			    r->o->g.m.branch);
			rc = EXIT_CONFIG;
			break;
		}
		git_oid_cpy(&base, &heads.branch);
	}
	if (rc == 0 && !git_oid_equal(&commit, &base)) {
		move_branch(r, &m, &commit);
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &commit);
	}
	mirror_close(&m);
	return rc;
}

/* ---- per source ---- */

static void
finish_source(struct run *r, struct source *s)
{
	struct buf err = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1] = "";
	const char *why = NULL;
	unsigned long made = 0;
	size_t i;
	int rc = 0;

	if (s->nw > 0 && !s->complete) {
		why = "incomplete input: the stream ended without an end "
		    "record after the objects; nothing was changed";
		goto end;
	}
	plan(r, s);
	if (s->nc == 0)
		goto end;
	if (s->commit == NULL || s->git_dir == NULL) {
		why = "no revision record (commit and gitDir) for the source: "
		    "nothing was changed";
		goto end;
	}
	qsort(s->c, s->nc, sizeof(*s->c), cmp_file);
	if (r->o->dry_run) {
		git_repository *repo = NULL;
		git_commit *cm = NULL;
		git_tree *tree = NULL;
		git_tree_update *ups = NULL;
		size_t nups;
		git_oid oid;

		if (git_repository_open_bare(&repo, s->git_dir) < 0 ||
		    git_oid_fromstr(&oid, s->commit) < 0 ||
		    git_commit_lookup(&cm, repo, &oid) < 0 ||
		    git_commit_tree(&tree, cm) < 0) {
			buf_addf(&err, "cannot read commit %s in '%s'",
			    s->commit, s->git_dir);
			rc = EXIT_IOERR;
		} else {
			edit_files(r, s, repo, tree, &ups, &nups);
		}
		free(ups);
		git_tree_free(tree);
		git_commit_free(cm);
		git_repository_free(repo);
	} else {
		rc = commit_and_push(r, s, hex, &err);
	}
	if (rc != 0) {
		log_event(LOG_ERROR, (const char *const[]){ "source", s->name,
		    NULL }, "%s", err.s);
		why = err.s;
		if (r->status == 0)
			r->status = rc;
		goto end;
	}
	for (i = 0; i < s->nc; i++) {
		if (s->c[i].e.done) {
			update_record(r, s, &s->c[i], *hex ? hex : NULL);
			made++;
		} else {
			error_record(r, s, s->c[i].file, s->c[i].id,
			    s->c[i].e.err.s);
		}
	}
end:
	{
		struct rec_count c[] = {
			{ "updates", made },
			{ "skipped", s->skipped },
			{ "errors", s->errors },
		};

		if (why != NULL)
			tool_note(&r->st, rc == EXIT_TEMPFAIL);
		rec_write_end(STAGE, s->name, s->commit, why == NULL &&
		    s->nfailed == 0, c, sizeof(c) / sizeof(c[0]), s->failed,
		    s->nfailed, why);
	}
	tool_check_output();
	buf_release(&err);
}

static void
source_free(void *p)
{
	struct source *s = p;
	size_t i;

	for (i = 0; i < s->nw; i++) {
		free(s->w[i].id);
		free(s->w[i].file);
		json_decref(s->w[i].object);
	}
	free(s->w);
	for (i = 0; i < s->nc; i++) {
		free(s->c[i].id);
		free(s->c[i].file);
		free(s->c[i].container);
		free(s->c[i].from);
		free(s->c[i].to);
		free(s->c[i].path);
		free(s->c[i].value);
		free(s->c[i].expect);
		buf_release(&s->c[i].e.err);
	}
	free(s->c);
	strmap_release(&s->images, image_free);
	tool_free_list(s->failed, s->nfailed);
	free(s->name);
	free(s->commit);
	free(s->git_dir);
	free(s);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o;
	struct run r;
	struct rec rec;
	struct buf err = BUF_INIT, ci = BUF_INIT;
	json_t *j;
	int ch, n, code;
	size_t i;

	tool_init("img-update");
	memset(&o, 0, sizeof(o));
	gitopts_init(&o.g);
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_CI_SKIP:
			if (o.ci_skip == NULL)
				o.ci_skip = "\n\n[ci skip]";
			break;
		case OPT_CI_SKIP_MESSAGE:
			/* verbatim, and it wins over --git-ci-skip (Flux) */
			buf_reset(&ci);
			buf_adds(&ci, optarg);
			o.ci_skip = ci.s;
			break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("img-update " SLUICE_VERSION "\n");
		default:
			if (!gitopts_flag(&o.g, ch, optarg))
				tool_usage(usage_line);
		}
	}
	if (optind != argc || (!o.dry_run && o.g.m.url == NULL))
		tool_usage(usage_line);
	if (o.g.readonly && !o.dry_run)
		die(EXIT_CONFIG, "--git-readonly: img-update commits to Git; "
		    "give --dry-run to see what it would change");
	gitopts_finish(&o.g);
	git_libgit2_init();
	if (!o.dry_run && mirror_global_init(&o.g.m, &err) != 0)
		die(EXIT_CONFIG, "%s", err.s);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	while ((n = rec_next(&in, &rec)) > 0) {
		rec_out_line(rec.line, rec.len);
		if (rec_is(&rec, "object") || rec_is(&rec, "image") ||
		    rec_is(&rec, "revision") || rec_is(&rec, "end")) {
			if ((j = rec_parse(&rec)) == NULL)
				tool_stream_broken(&in);
			if (!json_is_string(json_object_get(j, "source")))
				;	/* not of a source: nothing to do */
			else if (rec_is(&rec, "object"))
				take_object(&r, j);
			else if (rec_is(&rec, "image"))
				take_image(&r, j);
			else if (rec_is(&rec, "revision"))
				take_revision(&r, j);
			else
				take_end(&r, j);
			json_decref(j);
		}
		tool_check_output();
	}
	if (n < 0)
		tool_stream_broken(&in);
	for (i = 0; i < r.sources.n; i++)
		finish_source(&r, ordmap_at(&r.sources, i));

	code = tool_finish(&r.st);
	if (r.status != 0 && code != EXIT_IOERR)
		code = r.status;
	ordmap_release(&r.sources, source_free);
	gitopts_release(&o.g);
	git_libgit2_shutdown();
	rec_reader_release(&in);
	buf_release(&err);
	buf_release(&ci);
	return code;
}
