/*
 * policy: change the automation policies of workloads in Git, as
 * fluxctl's policy, automate, deautomate, lock and unlock did, by
 * editing their annotations in place and committing without a worktree.
 *
 * In: NDJSON, as manifest-gen leaves it: "revision", "object" and "end"
 * records. Out, after the input ends, per source: one "policy" record per
 * workload named (what changed, and the commit), "error" records, then an
 * "end" record; or with --output text, a table and the commit.
 *
 * Annotations (flux-v1-reference.md 3.1, 3.2): a policy already written
 * under one of its prefixes (fluxcd.io/, flux.weave.works/, and for tag
 * filters filter.fluxcd.io/) is rewritten under that key; a new one is
 * written as fluxcd.io/<policy>; removing one removes it under every
 * prefix. lib/yannot.h changes only those entries' bytes.
 *
 * Flags: the Git flags of git-fetch, --workload ID (repeatable),
 * --automate, --deautomate, --lock, --unlock, --tag CONTAINER=PATTERN
 * (repeatable), --tag-all PATTERN, -m MESSAGE, --user 'NAME <EMAIL>',
 * --git-ci-skip, --git-ci-skip-message, --dry-run, --output records|text,
 * --log-format.
 * Exit: 0; 1 some workloads could not be changed; 64 usage (a bad
 * pattern too); 65 bad input; 74 I/O; 75 the push failed for now; 78
 * --git-readonly without --dry-run, or credentials.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <jansson.h>

#include "lib/buf.h"
#include "lib/fluxupd.h"
#include "lib/gitcommit.h"
#include "lib/gitopts.h"
#include "lib/jsonw.h"
#include "lib/log.h"
#include "lib/mirror.h"
#include "lib/policy.h"
#include "lib/rec.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/workload.h"
#include "lib/wtable.h"
#include "lib/xalloc.h"
#include "lib/yannot.h"
#include "lib/banned.h"

#define STAGE "policy"

static const char usage_line[] =
    "usage: policy --workload ID [--automate|--deautomate] [--lock|--unlock]\n"
    "           [--tag C=PATTERN]... [--tag-all PATTERN] [options]";

static const char help_text[] =
    "usage: policy --git-url URL --workload ID [changes] [options] <objects\n"
    "\n"
    "Changes the policy annotations of workloads in Git, commits and\n"
    "pushes. See policy(1).\n"
    "\n"
    "  --workload ID                 NS:KIND/NAME (repeatable)\n"
    "  --automate, --deautomate      fluxcd.io/automated\n"
    "  --lock, --unlock              fluxcd.io/locked (and _user, _msg)\n"
    "  --tag CONTAINER=PATTERN       a tag filter: glob:, semver:, regexp:\n"
    "                                ('*' removes it)\n"
    "  --tag-all PATTERN             the same for every container\n"
    "  (with --lock, -m is the lock's message too, and --user the locker)\n"
    "  --manifest-generation         change generated workloads through\n"
    "                                their .flux.yaml (runs commands from Git)\n"
    "  --sync-timeout DURATION       an updater's time limit (1m)\n"
    COMMITOPTS_HELP
    GITOPTS_HELP
    "  --log-format FORMAT           auto, text or json\n";

enum {
	OPT_WORKLOAD = 256, OPT_AUTOMATE, OPT_DEAUTOMATE, OPT_LOCK, OPT_UNLOCK,
	OPT_TAG, OPT_TAG_ALL, OPT_GENERATION, OPT_SYNC_TIMEOUT, OPT_LOG_FORMAT,
	OPT_VERSION
};

static const struct option long_options[] = {
	GITOPTS_LONG_OPTIONS,
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "automate", no_argument, NULL, OPT_AUTOMATE },
	{ "deautomate", no_argument, NULL, OPT_DEAUTOMATE },
	{ "lock", no_argument, NULL, OPT_LOCK },
	{ "unlock", no_argument, NULL, OPT_UNLOCK },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "tag-all", required_argument, NULL, OPT_TAG_ALL },
	{ "manifest-generation", no_argument, NULL, OPT_GENERATION },
	{ "sync-timeout", required_argument, NULL, OPT_SYNC_TIMEOUT },
	COMMITOPTS_LONG_OPTIONS,
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* What to change; each field -1 remove, 0 leave, 1 set. */
struct options {
	struct gitopts g;
	char **named;
	size_t nnamed;
	int automated, locked;
	char **tag_c, **tag_p;	/* --tag: container, normalised pattern */
	size_t ntags;
	char *tag_all;		/* normalised, or NULL */
	struct commitopts c;	/* -m is the lock's message too */
	int generation;		/* --manifest-generation */
	double sync_timeout;
};

/* A named workload as read, then what changes in it. */
struct target {
	char *id, *file, *ptr;
	unsigned long doc;
	json_t *object;
	struct yannot *a;	/* owned keys and values */
	size_t na;
	const char *status;	/* "success", "skipped", "failed" */
	struct buf why;
	int reported;		/* its error record is out */
	int generated;		/* file is the .flux.yaml that made it */
};

struct source {
	char *name, *commit, *git_dir;
	int complete;
	struct target *t;
	size_t nt;
	char **failed;
	size_t nfailed;
};

struct run {
	const struct options *o;
	struct ordmap sources;
	struct tool_status st;
	int status;
};

/* ---- the annotations ---- */

static void
add_change(struct target *t, const char *key, const char *value)
{
	t->a = xreallocarray(t->a, t->na + 1, sizeof(*t->a));
	t->a[t->na].key = xstrdup(key);
	t->a[t->na++].value = value ? xstrdup(value) : NULL;
}

/* Set policy p to value (NULL: remove it), where that changes anything. */
static void
want(struct target *t, const json_t *ann, const char *p, const char *value)
{
	char keys[3][256];
	size_t n = workload_policy_keys(p, keys), i;
	const char *have;

	for (i = 0; i < n; i++) {
		have = json_string_value(json_object_get(ann, keys[i]));
		if (value == NULL && json_object_get(ann, keys[i]) != NULL)
			add_change(t, keys[i], NULL);
		else if (value != NULL && have != NULL)
			break;
	}
	if (value == NULL)
		return;
	if (i == n)	/* nowhere yet: Flux v1's own prefix */
		add_change(t, keys[0], value);
	else if (strcmp(have, value) != 0)
		add_change(t, keys[i], value);
}

/*
 * What o changes in the workload: t->a. -1 with err when a --tag names a
 * container the workload does not have.
 */
static int
plan(const struct options *o, struct target *t, struct buf *err)
{
	const json_t *ann = json_object_get(json_object_get(t->object,
	    "metadata"), "annotations");
	struct workload w = WORKLOAD_INIT;
	struct buf p = BUF_INIT;
	size_t i;
	int rc = -1;

	if (t->generated && !o->generation) {
		buf_addf(err, "made by the generators of '%s': changing it "
		    "runs its updaters, which needs --manifest-generation",
		    t->file);
		goto out;
	}
	if (workload_read(t->object, &w, err) != 0) {
		if (err->len == 0)
			buf_adds(err, "not a workload");
		goto out;
	}
	if (o->automated)
		want(t, ann, "automated", o->automated > 0 ? "true" : NULL);
	if (o->locked > 0) {
		want(t, ann, "locked", "true");
		if (o->c.user != NULL && *o->c.user != '\0') {
			want(t, ann, "locked_user", o->c.user);
			want(t, ann, "locked_msg", o->c.message != NULL &&
			    *o->c.message != '\0' ? o->c.message : NULL);
		}
	} else if (o->locked < 0) {
		want(t, ann, "locked", NULL);
		want(t, ann, "locked_msg", NULL);
		want(t, ann, "locked_user", NULL);
	}
	for (i = 0; o->tag_all != NULL && i < w.n; i++) {
		buf_reset(&p);
		buf_addf(&p, "tag.%s", w.containers[i].name);
		want(t, ann, p.s, strcmp(o->tag_all, "glob:*") == 0 ? NULL :
		    o->tag_all);
	}
	for (i = 0; i < o->ntags; i++) {
		if (workload_container_get(&w, o->tag_c[i]) == NULL) {
			buf_addf(err, "no container '%s' in the workload",
			    o->tag_c[i]);
			goto out;
		}
		buf_reset(&p);
		buf_addf(&p, "tag.%s", o->tag_c[i]);
		want(t, ann, p.s, strcmp(o->tag_p[i], "glob:*") == 0 ? NULL :
		    o->tag_p[i]);
	}
	rc = 0;
out:
	workload_release(&w);
	buf_release(&p);
	return rc;
}

/* ---- records ---- */

static void
fail(struct run *r, struct source *s, struct target *t, const char *msg)
{
	t->status = "failed";
	t->reported = 1;
	if (msg != t->why.s) {
		buf_reset(&t->why);
		buf_adds(&t->why, msg);
	}
	s->failed = xreallocarray(s->failed, s->nfailed + 1,
	    sizeof(*s->failed));
	s->failed[s->nfailed++] = xstrdup(t->id);
	tool_note(&r->st, 0);
	log_event(LOG_ERROR, (const char *const[]){ "source", s->name, "id",
	    t->id, "file", t->file, NULL }, "%s", msg);
	if (!r->o->c.text)
		rec_write_error(STAGE, s->name, s->commit, t->file, t->id,
		    msg);
}

static void
policy_record(const struct run *r, const struct source *s,
    const struct target *t, const char *commit)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	size_t i;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "policy");
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "id", t->id);
	jsonw_kstr(&w, "file", t->file);
	jsonw_key(&w, "set");
	jsonw_open(&w);
	for (i = 0; i < t->na; i++)
		if (t->a[i].value != NULL)
			jsonw_kstr(&w, t->a[i].key, t->a[i].value);
	jsonw_close(&w);
	jsonw_key(&w, "removed");
	jsonw_open_array(&w);
	for (i = 0; i < t->na; i++)
		if (t->a[i].value == NULL)
			jsonw_str(&w, t->a[i].key);
	jsonw_close_array(&w);
	jsonw_kstr(&w, "commit", commit);
	jsonw_kbool(&w, "dryRun", r->o->c.dry_run);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

/* ---- the commit ---- */

struct commit_job {
	const struct run *r;
	struct source *s;
	struct fluxupd_commit fc;	/* the commit, updaters' files too */
};

/* Mark the generated workloads' changes failed, with why. */
static void
fail_generated(struct source *s, const char *why)
{
	size_t k;

	for (k = 0; k < s->nt; k++)
		if (s->t[k].generated && s->t[k].status != NULL &&
		    strcmp(s->t[k].status, "success") == 0) {
			s->t[k].status = "failed";
			buf_reset(&s->t[k].why);
			buf_adds(&s->t[k].why, why);
		}
}

/* Do the generated workloads' changes still stand? */
static int
generated_stand(const struct source *s)
{
	size_t k;

	for (k = 0; k < s->nt; k++)
		if (s->t[k].generated && s->t[k].status != NULL &&
		    strcmp(s->t[k].status, "success") == 0)
			return 1;
	return 0;
}

/* gitcommit's edit: every changing workload of file i, in turn. */
static int
edit_file(void *arg, size_t i, const char *old, size_t len, struct buf *new,
    unsigned *mode)
{
	struct commit_job *job = arg;
	struct source *s = job->s;
	struct buf text = BUF_INIT, next = BUF_INIT, err = BUF_INIT;
	const char *file = job->fc.gc.files[i];
	const struct fluxupd_file *f = fluxupd_find(job->fc.u, file);
	size_t k;
	int changed = 0, rc;

	/* once per attempt: are the updaters' files as they ran on? */
	if (fluxupd_commit_check(&job->fc, i, &err) < 0)
		fail_generated(s, err.s);
	buf_reset(&err);
	if (f != NULL && generated_stand(s)) {
		/* the updaters' file, and no in-place edit of it */
		for (k = 0; k < s->nt; k++)
			if (!s->t[k].generated && s->t[k].na > 0 &&
			    strcmp(s->t[k].file, file) == 0) {
				s->t[k].status = "failed";
				buf_reset(&s->t[k].why);
				buf_addf(&s->t[k].why, "'%s' is changed by a "
				    ".flux.yaml updater too", s->t[k].file);
			}
		return fluxupd_write(f, new, mode);
	}
	buf_add(&text, old ? old : "", old ? len : 0);
	for (k = 0; k < s->nt; k++) {
		struct target *t = &s->t[k];

		if (t->na == 0 || t->generated ||
		    strcmp(t->file, file) != 0 ||
		    (t->status != NULL && strcmp(t->status, "failed") == 0))
			continue;
		buf_reset(&next);
		buf_reset(&err);
		t->status = "success";
		if (old == NULL) {
			t->status = "failed";
			buf_addf(&t->why, "'%s' is not a file in the commit",
			    t->file);
			continue;
		}
		rc = yannot_apply(text.s, text.len, t->doc, t->ptr, t->a,
		    t->na, &next, &err);
		if (rc < 0) {
			t->status = "failed";
			buf_reset(&t->why);
			buf_adds(&t->why, err.s);
		} else if (rc == 1) {
			buf_reset(&text);
			buf_add(&text, next.s, next.len);
			changed = 1;
		}
	}
	if (changed)
		buf_add(new, text.s, text.len);
	buf_release(&text);
	buf_release(&next);
	buf_release(&err);
	(void)mode;	/* kept as it is */
	return changed ? GITCOMMIT_WRITE : GITCOMMIT_KEEP;
}

/* The kinds of change, in the order the message lists them. */
static const char *const events[] = {
	"Automated", "Deautomated", "Locked", "Unlocked", "Updated policies"
};

/* gitcommit's message: Flux v1's (flux-v1-reference.md 6.7). */
static void
commit_message(void *arg, struct buf *out)
{
	const struct commit_job *job = arg;
	const struct options *o = job->r->o;
	const struct source *s = job->s;
	struct buf line[5];
	size_t i, k, nev = 0, last = 0;
	int tags = o->ntags > 0 || o->tag_all != NULL;

	for (i = 0; i < 5; i++)
		buf_init(&line[i], 0);
	for (k = 0; k < s->nt; k++) {
		if (s->t[k].status == NULL ||
		    strcmp(s->t[k].status, "success") != 0)
			continue;
		for (i = 0; i < 5; i++) {
			if (!((i == 0 && o->automated > 0) ||
			    (i == 1 && o->automated < 0) ||
			    (i == 2 && o->locked > 0) ||
			    (i == 3 && o->locked < 0) || (i == 4 && tags)))
				continue;
			buf_addf(&line[i], "%s%s", line[i].len ? ", " :
			    "", s->t[k].id);
		}
	}
	for (i = 0; i < 5; i++)
		if (line[i].len > 0) {
			nev++;
			last = i;
		}
	if (o->c.message != NULL)
		buf_addf(out, "%s\n\n", o->c.message);
	else if (nev > 1)
		buf_adds(out, "Updated workload policies\n\n");
	if (nev == 1 && o->c.message == NULL)
		buf_addf(out, "%s: %s\n", events[last], line[last].s);
	else
		for (i = 0; i < 5; i++)
			if (line[i].len > 0)
				buf_addf(out, "- %s: %s\n", events[i],
				    line[i].s);
	for (i = 0; i < 5; i++)
		buf_release(&line[i]);
}

/*
 * Change the generated workloads through their .flux.yaml, in a scratch
 * checkout, into *u. If one fails, none of them is committed: a
 * half-made change is worse than none. 0, or an exit status with err.
 */
static int
update_generated(const struct run *r, struct source *s, struct fluxupd *u,
    struct buf *err)
{
	struct buf why = BUF_INIT;
	size_t k, n = 0;
	int rc = 0;

	for (k = 0; k < s->nt; k++)
		n += s->t[k].generated && s->t[k].na > 0 &&
		    s->t[k].status == NULL;
	if (n == 0)
		return 0;
	u->timeout = r->o->sync_timeout;
	if (fluxupd_open(u, r->o->g.state_dir, s->name, s->git_dir, s->commit,
	    err) < 0)
		return EXIT_IOERR;
	for (k = 0; k < s->nt; k++) {
		struct target *t = &s->t[k];

		if (!t->generated || t->na == 0 || t->status != NULL)
			continue;
		t->status = "success";
		if (fluxupd_policy(u, t->file, t->id, t->a, t->na, &why) < 0) {
			fail_generated(s, "not committed: the .flux.yaml "
			    "update of another workload failed");
			buf_reset(&t->why);
			buf_add(&t->why, why.s, why.len);
			break;
		}
	}
	if (k == s->nt) {
		if (fluxupd_changes(u, err) < 0)
			rc = EXIT_IOERR;
		else if (u->nfiles == 0)
			fail_generated(s, "the .flux.yaml updaters changed no "
			    "file");
	}
	buf_release(&why);
	return rc;
}

static int
commit_changes(struct run *r, struct source *s, char *hex, struct buf *err)
{
	struct commit_job job = { r, s, FLUXUPD_COMMIT_INIT };
	struct fluxupd u = FLUXUPD_INIT;
	const char **paths;
	size_t i, n = 0;
	int rc;

	if ((rc = update_generated(r, s, &u, err)) != 0) {
		fluxupd_close(&u);
		return rc;
	}
	/* the files edited in place; fc adds the updaters' */
	paths = xcalloc(s->nt + 1, sizeof(*paths));
	for (i = 0; i < s->nt; i++)
		if (s->t[i].na > 0 && s->t[i].status == NULL &&
		    !s->t[i].generated)
			paths[n++] = s->t[i].file;
	fluxupd_commit_files(&job.fc, &u, paths, n);
	free(paths);
	job.fc.gc.edit = edit_file;
	job.fc.gc.message = commit_message;
	job.fc.gc.arg = &job;
	rc = fluxupd_commit_run(&job.fc, &r->o->g, &r->o->c, s->git_dir,
	    s->commit, hex, err);
	fluxupd_close(&u);
	return rc;
}

/* ---- per source ---- */

static void
print_table(const struct run *r, const struct source *s, const char *hex,
    const char *why)
{
	struct wtable tab = WTABLE_INIT;
	size_t i, k;

	for (i = 0; i < s->nt; i++)
		wtable_fit(&tab, s->t[i].id);
	wtable_header(&tab, "CHANGES");
	for (i = 0; i < s->nt; i++) {
		const struct target *t = &s->t[i];

		wtable_row(&tab, t->id, t->status);
		if (strcmp(t->status, "success") != 0)
			fputs(t->why.s, stdout);
		for (k = 0; strcmp(t->status, "success") == 0 && k < t->na;
		    k++)
			if (t->a[k].value != NULL)
				printf("%s%s=%s", k ? ", " : "", t->a[k].key,
				    t->a[k].value);
			else
				printf("%s-%s", k ? ", " : "", t->a[k].key);
		putchar('\n');
	}
	commitopts_print_outcome(&r->o->c, hex, why);
}

static void
finish_source(struct run *r, struct source *s)
{
	struct buf err = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1] = "";
	const char *why = NULL;
	unsigned long changed = 0;
	size_t i, todo = 0;
	int rc = 0;

	if (!s->complete) {
		why = "incomplete input: the stream ended without an end "
		    "record after the objects; nothing was changed";
		goto end;
	}
	for (i = 0; i < s->nt; i++) {
		buf_reset(&err);
		if (plan(r->o, &s->t[i], &err) < 0)
			fail(r, s, &s->t[i], err.s);
		else if (s->t[i].na == 0)
			s->t[i].status = "skipped";
		else
			todo++;
		if (s->t[i].na == 0 && s->t[i].why.len == 0)
			buf_adds(&s->t[i].why, "no change");
	}
	buf_reset(&err);
	if (todo == 0)
		goto end;
	if (s->commit == NULL || s->git_dir == NULL) {
		why = "no revision record (commit and gitDir) for the source: "
		    "nothing was changed";
		goto end;
	}
	if ((rc = commit_changes(r, s, hex, &err)) != 0) {
		log_event(LOG_ERROR, (const char *const[]){ "source", s->name,
		    NULL }, "%s", err.s);
		why = err.s;
		if (r->status == 0)
			r->status = rc;
		goto end;
	}
	for (i = 0; i < s->nt; i++) {
		struct target *t = &s->t[i];

		if (t->status == NULL || strcmp(t->status, "success") == 0) {
			if (t->status == NULL)	/* a file made no change */
				t->status = "skipped";
			else
				changed++;
			if (!r->o->c.text)
				policy_record(r, s, t, *hex ? hex : NULL);
		} else if (strcmp(t->status, "failed") == 0 && !t->reported) {
			fail(r, s, t, t->why.s);
		}
	}
end:
	if (why != NULL)
		tool_note(&r->st, rc == EXIT_TEMPFAIL);
	if (r->o->c.text) {
		print_table(r, s, hex, why);
	} else {
		struct rec_count c[] = { { "changed", changed } };

		rec_write_end(STAGE, s->name, s->commit, why == NULL &&
		    s->nfailed == 0, c, 1, s->failed, s->nfailed, why);
	}
	tool_check_output();
	buf_release(&err);
}

/* ---- reading the stream ---- */

/* struct source starts with its name, for ordmap_named */
static struct source *
source_get(struct run *r, const char *name)
{
	return ordmap_named(&r->sources, name, sizeof(struct source));
}

static void
take(struct run *r, const char *type, const json_t *j)
{
	struct source *s = source_get(r, json_string_value(json_object_get(j,
	    "source")));
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *file = json_string_value(json_object_get(j, "file"));
	const json_t *item = json_object_get(j, "item");
	struct target *t;
	struct buf ptr = BUF_INIT, cfg = BUF_INIT;
	size_t i;

	if (strcmp(type, "end") == 0) {
		s->complete = 1;
		return;
	}
	if (strcmp(type, "revision") == 0) {
		free(s->commit);
		free(s->git_dir);
		s->commit = rec_strdup(j, "commit");
		s->git_dir = rec_strdup(j, "gitDir");
		return;
	}
	s->complete = 0;
	for (i = 0; id != NULL && i < r->o->nnamed; i++)
		if (strcmp(r->o->named[i], id) == 0)
			break;
	if (id == NULL || file == NULL || i == r->o->nnamed)
		return;
	s->t = xreallocarray(s->t, s->nt + 1, sizeof(*s->t));
	t = &s->t[s->nt++];
	memset(t, 0, sizeof(*t));
	t->id = xstrdup(id);
	t->file = xstrdup(file);
	t->doc = (unsigned long)json_integer_value(json_object_get(j, "doc"));
	if (json_is_integer(item))
		buf_addf(&ptr, "/items/%lld", (long long)json_integer_value(
		    item));
	t->ptr = buf_detach(&ptr, NULL);
	t->object = json_incref(json_object_get(j, "object"));
	t->generated = fluxupd_label(file, &ptr, &cfg) == 0;
	buf_release(&ptr);
	buf_release(&cfg);
}

static void
source_free(void *p)
{
	struct source *s = p;
	size_t i, k;

	for (i = 0; i < s->nt; i++) {
		for (k = 0; k < s->t[i].na; k++) {
			free((char *)s->t[i].a[k].key);
			free((char *)s->t[i].a[k].value);
		}
		free(s->t[i].a);
		free(s->t[i].id);
		free(s->t[i].file);
		free(s->t[i].ptr);
		json_decref(s->t[i].object);
		buf_release(&s->t[i].why);
	}
	free(s->t);
	tool_free_list(s->failed, s->nfailed);
	free(s->name);
	free(s->commit);
	free(s->git_dir);
	free(s);
}

/* ---- flags ---- */

/*
 * A tag filter as Flux v1's fluxctl normalised it: no prefix is a glob,
 * "regex:" is "regexp:", "*" is "glob:*" (which removes the filter).
 * Exits 64 on a pattern that does not parse.
 */
static char *
normalise(const char *pattern, const char *flag)
{
	struct policy p = POLICY_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;

	if (strchr(pattern, '=') != NULL)
		die(EXIT_USAGE, "%s: a pattern cannot hold '=' (Flux v1 "
		    "could not read it back)", flag);
	if (strncmp(pattern, "regex:", 6) == 0)
		buf_addf(&b, "regexp:%s", pattern + 6);
	else if (strncmp(pattern, "glob:", 5) == 0 ||
	    strncmp(pattern, "semver:", 7) == 0 ||
	    strncmp(pattern, "regexp:", 7) == 0)
		buf_adds(&b, pattern);
	else
		buf_addf(&b, "glob:%s", pattern);
	if (policy_parse(b.s, &p, &err) < 0)
		die(EXIT_USAGE, "%s '%s': %s", flag, pattern, err.s);
	policy_release(&p);
	buf_release(&err);
	return buf_detach(&b, NULL);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o;
	struct run r;
	struct rec rec;
	struct buf err = BUF_INIT;
	const char *eq;
	json_t *j;
	int ch, n, code;
	size_t i;

	tool_init(STAGE);
	memset(&o, 0, sizeof(o));
	gitopts_init(&o.g);
	o.sync_timeout = 60;
	while ((ch = getopt_long(argc, argv, "hm:", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_WORKLOAD: tool_add_list(&o.named, &o.nnamed, optarg);
			break;
		case OPT_AUTOMATE: o.automated = 1; break;
		case OPT_DEAUTOMATE: o.automated = -1; break;
		case OPT_LOCK: o.locked = 1; break;
		case OPT_UNLOCK: o.locked = -1; break;
		case OPT_TAG:
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg)
				die(EXIT_USAGE, "--tag '%s': give "
				    "CONTAINER=PATTERN", optarg);
			o.tag_c = xreallocarray(o.tag_c, o.ntags + 1,
			    sizeof(*o.tag_c));
			o.tag_p = xreallocarray(o.tag_p, o.ntags + 1,
			    sizeof(*o.tag_p));
			o.tag_c[o.ntags] = xstrndup(optarg,
			    (size_t)(eq - optarg));
			o.tag_p[o.ntags++] = normalise(eq + 1, "--tag");
			break;
		case OPT_GENERATION: o.generation = 1; break;
		case OPT_SYNC_TIMEOUT:
			o.sync_timeout = tool_duration(optarg, "--sync-timeout");
			break;
		case OPT_TAG_ALL:
			free(o.tag_all);
			o.tag_all = normalise(optarg, "--tag-all");
			break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("policy " SLUICE_VERSION "\n");
		default:
			if (!gitopts_flag(&o.g, ch, optarg) &&
			    !commitopts_flag(&o.c, ch, optarg))
				tool_usage(usage_line);
		}
	}
	if (optind != argc || o.nnamed == 0 || (!o.c.dry_run &&
	    o.g.m.url == NULL) || (!o.automated && !o.locked &&
	    o.ntags == 0 && o.tag_all == NULL))
		tool_usage(usage_line);
	commitopts_start("policy", &o.g, &o.c);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	while ((n = rec_next(&in, &rec)) > 0) {
		if (!o.c.text)
			rec_out_line(rec.line, rec.len);
		if (rec_is(&rec, "object") || rec_is(&rec, "revision") ||
		    rec_is(&rec, "end")) {
			if ((j = rec_parse(&rec)) == NULL)
				tool_stream_broken(&in);
			if (json_is_string(json_object_get(j, "source")))
				take(&r, rec_is(&rec, "object") ? "object" :
				    rec_is(&rec, "end") ? "end" : "revision",
				    j);
			json_decref(j);
		}
		tool_check_output();
	}
	if (n < 0)
		tool_stream_broken(&in);
	for (i = 0; i < r.sources.n; i++)
		finish_source(&r, ordmap_at(&r.sources, i));
	if (o.c.text && r.sources.n == 0)
		printf("No workloads read: is the input manifest-gen's?\n");

	code = tool_finish(&r.st);
	if (r.status != 0 && code != EXIT_IOERR)
		code = r.status;
	ordmap_release(&r.sources, source_free);
	tool_free_list(o.named, o.nnamed);
	tool_free_list(o.tag_c, o.ntags);
	tool_free_list(o.tag_p, o.ntags);
	free(o.tag_all);
	commitopts_end(&o.g, &o.c);
	rec_reader_release(&in);
	buf_release(&err);
	return code;
}
