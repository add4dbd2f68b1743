/*
 * target_kube.c: the Kubernetes API as a target (lib/target.h).
 *
 * Discovery: the aggregated documents first (GET /api and /apis with the
 * apidiscovery.k8s.io v2, then v2beta1 Accept types: one round trip for
 * every group, on servers from 1.27), the per-group-version documents
 * otherwise (1.26 and older). Cached for the run; target_refresh forgets
 * it after CRDs are applied. target_prefetch runs it on a thread of its
 * own while the caller reads its input; every other call waits for that
 * thread first, so the target is never used by two at once.
 * https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery
 *
 * Lists: metadata only (PartialObjectMetadataList), 500 a page, so the
 * labels and annotations of thousands of objects cost little.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables
 *
 * Apply: server-side apply, PATCH with application/apply-patch+yaml,
 * fieldManager=sluice, force=true (sluice owns what Git says).
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/
 */
#include "lib/target_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/exitcode.h"
#include "lib/jscan.h"
#include "lib/kube.h"
#include "lib/kubeconfig.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define FIELD_MANAGER "sluice"
#define PAGE "500"

static const char accept_aggregated[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;"
    "as=APIGroupDiscoveryList,application/json";
static const char accept_metadata[] =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
    "application/json";

struct resource {
	char *group, *version, *kind, *resource;
	int namespaced, listable;
};

struct kube_target {
	struct kubeconfig kc;
	struct kube *k;
	struct strmap by_gvk;		/* "group/version/Kind" -> resource */
	struct resource **all;		/* preferred versions, for kinds() */
	size_t nall;
	int discovered;
	/* target_prefetch */
	pthread_t prefetch;
	int prefetching;		/* the thread runs: settle first */
	int prefetch_failed;		/* ... and failed: the next discover
					 * says so (pre_*), without a retry */
	int pre_temporary;
	struct buf pre_err;
};

static struct kube_target *
impl(struct target *t)
{
	return t->impl;
}

static void
free_resource(void *p)
{
	struct resource *r = p;

	if (r == NULL)
		return;
	free(r->group);
	free(r->version);
	free(r->kind);
	free(r->resource);
	free(r);
}

static void
forget(struct kube_target *kt)
{
	strmap_release(&kt->by_gvk, free_resource);
	free(kt->all);
	kt->all = NULL;
	kt->nall = 0;
	kt->discovered = 0;
}

static int
has_verb(const json_t *verbs, const char *verb)
{
	size_t i;

	for (i = 0; i < json_array_size(verbs); i++)
		if (strcmp(json_string_value(json_array_get(verbs, i)) ?
		    json_string_value(json_array_get(verbs, i)) : "", verb)
		    == 0)
			return 1;
	return 0;
}

static void
add_resource(struct kube_target *kt, const char *group, const char *version,
    const char *kind, const char *resource, int namespaced,
    const json_t *verbs, int preferred)
{
	struct resource *r;
	struct buf key = BUF_INIT;

	if (strchr(resource, '/') != NULL || kind == NULL)
		return;		/* a subresource: status, scale, ... */
	buf_addf(&key, "%s/%s/%s", group, version, kind);
	if (strmap_get(&kt->by_gvk, key.s) != NULL) {
		buf_release(&key);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->group = xstrdup(group);
	r->version = xstrdup(version);
	r->kind = xstrdup(kind);
	r->resource = xstrdup(resource);
	r->namespaced = namespaced;
	r->listable = has_verb(verbs, "list") && has_verb(verbs, "delete");
	strmap_put(&kt->by_gvk, key.s, r, NULL);
	if (preferred && r->listable) {
		kt->all = xreallocarray(kt->all, kt->nall + 1,
		    sizeof(*kt->all));
		kt->all[kt->nall++] = r;
	}
	buf_release(&key);
}

/* An APIGroupDiscoveryList (aggregated discovery, v2 or v2beta1). */
static void
read_aggregated(struct kube_target *kt, const json_t *doc)
{
	const json_t *items = json_object_get(doc, "items"), *g, *v, *res;
	size_t i, j, l;

	for (i = 0; i < json_array_size(items); i++) {
		const char *group;

		g = json_array_get(items, i);
		group = json_string_value(json_object_get(
		    json_object_get(g, "metadata"), "name"));
		if (group == NULL)
			group = "";
		for (j = 0; j < json_array_size(json_object_get(g,
		    "versions")); j++) {
			const char *version;

			v = json_array_get(json_object_get(g, "versions"), j);
			version = json_string_value(json_object_get(v,
			    "version"));
			res = json_object_get(v, "resources");
			for (l = 0; version && l < json_array_size(res); l++) {
				const json_t *r = json_array_get(res, l);
				const json_t *rk = json_object_get(r,
				    "responseKind");
				const char *scope = json_string_value(
				    json_object_get(r, "scope"));
				const char *name = json_string_value(
				    json_object_get(r, "resource"));

				if (name == NULL)
					continue;
				add_resource(kt, group, version,
				    json_string_value(json_object_get(rk,
				    "kind")), name, scope != NULL &&
				    strcmp(scope, "Namespaced") == 0,
				    json_object_get(r, "verbs"), j == 0);
			}
		}
	}
}

/* An APIResourceList of one group version (legacy discovery). */
static void
read_resource_list(struct kube_target *kt, const char *group,
    const char *version, const json_t *doc, int preferred)
{
	const json_t *res = json_object_get(doc, "resources");
	size_t i;

	for (i = 0; i < json_array_size(res); i++) {
		const json_t *r = json_array_get(res, i);
		const char *name = json_string_value(json_object_get(r,
		    "name"));

		if (name == NULL)
			continue;
		add_resource(kt, group, version,
		    json_string_value(json_object_get(r, "kind")), name,
		    json_is_true(json_object_get(r, "namespaced")),
		    json_object_get(r, "verbs"), preferred);
	}
}

static int
is_aggregated(const json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));

	return kind != NULL && strcmp(kind, "APIGroupDiscoveryList") == 0;
}

/* Legacy discovery: one request per group version. */
static int
discover_legacy(struct kube_target *kt, const json_t *groups,
    int *temporary, struct buf *err)
{
	struct kube_req **reqs = NULL;
	struct buf path = BUF_INIT;
	size_t n = 0, i, j;
	int ret = 0;

	reqs = xreallocarray(reqs, 1, sizeof(*reqs));
	reqs[n++] = kube_req_new("GET", "/api/v1");
	for (i = 0; i < json_array_size(json_object_get(groups, "groups"));
	    i++) {
		const json_t *g = json_array_get(json_object_get(groups,
		    "groups"), i);
		const json_t *vs = json_object_get(g, "versions");
		const char *pref = json_string_value(json_object_get(
		    json_object_get(g, "preferredVersion"), "groupVersion"));

		for (j = 0; j < json_array_size(vs); j++) {
			const char *gv = json_string_value(json_object_get(
			    json_array_get(vs, j), "groupVersion"));

			if (gv == NULL)
				continue;
			buf_reset(&path);
			buf_addf(&path, "/apis/%s", gv);
			reqs = xreallocarray(reqs, n + 1, sizeof(*reqs));
			reqs[n] = kube_req_new("GET", path.s);
			/* preferred versions first in kinds() */
			reqs[n]->data = (void *)(pref && strcmp(pref, gv) == 0 ?
			    "p" : "");
			n++;
		}
	}
	kube_run(kt->k, reqs, n);
	for (i = 0; i < n; i++) {
		const char *p = reqs[i]->path, *gv, *slash;
		char *group, *version;
		json_t *doc;

		if (reqs[i]->status != 200) {
			if (ret == 0) {
				buf_addf(err, "discovery of '%s' failed: ", p);
				kube_req_error(reqs[i], err);
				*temporary = reqs[i]->temporary;
			}
			ret = -1;
			continue;
		}
		gv = strncmp(p, "/api/", 5) == 0 ? p + 5 : p + 6;
		slash = strchr(gv, '/');
		group = slash && strncmp(p, "/apis/", 6) == 0 ?
		    xstrndup(gv, (size_t)(slash - gv)) : xstrdup("");
		version = xstrdup(slash && *group ? slash + 1 : gv);
		doc = kube_req_json(reqs[i]);
		read_resource_list(kt, group, version, doc, i == 0 ||
		    *(const char *)reqs[i]->data == 'p');
		json_decref(doc);
		free(group);
		free(version);
	}
	for (i = 0; i < n; i++)
		kube_req_free(reqs[i]);
	free(reqs);
	buf_release(&path);
	return ret;
}

static int
discover_now(struct kube_target *kt, int *temporary, struct buf *err)
{
	struct kube_req *r[2];
	json_t *core = NULL, *groups = NULL;
	int ret = -1, i;

	if (kt->discovered)
		return 0;
	r[0] = kube_req_new("GET", "/api");
	r[1] = kube_req_new("GET", "/apis");
	r[0]->accept = r[1]->accept = accept_aggregated;
	kube_run(kt->k, r, 2);
	for (i = 0; i < 2; i++) {
		if (r[i]->status != 200) {
			buf_addf(err, "discovery failed: ");
			kube_req_error(r[i], err);
			*temporary = r[i]->temporary || r[i]->status == 0;
			goto out;
		}
	}
	core = kube_req_json(r[0]);
	groups = kube_req_json(r[1]);
	if (is_aggregated(core) && is_aggregated(groups)) {
		read_aggregated(kt, core);
		read_aggregated(kt, groups);
	} else if (discover_legacy(kt, groups, temporary, err) < 0) {
		goto out;
	}
	kt->discovered = 1;
	ret = 0;
out:
	json_decref(core);
	json_decref(groups);
	kube_req_free(r[0]);
	kube_req_free(r[1]);
	return ret;
}

/*
 * A process that exits while the prefetch runs (exit(65) for a broken
 * input stream) stops it first: the exit handlers OpenSSL set up when
 * curl was initialised, before the thread began, free what the thread
 * uses. This one is set up after them, so it runs before them.
 */
static struct kube_target *prefetching_at_exit;

static void
stop_prefetch_at_exit(void)
{
	struct kube_target *kt = prefetching_at_exit;

	if (kt == NULL || !kt->prefetching)
		return;
	kube_interrupt(kt->k);
	(void)pthread_join(kt->prefetch, NULL);
	kt->prefetching = 0;
}

static void *
prefetch_main(void *arg)
{
	struct kube_target *kt = arg;

	if (discover_now(kt, &kt->pre_temporary, &kt->pre_err) < 0) {
		forget(kt);	/* what a failed discovery left half read */
		kt->prefetch_failed = 1;
	}
	return NULL;
}

/* Wait for the prefetch, if one runs: kt is ours alone after this.
 * lib/target.c calls it before every other operation. */
static void
k_settle(struct target *t)
{
	struct kube_target *kt = impl(t);

	if (!kt->prefetching)
		return;
	if (pthread_join(kt->prefetch, NULL) != 0)
		BUG("cannot join the discovery thread");
	kt->prefetching = 0;
	prefetching_at_exit = NULL;
}

/*
 * Discovery, once a run. What a prefetch learnt, or the error it met (a
 * second try at once would only double the wait on a server that is
 * down; the run after this one tries again).
 */
static int
discover(struct kube_target *kt, int *temporary, struct buf *err)
{
	if (kt->prefetch_failed) {
		kt->prefetch_failed = 0;
		*temporary = kt->pre_temporary;
		buf_add(err, kt->pre_err.s, kt->pre_err.len);
		buf_reset(&kt->pre_err);
		return -1;
	}
	return discover_now(kt, temporary, err);
}

static void
k_prefetch(struct target *t)
{
	static int at_exit;
	struct kube_target *kt = impl(t);

	if (kt->prefetching || kt->discovered || kt->prefetch_failed)
		return;
	/* without a thread (or a way to stop it), discovery happens when it
	 * is needed */
	if (!at_exit && atexit(stop_prefetch_at_exit) == 0)
		at_exit = 1;
	if (!at_exit || prefetching_at_exit != NULL)
		return;
	if (pthread_create(&kt->prefetch, NULL, prefetch_main, kt) == 0) {
		kt->prefetching = 1;
		prefetching_at_exit = kt;
	}
}

static int
k_resolve(struct target *t, const char *api_version, const char *kind,
    struct target_kind *out, int *temporary, struct buf *err)
{
	struct kube_target *kt = impl(t);
	const char *slash = strchr(api_version, '/');
	struct resource *r;
	struct buf key = BUF_INIT;

	if (discover(kt, temporary, err) < 0)
		return -1;
	if (slash != NULL)
		buf_addf(&key, "%s/%s", api_version, kind);
	else
		buf_addf(&key, "/%s/%s", api_version, kind);
	r = strmap_get(&kt->by_gvk, key.s);
	buf_release(&key);
	if (r == NULL) {
		/* kubectl's words for it */
		buf_addf(err, "no matches for kind \"%s\" in version \"%s\"",
		    kind, api_version);
		return -1;
	}
	out->group = xstrdup(r->group);
	out->version = xstrdup(r->version);
	out->kind = xstrdup(r->kind);
	out->resource = xstrdup(r->resource);
	out->namespaced = r->namespaced;
	return 0;
}

static int
k_kinds(struct target *t, struct target_kind **kinds, size_t *n,
    struct buf *err)
{
	struct kube_target *kt = impl(t);
	int temporary = 0;
	size_t i;

	if (discover(kt, &temporary, err) < 0)
		return -1;
	*kinds = xcalloc(kt->nall ? kt->nall : 1, sizeof(**kinds));
	for (i = 0; i < kt->nall; i++) {
		(*kinds)[i].group = xstrdup(kt->all[i]->group);
		(*kinds)[i].version = xstrdup(kt->all[i]->version);
		(*kinds)[i].kind = xstrdup(kt->all[i]->kind);
		(*kinds)[i].resource = xstrdup(kt->all[i]->resource);
		(*kinds)[i].namespaced = kt->all[i]->namespaced;
	}
	*n = kt->nall;
	return 0;
}

static int
k_refresh(struct target *t, struct buf *err)
{
	struct kube_target *kt = impl(t);
	int temporary = 0;

	forget(kt);
	kt->prefetch_failed = 0;	/* asked for anew: ask anew */
	buf_reset(&kt->pre_err);
	return discover(kt, &temporary, err);
}

/* /api/v1 or /apis/GROUP/VERSION, then namespaces/NS when namespaced. */
static void
collection_path(struct buf *p, const struct target_kind *k, const char *ns)
{
	if (*k->group == '\0')
		buf_addf(p, "/api/%s", k->version);
	else
		buf_addf(p, "/apis/%s/%s", k->group, k->version);
	if (k->namespaced && ns != NULL && *ns != '\0')
		buf_addf(p, "/namespaces/%s", ns);
	buf_addf(p, "/%s", k->resource);
}

/*
 * One item's metadata in a single pass over its members: most of it is
 * managedFields, which is skipped once rather than once per lookup.
 */
static int
read_meta(struct target_live *l, const char *m, size_t mn)
{
	struct jscan_iter it;
	const char *k, *v, *labels = NULL, *ann = NULL;
	size_t kn, vn, ln = 0, an = 0;
	int rc;

	if (jscan_members_init(&it, m, mn) < 0)
		return -1;
	while ((rc = jscan_next_member(&it, &k, &kn, &v, &vn)) == 1) {
		if (jscan_key_is(k, kn, "name"))
			l->name = jscan_str(v, vn);
		else if (jscan_key_is(k, kn, "namespace"))
			l->namespace = jscan_str(v, vn);
		else if (jscan_key_is(k, kn, "resourceVersion"))
			l->resource_version = jscan_str(v, vn);
		else if (jscan_key_is(k, kn, "labels"))
			labels = v, ln = vn;
		else if (jscan_key_is(k, kn, "annotations"))
			ann = v, an = vn;
		else if (jscan_key_is(k, kn, "ownerReferences"))
			l->owned = jscan_nonempty_array(v, vn);
	}
	if (rc < 0)
		return -1;
	if (labels != NULL)
		l->gc_mark = jscan_get_str(labels, ln, (const char *[]){
		    "fluxcd.io/sync-gc-mark", NULL });
	if (ann != NULL) {
		l->checksum = jscan_get_str(ann, an, (const char *[]){
		    "fluxcd.io/sync-checksum", NULL });
		l->ignore = jscan_get_str(ann, an, (const char *[]){
		    "fluxcd.io/ignore", NULL });
		if (l->ignore == NULL)
			l->ignore = jscan_get_str(ann, an, (const char *[]){
			    "flux.weave.works/ignore", NULL });
	}
	return 0;
}

/*
 * The items of a metadata-only list page, read with jscan: a page is
 * mostly managedFields, which nothing here needs, and building trees of
 * them was most of a no-change pass. 0, or -1 if the page is not JSON.
 */
static int
read_items(struct target_list_req *r, const char *doc, size_t len,
    char **cont)
{
	struct jscan_iter it;
	const char *items, *item, *m;
	size_t in, itn, mn;
	int rc;

	*cont = jscan_get_str(doc, len, (const char *[]){ "metadata", "continue",
	    NULL });
	rc = jscan_get(doc, len, (const char *[]){ "items", NULL }, &items,
	    &in);
	if (rc < 0)
		return -1;
	if (rc == 0 || *items == 'n')
		return 0;	/* no items, or "items": null */
	if (jscan_iter_init(&it, items, in) < 0)
		return -1;
	while ((rc = jscan_next(&it, &item, &itn)) == 1) {
		struct target_live *l;

		if (jscan_get(item, itn, (const char *[]){ "metadata", NULL },
		    &m, &mn) != 1)
			continue;
		r->items = xreallocarray(r->items, r->nitems + 1,
		    sizeof(*r->items));
		l = &r->items[r->nitems];
		memset(l, 0, sizeof(*l));
		if (read_meta(l, m, mn) < 0) {
			target_live_release(l);
			return -1;
		}
		if (l->name == NULL) {
			target_live_release(l);
			continue;
		}
		if (l->namespace == NULL)
			l->namespace = xstrdup("");
		r->nitems++;
	}
	return rc < 0 ? -1 : 0;
}

static void
k_list(struct target *t, struct target_list_req *reqs, size_t n)
{
	struct kube_target *kt = impl(t);
	struct kube_req **batch = xcalloc(n ? n : 1, sizeof(*batch));
	char **cont = xcalloc(n ? n : 1, sizeof(*cont));
	int *active = xcalloc(n ? n : 1, sizeof(*active));
	struct buf path = BUF_INIT;
	size_t i, m;

	/* rounds: every list's first page at once, then the next pages */
	for (i = 0; i < n; i++)
		active[i] = 1;
	for (;;) {
		m = 0;
		for (i = 0; i < n; i++) {
			if (!active[i])
				continue;
			buf_reset(&path);
			collection_path(&path, reqs[i].kind, reqs[i].namespace);
			buf_adds(&path, "?limit=" PAGE);
			if (reqs[i].selector != NULL) {
				buf_adds(&path, "&labelSelector=");
				kube_query_escape(&path, reqs[i].selector);
			}
			if (reqs[i].name != NULL) {
				buf_adds(&path, "&fieldSelector=");
				kube_query_escape(&path, "metadata.name=");
				kube_query_escape(&path, reqs[i].name);
			}
			if (cont[i] != NULL) {
				buf_adds(&path, "&continue=");
				kube_query_escape(&path, cont[i]);
			}
			batch[m] = kube_req_new("GET", path.s);
			batch[m]->accept = accept_metadata;
			batch[m]->data = &reqs[i];
			m++;
		}
		if (m == 0)
			break;
		kube_run(kt->k, batch, m);
		for (i = 0; i < m; i++) {
			struct target_list_req *r = batch[i]->data;
			size_t at = (size_t)(r - reqs);

			free(cont[at]);
			cont[at] = NULL;
			active[at] = 0;
			if (batch[i]->status != 200) {
				r->failed = 1;
				kube_req_error(batch[i], &r->err);
			} else if (read_items(r, batch[i]->resp.s,
			    batch[i]->resp.len, &cont[at]) < 0) {
				r->failed = 1;
				buf_adds(&r->err, "the list response is not "
				    "JSON");
			} else if (cont[at] != NULL && *cont[at] != '\0') {
				active[at] = 1;
			}
			kube_req_free(batch[i]);
		}
	}
	for (i = 0; i < n; i++)
		free(cont[i]);
	free(cont);
	free(active);
	free(batch);
	buf_release(&path);
}

static void
k_apply(struct target *t, struct target_apply_req *reqs, size_t n)
{
	struct kube_target *kt = impl(t);
	struct kube_req **kr = xcalloc(n ? n : 1, sizeof(*kr));
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_reset(&path);
		collection_path(&path, reqs[i].kind, reqs[i].namespace);
		buf_addf(&path, "/%s?fieldManager=" FIELD_MANAGER
		    "&force=true%s", reqs[i].name,
		    reqs[i].dry_run ? "&dryRun=All" : "");
		kr[i] = kube_req_new("PATCH", path.s);
		kr[i]->content_type = "application/apply-patch+yaml";
		kr[i]->body = reqs[i].body;
		kr[i]->len = reqs[i].len;
	}
	kube_run(kt->k, kr, n);
	for (i = 0; i < n; i++) {
		struct target_apply_req *a = &reqs[i];
		json_t *doc;
		const char *rv;

		if (kr[i]->status == 201) {
			a->action = TARGET_CREATED;
		} else if (kr[i]->status == 200) {
			doc = kube_req_json(kr[i]);
			rv = json_string_value(json_object_get(json_object_get(
			    doc, "metadata"), "resourceVersion"));
			/* the server's resourceVersion moves iff it changed */
			a->action = a->live_version != NULL && rv != NULL &&
			    strcmp(rv, a->live_version) == 0 ?
			    TARGET_UNCHANGED : TARGET_CONFIGURED;
			if (a->dry_run && a->live_version == NULL)
				a->action = TARGET_CREATED;
			json_decref(doc);
		} else {
			a->action = TARGET_FAILED;
			a->temporary = kr[i]->temporary;
			kube_req_error(kr[i], &a->err);
		}
		kube_req_free(kr[i]);
	}
	free(kr);
	buf_release(&path);
}

static void
k_delete(struct target *t, struct target_delete_req *reqs, size_t n)
{
	struct kube_target *kt = impl(t);
	struct kube_req **kr = xcalloc(n ? n : 1, sizeof(*kr));
	struct buf path = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_reset(&path);
		collection_path(&path, reqs[i].kind, reqs[i].namespace);
		buf_addf(&path, "/%s?propagationPolicy=Background%s",
		    reqs[i].name, reqs[i].dry_run ? "&dryRun=All" : "");
		kr[i] = kube_req_new("DELETE", path.s);
	}
	kube_run(kt->k, kr, n);
	for (i = 0; i < n; i++) {
		if (kr[i]->status == 404) {
			reqs[i].gone = 1;
		} else if (kr[i]->status != 200 && kr[i]->status != 202) {
			reqs[i].failed = 1;
			reqs[i].temporary = kr[i]->temporary;
			kube_req_error(kr[i], &reqs[i].err);
		}
		kube_req_free(kr[i]);
	}
	free(kr);
	buf_release(&path);
}

static int
established(const json_t *crd)
{
	const json_t *conds = json_object_get(json_object_get(crd, "status"),
	    "conditions");
	size_t i;

	for (i = 0; i < json_array_size(conds); i++) {
		const json_t *c = json_array_get(conds, i);
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c,
		    "status"));

		if (type && status && strcmp(type, "Established") == 0 &&
		    strcmp(status, "True") == 0)
			return 1;
	}
	return 0;
}

static int
k_wait_established(struct target *t, const char *name, struct buf *err)
{
	struct kube_target *kt = impl(t);
	double deadline = mtime_now() + t->o.establish_timeout, pause = 0.05;
	struct buf path = BUF_INIT;
	struct kube_req *r;
	struct timespec ts;
	json_t *doc;
	int ok = 0;

	buf_addf(&path, "/apis/apiextensions.k8s.io/v1/"
	    "customresourcedefinitions/%s", name);
	r = kube_req_new("GET", path.s);
	for (;;) {
		kube_run(kt->k, &r, 1);
		if (r->status == 200) {
			doc = kube_req_json(r);
			ok = established(doc);
			json_decref(doc);
			if (ok)
				break;
		}
		if (mtime_now() + pause > deadline) {
			buf_addf(err, "CustomResourceDefinition '%s' is not "
			    "Established after %gs", name,
			    t->o.establish_timeout);
			break;
		}
		ts.tv_sec = (time_t)pause;
		ts.tv_nsec = (long)((pause - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (pause < 1)
			pause *= 2;
	}
	kube_req_free(r);
	buf_release(&path);
	return ok ? 0 : -1;
}

static void
k_close(struct target *t)
{
	struct kube_target *kt = impl(t);

	forget(kt);
	buf_release(&kt->pre_err);
	kube_close(kt->k);
	kubeconfig_release(&kt->kc);
	free(kt);
}

static const struct target_ops kube_ops = {
	.prefetch = k_prefetch,
	.settle = k_settle,
	.resolve = k_resolve,
	.note_crd = NULL,
	.kinds = k_kinds,
	.refresh = k_refresh,
	.list = k_list,
	.apply = k_apply,
	.del = k_delete,
	.wait_established = k_wait_established,
	.close = k_close,
};

int
target_kube_init(struct target *t, int *exit_code, struct buf *err)
{
	struct kube_target *kt = xcalloc(1, sizeof(*kt));

	if (kubeconfig_load(t->o.kubeconfig, t->o.context, &kt->kc, err) < 0) {
		*exit_code = EXIT_CONFIG;
		free(kt);
		return -1;
	}
	kt->k = kube_open(&kt->kc, t->o.concurrency, t->o.timeout, err);
	if (kt->k == NULL) {
		*exit_code = EXIT_CONFIG;
		kubeconfig_release(&kt->kc);
		free(kt);
		return -1;
	}
	t->ops = &kube_ops;
	t->impl = kt;
	t->identity = xstrdup(kt->kc.server);
	return 0;
}
