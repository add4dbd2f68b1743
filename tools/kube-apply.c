/*
 * kube-apply: apply the objects of each source to the target, in Flux
 * v1's order, sending only what changed.
 *
 * In: NDJSON. Consumes "object" records; keeps each "revision" record's
 * syncSet for the GC marks. Out: one "applied" record per object (action
 * created, configured, unchanged, skipped or failed; never the object's
 * body), then an "end" record per source. Other records pass through
 * unchanged, in order, as they come.
 *
 * A source is applied when its objects are complete: an "end" record for
 * it has come after its last object. A stream that stops before that (a
 * killed upstream stage) applies nothing, and the end record says so.
 *
 * For each object: the Flux v1 GC mark label (fluxcd.io/sync-gc-mark,
 * from the revision's syncSet and the object's ID) and a checksum
 * annotation (fluxcd.io/sync-checksum) are added; then, rank by rank
 * (Namespaces; CRDs, ServiceAccounts, roles, Services; Secrets, ConfigMaps,
 * bindings...; workloads; the rest), one metadata-only list per kind and
 * namespace gives the live checksums and ignore annotations, and only the
 * objects whose checksum differs are applied (server-side apply,
 * concurrently within a rank). CRDs are waited for until Established
 * before the rank of custom resources. Discovery starts in the background
 * at the first object that will need it, while the rest is read.
 *
 * With --state-dir DIR, kube-apply also remembers, per source, the
 * checksum of each object the target accepted (DIR/SOURCE/kube-apply.state,
 * lib/applystate.h). In a run without --full or --dry-run, an object whose
 * checksum is the one remembered is unchanged at once, with no discovery,
 * list or request, so a pass that changed one object lists one kind in one
 * namespace and sends one request. The trade-off is Flux v1's: between
 * --full runs, a change made behind Git's back to an object whose text in
 * Git did not change is not seen; the next --full run undoes it. --full
 * compares every object with the target and writes the state afresh;
 * --dry-run neither reads nor writes it.
 *
 * Flags: --target kube|dir:PATH, --kubeconfig FILE, --context NAME,
 * --dry-run, --full, --state-dir DIR, --concurrency N,
 * --k8s-allow-namespace NS..., --sync-set NAME, --timeout DURATION,
 * --log-format.
 * Exit: 0; 1 some objects failed; 64 usage; 65 bad input; 74 I/O (also:
 * an old state could be neither removed nor replaced); 75 only temporary
 * failures (API down, 429/5xx); 78 kubeconfig.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/applystate.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/flux.h"
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

#define STAGE "kube-apply"

static const char usage_line[] =
    "usage: kube-apply [--target kube|dir:PATH] [--kubeconfig FILE]\n"
    "                  [--context NAME] [--dry-run] [--full]\n"
    "                  [--state-dir DIR] [--concurrency N]\n"
    "                  [--k8s-allow-namespace NS]... [--sync-set NAME]\n"
    "                  [--timeout DURATION] [--log-format auto|text|json]";

static const char help_text[] =
    "usage: kube-apply [options] <objects.ndjson\n"
    "\n"
    "Applies \"object\" records with server-side apply, in Flux v1's order,\n"
    "and writes an \"applied\" record for each. See kube-apply(1).\n"
    "\n"
    "  --target kube|dir:PATH       the cluster (default) or a folder\n"
    "  --kubeconfig FILE            default $KUBECONFIG, ~/.kube/config,\n"
    "                               then the in-cluster service account\n"
    "  --context NAME               default the current context\n"
    "  --dry-run                    dryRun=All: change nothing\n"
    "  --full                       apply everything, changed or not\n"
    "  --state-dir DIR              remember what was applied in DIR: an\n"
    "                               object unchanged in Git since costs\n"
    "                               nothing (nor sees drift until --full)\n"
    "  --concurrency N              requests in flight (16)\n"
    "  --k8s-allow-namespace NS     only these namespaces (repeatable)\n"
    "  --sync-set NAME              for streams without a revision record\n"
    "  --timeout DURATION           per request (30s)\n"
    "  --establish-timeout DURATION waiting for a CRD (60s)\n"
    "  --log-format FORMAT          auto, text or json\n";

enum {
	OPT_DRY_RUN = 256, OPT_FULL, OPT_STATE_DIR,
	OPT_ALLOW_NS, OPT_SYNC_SET,
	OPT_LOG_FORMAT, OPT_VERSION
};

static const struct option long_options[] = {
	TARGET_LONG_OPTIONS,
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "k8s-allow-namespace", required_argument, NULL, OPT_ALLOW_NS },
	{ "k8s-namespace-whitelist", required_argument, NULL, OPT_ALLOW_NS },
	{ "sync-set", required_argument, NULL, OPT_SYNC_SET },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	const char *target;
	struct target_opts t;
	int dry_run, full;
	struct strmap allow;		/* allowed namespaces; empty: all */
	const char *sync_set;
	const char *state_dir;		/* NULL: remember nothing */
};

/* One object, as little of it as the decisions need until it is sent. */
struct obj {
	char *line;		/* the whole record, re-read when applied */
	size_t len;
	size_t obj_off, obj_len;	/* the "object" value in line */
	char *id, *file, *api_version, *kind, *name, *ns;
	int ignored;
	int remembered;		/* unchanged by the state: nothing to do */
	int rank;
	size_t seq;		/* input order, for stable sorting */
	/* decided on the way */
	struct target_kind tk;
	int resolved;
	const char *action;	/* "created"... for the record */
	const char *reason;	/* why skipped */
	struct buf error;
	int temporary;
	char *body;		/* what is applied */
	size_t body_len;
	/* in the object, not allocated: ten thousand objects a pass */
	char checksum[2 * DIGEST_SHA1_LEN + 1];	/* "": not made */
	char mark[FLUX_GC_MARK_LEN + 1];	/* the GC mark label's value */
	const struct target_live *live;
};

struct source {
	char *name;
	char *commit;
	char *sync_set;
	struct obj *objs;
	size_t n, alloc;
	int complete;		/* an "end" for it followed its last object */
	/* --state-dir */
	int state_checked;	/* state_on has looked at it */
	int state_off;		/* its name cannot name a folder */
	int state_loaded;	/* state holds usable checksums */
	int state_removed;	/* the file is gone: the target changes */
	int state_stale;	/* ... or should be, but could not be removed */
	struct applystate state;
	char *early_set;	/* the sync set objects were remembered with */
};

struct run {
	const struct options *o;
	struct target *t;
	struct tool_status st;
	struct strmap crds;	/* "group/Kind" -> the CRD's struct obj, for
				 * the source being applied */
	struct strmap dry_namespaces;	/* created by this dry run */
	struct ordmap sources;	/* name -> struct source */
	struct buf state_key;	/* what a state file must be valid for */
	int state_failed;	/* a stale state file is left: exit 74 */
	struct source *last;	/* of the last object record */
	struct buf scratch;	/* for make_checksum */
};

/* struct source starts with its name, for ordmap_named */
static struct source *
source_get(struct run *r, const char *name)
{
	return ordmap_named(&r->sources, name, sizeof(struct source));
}

static void
take_revision(struct run *r, const struct rec *rec)
{
	json_t *j = rec_parse(rec);
	const char *name = json_string_value(json_object_get(j, "source"));
	struct source *s;

	if (name != NULL) {
		s = source_get(r, name);
		free(s->commit);
		free(s->sync_set);
		s->commit = rec_strdup(j, "commit");
		s->sync_set = rec_strdup(j, "syncSet");
	}
	json_decref(j);
}

static void
take_end(struct run *r, const struct rec *rec)
{
	json_t *j = rec_parse(rec);
	const char *name = json_string_value(json_object_get(j, "source"));
	struct source *s;

	if (name != NULL && (s = strmap_get(&r->sources.map, name)) != NULL)
		s->complete = 1;
	json_decref(j);
}

/*
 * The checksum of the object as applied: over its text as the record
 * carries it (manifest-gen writes the same bytes for the same manifest)
 * and its GC mark, so a changed sync set re-applies. No parse: most
 * objects of a pass are unchanged, and this is all they cost.
 */
static void
make_checksum(struct run *r, struct obj *ob, const char *text, size_t len,
    const char *sync_set)
{
	struct buf *b = &r->scratch;
	struct digest_sha1 c;
	unsigned char sum[DIGEST_SHA1_LEN];

	buf_reset(b);
	flux_gc_mark(sync_set, ob->id, b);
	if (b->len >= sizeof(ob->mark))
		BUG("a GC mark of %zu bytes", b->len);
	memcpy(ob->mark, b->s, b->len + 1);
	digest_sha1_init(&c);
	digest_sha1_update(&c, text, len);
	digest_sha1_update(&c, "\n", 1);
	digest_sha1_update(&c, ob->mark, b->len);
	digest_sha1_final(&c, sum);
	buf_reset(b);
	digest_hex(sum, sizeof(sum), b);
	memcpy(ob->checksum, b->s, sizeof(ob->checksum));
}

static int
is_crd(const struct obj *ob)
{
	return ob->kind && strcmp(ob->kind, "CustomResourceDefinition") == 0 &&
	    ob->api_version &&
	    strncmp(ob->api_version, "apiextensions.k8s.io/", 21) == 0;
}

/*
 * Is there a state to use or keep for s? Looked at once per source, when
 * first needed: the file is read then (unless --full, which compares
 * everything with the target anyway).
 */
static int
state_on(struct run *r, struct source *s)
{
	if (r->o->state_dir == NULL || r->o->dry_run)
		return 0;
	if (!s->state_checked) {
		s->state_checked = 1;
		if (!applystate_source_ok(s->name)) {
			log_warn("the source name '%s' cannot name a folder: no "
			    "state is kept for it", s->name);
			s->state_off = 1;
		} else if (!r->o->full) {
			s->state_loaded = applystate_load(&s->state,
			    r->o->state_dir, s->name, r->state_key.s);
		}
	}
	return !s->state_off;
}

/*
 * Is ob, whose object text is [text, text + len), the one the state
 * remembers for its ID? Then it is unchanged, and it is decided as its
 * record is read: such an object needs neither its record kept nor its
 * kind resolved.
 */
static int
remembered(struct run *r, struct source *s, struct obj *ob, const char *text,
    size_t len)
{
	const char *set = s->sync_set ? s->sync_set : r->o->sync_set;
	const char *sum;

	if (!state_on(r, s) || !s->state_loaded || ob->ignored)
		return 0;
	if ((sum = applystate_get(&s->state, ob->id)) == NULL)
		return 0;
	/* a revision for the source that comes between its objects changes
	 * the sync set: apply_source sees to those decided before */
	if (s->early_set == NULL)
		s->early_set = xstrdup(set);
	else if (strcmp(s->early_set, set) != 0)
		return 0;
	make_checksum(r, ob, text, len, set);
	return strcmp(sum, ob->checksum) == 0;
}

/* What the decisions need of the object at [o, o + n), whose record has
 * been checked to be JSON. */
static void
take_names(struct obj *ob, const char *o, size_t n)
{
	enum { OBJ_API_VERSION, OBJ_KIND, OBJ_METADATA, OBJ_N };
	static const char *const obj_keys[] = { "apiVersion", "kind",
	    "metadata", NULL };
	enum { META_NAME, META_NAMESPACE, META_N };
	static const char *const meta_keys[] = { "name", "namespace", NULL };
	const char *v[OBJ_N], *m[META_N];
	size_t vn[OBJ_N], mn[META_N];

	if (jscan_pick(o, n, obj_keys, v, vn) < 0)
		return;
	if (v[OBJ_API_VERSION] != NULL)
		ob->api_version = jscan_str(v[OBJ_API_VERSION],
		    vn[OBJ_API_VERSION]);
	if (v[OBJ_KIND] != NULL)
		ob->kind = jscan_str(v[OBJ_KIND], vn[OBJ_KIND]);
	if (v[OBJ_METADATA] == NULL || jscan_pick(v[OBJ_METADATA],
	    vn[OBJ_METADATA], meta_keys, m, mn) < 0)
		return;
	if (m[META_NAME] != NULL)
		ob->name = jscan_str(m[META_NAME], mn[META_NAME]);
	if (m[META_NAMESPACE] != NULL)
		ob->ns = jscan_str(m[META_NAMESPACE], mn[META_NAMESPACE]);
}

/* Is the JSON value [v, v + vn) the string s, written without escapes? */
static int
is_plain_string(const char *v, size_t vn, const char *s)
{
	size_t n = strlen(s);

	return vn == n + 2 && v[0] == '"' && v[n + 1] == '"' &&
	    memcmp(v + 1, s, n) == 0 && memchr(v + 1, '\\', n) == NULL;
}

/*
 * An object record: 0, or -1 if it is not one (a data error, 65). Read
 * from the spans the reader's check found and with jscan, not parsed
 * whole: a no-change pass over 10,000 objects should neither build 10,000
 * trees it throws away nor walk each object's text once per member it
 * wants.
 */
static int
take_object(struct run *r, const struct rec *rec)
{
	enum { R_SOURCE, R_ID, R_COMMIT, R_FILE, R_IGNORED, R_OBJECT, R_N };
	static const char *const keys[] = { "source", "id", "commit", "file",
	    "ignored", "object", NULL };
	const char *v[R_N];
	size_t vn[R_N];
	char *name = NULL, *id = NULL;
	struct source *s = NULL;
	struct obj *ob;

	rec_pick(rec, keys, v, vn);
	/* nearly always the source of the record before: no copy of it */
	if (r->last != NULL && v[R_SOURCE] != NULL &&
	    is_plain_string(v[R_SOURCE], vn[R_SOURCE], r->last->name))
		s = r->last;
	else if (v[R_SOURCE] != NULL)
		name = jscan_str(v[R_SOURCE], vn[R_SOURCE]);
	if (v[R_ID] != NULL)
		id = jscan_str(v[R_ID], vn[R_ID]);
	if ((s == NULL && name == NULL) || id == NULL ||
	    v[R_OBJECT] == NULL || *v[R_OBJECT] != '{') {
		log_error("line %lu: an object record needs \"source\", \"id\" "
		    "and \"object\"", rec->lineno);
		free(name);
		free(id);
		return -1;
	}
	if (s == NULL)
		r->last = s = source_get(r, name);
	if (s->commit == NULL && v[R_COMMIT] != NULL)
		s->commit = jscan_str(v[R_COMMIT], vn[R_COMMIT]);
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 64;
		s->objs = xreallocarray(s->objs, s->alloc, sizeof(*s->objs));
	}
	ob = &s->objs[s->n];
	memset(ob, 0, sizeof(*ob));
	ob->seq = s->n++;
	ob->len = rec->len;
	ob->obj_off = (size_t)(v[R_OBJECT] - rec->line);
	ob->obj_len = vn[R_OBJECT];
	ob->id = id;
	if (v[R_FILE] != NULL)
		ob->file = jscan_str(v[R_FILE], vn[R_FILE]);
	take_names(ob, v[R_OBJECT], vn[R_OBJECT]);
	ob->ignored = v[R_IGNORED] != NULL && jscan_true(v[R_IGNORED],
	    vn[R_IGNORED]);
	ob->rank = rank_of_kind(ob->kind ? ob->kind : "");
	buf_init(&ob->error, 0);
	if (remembered(r, s, ob, v[R_OBJECT], vn[R_OBJECT])) {
		ob->action = "unchanged";
		ob->remembered = 1;
	} else if (!ob->ignored && ob->api_version != NULL &&
	    ob->kind != NULL) {
		/* its kind will be resolved: discovery meanwhile */
		target_prefetch(r->t);
	}
	/*
	 * The text is for sending, and for a CRD's kind (note_crds). Before
	 * a revision record, a later one may still change the sync set.
	 */
	if (!ob->remembered || is_crd(ob) || s->sync_set == NULL)
		ob->line = xmemdup(rec->line, rec->len);
	s->complete = 0;
	free(name);
	return 0;
}

static void
obj_release(struct obj *ob)
{
	free(ob->line);
	free(ob->id);
	free(ob->file);
	free(ob->api_version);
	free(ob->kind);
	free(ob->name);
	free(ob->ns);
	free(ob->body);
	buf_release(&ob->error);
	target_kind_release(&ob->tk);
}

static void
source_free(void *p)
{
	struct source *s = p;
	size_t i;

	for (i = 0; i < s->n; i++)
		obj_release(&s->objs[i]);
	free(s->objs);
	free(s->name);
	free(s->commit);
	free(s->sync_set);
	free(s->early_set);
	applystate_release(&s->state);
	free(s);
}

/* Flux v1's order: rank, then name; then the order they came in. */
static int
cmp_obj(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;
	int c;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
fail(struct obj *ob, int temporary, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
fail(struct obj *ob, int temporary, const char *fmt, ...)
{
	va_list ap;

	ob->action = "failed";
	ob->temporary = temporary;
	va_start(ap, fmt);
	buf_vaddf(&ob->error, fmt, ap);
	va_end(ap);
}

static void
skip(struct obj *ob, const char *reason)
{
	ob->action = "skipped";
	ob->reason = reason;
}

/*
 * The object as it is sent: Flux v1's GC mark label (reference §3.3, so
 * its marks are ours) and the checksum annotation added.
 */
static int
make_body(struct obj *ob)
{
	json_t *o, *meta, *labels, *ann;

	o = json_loadb(ob->line + ob->obj_off, ob->obj_len, 0, NULL);
	meta = json_object_get(o, "metadata");
	if (!json_is_object(meta)) {
		fail(ob, 0, "the object has no metadata");
		json_decref(o);
		return -1;
	}
	labels = json_object_get(meta, "labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(meta, "labels", labels);
	}
	json_object_set_new(labels, "fluxcd.io/sync-gc-mark",
	    json_string(ob->mark));
	ann = json_object_get(meta, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(meta, "annotations", ann);
	}
	json_object_set_new(ann, "fluxcd.io/sync-checksum",
	    json_string(ob->checksum));
	ob->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ob->body_len = strlen(ob->body);
	json_decref(o);
	return 0;
}

static int
allowed(const struct run *r, const struct obj *ob)
{
	const char *ns;

	if (r->o->allow.count == 0)
		return 1;
	if (strcmp(ob->kind, "Namespace") == 0 && !ob->tk.namespaced)
		ns = ob->name;
	else if (ob->tk.namespaced)
		ns = ob->ns ? ob->ns : "default";
	else
		return 1;	/* other cluster-scoped kinds: allowed */
	return strmap_get(&r->o->allow, ns) != NULL;
}

/* The CRD of this set that defines ob's kind, or NULL. */
static const struct obj *
crd_of(const struct run *r, const struct obj *ob)
{
	struct buf key = BUF_INIT;
	const char *slash = strchr(ob->api_version, '/');
	const struct obj *crd;

	buf_add(&key, ob->api_version, slash ? (size_t)(slash -
	    ob->api_version) : 0);
	buf_addf(&key, "/%s", ob->kind);
	crd = strmap_get(&r->crds, key.s);
	buf_release(&key);
	return crd;
}

/*
 * Resolve the kinds of a rank's objects (after its CRDs, for rank 4). An
 * object ignored in Git is skipped first: it needs no discovery.
 */
static void
resolve_rank(struct run *r, struct obj *objs, size_t n)
{
	struct buf err = BUF_INIT;
	int temporary;
	size_t i;

	for (i = 0; i < n; i++) {
		struct obj *ob = &objs[i];

		if (ob->action != NULL || ob->resolved)
			continue;
		if (ob->api_version == NULL || ob->kind == NULL ||
		    ob->name == NULL) {
			fail(ob, 0, "the object has no apiVersion, kind or "
			    "metadata.name");
			continue;
		}
		if (ob->ignored) {
			skip(ob, "ignored in Git (fluxcd.io/ignore)");
			continue;
		}
		buf_reset(&err);
		if (target_resolve(r->t, ob->api_version, ob->kind, &ob->tk,
		    &temporary, &err) < 0) {
			const struct obj *crd = crd_of(r, ob);

			/*
			 * A custom resource whose CRD is in this set but was
			 * not applied: its fate is the CRD's, not "no such
			 * kind".
			 */
			if (crd != NULL && r->o->dry_run)
				skip(ob, "its CustomResourceDefinition is not "
				    "in the cluster yet (dry run)");
			else if (crd != NULL && crd->action != NULL &&
			    strcmp(crd->action, "failed") == 0)
				fail(ob, crd->temporary, "its "
				    "CustomResourceDefinition '%s' was not "
				    "applied", crd->name);
			else
				fail(ob, temporary, "%s", err.s);
			continue;
		}
		ob->resolved = 1;
	}
	buf_release(&err);
}

/*
 * Skip what the namespace constraints exclude, before the lists, so that
 * nothing is listed for them.
 */
static void
constrain_rank(struct run *r, struct obj *objs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (objs[i].action == NULL && !allowed(r, &objs[i]))
			skip(&objs[i], "excluded by namespace constraints "
			    "(--k8s-allow-namespace)");
}

/* Can name go into a field selector as it is? Valid names (DNS
 * subdomains) can; a list for any other is not narrowed. */
static int
plain_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '.'))
			return 0;
	return 1;
}

/*
 * One metadata-only list per kind and namespace of the rank's objects that
 * are still undecided; none at all when every one is decided. A list for
 * one object asks for it by name: a one-line change should not fetch the
 * metadata of every Deployment in its namespace.
 */
static void
list_rank(struct run *r, struct obj *objs, size_t n,
    struct target_list_req **lists, size_t *nlists)
{
	struct strmap seen = STRMAP_INIT, *index;
	struct buf key = BUF_INIT;
	size_t i, k;
	uintptr_t at;

	*lists = NULL;
	*nlists = 0;
	for (i = 0; i < n; i++) {
		struct obj *ob = &objs[i];
		const char *ns;

		if (ob->action != NULL)
			continue;
		ns = ob->tk.namespaced ? (ob->ns ? ob->ns : "default") : "";
		buf_reset(&key);
		buf_addf(&key, "%s/%s/%s/%s", ob->tk.group, ob->tk.version,
		    ob->tk.resource, ns);
		if ((at = (uintptr_t)strmap_get(&seen, key.s)) != 0) {
			(*lists)[at - 1].name = NULL;	/* not one alone */
			continue;
		}
		strmap_put(&seen, key.s, (void *)(uintptr_t)(*nlists + 1), NULL);
		*lists = xreallocarray(*lists, *nlists + 1, sizeof(**lists));
		memset(&(*lists)[*nlists], 0, sizeof(**lists));
		(*lists)[*nlists].kind = &ob->tk;
		(*lists)[*nlists].namespace = ns;
		if (plain_name(ob->name))
			(*lists)[*nlists].name = ob->name;
		(*nlists)++;
	}
	if (*nlists == 0) {
		strmap_release(&seen, NULL);
		buf_release(&key);
		return;
	}
	target_list(r->t, *lists, *nlists);
	/* each list indexed by name, so that matching is not n x m */
	index = xcalloc(*nlists + 1, sizeof(*index));
	for (k = 0; k < *nlists; k++)
		for (i = 0; i < (*lists)[k].nitems; i++)
			strmap_put(&index[k], (*lists)[k].items[i].name,
			    &(*lists)[k].items[i], NULL);
	/* each object finds its live copy, if any */
	for (i = 0; i < n; i++) {
		struct obj *ob = &objs[i];
		const char *ns;

		if (ob->action != NULL)
			continue;
		ns = ob->tk.namespaced ? (ob->ns ? ob->ns : "default") : "";
		for (k = 0; k < *nlists; k++) {
			struct target_list_req *l = &(*lists)[k];

			if (strcmp(l->kind->group, ob->tk.group) != 0 ||
			    strcmp(l->kind->resource, ob->tk.resource) != 0 ||
			    strcmp(l->namespace, ns) != 0)
				continue;
			if (l->failed) {
				fail(ob, 1, "cannot list %s: %s",
				    ob->tk.resource, l->err.s);
				break;
			}
			ob->live = strmap_get(&index[k], ob->name);
			break;
		}
	}
	for (k = 0; k < *nlists; k++)
		strmap_release(&index[k], NULL);
	free(index);
	strmap_release(&seen, NULL);
	buf_release(&key);
}

static void
write_applied(struct run *r, const struct source *s, const struct obj *ob)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "applied");
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "commit", s->commit);
	jsonw_kstr(&w, "id", ob->id);
	if (ob->file != NULL)
		jsonw_kstr(&w, "file", ob->file);
	jsonw_kstr(&w, "apiVersion", ob->api_version);
	jsonw_kstr(&w, "kind", ob->kind);
	jsonw_kstr(&w, "action", ob->action);
	jsonw_kbool(&w, "dryRun", r->o->dry_run);
	if (ob->reason != NULL)
		jsonw_kstr(&w, "reason", ob->reason);
	if (ob->error.len > 0)
		jsonw_kstr(&w, "error", ob->error.s);
	jsonw_close(&w);
	rec_out_buf(&b);
	if (ob->error.len > 0)
		log_event(LOG_ERROR, (const char *const[]){ "source", s->name,
		    "id", ob->id, NULL }, "cannot apply '%s': %s", ob->id,
		    ob->error.s);
	buf_release(&b);
}

/*
 * In a dry run, an object whose namespace this same run only pretended to
 * create is refused by the API server (namespaces "x" not found), as
 * kubectl apply --dry-run=server is: not a failure of the object.
 */
static int
dry_namespace_missing(const struct run *r, const struct obj *ob,
    const char *err)
{
	struct buf want = BUF_INIT;
	int hit;

	buf_addf(&want, "namespaces \"%s\" not found", ob->ns ? ob->ns :
	    "default");
	hit = strstr(err, want.s) != NULL &&
	    strmap_get(&r->dry_namespaces, ob->ns ? ob->ns : "default");
	buf_release(&want);
	return hit;
}

/*
 * Objects are sent CHUNK at a time, which keeps --concurrency requests in
 * flight but bounds the bodies held at once: a rank may be thousands of
 * ConfigMaps.
 */
#define CHUNK 256

/*
 * Before s's first change to the target: its state file goes, so that if
 * this run dies before it writes the next, no remembered checksum is older
 * than what the target holds (an object changed now and changed back in
 * Git later must not look unchanged).
 */
static void
forget_state(struct run *r, struct source *s)
{
	if (!state_on(r, s) || (s->state_removed && !s->state_stale))
		return;
	s->state_removed = 1;
	s->state_stale = applystate_remove(r->o->state_dir, s->name) < 0;
}

/* Apply what reqs hold and record each object's outcome. */
static int
send(struct run *r, struct source *s, struct target_apply_req *reqs,
    struct obj **sent, size_t m)
{
	size_t i;

	if (m == 0)
		return 0;
	forget_state(r, s);
	target_apply(r->t, reqs, m);
	for (i = 0; i < m; i++) {
		struct obj *ob = sent[i];

		switch (reqs[i].action) {
		case TARGET_CREATED: ob->action = "created"; break;
		case TARGET_CONFIGURED: ob->action = "configured"; break;
		case TARGET_UNCHANGED: ob->action = "unchanged"; break;
		default:
			if (r->o->dry_run && dry_namespace_missing(r, ob,
			    reqs[i].err.s))
				skip(ob, "its namespace is not in the cluster "
				    "yet (dry run)");
			else
				fail(ob, reqs[i].temporary, "%s",
				    reqs[i].err.s);
			break;
		}
		if (r->o->dry_run && strcmp(ob->kind, "Namespace") == 0 &&
		    strcmp(ob->action, "created") == 0)
			strmap_put(&r->dry_namespaces, ob->name, (void *)1,
			    NULL);
		buf_release(&reqs[i].err);
		free(ob->body);
		ob->body = NULL;
	}
	return 1;
}

/* Apply a rank's objects: 1 if that took any request, else 0. */
static int
apply_rank(struct run *r, struct source *s, struct obj *objs, size_t n)
{
	struct target_apply_req *reqs;
	struct target_list_req *lists;
	size_t nlists, i, m = 0;
	struct obj **sent;
	const char *sync_set = s->sync_set ? s->sync_set : r->o->sync_set;
	int asked;

	resolve_rank(r, objs, n);
	constrain_rank(r, objs, n);
	list_rank(r, objs, n, &lists, &nlists);
	asked = nlists > 0;
	reqs = xcalloc(CHUNK, sizeof(*reqs));
	sent = xcalloc(CHUNK, sizeof(*sent));
	for (i = 0; i < n; i++) {
		struct obj *ob = &objs[i];

		if (ob->action != NULL)
			continue;
		if (ob->live && ob->live->ignore &&
		    strcmp(ob->live->ignore, "true") == 0) {
			skip(ob, "ignored in the cluster (fluxcd.io/ignore)");
			continue;
		}
		make_checksum(r, ob, ob->line + ob->obj_off, ob->obj_len,
		    sync_set);
		if (!r->o->full && ob->live && ob->live->checksum &&
		    strcmp(ob->live->checksum, ob->checksum) == 0) {
			ob->action = "unchanged";
			continue;
		}
		if (make_body(ob) < 0)
			continue;
		reqs[m].kind = &ob->tk;
		reqs[m].namespace = ob->tk.namespaced ?
		    (ob->ns ? ob->ns : "default") : "";
		reqs[m].name = ob->name;
		reqs[m].body = ob->body;
		reqs[m].len = ob->body_len;
		reqs[m].live_version = ob->live ? ob->live->resource_version :
		    NULL;
		reqs[m].dry_run = r->o->dry_run;
		sent[m++] = ob;
		if (m == CHUNK) {
			asked |= send(r, s, reqs, sent, m);
			m = 0;
		}
	}
	asked |= send(r, s, reqs, sent, m);
	/* the lists' items are gone after this */
	for (i = 0; i < n; i++)
		objs[i].live = NULL;
	for (i = 0; i < nlists; i++)
		target_list_req_release(&lists[i]);
	free(lists);
	free(reqs);
	free(sent);
	return asked;
}

/*
 * CRDs applied in this rank: wait until their kinds are served. Not those
 * the state says are unchanged: an earlier run saw them applied.
 */
static void
establish(struct run *r, struct obj *objs, size_t n)
{
	struct buf err = BUF_INIT;
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		struct obj *ob = &objs[i];

		if (!is_crd(ob) || ob->action == NULL || ob->remembered ||
		    strcmp(ob->action, "failed") == 0 ||
		    strcmp(ob->action, "skipped") == 0 || r->o->dry_run)
			continue;
		buf_reset(&err);
		if (target_wait_established(r->t, ob->name, &err) < 0)
			log_warn("%s", err.s);
		any = 1;
	}
	if (any) {
		buf_reset(&err);
		if (target_refresh(r->t, &err) < 0)
			log_warn("cannot refresh discovery: %s", err.s);
	}
	buf_release(&err);
}

/* Tell the target about the set's CRDs, and remember which kinds they
 * define (call after sorting: r->crds points into s->objs). */
static void
note_crds(struct run *r, struct source *s)
{
	struct buf key = BUF_INIT;
	size_t i;

	strmap_release(&r->crds, NULL);
	for (i = 0; i < s->n; i++) {
		const char *group, *kind;
		json_t *j, *spec;

		if (!is_crd(&s->objs[i]))
			continue;
		j = json_loadb(s->objs[i].line, s->objs[i].len, 0, NULL);
		spec = json_object_get(json_object_get(j, "object"), "spec");
		group = json_string_value(json_object_get(spec, "group"));
		kind = json_string_value(json_object_get(json_object_get(spec,
		    "names"), "kind"));
		target_note_crd(r->t, group, kind,
		    json_string_value(json_object_get(spec, "scope")));
		if (group != NULL && kind != NULL) {
			buf_reset(&key);
			buf_addf(&key, "%s/%s", group, kind);
			strmap_put(&r->crds, key.s, &s->objs[i], NULL);
		}
		json_decref(j);
	}
	buf_release(&key);
}

static void
end_record(struct source *s, int ok, const unsigned long *counts,
    const struct obj *objs, size_t n, const char *why)
{
	struct rec_count c[] = {
		{ "created", counts ? counts[0] : 0 },
		{ "configured", counts ? counts[1] : 0 },
		{ "unchanged", counts ? counts[2] : 0 },
		{ "skipped", counts ? counts[3] : 0 },
		{ "failed", counts ? counts[4] : 0 },
	};
	char **failed = xcalloc(n + 1, sizeof(*failed));
	size_t i, nfailed = 0;

	for (i = 0; i < n; i++)
		if (strcmp(objs[i].action, "failed") == 0)
			failed[nfailed++] = objs[i].id;
	rec_write_end(STAGE, s->name, s->commit, ok, c, sizeof(c) / sizeof(c[0]),
	    failed, nfailed, why);
	free(failed);
}

/*
 * Objects the state said were unchanged under a sync set that a later
 * revision record for the source replaced: their marks are not what they
 * were. Those read before any revision kept their records and are looked
 * at again; those read after one did not (a second revision for a source,
 * with another sync set): they fail, are not remembered, and the next run
 * applies them.
 */
static void
check_early_set(struct run *r, struct source *s)
{
	const char *set = s->sync_set ? s->sync_set : r->o->sync_set;
	size_t i;

	if (s->early_set == NULL || strcmp(s->early_set, set) == 0)
		return;
	for (i = 0; i < s->n; i++) {
		struct obj *ob = &s->objs[i];

		if (!ob->remembered)
			continue;
		ob->action = NULL;
		ob->remembered = 0;
		if (ob->line == NULL)
			fail(ob, 1, "the sync set changed after the object "
			    "was read; the next run applies it");
	}
}

/*
 * The next state: every object the target holds as this run left it.
 * Failed and skipped objects are left out, to be looked at again; so are
 * objects that left Git, so one that comes back is applied again.
 */
static void
save_state(struct run *r, struct source *s)
{
	struct applystate_writer w;
	size_t i;

	if (!state_on(r, s))
		return;
	applystate_writer_init(&w, r->state_key.s);
	for (i = 0; i < s->n; i++) {
		const struct obj *ob = &s->objs[i];

		if (*ob->checksum != '\0' && (strcmp(ob->action, "created") == 0 ||
		    strcmp(ob->action, "configured") == 0 ||
		    strcmp(ob->action, "unchanged") == 0))
			applystate_writer_add(&w, ob->id, ob->checksum);
	}
	if (applystate_write(&w, r->o->state_dir, s->name,
	    s->state_removed ? NULL : &s->state) == 0)
		return;
	/* an old file would still name the objects that have left Git */
	forget_state(r, s);
	if (s->state_stale)
		r->state_failed = 1;
}

/* The "applied" records of objs, counted by action into counts. */
static void
write_rank(struct run *r, const struct source *s, const struct obj *objs,
    size_t n, unsigned long *counts)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct obj *ob = &objs[i];

		write_applied(r, s, ob);
		if (strcmp(ob->action, "created") == 0)
			counts[0]++;
		else if (strcmp(ob->action, "configured") == 0)
			counts[1]++;
		else if (strcmp(ob->action, "unchanged") == 0)
			counts[2]++;
		else if (strcmp(ob->action, "skipped") == 0)
			counts[3]++;
		else {
			counts[4]++;
			tool_note(&r->st, ob->temporary);
		}
	}
	tool_check_output();
}

static void
apply_source(struct run *r, struct source *s)
{
	unsigned long counts[5] = { 0 };
	size_t i, start, end, written = 0;
	int asked;

	if (!s->complete) {
		if (s->n > 0) {
			log_event(LOG_ERROR, (const char *const[]){ "source",
			    s->name, NULL }, "the stream ended before the "
			    "objects of '%s' were complete: nothing applied",
			    s->name);
			end_record(s, 0, NULL, NULL, 0, "incomplete input: the "
			    "stream ended without an end record after the "
			    "objects; nothing was applied");
			tool_note(&r->st, 0);
		}
		return;
	}
	if (s->sync_set == NULL && r->o->sync_set == NULL)
		log_warn("no revision record for '%s': GC marks use the sync "
		    "set '%s'", s->name, "local");
	check_early_set(r, s);
	if (s->n > 0)
		qsort(s->objs, s->n, sizeof(*s->objs), cmp_obj);
	note_crds(r, s);
	/* rank by rank: each finishes before the next starts */
	for (start = 0; start < s->n; start = end) {
		for (end = start; end < s->n &&
		    s->objs[end].rank == s->objs[start].rank; end++)
			;
		asked = apply_rank(r, s, s->objs + start, end - start);
		establish(r, s->objs + start, end - start);
		/* a rank done, its records' text is not needed any more */
		for (i = start; i < end; i++) {
			free(s->objs[i].line);
			s->objs[i].line = NULL;
		}
		/*
		 * The records of ranks the state decided wait for the next
		 * rank that asks the target anything, or the end: a one-line
		 * change should not wait behind thousands of "unchanged"
		 * (and the next stage needs the end anyway). A rank that
		 * asked writes at once, so a long first pass shows progress.
		 */
		if (asked || end == s->n) {
			write_rank(r, s, s->objs + written, end - written,
			    counts);
			written = end;
		}
	}
	save_state(r, s);
	end_record(s, counts[4] == 0, counts, s->objs, s->n, NULL);
}

/* What a state file must be valid for: the target and the namespaces. */
static void
state_key(struct run *r)
{
	const char **allow = xcalloc(r->o->allow.count + 1, sizeof(*allow));
	size_t i, n = 0;

	for (i = 0; i < r->o->allow.cap; i++)
		if (r->o->allow.slots[i].key != NULL)
			allow[n++] = r->o->allow.slots[i].key;
	applystate_key(&r->state_key, target_identity(r->t), allow, n);
	free(allow);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o;
	struct run r;
	struct rec rec;
	struct buf err = BUF_INIT;
	char **allow = NULL;
	size_t i, nallow = 0;
	int ch, n, code = 0;

	tool_init("kube-apply");
	memset(&o, 0, sizeof(o));
	o.target = "kube";
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_FULL: o.full = 1; break;
		case OPT_STATE_DIR:
			if (*optarg == '\0')
				die(EXIT_USAGE, "--state-dir: an empty name");
			o.state_dir = optarg;
			break;
		case OPT_ALLOW_NS:
			tool_add_list(&allow, &nallow, optarg);
			break;
		case OPT_SYNC_SET: o.sync_set = optarg; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("kube-apply " SLUICE_VERSION "\n");
		default:
			if (!target_flag(ch, optarg, &o.target, &o.t))
				tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);
	if (o.sync_set == NULL)
		o.sync_set = "local";
	for (i = 0; i < nallow; i++)
		if (*allow[i] != '\0')
			strmap_put(&o.allow, allow[i], (void *)1, NULL);
	tool_free_list(allow, nallow);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.t = target_open(o.target, &o.t, &code, &err);
	if (r.t == NULL)
		die(code, "%s", err.s);
	if (o.state_dir != NULL)
		state_key(&r);
	while ((n = rec_next(&in, &rec)) > 0) {
		if (rec_is(&rec, "object")) {
			if (take_object(&r, &rec) < 0)
				tool_stream_broken(&in);
			continue;
		}
		if (rec_is(&rec, "revision"))
			take_revision(&r, &rec);
		else if (rec_is(&rec, "end"))
			take_end(&r, &rec);
		rec_out_line(rec.line, rec.len);
		tool_check_output();
	}
	if (n < 0)
		tool_stream_broken(&in);
	for (i = 0; i < r.sources.n; i++)
		apply_source(&r, ordmap_at(&r.sources, i));
	/* gc starts on the end of the stream, not on our clean-up */
	(void)rec_out_end();

	target_close(r.t);
	strmap_release(&r.crds, NULL);
	strmap_release(&r.dry_namespaces, NULL);
	ordmap_release(&r.sources, source_free);
	strmap_release(&o.allow, NULL);
	buf_release(&r.state_key);
	buf_release(&r.scratch);
	rec_reader_release(&in);
	buf_release(&err);
	code = tool_finish(&r.st);
	if (r.state_failed && (code == EXIT_OK || code == EXIT_TEMPFAIL))
		code = EXIT_IOERR;
	return code;
}
