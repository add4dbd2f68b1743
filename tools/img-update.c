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
 * Workloads made by .flux.yaml generators are changed by the config's
 * commandUpdated updaters, or by writing a patchUpdated config's patch
 * file anew (lib/fluxupd.h), in a scratch checkout, only with
 * --manifest-generation; the files that changed are committed with the
 * rest.
 *
 * Flags: the Git flags of git-fetch (--git-url, --git-branch,
 * credentials, --git-user, --git-email, --git-signing-key,
 * --git-readonly), --git-ci-skip, --git-ci-skip-message TEXT, --dry-run,
 * --log-format.
 * Exit: 0; 1 some edits failed; 64 usage; 65 bad input; 74 I/O;
 * 75 the push failed for now (the next run retries); 78 --git-readonly
 * without --dry-run, or credentials.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/gitopts.h"
#include "lib/fluxupd.h"
#include "lib/gitcommit.h"
#include "lib/mirror.h"
#include "lib/imgref.h"
#include "lib/jscan.h"
#include "lib/jsonw.h"
#include "lib/latest.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/policy.h"
#include "lib/rec.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/workload.h"
#include "lib/wtable.h"
#include "lib/xalloc.h"
#include "lib/yedit.h"
#include "lib/banned.h"

#define STAGE "img-update"

static const char usage_line[] =
    "usage: img-update --git-url URL [--git-branch B] [options]\n"
    "       img-update --dry-run [options]\n"
    "       img-update (--workload ID... | --all) (--update-image REF |\n"
    "           --update-all-images) [--exclude ID] [--force] [options]";

static const char help_text[] =
    "usage: img-update --git-url URL [options] <images.ndjson\n"
    "\n"
    "Moves automated workloads to the newest allowed image: edits the\n"
    "YAML in the mirror's object store, commits and pushes. Writes an\n"
    "\"update\" record per container. See img-update(1).\n"
    "\n"
    GITOPTS_HELP
    COMMITOPTS_HELP
    "  --manifest-generation         run .flux.yaml updaters (commands\n"
    "                                from Git) for generated workloads\n"
    "  --sync-timeout DURATION       an updater's time limit (1m)\n"
    "\n"
    "A release (sluice release) moves the workloads named, automated or not:\n"
    "  --workload ID, --all          which (repeatable; --all: every one)\n"
    "  --exclude ID                  but not this one (repeatable)\n"
    "  --update-image REF            to REF, where they run REF's image\n"
    "  --update-all-images           to the newest tag their filters allow\n"
    "  --force                       named workloads even if locked, and\n"
    "                                REF even if their filter refuses it\n"
    "  --log-format FORMAT           auto, text or json\n";

enum {
	OPT_LOG_FORMAT = 256,
	OPT_VERSION, OPT_WORKLOAD, OPT_ALL, OPT_EXCLUDE, OPT_IMAGE,
	OPT_ALL_IMAGES, OPT_FORCE, OPT_GENERATION,
	OPT_SYNC_TIMEOUT
};

static const struct option long_options[] = {
	GITOPTS_LONG_OPTIONS,
	COMMITOPTS_LONG_OPTIONS,
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "update-image", required_argument, NULL, OPT_IMAGE },
	{ "update-all-images", no_argument, NULL, OPT_ALL_IMAGES },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "manifest-generation", no_argument, NULL, OPT_GENERATION },
	{ "sync-timeout", required_argument, NULL, OPT_SYNC_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	struct gitopts g;
	struct commitopts c;
	int generation;		/* --manifest-generation: run updaters */
	double sync_timeout;
	/* a release: sluice release */
	int release;
	char **named;		/* --workload IDs, as given */
	size_t nnamed;
	struct strmap only, exclude;	/* IDs -> (void *)1 */
	int all, force;
	const char *image;	/* --update-image, or NULL: all images */
	struct imgref ref;	/* its parts */
};

/* One container to change. */
struct change {
	char *id, *file, *container, *from, *to;
	unsigned long doc;
	char *path;		/* from the document's root */
	char *value, *expect;	/* the scalar's new and current text */
	struct yedit e;		/* e.done, e.err: the outcome */
	/* of a generated workload: file is its .flux.yaml label, and the
	 * updaters get the image's name as written and the new tag */
	int generated;
	char *name, *tag;
};

/* A workload to update, kept until the images are known. */
struct workload_rec {
	char *id, *file;
	unsigned long doc;
	long item;
	json_t *object;
	int generated;		/* made by a .flux.yaml: file is its label */
	/* the outcome, as fluxctl showed a release's */
	const char *status;	/* "success", "skipped", "ignored", "failed" */
	struct buf why;
	unsigned uses, changes;	/* containers that could move, that do */
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
set_status(struct workload_rec *wr, const char *status, const char *why)
{
	wr->status = status;
	buf_reset(&wr->why);
	buf_adds(&wr->why, why);
}

/* Add a container's reason to be left alone to its workload's. */
static void
add_why(struct workload_rec *wr, const char *container, const char *why)
{
	if (wr->why.len > 0)
		buf_adds(&wr->why, "; ");
	if (container != NULL)
		buf_addf(&wr->why, "%s: ", container);
	buf_adds(&wr->why, why);
}

static struct workload_rec *
workload_find(struct source *s, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < s->nw; i++)
		if (strcmp(s->w[i].id, id) == 0)
			return &s->w[i];
	return NULL;
}

static void
error_record(struct run *r, struct source *s, const char *file,
    const char *id, const char *msg)
{
	struct workload_rec *wr = workload_find(s, id);

	if (wr != NULL) {
		if (wr->status == NULL || strcmp(wr->status, "failed") != 0)
			buf_reset(&wr->why);
		wr->status = "failed";
		add_why(wr, NULL, msg);
	}
	if (!r->o->c.text)
		rec_write_error(STAGE, s->name, s->commit, file, id, msg);
	log_event(LOG_ERROR, (const char *const[]){ "source", s->name, "id",
	    id, "file", file, NULL }, "%s", msg);
	s->errors++;
	add_failed(s, id != NULL ? id : file);
	tool_note(&r->st, 0);
}

static void
update_record(const struct run *r, const struct source *s,
    const struct change *c, const char *commit)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	if (r->o->c.text)
		return;
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
	jsonw_kbool(&w, "dryRun", r->o->c.dry_run);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

/* ---- reading the stream ---- */

/* struct source starts with its name, for ordmap_named */
static struct source *
source_get(struct run *r, const char *name)
{
	return ordmap_named(&r->sources, name, sizeof(struct source));
}

static void
take_revision(struct run *r, const json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));

	free(s->commit);
	free(s->git_dir);
	s->commit = rec_strdup(j, "commit");
	s->git_dir = rec_strdup(j, "gitDir");
}

/* Objects .flux.yaml generators made are named after the .flux.yaml. */
static int
is_generated(const char *file)
{
	struct buf target = BUF_INIT, cfg = BUF_INIT;
	int yes = fluxupd_label(file, &target, &cfg) == 0;

	buf_release(&target);
	buf_release(&cfg);
	return yes;
}

static void
take_object(struct run *r, json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));
	json_t *object = json_object_get(j, "object");
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *file = json_string_value(json_object_get(j, "file"));
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	struct workload_rec *wr;
	json_t *item = json_object_get(j, "item");

	s->complete = 0;
	if (id == NULL || file == NULL || workload_read(object, &w, &err) != 0)
		goto out;
	if (!r->o->release && (!w.automated || w.locked || w.ignored ||
	    json_is_true(json_object_get(j, "ignored"))))
		goto out;
	/* a release: the workloads named, or with --all every one of the
	 * kinds Flux v1 released (not Jobs and Pods, which cannot change) */
	if (r->o->release && strmap_get(&r->o->only, id) == NULL &&
	    !(r->o->all && w.flux_v1))
		goto out;
	s->w = xreallocarray(s->w, s->nw + 1, sizeof(*s->w));
	wr = &s->w[s->nw++];
	memset(wr, 0, sizeof(*wr));
	wr->id = xstrdup(id);
	wr->file = xstrdup(file);
	wr->doc = (unsigned long)json_integer_value(json_object_get(j, "doc"));
	wr->item = json_is_integer(item) ? (long)json_integer_value(item) : -1;
	wr->object = json_incref(object);
	wr->generated = is_generated(file);
	if (wr->generated && !r->o->generation) {
		/* updating it runs commands from Git: only when asked */
		buf_addf(&err, "made by the generators of '%s': updating it "
		    "runs its updaters, which needs --manifest-generation",
		    file);
		error_record(r, s, file, id, err.s);
		wr->object = NULL;
		json_decref(object);
	}
out:
	workload_release(&w);
	buf_release(&err);
}

/*
 * Can this object record matter? Most objects of a 10,000-object stream
 * are not automated, and reading each one whole with jansson was most of
 * a run's time; those whose annotations do not mention "automated" (or,
 * in a release, whose id was not named) only count against their
 * source's completeness.
 */
static int
object_matters(struct run *r, const struct rec *rec)
{
	const char *v, *p;
	size_t vn;
	char *str;
	int matters = 0;

	if (r->o->release && r->o->all)
		return 1;
	if (r->o->release) {
		str = jscan_get_str(rec->line, rec->len,
		    (const char *const[]){ "id", NULL });
		matters = str != NULL && strmap_get(&r->o->only, str) != NULL;
		free(str);
	} else {
		switch (jscan_get(rec->line, rec->len, (const char *const[]){
		    "object", "metadata", "annotations", NULL }, &v, &vn)) {
		case -1:
			return 1;	/* not JSON: rec_parse says so */
		case 1:
			for (p = v; !matters && p + 9 <= v + vn; p++)
				matters = memcmp(p, "automated", 9) == 0;
			break;
		}
	}
	if (!matters && (str = jscan_get_str(rec->line, rec->len,
	    (const char *const[]){ "source", NULL })) != NULL) {
		source_get(r, str)->complete = 0;
		free(str);
	}
	return matters;
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

/* The change of container c of wr to tag, spelt to (as in Git). */
static void
add_change(struct run *r, struct source *s, struct workload_rec *wr,
    const struct workload_container *c, const char *tag, const char *to)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	struct imgref ref = IMGREF_INIT;
	struct change *ch;
	char *ptr = NULL, *value = NULL;

	if (wr->generated) {
		/* commandUpdated updaters get the name as written, without
		 * its tag; a patchUpdated patch, the field (below) */
		if (imgref_parse(c->image, &ref, &err) < 0) {
			error_record(r, s, wr->file, wr->id, err.s);
			buf_release(&err);
			return;
		}
		imgref_string_with_tag(&ref, NULL, &path);
		imgref_release(&ref);
		if (latest_edit(wr->object, c, tag, &ptr, &value, &err) < 0)
			buf_reset(&err);
	} else if (latest_edit(wr->object, c, tag, &ptr, &value, &err) < 0) {
		error_record(r, s, wr->file, wr->id, err.s);
		buf_release(&err);
		return;
	}
	s->c = xreallocarray(s->c, s->nc + 1, sizeof(*s->c));
	ch = &s->c[s->nc++];
	memset(ch, 0, sizeof(*ch));
	ch->id = xstrdup(wr->id);
	ch->file = xstrdup(wr->file);
	ch->container = xstrdup(c->name);
	ch->from = xstrdup(c->image);
	ch->to = xstrdup(to);
	ch->doc = wr->doc;
	buf_init(&ch->e.err, 0);
	wr->changes++;
	if (wr->generated) {
		ch->generated = 1;
		ch->name = buf_detach(&path, NULL);
		ch->tag = xstrdup(tag);
		/* its List items are objects of their own: ptr is from its
		 * root (lib/patchupd) */
		if (ptr != NULL)
			ch->path = xstrdup(ptr);
	} else {
		if (wr->item >= 0)
			buf_addf(&path, "/items/%ld", wr->item);
		buf_adds(&path, ptr);
		ch->path = buf_detach(&path, NULL);
	}
	ch->value = value;
	if (ptr != NULL)
		ch->expect = xstrdup(json_string_value(workload_pointer_get(
		    wr->object, ptr)));
	free(ptr);
	buf_release(&err);
}

/*
 * A release's --update-image REF for container c (named name): where it
 * runs REF's repository, move it to REF's tag, if its filter allows (or
 * --force) and img-scan saw that tag.
 */
static void
plan_named_image(struct run *r, struct source *s, struct workload_rec *wr,
    const struct workload *w, const struct workload_container *c,
    const struct imgref *cur, const char *name)
{
	const struct options *o = r->o;
	struct buf want = BUF_INIT, why = BUF_INIT, to = BUF_INIT;
	struct policy p = POLICY_INIT;
	const struct image *im;
	size_t i;

	imgref_canonical_name(&o->ref, &want);
	if (strcmp(want.s, name) != 0)
		goto out;
	wr->uses++;
	if (cur->digest != NULL) {
		add_why(wr, c->name, "pinned by digest");
		goto out;
	}
	if (!o->force && (policy_parse(workload_tag_filter(w, c->name), &p,
	    &why) < 0 || !policy_allows(&p, o->ref.tag))) {
		if (why.len == 0)
			buf_addf(&why, "tag '%s' is not allowed by its filter "
			    "'%s' (--force releases it anyway)", o->ref.tag,
			    workload_tag_filter(w, c->name));
		add_why(wr, c->name, why.s);
		goto out;
	}
	im = strmap_get(&s->images, name);
	for (i = 0; im != NULL && i < im->n; i++)
		if (strcmp(im->tags[i], o->ref.tag) == 0)
			break;
	if (im == NULL || i == im->n) {
		add_why(wr, c->name, "cannot find one or more images (the "
		    "registry, as img-scan read it, has no such tag)");
		goto out;
	}
	if (cur->tag != NULL && strcmp(cur->tag, o->ref.tag) == 0) {
		add_why(wr, c->name, "image(s) up to date");
		goto out;
	}
	imgref_string_with_tag(cur, o->ref.tag, &to);
	add_change(r, s, wr, c, o->ref.tag, to.s);
out:
	policy_release(&p);
	buf_release(&want);
	buf_release(&why);
	buf_release(&to);
}

static void
plan_container(struct run *r, struct source *s, struct workload_rec *wr,
    const struct workload *w, const struct workload_container *c)
{
	struct imgref ref = IMGREF_INIT;
	struct buf name = BUF_INIT, err = BUF_INIT;
	struct latest l = LATEST_INIT;
	struct latest_image li;
	const struct image *im;

	if (imgref_parse(c->image, &ref, &err) < 0) {
		buf_addf(&err, " (container '%s')", c->name);
		error_record(r, s, wr->file, wr->id, err.s);
		goto out;
	}
	imgref_canonical_name(&ref, &name);
	if (r->o->image != NULL) {
		plan_named_image(r, s, wr, w, c, &ref, name.s);
		goto out;
	}
	wr->uses++;
	if ((im = strmap_get(&s->images, name.s)) == NULL) {
		log_debug("%s: no image record for '%s'", wr->id, name.s);
		add_why(wr, c->name, "cannot find one or more images");
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
		add_why(wr, c->name, l.why.s);
		s->skipped++;
	} else if (l.result == LATEST_NEWER) {
		add_change(r, s, wr, c, l.tag, l.image);
	} else {
		add_why(wr, c->name, "image(s) up to date");
	}
out:
	latest_release(&l);
	imgref_release(&ref);
	buf_release(&name);
	buf_release(&err);
}

/* May a release change wr? If not, its status says why. */
static int
release_allows(const struct run *r, struct workload_rec *wr,
    const struct workload *w)
{
	const struct options *o = r->o;
	int named = strmap_get(&o->only, wr->id) != NULL;

	if (strmap_get(&o->exclude, wr->id) != NULL) {
		set_status(wr, "ignored", "excluded");
		return 0;
	}
	if (!w->locked && !w->ignored)
		return 1;
	if (o->force && named) {
		log_warn("%s is %s: releasing it anyway (--force)", wr->id,
		    w->locked ? "locked" : "ignored");
		return 1;
	}
	if (o->force)
		log_warn("%s is %s: --force releases only workloads named "
		    "with --workload", wr->id, w->locked ? "locked" : "ignored");
	set_status(wr, "skipped", w->locked ? "locked" : "ignore");
	return 0;
}

static void
plan(struct run *r, struct source *s)
{
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	struct workload_rec *wr;
	size_t i, k;

	for (i = 0; i < s->nw; i++) {
		wr = &s->w[i];
		if (workload_read(wr->object, &w, &err) == 0 &&
		    (!r->o->release || release_allows(r, wr, &w)))
			for (k = 0; k < w.n; k++)
				if (w.containers[k].image != NULL)
					plan_container(r, s, wr, &w,
					    &w.containers[k]);
		workload_release(&w);
		buf_reset(&err);
		if (wr->status != NULL)
			continue;
		if (wr->changes > 0)
			wr->status = "success";
		else if (wr->uses == 0)
			set_status(wr, "ignored", r->o->image != NULL ?
			    "does not use the image" : "no containers");
		else
			wr->status = "skipped";
	}
	buf_release(&err);
}

/* ---- editing the files ---- */

/* By file; the changes of generated workloads last. */
static int
cmp_file(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	if (x->generated != y->generated)
		return x->generated - y->generated;
	return strcmp(x->file, y->file);
}

/* What gitcommit's callbacks need: the files, and what changes each. */
struct commit_job {
	const struct run *r;
	struct source *s;
	struct fluxupd_commit fc;	/* the commit, updaters' files too */
	size_t *from, *to;	/* file i's yedit changes: [from[i], to[i]) */
};

/* Mark the generated changes failed, with why. */
static void
fail_generated(struct source *s, const char *why)
{
	size_t k;

	for (k = 0; k < s->nc; k++)
		if (s->c[k].generated && s->c[k].e.done) {
			s->c[k].e.done = 0;
			buf_reset(&s->c[k].e.err);
			buf_adds(&s->c[k].e.err, why);
		}
}

/* gitcommit's edit: apply file i's changes to its bytes. */
static int
edit_file(void *arg, size_t i, const char *old, size_t len, struct buf *new,
    unsigned *mode)
{
	struct commit_job *job = arg;
	struct change *c = job->s->c;
	size_t k, from = job->from[i], to = job->to[i];
	struct yedit *e = xcalloc(to > from ? to - from : 1, sizeof(*e));
	const struct fluxupd_file *f;
	struct buf why = BUF_INIT;
	size_t made = 0, g;

	/* once per attempt: are the updaters' files as they ran on? */
	if (fluxupd_commit_check(&job->fc, i, &why) < 0)
		fail_generated(job->s, why.s);
	buf_release(&why);
	for (k = from; k < to; k++) {
		e[k - from] = (struct yedit)YEDIT_INIT;
		e[k - from].doc = c[k].doc;
		e[k - from].path = c[k].path;
		e[k - from].value = c[k].value;
		e[k - from].expect = c[k].expect;
	}
	if (old != NULL && to > from)
		made = yedit_apply(old, len, e, to - from, new);
	for (k = from; k < to; k++) {
		c[k].e.done = e[k - from].done;
		buf_reset(&c[k].e.err);
		if (old == NULL)
			buf_addf(&c[k].e.err, "'%s' is not a file in the "
			    "commit", c[k].file);
		else if (!c[k].e.done)
			buf_adds(&c[k].e.err, e[k - from].err.s);
		yedit_release(&e[k - from]);
	}
	free(e);
	if ((f = fluxupd_find(job->fc.u, job->fc.gc.files[i])) == NULL)
		return made > 0 ? GITCOMMIT_WRITE : GITCOMMIT_KEEP;
	/* a file a .flux.yaml updater changed: theirs, if they still stand */
	for (g = 0; g < job->s->nc; g++)
		if (c[g].generated && c[g].e.done)
			break;
	if (g == job->s->nc)	/* they failed: the file's own edits */
		return made > 0 ? GITCOMMIT_WRITE : GITCOMMIT_KEEP;
	for (k = from; k < to; k++) {
		c[k].e.done = 0;
		buf_addf(&c[k].e.err, "'%s' is changed by a .flux.yaml "
		    "updater too", c[k].file);
	}
	return fluxupd_write(f, new, mode);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A release's message, as Flux v1 wrote it (flux-v1-reference.md 6.7). */
static void
release_message(const struct options *o, struct buf *out)
{
	size_t i;

	if (o->c.message != NULL) {
		buf_adds(out, o->c.message);
		return;
	}
	buf_addf(out, "Release %s to ", o->image ? o->image : "all latest");
	if (o->nnamed == 0)
		buf_adds(out, "all");
	for (i = 0; i < o->nnamed; i++)
		buf_addf(out, "%s%s", i ? ", " : "", o->named[i]);
	buf_addch(out, '\n');
}

/* gitcommit's message: Flux v1's (flux-v1-reference.md 6.7). */
static void
commit_message(void *arg, struct buf *out)
{
	const struct commit_job *job = arg;
	const struct source *s = job->s;
	char **refs;
	size_t i, n = 0;

	if (job->r->o->release || job->r->o->c.message != NULL) {
		release_message(job->r->o, out);
		return;
	}
	refs = xcalloc(s->nc ? s->nc : 1, sizeof(*refs));
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
	free(refs);
}

/*
 * Run the .flux.yaml updaters of the generated changes (s->c from g on) in
 * a scratch checkout, then collect the files they changed into *u. If
 * one fails, none of them is committed: a half-made update is worse than
 * none. 0, or an exit status with err.
 */
static int
run_updaters(const struct run *r, struct source *s, size_t g,
    struct fluxupd *u, struct buf *err)
{
	struct buf why = BUF_INIT;
	struct fluxupd_image c;
	size_t k;
	int rc = EXIT_IOERR;

	u->timeout = r->o->sync_timeout;
	if (fluxupd_open(u, r->o->g.state_dir, s->name, s->git_dir, s->commit,
	    err) < 0)
		goto out;
	for (k = g; k < s->nc; k++) {
		buf_reset(&s->c[k].e.err);
		c = (struct fluxupd_image){ s->c[k].id, s->c[k].container,
		    s->c[k].name, s->c[k].tag, s->c[k].path, s->c[k].expect,
		    s->c[k].value };
		if (fluxupd_image(u, s->c[k].file, &c, &s->c[k].e.err) < 0)
			break;
		s->c[k].e.done = 1;
	}
	if (k < s->nc) {
		buf_addf(&why, "not committed: an updater for %s failed",
		    s->c[k].id);
		fail_generated(s, why.s);
	} else if (fluxupd_changes(u, err) < 0) {
		goto out;
	} else if (u->nfiles == 0) {
		fail_generated(s, "the .flux.yaml updaters changed no file");
	}
	rc = 0;
out:
	buf_release(&why);
	return rc;
}

/* Make the source's changes: 0 (hex the commit, or ""), or an exit status. */
static int
commit_changes(struct run *r, struct source *s, char *hex, struct buf *err)
{
	struct commit_job job = { r, s, FLUXUPD_COMMIT_INIT, NULL, NULL };
	struct fluxupd u = FLUXUPD_INIT;
	const char **paths;
	size_t i, g, n;
	int rc;

	qsort(s->c, s->nc, sizeof(*s->c), cmp_file);
	for (g = 0; g < s->nc && !s->c[g].generated; g++)
		;
	if (g < s->nc && (rc = run_updaters(r, s, g, &u, err)) != 0) {
		fluxupd_close(&u);
		return rc;
	}
	paths = xcalloc(g + 1, sizeof(*paths));
	for (i = 0; i < g; i++)
		paths[i] = s->c[i].file;
	fluxupd_commit_files(&job.fc, &u, paths, g);
	free(paths);
	/* file n's edits: s->c[0..g) is in the files' order too */
	job.from = xcalloc(job.fc.gc.nfiles + 1, sizeof(*job.from));
	job.to = xcalloc(job.fc.gc.nfiles + 1, sizeof(*job.to));
	for (i = 0, n = 0; n < job.fc.gc.nfiles; n++) {
		job.from[n] = i;
		while (i < g && strcmp(s->c[i].file, job.fc.gc.files[n]) == 0)
			i++;
		job.to[n] = i;
	}
	job.fc.gc.edit = edit_file;
	job.fc.gc.message = commit_message;
	job.fc.gc.arg = &job;
	rc = fluxupd_commit_run(&job.fc, &r->o->g, &r->o->c, s->git_dir,
	    s->commit, hex, err);
	free(job.from);
	free(job.to);
	fluxupd_close(&u);
	return rc;
}

/* ---- per source ---- */

/* --output text: a row per workload, as fluxctl release printed it. */
static void
print_table(const struct run *r, const struct source *s, const char *hex,
    const char *why)
{
	const struct options *o = r->o;
	struct wtable tab = WTABLE_INIT;
	size_t i, k, n;

	for (i = 0; i < s->nw; i++)
		wtable_fit(&tab, s->w[i].id);
	for (i = 0; i < o->nnamed; i++)
		wtable_fit(&tab, o->named[i]);
	wtable_header(&tab, "UPDATES");
	for (i = 0; i < s->nw; i++) {
		const struct workload_rec *wr = &s->w[i];

		for (k = n = 0; k < s->nc; k++) {
			if (!s->c[k].e.done || strcmp(s->c[k].id, wr->id) != 0)
				continue;
			wtable_row(&tab, n ? "" : wr->id, n ? "" : wr->status);
			printf("%s: %s -> %s\n", s->c[k].container,
			    s->c[k].from, s->c[k].to);
			n++;
		}
		if (n == 0) {
			wtable_row(&tab, wr->id, wr->status ? wr->status :
			    "skipped");
			printf("%s\n", wr->why.len ? wr->why.s : "");
		}
	}
	for (i = 0; i < o->nnamed; i++)
		if (workload_find((struct source *)s, o->named[i]) == NULL) {
			wtable_row(&tab, o->named[i], "skipped");
			printf("not a workload in the repository\n");
		}
	commitopts_print_outcome(&o->c, hex, why);
}

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
	rc = commit_changes(r, s, hex, &err);
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
		if (r->o->c.text)
			print_table(r, s, hex, why);
		else
			rec_write_end(STAGE, s->name, s->commit, why == NULL &&
			    s->nfailed == 0, c, sizeof(c) / sizeof(c[0]),
			    s->failed, s->nfailed, why);
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
		buf_release(&s->w[i].why);
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
		free(s->c[i].name);
		free(s->c[i].tag);
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
	struct buf err = BUF_INIT;
	json_t *j;
	int ch, n, code, all_images = 0;
	size_t i;

	tool_init("img-update");
	memset(&o, 0, sizeof(o));
	o.sync_timeout = 60;
	gitopts_init(&o.g);
	while ((ch = getopt_long(argc, argv, "hm:", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_WORKLOAD:
			o.named = xreallocarray(o.named, o.nnamed + 1,
			    sizeof(*o.named));
			o.named[o.nnamed++] = optarg;
			strmap_put(&o.only, optarg, (void *)1, NULL);
			o.release = 1;
			break;
		case OPT_ALL: o.all = o.release = 1; break;
		case OPT_EXCLUDE:
			strmap_put(&o.exclude, optarg, (void *)1, NULL);
			break;
		case OPT_IMAGE: o.image = optarg; break;
		case OPT_ALL_IMAGES: all_images = 1; break;
		case OPT_FORCE: o.force = 1; break;
		case OPT_GENERATION: o.generation = 1; break;
		case OPT_SYNC_TIMEOUT:
			o.sync_timeout = tool_duration(optarg, "--sync-timeout");
			break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("img-update " SLUICE_VERSION "\n");
		default:
			if (!gitopts_flag(&o.g, ch, optarg) &&
			    !commitopts_flag(&o.c, ch, optarg))
				tool_usage(usage_line);
		}
	}
	if (optind != argc || (!o.c.dry_run && o.g.m.url == NULL))
		tool_usage(usage_line);
	/* a release names its workloads and exactly one image choice */
	if (o.release != (o.image != NULL || all_images) ||
	    (o.image != NULL && all_images) || (o.all && o.nnamed > 0))
		tool_usage(usage_line);
	if (o.image != NULL && (imgref_parse(o.image, &o.ref, &err) < 0 ||
	    o.ref.tag == NULL || o.ref.digest != NULL))
		die(EXIT_USAGE, "--update-image '%s': %s", o.image, err.len ?
		    err.s : "give a tag (REPOSITORY:TAG)");
	commitopts_start("img-update", &o.g, &o.c);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	while ((n = rec_next(&in, &rec)) > 0) {
		if (!o.c.text)
			rec_out_line(rec.line, rec.len);
		if ((rec_is(&rec, "object") && object_matters(&r, &rec)) ||
		    rec_is(&rec, "image") || rec_is(&rec, "revision") ||
		    rec_is(&rec, "end")) {
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
	strmap_release(&o.only, NULL);
	strmap_release(&o.exclude, NULL);
	free(o.named);
	imgref_release(&o.ref);
	commitopts_end(&o.g, &o.c);
	rec_reader_release(&in);
	buf_release(&err);
	return code;
}
