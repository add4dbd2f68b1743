/*
 * img-scan: ask registries what the workloads' image repositories hold,
 * asking as little as the tag filters need.
 *
 * In: NDJSON. Reads "object" records (and "revision" and "end" records for
 * their sources); every record passes through unchanged, as it comes.
 * Out, after the input ends, per source: one "image" record per repository
 * its workloads use (canonical name; tags, each with digest and created
 * time where known; error when the registry could not be read), then an
 * "end" record. A workload that cannot be read (an image reference that
 * does not parse, a malformed container list) gets an "error" record
 * after its object.
 *
 * Which repositories: those of automated workloads (fluxcd.io/automated
 * "true", not locked, not ignored), or of every workload with
 * --all-images; then --registry-include-image and
 * --registry-exclude-image globs on the canonical name, exclude winning.
 *
 * What is asked, per repository (flux-v1-reference.md 6.3 to 6.5): the tag
 * list, always, every page. Digests and creation times only where a
 * container's tag filter orders by time (glob and regexp filters; semver
 * filters order by version) and only for the tags that filter lets
 * through, plus the tag in use. Such a tag is re-checked with a HEAD when
 * the cache says it is due (adaptive refresh: 1 h for a new tag, doubled
 * while it stays put, halved when it moves); a digest whose metadata is
 * not in the cache is fetched once, by digest: the manifest (an index
 * resolved to --platform) and its config blob. So a semver-only or warm
 * repository costs its tag pages and nothing else.
 *
 * The cache is STATE/SOURCE/images (lib/imgcache.h), or --cache-dir. It
 * is written only from reads that succeeded, and only when it changed; a
 * repository whose tags could not be listed keeps its cache entry and is
 * written from it, with "error" set.
 *
 * Flags: --all-images, --registry-include-image GLOB...,
 * --registry-exclude-image GLOB..., --registry-use-labels GLOB...,
 * --registry-rps N, --registry-burst N, --registry-timeout DURATION,
 * --registry-insecure-host HOST..., --registry-ca-file FILE,
 * --docker-config FILE, --platform OS/ARCH[/VARIANT], --state-dir DIR,
 * --cache-dir DIR, --log-format.
 * Exit: 0; 1 some images or objects failed; 64 usage; 65 bad input;
 * 74 I/O (the cache); 75 only temporary failures (429, 5xx, timeouts);
 * 78 credentials missing or refused, or a bad Docker config.
 */
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/imgcache.h"
#include "lib/imgref.h"
#include "lib/jsonw.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/policy.h"
#include "lib/rec.h"
#include "lib/registry.h"
#include "lib/strmap.h"
#include "lib/tool.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define STAGE "img-scan"

/* Repositories scanned together: enough to keep --registry-burst
 * requests in flight, few enough to bound the tags held at once. */
#define GROUP 128

static const char usage_line[] =
    "usage: img-scan [--all-images] [--registry-include-image GLOB]...\n"
    "                [--registry-exclude-image GLOB]...\n"
    "                [--registry-use-labels GLOB]... [--registry-rps N]\n"
    "                [--registry-burst N] [--registry-timeout DURATION]\n"
    "                [--registry-insecure-host HOST]...\n"
    "                [--registry-ca-file FILE] [--docker-config FILE]\n"
    "                [--platform OS/ARCH[/VARIANT]] [--state-dir DIR]\n"
    "                [--cache-dir DIR] [--log-format auto|text|json]";

static const char help_text[] =
    "usage: img-scan [options] <objects.ndjson\n"
    "\n"
    "Reads \"object\" records, asks registries about the image\n"
    "repositories their workloads use, and writes an \"image\" record for\n"
    "each. See img-scan(1).\n"
    "\n"
    "  --all-images                  every workload, not only automated\n"
    "  --registry-include-image GLOB only these canonical names\n"
    "  --registry-exclude-image GLOB never these (k8s.gcr.io/*)\n"
    "  --registry-use-labels GLOB    created time from image labels\n"
    "                                (index.docker.io/weaveworks/*,\n"
    "                                index.docker.io/fluxcd/*)\n"
    "  --registry-rps N              requests per second per host (200)\n"
    "  --registry-burst N            burst and concurrency per host (125)\n"
    "  --registry-timeout DURATION   per request (60s)\n"
    "  --registry-insecure-host HOST plain HTTP or unverified TLS\n"
    "  --registry-ca-file FILE       trust this CA too\n"
    "  --docker-config FILE          credentials (a Docker config.json)\n"
    "  --platform OS/ARCH[/VARIANT]  of multi-arch images (linux/amd64)\n"
    "  --state-dir DIR               $SLUICE_STATE_DIR, /var/lib/sluice\n"
    "  --cache-dir DIR               default STATE/SOURCE/images\n"
    "  --log-format FORMAT           auto, text or json\n";

enum {
	OPT_ALL = 256, OPT_INCLUDE, OPT_EXCLUDE, OPT_USE_LABELS, OPT_RPS,
	OPT_BURST, OPT_TIMEOUT, OPT_INSECURE, OPT_CA, OPT_DOCKER_CONFIG,
	OPT_PLATFORM, OPT_STATE_DIR, OPT_CACHE_DIR, OPT_LOG_FORMAT,
	OPT_VERSION
};

static const struct option long_options[] = {
	{ "all-images", no_argument, NULL, OPT_ALL },
	{ "registry-include-image", required_argument, NULL, OPT_INCLUDE },
	{ "registry-exclude-image", required_argument, NULL, OPT_EXCLUDE },
	{ "registry-use-labels", required_argument, NULL, OPT_USE_LABELS },
	{ "registry-rps", required_argument, NULL, OPT_RPS },
	{ "registry-burst", required_argument, NULL, OPT_BURST },
	{ "registry-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "registry-insecure-host", required_argument, NULL, OPT_INSECURE },
	{ "registry-ca-file", required_argument, NULL, OPT_CA },
	{ "docker-config", required_argument, NULL, OPT_DOCKER_CONFIG },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* A flag given as a list (repeated or comma-separated), and its default. */
struct list {
	char **v;
	size_t n;
	int given;
};

struct options {
	int all_images;
	struct list include, exclude, use_labels, insecure;
	const char *state_dir, *cache_dir;
	struct registry_opts reg;
};

/* One image repository of a source, and what its scan found. */
struct repo {
	char *name;		/* canonical: "index.docker.io/library/nginx" */
	char *host;		/* "index.docker.io" */
	const char *path;	/* within name: "library/nginx" */
	struct strmap filters;	/* time-ordered filter text -> policy */
	struct strmap in_use;	/* tags the workloads run now */
	/* the scan */
	struct imgcache_repo cached;	/* as loaded */
	struct imgcache_repo fresh;	/* after a good tags list */
	int listed;		/* the tags list was read */
	int dirty;		/* fresh differs from cached */
	unsigned long reads, failed_reads;
	struct buf err;		/* the first failure, for the record */
	int temporary, auth;
};

struct source {
	char *name;
	char *commit;
	int complete;		/* an "end" for it followed its last object */
	int objects;		/* it had object records */
	struct ordmap repos;	/* canonical name -> struct repo */
	unsigned long errors;	/* error records written */
	unsigned long failed_images;
	char **failed;		/* IDs and images that failed */
	size_t nfailed;
};

struct run {
	const struct options *o;
	struct registry *reg;
	struct imgcache *cache;
	long long now;
	struct ordmap sources;	/* name -> struct source */
	struct tool_status st;
	int io_failed, auth_failed;
};

/* ---- reading the objects ---- */

/* struct source starts with its name, for ordmap_named */
static struct source *
source_get(struct run *r, const char *name)
{
	return ordmap_named(&r->sources, name, sizeof(struct source));
}

static void
add_failed(struct source *s, const char *what)
{
	s->failed = xreallocarray(s->failed, s->nfailed + 1,
	    sizeof(*s->failed));
	s->failed[s->nfailed++] = xstrdup(what);
}

static void
error_record(struct run *r, struct source *s, const char *file,
    const char *id, const char *msg)
{
	rec_write_error(STAGE, s->name, s->commit, file, id, msg);
	log_event(LOG_ERROR, (const char *const[]){ "source", s->name, "id",
	    id, NULL }, "%s: %s", id, msg);
	s->errors++;
	add_failed(s, id);
	tool_note(&r->st, 0);
}

static int
glob_any(const struct list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (imgref_glob_match(l->v[i], name))
			return 1;
	return 0;
}

static int
scanned(const struct options *o, const char *name)
{
	if (o->include.n > 0 && !glob_any(&o->include, name))
		return 0;
	return !glob_any(&o->exclude, name);
}

static struct repo *
repo_get(struct source *s, const char *name, const char *host)
{
	int added;
	struct repo *rp = ordmap_get(&s->repos, name, sizeof(*rp), &added);

	if (added) {
		rp->name = xstrdup(name);
		rp->host = xstrdup(host);
		rp->path = rp->name + strlen(host) + 1;
		buf_init(&rp->err, 0);
	}
	return rp;
}

/* Note a container's image, the tag it runs and its filter. */
static int
take_container(struct run *r, struct source *s, const struct workload *w,
    const struct workload_container *c, struct buf *err)
{
	struct imgref ref = IMGREF_INIT;
	struct buf name = BUF_INIT;
	struct policy *p;
	struct repo *rp;
	const char *filter;

	if (imgref_parse(c->image, &ref, err) < 0) {
		buf_addf(err, " (container '%s')", c->name);
		return -1;
	}
	imgref_canonical_name(&ref, &name);
	if (!scanned(r->o, name.s))
		goto out;
	rp = repo_get(s, name.s, imgref_registry(&ref));
	if (ref.tag != NULL)
		strmap_put(&rp->in_use, ref.tag, (void *)1, NULL);
	filter = workload_tag_filter(w, c->name);
	if (strmap_get(&rp->filters, filter) == NULL) {
		p = xmalloc(sizeof(*p));
		if (policy_parse(filter, p, err) < 0) {
			/* img-update refuses it too: nothing to read for it */
			log_warn("container '%s': %s", c->name, err->s);
			buf_reset(err);
			free(p);
		} else if (!policy_needs_time(p)) {
			policy_release(p);
			free(p);
		} else {
			strmap_put(&rp->filters, filter, p, NULL);
		}
	}
out:
	imgref_release(&ref);
	buf_release(&name);
	return 0;
}

static void
take_object(struct run *r, const struct rec *rec)
{
	json_t *j = rec_parse(rec);
	const char *name = json_string_value(json_object_get(j, "source"));
	const char *id = json_string_value(json_object_get(j, "id"));
	struct workload w = WORKLOAD_INIT;
	struct buf err = BUF_INIT;
	struct source *s;
	size_t i;

	s = source_get(r, name != NULL ? name : "local");
	s->objects = 1;
	s->complete = 0;
	if (s->commit == NULL && json_string_value(json_object_get(j,
	    "commit")) != NULL)
		s->commit = xstrdup(json_string_value(json_object_get(j,
		    "commit")));
	if (id == NULL)
		id = "(an object without an id)";
	switch (workload_read(json_object_get(j, "object"), &w, &err)) {
	case 1:
		goto out;
	case -1:
		goto fail;
	}
	if (!r->o->all_images && (!w.automated || w.locked || w.ignored ||
	    json_is_true(json_object_get(j, "ignored"))))
		goto out;
	for (i = 0; i < w.n; i++)
		if (w.containers[i].image != NULL &&
		    take_container(r, s, &w, &w.containers[i], &err) < 0)
			goto fail;
	goto out;
fail:
	error_record(r, s, json_string_value(json_object_get(j, "file")), id,
	    err.s);
out:
	workload_release(&w);
	buf_release(&err);
	json_decref(j);
}

static void
take_revision_or_end(struct run *r, const struct rec *rec, int end)
{
	json_t *j = rec_parse(rec);
	const char *name = json_string_value(json_object_get(j, "source"));
	const char *commit = json_string_value(json_object_get(j, "commit"));
	struct source *s;

	if (name != NULL) {
		s = source_get(r, name);
		if (end) {
			s->complete = 1;
		} else if (commit != NULL) {
			free(s->commit);
			s->commit = xstrdup(commit);
		}
	}
	json_decref(j);
}

/* ---- scanning a group of repositories ---- */

static void
repo_fail(struct repo *rp, const struct registry_req *q)
{
	/* temporary only if every failure was */
	if (rp->failed_reads++ == 0) {
		buf_adds(&rp->err, q->err.s);
		rp->temporary = q->temporary;
	} else if (!q->temporary) {
		rp->temporary = 0;
	}
	if (q->auth)
		rp->auth = 1;
}

/*
 * Does a time-ordered filter need tag's creation time: does it let the tag
 * through, or is it the tag in use (choosing compares the two)?
 */
static int
needed(const struct repo *rp, const char *tag)
{
	size_t i;

	if (rp->filters.count == 0)
		return 0;
	if (strmap_get(&rp->in_use, tag) != NULL)
		return 1;
	for (i = 0; i < rp->filters.cap; i++)
		if (rp->filters.slots[i].key != NULL &&
		    policy_allows(rp->filters.slots[i].value, tag))
			return 1;
	return 0;
}

/*
 * The tags list came: fresh gets every tag listed, with what the cache
 * knew of it. Tags gone from the registry are gone from fresh.
 */
static void
take_tags(struct repo *rp, const json_t *tags)
{
	struct strmap old = STRMAP_INIT, seen = STRMAP_INIT;
	struct imgcache_tag *t;
	const struct imgcache_tag *was;
	const char *tag;
	size_t i, kept = 0, bad = 0;
	json_t *v;

	for (i = 0; i < rp->cached.n; i++)
		strmap_put(&old, rp->cached.tags[i].tag, &rp->cached.tags[i],
		    NULL);
	json_array_foreach(tags, i, v) {
		tag = json_string_value(v);
		if (tag == NULL || *tag == '\0' ||
		    strlen(tag) > IMGREF_TAG_MAX) {
			bad++;
			continue;
		}
		if (strmap_put(&seen, tag, (void *)1, NULL) == 0)
			continue;	/* listed twice */
		t = imgcache_repo_add(&rp->fresh, tag);
		if ((was = strmap_get(&old, tag)) != NULL) {
			memcpy(t->digest, was->digest, sizeof(t->digest));
			t->checked = was->checked;
			t->interval = was->interval;
			kept++;
		}
	}
	if (bad > 0)
		log_warn("%s: %zu tags in the list are not tags; left out",
		    rp->name, bad);
	rp->fresh.listed = rp->cached.listed;
	if (kept != rp->cached.n || kept != rp->fresh.n)
		rp->dirty = 1;
	rp->listed = 1;
	strmap_release(&old, NULL);
	strmap_release(&seen, NULL);
}

/*
 * The requests of one phase: what each asks about, made into registry
 * requests CHUNK at a time, so that a cold scan of thousands of tags
 * holds only a chunk of manifests and configs at once.
 */
#define CHUNK 1024

enum ask { ASK_TAGS, ASK_HEAD, ASK_METADATA };

struct job {
	struct repo *rp;
	struct imgcache_tag *t;		/* HEAD and metadata: the tag */
};

struct batch {
	enum ask ask;
	struct job *jobs;
	size_t n, alloc;
};

static void
batch_add(struct batch *b, struct repo *rp, struct imgcache_tag *t)
{
	if (b->n == b->alloc) {
		b->alloc = b->alloc ? 2 * b->alloc : 256;
		b->jobs = xreallocarray(b->jobs, b->alloc, sizeof(*b->jobs));
	}
	b->jobs[b->n].rp = rp;
	b->jobs[b->n++].t = t;
	rp->reads++;
}

static struct registry_req *
make_req(enum ask ask, const struct job *j)
{
	switch (ask) {
	case ASK_TAGS:
		return registry_tags_new(j->rp->host, j->rp->path);
	case ASK_HEAD:
		return registry_manifest_new(j->rp->host, j->rp->path,
		    j->t->tag, REGISTRY_HEAD);
	default:
		return registry_manifest_new(j->rp->host, j->rp->path,
		    j->t->digest, REGISTRY_CONFIG);
	}
}

typedef void take_fn(struct run *r, const struct job *j,
    const struct registry_req *q, void *ctx);

/* Run every job of b, and hand each answer to take. */
static void
batch_run(struct run *r, struct batch *b, take_fn *take, void *ctx)
{
	struct registry_req *q[CHUNK];
	size_t i, k, m;

	for (i = 0; i < b->n; i += m) {
		m = b->n - i < CHUNK ? b->n - i : CHUNK;
		for (k = 0; k < m; k++)
			q[k] = make_req(b->ask, &b->jobs[i + k]);
		registry_run(r->reg, q, m);
		for (k = 0; k < m; k++) {
			take(r, &b->jobs[i + k], q[k], ctx);
			registry_req_free(q[k]);
		}
	}
	free(b->jobs);
	memset(b, 0, sizeof(*b));
}

static void
take_tags_answer(struct run *r, const struct job *j,
    const struct registry_req *q, void *ctx)
{
	(void)r;
	(void)ctx;
	if (q->failed)
		repo_fail(j->rp, q);
	else
		take_tags(j->rp, q->tags);
}

static void
list_tags(struct run *r, struct repo **g, size_t n)
{
	struct batch b = { ASK_TAGS, NULL, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		batch_add(&b, g[i], NULL);
	batch_run(r, &b, take_tags_answer, NULL);
}

static void
take_head(struct run *r, const struct job *j, const struct registry_req *q,
    void *ctx)
{
	(void)ctx;
	if (q->failed) {
		if (q->status != 404)
			repo_fail(j->rp, q);
		return;
	}
	if (imgcache_checked(j->t, q->digest, r->now) < 0)
		repo_fail(j->rp, q);
	j->rp->dirty = 1;
}

/*
 * HEAD every needed tag that is due: its digest, which tells whether it
 * moved. A tag deleted since the list (404) is left unchecked.
 */
static void
check_due(struct run *r, struct repo **g, size_t n)
{
	struct batch b = { ASK_HEAD, NULL, 0, 0 };
	struct imgcache_tag *t;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (!g[i]->listed)
			continue;
		for (k = 0; k < g[i]->fresh.n; k++) {
			t = &g[i]->fresh.tags[k];
			if (needed(g[i], t->tag) && imgcache_due(t, r->now))
				batch_add(&b, g[i], t);
		}
	}
	batch_run(r, &b, take_head, NULL);
}

/* The group a metadata batch is for. */
struct group {
	struct repo **g;
	size_t n;
};

/* Mark every tag of the group pointing at digest as having no image for
 * the platform (an index without it). */
static void
exclude_digest(struct run *r, const struct group *gr, const char *digest)
{
	size_t i, k;

	for (i = 0; i < gr->n; i++)
		for (k = 0; k < gr->g[i]->fresh.n; k++)
			if (strcmp(gr->g[i]->fresh.tags[k].digest, digest) ==
			    0) {
				imgcache_excluded(&gr->g[i]->fresh.tags[k],
				    r->now);
				gr->g[i]->dirty = 1;
			}
}

static void
take_metadata(struct run *r, const struct job *j,
    const struct registry_req *q, void *ctx)
{
	struct imgcache_image img;

	if (q->no_platform) {
		exclude_digest(r, ctx, q->ref);
		return;
	}
	if (q->failed) {
		repo_fail(j->rp, q);
		return;
	}
	memset(&img, 0, sizeof(img));
	snprintf(img.digest, sizeof(img.digest), "%s", q->ref);
	if (q->created == NULL || num_parse_rfc3339(q->created,
	    &img.created) < 0)
		img.created = 0;
	img.label_created = q->label_created;
	(void)imgcache_put_digest(r->cache, &img);
}

/*
 * GET, by digest, the manifest and config of every digest a needed tag
 * points at whose metadata is unknown: once per digest, whichever
 * repositories share it.
 */
static void
read_metadata(struct run *r, struct repo **g, size_t n)
{
	struct batch b = { ASK_METADATA, NULL, 0, 0 };
	struct group gr = { g, n };
	struct strmap want = STRMAP_INIT;
	struct imgcache_image img;
	struct imgcache_tag *t;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (!g[i]->listed)
			continue;
		for (k = 0; k < g[i]->fresh.n; k++) {
			t = &g[i]->fresh.tags[k];
			if (t->digest[0] == '\0' || !needed(g[i], t->tag))
				continue;
			if (imgcache_get_digest(r->cache, t->digest,
			    &img) == 0) {
				imgcache_image_release(&img);
				continue;
			}
			imgcache_image_release(&img);
			g[i]->dirty = 1;
			if (strmap_put(&want, t->digest, (void *)1, NULL) == 1)
				batch_add(&b, g[i], t);
		}
	}
	/* the jobs point at tags; want's keys are not needed any more */
	strmap_release(&want, NULL);
	batch_run(r, &b, take_metadata, &gr);
}

static void
save(struct run *r, struct repo *rp)
{
	rp->fresh.listed = r->now;
	if (imgcache_save_repo(r->cache, &rp->fresh) < 0)
		r->io_failed = 1;
}

/* ---- the records ---- */

static int
use_labels(const struct run *r, const struct repo *rp)
{
	return glob_any(&r->o->use_labels, rp->name);
}

static void
write_tag(struct run *r, struct jsonw *w, const struct imgcache_tag *t,
    int labels)
{
	char when[NUM_RFC3339_SIZE];
	struct imgcache_image img;
	long long created = 0;

	memset(&img, 0, sizeof(img));
	jsonw_open(w);
	jsonw_kstr(w, "tag", t->tag);
	jsonw_kstr(w, "digest", t->digest[0] != '\0' ? t->digest : NULL);
	if (t->digest[0] != '\0' && imgcache_get_digest(r->cache, t->digest,
	    &img) == 0) {
		created = img.created;
		if (labels && img.label_created != NULL &&
		    num_parse_rfc3339(img.label_created, &created) < 0)
			created = img.created;
	}
	imgcache_image_release(&img);
	if (created > 0) {
		num_format_rfc3339(created, when);
		jsonw_kstr(w, "created", when);
	} else {
		jsonw_kstr(w, "created", NULL);
	}
	jsonw_close(w);
}

static void
image_record(struct run *r, struct source *s, struct repo *rp)
{
	const struct imgcache_repo *c = rp->listed ? &rp->fresh : &rp->cached;
	int labels = use_labels(r, rp);
	struct buf b = BUF_INIT, msg = BUF_INIT;
	struct jsonw w;
	size_t i;

	if (rp->failed_reads > 0) {
		if (!rp->listed)
			buf_addf(&msg, "%s%s", rp->err.s, c->n > 0 ?
			    " (the tags are the cache's, from the last good "
			    "read)" : "");
		else if (rp->failed_reads == 1)
			buf_addf(&msg, "%s", rp->err.s);
		else
			buf_addf(&msg, "%lu of %lu reads failed; the first: %s",
			    rp->failed_reads, rp->reads, rp->err.s);
	}
	jsonw_init(&w, &b);
	jsonw_open(&w);
	jsonw_kstr(&w, "type", "image");
	jsonw_kstr(&w, "source", s->name);
	jsonw_kstr(&w, "name", rp->name);
	jsonw_key(&w, "tags");
	jsonw_open_array(&w);
	for (i = 0; i < c->n; i++)
		write_tag(r, &w, &c->tags[i], labels);
	jsonw_close_array(&w);
	if (msg.len > 0)
		jsonw_kstr(&w, "error", msg.s);
	jsonw_close(&w);
	rec_out_buf(&b);
	if (msg.len > 0) {
		log_event(LOG_ERROR, (const char *const[]){ "source", s->name,
		    "image", rp->name, NULL }, "%s: %s", rp->name, msg.s);
		add_failed(s, rp->name);
		s->failed_images++;
		tool_note(&r->st, rp->temporary);
		if (rp->auth)
			r->auth_failed = 1;
	}
	buf_release(&b);
	buf_release(&msg);
}

static void
scan_group(struct run *r, struct source *s, struct repo **g, size_t n,
    unsigned long *tags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (imgcache_load_repo(r->cache, g[i]->name, &g[i]->cached) < 0)
			r->io_failed = 1;
		imgcache_repo_init(&g[i]->fresh, g[i]->name);
	}
	list_tags(r, g, n);
	check_due(r, g, n);
	read_metadata(r, g, n);
	for (i = 0; i < n; i++) {
		if (g[i]->listed && g[i]->dirty)
			save(r, g[i]);
		image_record(r, s, g[i]);
		*tags += g[i]->listed ? g[i]->fresh.n : g[i]->cached.n;
		imgcache_repo_release(&g[i]->cached);
		imgcache_repo_release(&g[i]->fresh);
		tool_check_output();
	}
	/* saved and written: the next group's digests replace these */
	imgcache_forget(r->cache);
}

/* ---- per source ---- */

static int
open_cache(struct run *r, const struct source *s)
{
	struct buf dir = BUF_INIT;
	int rc = 0;

	if (r->o->cache_dir != NULL) {
		buf_adds(&dir, r->o->cache_dir);
	} else if (*s->name == '\0' || strchr(s->name, '/') != NULL ||
	    strcmp(s->name, ".") == 0 || strcmp(s->name, "..") == 0) {
		log_error("source '%s' cannot name a folder: give --cache-dir",
		    s->name);
		rc = -1;
		goto out;
	} else {
		buf_addf(&dir, "%s/%s", r->o->state_dir, s->name);
		if ((mkdir(r->o->state_dir, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(dir.s, 0700) < 0 && errno != EEXIST)) {
			log_errno("cannot create '%s'", dir.s);
			rc = -1;
			goto out;
		}
		buf_adds(&dir, "/images");
	}
	if ((r->cache = imgcache_open(dir.s)) == NULL)
		rc = -1;
out:
	buf_release(&dir);
	return rc;
}

static void
scan_source(struct run *r, struct source *s)
{
	struct repo *g[GROUP];
	struct registry_stats before, after;
	unsigned long tags = 0;
	size_t i, n = 0;
	const char *why = NULL;

	registry_stats(r->reg, &before);
	if (s->repos.n > 0 && open_cache(r, s) < 0) {
		r->io_failed = 1;
		why = "the image cache cannot be opened: nothing was scanned";
		goto end;
	}
	for (i = 0; i < s->repos.n; i++) {
		g[n++] = ordmap_at(&s->repos, i);
		if (n == GROUP || i + 1 == s->repos.n) {
			scan_group(r, s, g, n, &tags);
			n = 0;
		}
	}
	imgcache_close(r->cache);
	r->cache = NULL;
	if (s->objects && !s->complete)
		why = "incomplete input: the stream ended without an end "
		    "record after the objects";
end:
	registry_stats(r->reg, &after);
	{
		struct rec_count c[] = {
			{ "images", s->repos.n },
			{ "tags", tags },
			{ "errors", s->errors },
			{ "failed", s->failed_images },
			{ "requests", (after.token + after.tags +
			    after.manifest_get + after.manifest_head +
			    after.blob) - (before.token + before.tags +
			    before.manifest_get + before.manifest_head +
			    before.blob) },
		};

		if (why != NULL)
			tool_note(&r->st, 0);
		rec_write_end(STAGE, s->name, s->commit, why == NULL &&
		    s->nfailed == 0, c, sizeof(c) / sizeof(c[0]), s->failed,
		    s->nfailed, why);
	}
	tool_check_output();
}

static void
filter_free(void *p)
{
	policy_release(p);
	free(p);
}

static void
repo_free(void *p)
{
	struct repo *rp = p;

	free(rp->name);
	free(rp->host);
	strmap_release(&rp->filters, filter_free);
	strmap_release(&rp->in_use, NULL);
	buf_release(&rp->err);
	free(rp);
}

static void
source_free(void *p)
{
	struct source *s = p;

	free(s->name);
	free(s->commit);
	ordmap_release(&s->repos, repo_free);
	tool_free_list(s->failed, s->nfailed);
	free(s);
}

/* ---- main ---- */

static void
list_add(struct list *l, const char *arg)
{
	if (!l->given) {
		tool_free_list(l->v, l->n);
		l->v = NULL;
		l->n = 0;
		l->given = 1;
	}
	tool_add_list(&l->v, &l->n, arg);
}

static void
list_default(struct list *l, const char *arg)
{
	tool_add_list(&l->v, &l->n, arg);
}

/* "os/arch" or "os/arch/variant", no part empty. */
static int
platform_valid(const char *p)
{
	size_t parts = 1;
	const char *c;

	if (*p == '\0' || *p == '/' || p[strlen(p) - 1] == '/' ||
	    strstr(p, "//") != NULL)
		return 0;
	for (c = p; *c != '\0'; c++)
		parts += *c == '/';
	return parts == 2 || parts == 3;
}

static long long
now(void)
{
	const char *s = getenv("SLUICE_TEST_NOW");
	long v;

	/* tests move the clock to see the adaptive refresh at work */
	if (s != NULL && num_parse_long(s, 0, 0x7fffffffL, &v) == 0)
		return v;
	return (long long)time(NULL);
}

int
main(int argc, char *argv[])
{
	struct rec_reader in = REC_READER_INIT;
	struct options o;
	struct run r;
	struct rec rec;
	struct buf err = BUF_INIT;
	int ch, n, code;
	size_t i;

	tool_init("img-scan");
	memset(&o, 0, sizeof(o));
	list_default(&o.exclude, "k8s.gcr.io/*");
	list_default(&o.use_labels,
	    "index.docker.io/weaveworks/*,index.docker.io/fluxcd/*");
	o.state_dir = getenv("SLUICE_STATE_DIR");
	if (o.state_dir == NULL || *o.state_dir == '\0')
		o.state_dir = "/var/lib/sluice";
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_ALL: o.all_images = 1; break;
		case OPT_INCLUDE: list_add(&o.include, optarg); break;
		case OPT_EXCLUDE: list_add(&o.exclude, optarg); break;
		case OPT_USE_LABELS: list_add(&o.use_labels, optarg); break;
		case OPT_INSECURE: list_add(&o.insecure, optarg); break;
		case OPT_RPS:
			o.reg.rps = (double)tool_num(optarg, 1, 100000,
			    "--registry-rps");
			break;
		case OPT_BURST:
			o.reg.burst = (int)tool_num(optarg, 1, 1000,
			    "--registry-burst");
			break;
		case OPT_TIMEOUT:
			o.reg.timeout = tool_duration(optarg,
			    "--registry-timeout");
			break;
		case OPT_CA: o.reg.ca_file = optarg; break;
		case OPT_DOCKER_CONFIG: o.reg.docker_config = optarg; break;
		case OPT_PLATFORM: o.reg.platform = optarg; break;
		case OPT_STATE_DIR: o.state_dir = optarg; break;
		case OPT_CACHE_DIR: o.cache_dir = optarg; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("img-scan " SLUICE_VERSION "\n");
		default: tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);
	if (o.reg.platform != NULL && !platform_valid(o.reg.platform))
		die(EXIT_USAGE, "--platform: '%s' is not os/arch[/variant]",
		    o.reg.platform);
	o.insecure.v = xreallocarray(o.insecure.v, o.insecure.n + 1,
	    sizeof(*o.insecure.v));
	o.insecure.v[o.insecure.n] = NULL;
	o.reg.insecure_hosts = (const char *const *)o.insecure.v;

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.now = now();
	/* before reading: a bad Docker config fails at once */
	if ((r.reg = registry_open(&o.reg, &err)) == NULL)
		die(EXIT_CONFIG, "%s", err.s);
	while ((n = rec_next(&in, &rec)) > 0) {
		rec_out_line(rec.line, rec.len);
		if (rec_is(&rec, "object"))
			take_object(&r, &rec);
		else if (rec_is(&rec, "revision"))
			take_revision_or_end(&r, &rec, 0);
		else if (rec_is(&rec, "end"))
			take_revision_or_end(&r, &rec, 1);
		tool_check_output();
	}
	if (n < 0)
		tool_stream_broken(&in);
	for (i = 0; i < r.sources.n; i++)
		scan_source(&r, ordmap_at(&r.sources, i));

	code = tool_finish(&r.st);
	if (code != EXIT_IOERR && r.io_failed)
		code = EXIT_IOERR;
	else if (code != EXIT_IOERR && r.auth_failed)
		code = EXIT_CONFIG;
	registry_close(r.reg);
	ordmap_release(&r.sources, source_free);
	tool_free_list(o.include.v, o.include.n);
	tool_free_list(o.exclude.v, o.exclude.n);
	tool_free_list(o.use_labels.v, o.use_labels.n);
	tool_free_list(o.insecure.v, o.insecure.n);
	rec_reader_release(&in);
	buf_release(&err);
	return code;
}
