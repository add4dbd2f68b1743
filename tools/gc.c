/*
 * gc: delete the objects a source created earlier that are no longer in
 * Git, using Flux v1's GC mark, and only after a complete, ok pass.
 *
 * In: NDJSON, the stream after kube-apply. Every record passes through
 * unchanged, in order. gc reads the "revision" records (the syncSet), the
 * "applied" records (the IDs in Git, and the kinds for the inventory) and
 * the "end" records. Out, per source, after the stream: a "deleted" record
 * per object deleted (or that would be, with --dry-run), then an "end"
 * record.
 *
 * It prunes a source only when the end records of manifest-gen and
 * kube-apply for it, and of every other stage that wrote one, say ok for
 * the same commit. Otherwise it deletes nothing, and says why on stderr
 * and in its end record. A missing record never looks like a deleted
 * object (DESIGN.md rule 3).
 *
 * Candidates: live objects whose label fluxcd.io/sync-gc-mark equals the
 * mark of this source's sync set and their own ID (reference §5.7). The
 * inventory (STATE/SOURCE/inventory) names the source's objects as of its
 * last prune: the objects it names that are not in Git this pass are the
 * plan, decided with no request, and only their kinds and namespaces are
 * listed (with that label selector) to check them live. Without an
 * inventory, or with --full, every listable kind is listed, which also
 * finds marked objects no inventory knew. Kept: objects in Git, objects
 * with ownerReferences, objects whose live copy says fluxcd.io/ignore
 * "true" or "sync_only". Deleted in reverse rank order,
 * propagationPolicy=Background.
 *
 * The first complete pass over a source (no inventory yet: a new source,
 * or a cluster taken over from Flux v1) deletes nothing: its "deleted"
 * records say dryRun and what would go, and the next pass prunes.
 *
 * Flags: --target kube|dir:PATH, --kubeconfig, --context, --dry-run,
 * --full, --state-dir DIR, --concurrency N, --timeout DURATION,
 * --sync-set NAME,
 * --log-format. Exit: 0 (also when an upstream failure stopped the prune:
 * that stage's own status says so); 1 a deletion failed; 64; 65; 74;
 * 75 the API was unreachable or a list failed; 78 kubeconfig.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/flux.h"
#include "lib/fsx.h"
#include "lib/jscan.h"
#include "lib/jsonw.h"
#include "lib/log.h"
#include "lib/rank.h"
#include "lib/rec.h"
#include "lib/strmap.h"
#include "lib/target.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define STAGE "gc"
#define MARK_LABEL "fluxcd.io/sync-gc-mark"

static const char usage_line[] =
    "usage: gc [--target kube|dir:PATH] [--kubeconfig FILE] [--context NAME]\n"
    "          [--dry-run] [--state-dir DIR] [--concurrency N]\n"
    "          [--timeout DURATION] [--sync-set NAME]\n"
    "          [--log-format auto|text|json]";

static const char help_text[] =
    "usage: gc [options] <applied.ndjson\n"
    "\n"
    "Deletes what a source created earlier and Git no longer has, after a\n"
    "complete, ok pass only. See gc(1).\n"
    "\n"
    "  --target kube|dir:PATH   the cluster (default) or a folder\n"
    "  --kubeconfig FILE        as kubectl\n"
    "  --context NAME\n"
    "  --dry-run                say what would be deleted; delete nothing\n"
    "  --full                   list every kind, not only the candidates\n"
    "  --state-dir DIR          the inventory ($SLUICE_STATE_DIR)\n"
    "  --concurrency N          requests in flight (16)\n"
    "  --timeout DURATION       per request (30s)\n"
    "  --sync-set NAME          for streams without a revision record\n"
    "  --log-format FORMAT      auto, text or json\n";

enum {
	OPT_DRY_RUN = 256,
	OPT_STATE_DIR, OPT_SYNC_SET,
	OPT_LOG_FORMAT, OPT_VERSION, OPT_FULL
};

static const struct option long_options[] = {
	TARGET_LONG_OPTIONS,
	{ "full", no_argument, NULL, OPT_FULL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "sync-set", required_argument, NULL, OPT_SYNC_SET },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	const char *target;
	struct target_opts t;
	int dry_run;
	int full;			/* list every kind, not the candidates */
	const char *state_dir;
	const char *sync_set;
};

struct source {
	char *name;
	char *commit;
	char *sync_set;
	struct strmap in_git;		/* ID -> "apiVersion\tKind", applied */
	struct strmap objects;		/* ID -> "apiVersion\tKind": the
					 * inventory's objects */
	struct strmap keep;		/* the objects of the next inventory */
	struct strmap kinds;		/* "apiVersion\tKind" applied */
	struct strmap stages;		/* stage -> "ok" or "not ok" */
	int commits_differ;
	unsigned long applied;
};

struct run {
	const struct options *o;
	struct target *t;
	struct tool_status st;
	struct ordmap sources;	/* name -> struct source */
};

/* struct source starts with its name, for ordmap_named */
static struct source *
source_get(struct run *r, const char *name)
{
	return ordmap_named(&r->sources, name, sizeof(struct source));
}

static void
source_free(void *p)
{
	struct source *s = p;

	strmap_release(&s->in_git, free);
	strmap_release(&s->objects, free);
	strmap_release(&s->keep, free);
	strmap_release(&s->kinds, NULL);
	strmap_release(&s->stages, free);
	free(s->name);
	free(s->commit);
	free(s->sync_set);
	free(s);
}

/* The commit every record of a source must agree on. */
static void
note_commit(struct source *s, const char *commit)
{
	if (commit == NULL)
		return;
	if (s->commit == NULL)
		s->commit = xstrdup(commit);
	else if (strcmp(s->commit, commit) != 0)
		s->commits_differ = 1;
}

/*
 * An "applied" record: one per object in Git, thousands a pass, so read
 * with jscan rather than parsed whole.
 */
static void
take_applied(struct run *r, const struct rec *rec)
{
	char *name, *id, *av, *kind, *commit;
	struct source *s;
	struct buf key = BUF_INIT;

	name = jscan_get_str(rec->line, rec->len, (const char *[]){ "source",
	    NULL });
	id = jscan_get_str(rec->line, rec->len, (const char *[]){ "id", NULL });
	av = jscan_get_str(rec->line, rec->len, (const char *[]){ "apiVersion",
	    NULL });
	kind = jscan_get_str(rec->line, rec->len, (const char *[]){ "kind",
	    NULL });
	commit = jscan_get_str(rec->line, rec->len, (const char *[]){ "commit",
	    NULL });
	if (name != NULL) {
		s = source_get(r, name);
		if (av != NULL && kind != NULL) {
			buf_addf(&key, "%s\t%s", av, kind);
			strmap_put(&s->kinds, key.s, (void *)1, NULL);
		}
		if (id != NULL) {
			void *old = NULL;

			strmap_put(&s->in_git, id, xstrdup(key.s), &old);
			free(old);
		}
		s->applied++;
		note_commit(s, commit);
	}
	free(name);
	free(id);
	free(av);
	free(kind);
	free(commit);
	buf_release(&key);
}

static void
take(struct run *r, const struct rec *rec)
{
	json_t *j = rec_parse(rec);
	const char *name = json_string_value(json_object_get(j, "source"));
	const char *commit = json_string_value(json_object_get(j, "commit"));
	struct source *s;

	if (j == NULL || name == NULL)
		goto out;
	s = source_get(r, name);
	if (rec_is(rec, "revision")) {
		free(s->sync_set);
		s->sync_set = NULL;
		if (json_string_value(json_object_get(j, "syncSet")))
			s->sync_set = xstrdup(json_string_value(
			    json_object_get(j, "syncSet")));
		note_commit(s, commit);
	} else if (rec_is(rec, "end")) {
		const char *stage = json_string_value(json_object_get(j,
		    "stage"));
		char *prev = NULL;
		int ok = json_is_true(json_object_get(j, "ok"));

		if (stage == NULL)
			stage = "?";
		/* a stage that ended not ok once stays not ok */
		prev = strmap_get(&s->stages, stage);
		if (prev == NULL || strcmp(prev, "ok") == 0) {
			strmap_put(&s->stages, stage,
			    xstrdup(ok ? "ok" : "not ok"), (void **)&prev);
			free(prev);
		}
		if (strcmp(stage, "git-fetch") != 0)
			note_commit(s, commit);
	}
out:
	json_decref(j);
}

/* Why this source may not be pruned, or NULL if it may. */
static const char *
why_not(const struct source *s, struct buf *why)
{
	const char *mg = strmap_get(&s->stages, "manifest-gen");
	const char *ka = strmap_get(&s->stages, "kube-apply");
	size_t i;

	if (mg == NULL || ka == NULL) {
		buf_addf(why, "no end record from %s: the stream is "
		    "incomplete", mg == NULL ? "manifest-gen" : "kube-apply");
		return why->s;
	}
	for (i = 0; i < s->stages.cap; i++) {
		const struct strmap_slot *e = &s->stages.slots[i];

		if (e->key != NULL && strcmp(e->value, "ok") != 0) {
			buf_addf(why, "%s did not end ok", e->key);
			return why->s;
		}
	}
	if (s->commits_differ) {
		buf_adds(why, "the records are about different commits");
		return why->s;
	}
	return NULL;
}

/* ---- the inventory: the kinds a source has applied ---- */

static void
inventory_path(struct run *r, const struct source *s, struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/%s/inventory", r->o->state_dir, s->name);
}

/*
 * The inventory, STATE/SOURCE/inventory: the kinds this source has
 * applied ("K\tapiVersion\tKind" lines) and its objects as of its last
 * prune ("O\tID\tapiVersion\tKind"). An inventory with objects lets a
 * pass decide what to prune without listing anything: the objects it
 * names that are not in Git this pass. Lines without a letter are the
 * kinds of an older inventory that had no objects.
 *
 * Adds to s->kinds and s->objects. -1: there is none; 0: kinds only;
 * 1: kinds and objects.
 */
static int
inventory_read(struct run *r, struct source *s)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	char *line, *nl, *t1, *t2;
	int fd, ret = -1;

	inventory_path(r, s, &path);
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && buf_read_fd(&b, fd, 64 << 20) == 0) {
		ret = 0;
		for (line = b.s; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl == NULL)
				break;
			*nl = '\0';
			if (strncmp(line, "K\t", 2) == 0 &&
			    strchr(line + 2, '\t') != NULL) {
				strmap_put(&s->kinds, line + 2, (void *)1, NULL);
			} else if (strncmp(line, "O\t", 2) == 0 &&
			    (t1 = strchr(line + 2, '\t')) != NULL &&
			    (t2 = strchr(t1 + 1, '\t')) != NULL) {
				*t1 = '\0';
				strmap_put(&s->objects, line + 2,
				    xstrdup(t1 + 1), NULL);
				ret = 1;
			} else if (line[0] != '#' && line[0] != 'K' &&
			    line[0] != 'O' && strchr(line, '\t') != NULL) {
				strmap_put(&s->kinds, line, (void *)1, NULL);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&b);
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of m, sorted (borrowed; free the array). */
static char **
sorted_keys(const struct strmap *m, size_t *n)
{
	char **keys = xcalloc(m->count + 1, sizeof(*keys));
	size_t i;

	*n = 0;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			keys[(*n)++] = m->slots[i].key;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* Write the kinds and objects (s->keep) atomically. */
static void
inventory_write(struct run *r, const struct source *s)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	char **keys;
	size_t i, n;

	buf_adds(&b, "# sluice gc inventory 2\n");
	keys = sorted_keys(&s->kinds, &n);
	for (i = 0; i < n; i++)
		buf_addf(&b, "K\t%s\n", keys[i]);
	free(keys);
	keys = sorted_keys(&s->keep, &n);
	for (i = 0; i < n; i++)
		buf_addf(&b, "O\t%s\t%s\n", keys[i],
		    (const char *)strmap_get(&s->keep, keys[i]));
	free(keys);
	buf_addf(&path, "%s/%s", r->o->state_dir, s->name);
	if ((mkdir(r->o->state_dir, 0755) == 0 || errno == EEXIST) &&
	    (mkdir(path.s, 0700) == 0 || errno == EEXIST)) {
		inventory_path(r, s, &path);
		(void)fsx_write_atomic(path.s, b.s, b.len, 0644);
	} else {
		log_errno("cannot create '%s'", path.s);
	}
	buf_release(&path);
	buf_release(&b);
}

/* Put id (of kind key "apiVersion\tKind") into the next inventory. */
static void
keep_object(struct source *s, const char *id, const char *kindkey)
{
	void *old = NULL;

	strmap_put(&s->keep, id, xstrdup(kindkey), &old);
	free(old);
}

/* Did the objects change since the inventory? */
static int
objects_changed(const struct source *s)
{
	size_t i;

	if (s->keep.count != s->objects.count)
		return 1;
	for (i = 0; i < s->keep.cap; i++)
		if (s->keep.slots[i].key != NULL &&
		    strmap_get(&s->objects, s->keep.slots[i].key) == NULL)
			return 1;
	return 0;
}

struct doomed {
	const struct target_kind *kind;
	char *namespace, *name, *id;
	char *kindkey;			/* "apiVersion\tKind" */
	int rank;
};

static int
cmp_doomed(const void *a, const void *b)
{
	const struct doomed *x = a, *y = b;
	int c;

	if (x->rank != y->rank)
		return y->rank - x->rank;	/* reverse rank order */
	c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static void
make_id(struct buf *id, const char *ns, const char *kind, const char *name)
{
	const char *k;

	buf_reset(id);
	buf_adds(id, *ns ? ns : "<cluster>");
	buf_addch(id, ':');
	for (k = kind; *k; k++)
		buf_addch(id, *k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
	buf_addch(id, '/');
	buf_adds(id, name);
}

static void
deleted_record(const struct source *s, const char *id, int dry_run,
    const char *error)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "deleted");
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "commit", s->commit);
	jsonw_kstr(&w, "id", id);
	jsonw_kbool(&w, "dryRun", dry_run);
	if (error != NULL)
		jsonw_kstr(&w, "error", error);
	jsonw_close(&w);
	rec_out_buf(&b);
	buf_release(&b);
}

static void
end_record(const struct source *s, int ok, unsigned long deleted,
    unsigned long kept, char **failed, size_t nfailed, const char *why)
{
	struct rec_count counts[] = {
		{ "deleted", deleted },
		{ "kept", kept },
		{ "failed", (unsigned long)nfailed },
	};

	rec_write_end(STAGE, s->name, s->commit, ok, counts, 3, failed,
	    nfailed, why);
}

/* The target, opened the first time something must be listed. */
static struct target *
run_target(struct run *r)
{
	struct buf err = BUF_INIT;
	int code = 0;

	if (r->t == NULL) {
		r->t = target_open(r->o->target, &r->o->t, &code, &err);
		if (r->t == NULL)
			die(code, "%s", err.s);
	}
	buf_release(&err);
	return r->t;
}

/*
 * The kinds to look at: the inventory's and this pass's, or, with no
 * inventory yet (a first run, or a cluster Flux v1 managed), every
 * listable kind, since earlier objects may be of any kind.
 */
static int
kinds_to_list(struct run *r, struct source *s, int have_inventory,
    struct target_kind **out, size_t *n, struct buf *err)
{
	struct target_kind *v;
	size_t i, m = 0;
	int temporary;

	if (!have_inventory)
		return target_kinds(run_target(r), out, n, err);
	v = xcalloc(s->kinds.count + 1, sizeof(*v));
	for (i = 0; i < s->kinds.cap; i++) {
		char *key = s->kinds.slots[i].key, *tab;
		int rc;

		if (key == NULL)
			continue;
		tab = strchr(key, '\t');
		*tab = '\0';
		buf_reset(err);
		rc = target_resolve(run_target(r), key, tab + 1, &v[m], &temporary,
		    err);
		*tab = '\t';
		if (rc == 0) {
			m++;
		} else if (temporary) {
			while (m > 0)
				target_kind_release(&v[--m]);
			free(v);
			return -1;
		}
		/* a kind no longer served has nothing left to prune */
	}
	buf_reset(err);
	*out = v;
	*n = m;
	return 0;
}

/* "apiVersion\tKind" of a resolved kind (into key, reset first). */
static void
kind_key(struct buf *key, const struct target_kind *k)
{
	buf_reset(key);
	if (*k->group)
		buf_addf(key, "%s/%s\t%s", k->group, k->version, k->kind);
	else
		buf_addf(key, "%s\t%s", k->version, k->kind);
}

/*
 * The lists to look at when the inventory names the objects: one per
 * kind and namespace of the candidates, the inventory's objects that are
 * not in Git this pass. 0 (with *n lists, maybe none), or -1 with err if
 * discovery failed.
 */
static int
candidate_lists(struct run *r, struct source *s, struct target_kind **kinds,
    size_t *nkinds, struct target_list_req **lists, size_t *n,
    struct buf *err)
{
	struct strmap groups = STRMAP_INIT, resolved = STRMAP_INIT;
	struct buf key = BUF_INIT;
	size_t i, nk = 0;
	int temporary, ret = 0;

	*n = 0;
	*kinds = xcalloc(s->objects.count + 1, sizeof(**kinds));
	*lists = xcalloc(s->objects.count + 1, sizeof(**lists));
	for (i = 0; i < s->objects.cap && ret == 0; i++) {
		const char *id = s->objects.slots[i].key;
		const char *kk = s->objects.slots[i].value;
		const char *colon, *tab;
		struct target_kind *k;
		char *av;

		if (id == NULL || strmap_get(&s->in_git, id) != NULL)
			continue;
		colon = strchr(id, ':');
		buf_reset(&key);
		buf_addf(&key, "%s\t%.*s", kk, colon ? (int)(colon - id) : 0,
		    id);
		if (strmap_get(&groups, key.s) != NULL)
			continue;
		strmap_put(&groups, key.s, (void *)1, NULL);
		k = strmap_get(&resolved, kk);
		if (k == NULL) {
			tab = strchr(kk, '\t');
			av = xstrndup(kk, (size_t)(tab - kk));
			buf_reset(err);
			if (target_resolve(run_target(r), av, tab + 1,
			    &(*kinds)[nk], &temporary, err) < 0) {
				free(av);
				if (temporary)
					ret = -1;
				/* a kind no longer served: nothing of it left */
				continue;
			}
			free(av);
			k = &(*kinds)[nk++];
			strmap_put(&resolved, kk, k, NULL);
		}
		(*lists)[*n].kind = k;
		(*lists)[*n].namespace = k->namespaced && colon ?
		    xstrndup(id, (size_t)(colon - id)) : NULL;
		(*lists)[*n].selector = MARK_LABEL;
		(*n)++;
	}
	if (ret == 0)
		buf_reset(err);
	*nkinds = nk;
	strmap_release(&groups, NULL);
	strmap_release(&resolved, NULL);
	buf_release(&key);
	return ret;
}

static void
prune(struct run *r, struct source *s)
{
	const char *sync_set = s->sync_set ? s->sync_set : r->o->sync_set;
	struct buf why = BUF_INIT, err = BUF_INIT, id = BUF_INIT,
	    mark = BUF_INIT, kk = BUF_INIT;
	struct target_kind *kinds = NULL;
	struct target_list_req *lists = NULL;
	struct target_delete_req *dels = NULL;
	struct doomed *doomed = NULL;
	char **failed = NULL;
	size_t nkinds = 0, nlists = 0, ndoomed = 0, nfailed = 0, i, j;
	unsigned long kept = 0;
	size_t kinds_before;
	int have, first_pass, full, own_namespaces = 0, write = 0;

	kinds_before = s->kinds.count;
	have = inventory_read(r, s);
	first_pass = have < 0;
	/* Git's objects are always in the next inventory */
	for (i = 0; i < s->in_git.cap; i++)
		if (s->in_git.slots[i].key != NULL)
			keep_object(s, s->in_git.slots[i].key,
			    s->in_git.slots[i].value);
	if (why_not(s, &why) != NULL) {
		log_event(LOG_WARN, (const char *const[]){ "source", s->name,
		    NULL }, "nothing pruned: %s", why.s);
		end_record(s, 0, 0, 0, NULL, 0, why.s);
		goto unverified;
	}
	/*
	 * [gc-inventory] Which objects to look at. With an inventory that
	 * names its objects, only the candidates' kinds and namespaces, or
	 * nothing at all when no object left Git: the plan costs no request.
	 * Without one (a first pass, an old inventory) or with --full, every
	 * kind, in every namespace, as Flux v1 did: that also finds objects
	 * marked by this source that no inventory knew (a pass cut between
	 * kube-apply and gc, a cluster taken over from Flux v1).
	 */
	full = have < 1 || r->o->full;
	if (full) {
		if (kinds_to_list(r, s, have >= 0, &kinds, &nkinds, &err) < 0)
			goto cannot;
		lists = xcalloc(nkinds + 1, sizeof(*lists));
		for (i = 0; i < nkinds; i++) {
			lists[i].kind = &kinds[i];
			lists[i].selector = MARK_LABEL;
		}
		nlists = nkinds;
	} else {
		own_namespaces = 1;
		if (candidate_lists(r, s, &kinds, &nkinds, &lists, &nlists,
		    &err) < 0)
			goto cannot;
	}
	if (nlists > 0)
		target_list(run_target(r), lists, nlists);
	for (i = 0; i < nlists; i++) {
		if (lists[i].failed) {
			/* a kind we cannot see: prune nothing at all */
			buf_reset(&why);
			buf_addf(&why, "cannot list %s: %s",
			    lists[i].kind->resource, lists[i].err.s);
			log_event(LOG_ERROR, (const char *const[]){ "source",
			    s->name, NULL }, "nothing pruned: %s", why.s);
			end_record(s, 0, 0, 0, NULL, 0, why.s);
			tool_note(&r->st, 1);
			goto unverified;
		}
	}
	for (i = 0; i < nlists; i++) {
		const struct target_kind *k = lists[i].kind;

		kind_key(&kk, k);
		for (j = 0; j < lists[i].nitems; j++) {
			const struct target_live *l = &lists[i].items[j];
			struct doomed *d;

			make_id(&id, l->namespace, k->kind, l->name);
			buf_reset(&mark);
			flux_gc_mark(sync_set, id.s, &mark);
			if (l->gc_mark == NULL || strcmp(l->gc_mark, mark.s))
				continue;	/* another source's, or a copy */
			if (strmap_get(&s->in_git, id.s) != NULL)
				continue;	/* in Git: kube-apply's business */
			strmap_put(&s->kinds, kk.s, (void *)1, NULL);
			if (l->owned || (l->ignore &&
			    (strcmp(l->ignore, "true") == 0 ||
			    strcmp(l->ignore, "sync_only") == 0))) {
				log_info("keeping '%s': %s", id.s, l->owned ?
				    "it has an owner" : "fluxcd.io/ignore");
				keep_object(s, id.s, kk.s);
				kept++;
				continue;
			}
			doomed = xreallocarray(doomed, ndoomed + 1,
			    sizeof(*doomed));
			d = &doomed[ndoomed++];
			d->kind = k;
			d->namespace = xstrdup(l->namespace);
			d->name = xstrdup(l->name);
			d->id = xstrdup(id.s);
			d->kindkey = xstrdup(kk.s);
			d->rank = rank_of_kind(k->kind);
		}
	}
	if (ndoomed > 0)
		qsort(doomed, ndoomed, sizeof(*doomed), cmp_doomed);
	/*
	 * The first complete pass over a source (no inventory yet: a new
	 * source, or a cluster taken over from Flux v1) deletes nothing: it
	 * says what it would delete, records the objects, and the next pass
	 * prunes. An operator sees the plan before anything goes.
	 */
	if (first_pass && ndoomed > 0)
		log_event(LOG_WARN, (const char *const[]){ "source", s->name,
		    NULL }, "first pass of '%s': %zu objects would be deleted; "
		    "nothing is deleted before the next pass", s->name,
		    ndoomed);
	dels = xcalloc(ndoomed + 1, sizeof(*dels));
	for (i = 0; i < ndoomed; i++) {
		dels[i].kind = doomed[i].kind;
		dels[i].namespace = doomed[i].namespace;
		dels[i].name = doomed[i].name;
		dels[i].dry_run = r->o->dry_run || first_pass;
	}
	/* rank by rank, the reverse of the apply order */
	for (i = 0; i < ndoomed; i = j) {
		for (j = i; j < ndoomed && doomed[j].rank == doomed[i].rank; j++)
			;
		target_delete(run_target(r), dels + i, j - i);
	}
	for (i = 0; i < ndoomed; i++) {
		deleted_record(s, doomed[i].id, dels[i].dry_run,
		    dels[i].failed ? dels[i].err.s : NULL);
		if (dels[i].failed || dels[i].dry_run)
			keep_object(s, doomed[i].id, doomed[i].kindkey);
		if (dels[i].failed) {
			log_event(LOG_ERROR, (const char *const[]){ "source",
			    s->name, "id", doomed[i].id, NULL },
			    "cannot delete '%s': %s", doomed[i].id,
			    dels[i].err.s);
			failed = xreallocarray(failed, nfailed + 1,
			    sizeof(*failed));
			failed[nfailed++] = doomed[i].id;
			tool_note(&r->st, dels[i].temporary);
		} else {
			log_event(LOG_INFO, (const char *const[]){ "source",
			    s->name, NULL }, "%s '%s'", dels[i].dry_run ?
			    "would delete" : "deleted", doomed[i].id);
		}
	}
	end_record(s, nfailed == 0, (unsigned long)(ndoomed - nfailed), kept,
	    failed, nfailed, first_pass && ndoomed > 0 ? "first pass of this "
	    "source: nothing deleted; the next pass prunes" : NULL);
	/* verified: objects not found any more leave the inventory */
	write = full || objects_changed(s) || s->kinds.count > kinds_before;
	goto done;
cannot:
	log_event(LOG_ERROR, (const char *const[]){ "source", s->name, NULL },
	    "nothing pruned: %s", err.s);
	end_record(s, 0, 0, 0, NULL, 0, err.s);
	tool_note(&r->st, 1);
unverified:
	/*
	 * Nothing was verified: the inventory keeps every object it had, and
	 * gains what this pass applied. A source without one yet gets none:
	 * the first inventory comes from a full listing.
	 */
	for (i = 0; i < s->objects.cap; i++)
		if (s->objects.slots[i].key != NULL)
			keep_object(s, s->objects.slots[i].key,
			    s->objects.slots[i].value);
	write = have >= 0 && (objects_changed(s) ||
	    s->kinds.count > kinds_before);
done:
	if (write && !r->o->dry_run)
		inventory_write(r, s);
	for (i = 0; i < ndoomed; i++) {
		free(doomed[i].namespace);
		free(doomed[i].name);
		free(doomed[i].id);
		free(doomed[i].kindkey);
		if (dels != NULL)
			buf_release(&dels[i].err);
	}
	free(doomed);
	free(dels);
	free(failed);
	for (i = 0; i < nlists; i++) {
		if (own_namespaces)
			free((char *)lists[i].namespace);
		target_list_req_release(&lists[i]);
	}
	for (i = 0; i < nkinds; i++)
		target_kind_release(&kinds[i]);
	free(lists);
	free(kinds);
	buf_release(&why);
	buf_release(&err);
	buf_release(&id);
	buf_release(&mark);
	buf_release(&kk);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o;
	struct run r;
	struct rec rec;
	struct buf err = BUF_INIT;
	size_t i;
	int ch, n;

	tool_init("gc");
	memset(&o, 0, sizeof(o));
	o.target = "kube";
	o.sync_set = "local";
	o.state_dir = getenv("SLUICE_STATE_DIR");
	if (o.state_dir == NULL || *o.state_dir == '\0')
		o.state_dir = "/var/lib/sluice";
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_FULL: o.full = 1; break;
		case OPT_STATE_DIR: o.state_dir = optarg; break;
		case OPT_SYNC_SET: o.sync_set = optarg; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("gc " SLUICE_VERSION "\n");
		default:
			if (!target_flag(ch, optarg, &o.target, &o.t))
				tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	while ((n = rec_next(&in, &rec)) > 0) {
		if (rec_is(&rec, "applied"))
			take_applied(&r, &rec);
		else if (rec_is(&rec, "revision") || rec_is(&rec, "end"))
			take(&r, &rec);
		rec_out_line(rec.line, rec.len);
		tool_check_output();
	}
	if (n < 0)
		tool_stream_broken(&in);
	for (i = 0; i < r.sources.n; i++)
		prune(&r, ordmap_at(&r.sources, i));

	target_close(r.t);
	ordmap_release(&r.sources, source_free);
	rec_reader_release(&in);
	buf_release(&err);
	return tool_finish(&r.st);
}
