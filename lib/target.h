/*
 * target.h: where kube-apply applies and gc prunes (DESIGN.md, Targets):
 *
 *	kube		the Kubernetes API (lib/target_kube.c, over lib/kube)
 *	dir:PATH	a folder of YAML files, PATH/<namespace>/<kind>/<name>.yaml,
 *			cluster-scoped objects under PATH/_cluster/
 *			(lib/target_dir.c): the whole pipeline with no cluster,
 *			and the "rendered manifests" output
 *
 * The tools see only this interface, so the apply, skip, mark and prune
 * rules are written once. Operations come in batches: the kube target
 * runs a batch's requests concurrently; the dir target one after another.
 * Every request of a batch gets its own result: one failing never stops
 * the others (DESIGN.md rule 2).
 *
 * Objects are JSON text (as in "object" records); kinds are resolved once
 * (target_resolve) and then named by struct target_kind. A struct buf
 * err in a request holds the error for that request alone, in the API's
 * own words (Status reason and message); nothing is logged here.
 */
#ifndef SLUICE_TARGET_H
#define SLUICE_TARGET_H

#include <stddef.h>

#include "lib/buf.h"

struct target_opts {
	const char *kubeconfig;		/* NULL: $KUBECONFIG, ~/.kube/config,
					 * in-cluster */
	const char *context;		/* NULL: the current context */
	int concurrency;		/* requests in flight (16) */
	double timeout;			/* per request, seconds */
	double establish_timeout;	/* waiting for a CRD */
};

struct target;

/*
 * The flags of every tool that takes a target (kube-apply, gc), for its
 * getopt_long table and switch:
 *
 *	static const struct option long_options[] = {
 *		TARGET_LONG_OPTIONS,
 *		...
 *	};
 *	...
 *	default:
 *		if (!target_flag(ch, optarg, &spec, &opts))
 *			tool_usage(usage_line);
 */
enum {
	TARGET_OPT_TARGET = 1024, TARGET_OPT_KUBECONFIG, TARGET_OPT_CONTEXT,
	TARGET_OPT_CONCURRENCY, TARGET_OPT_TIMEOUT, TARGET_OPT_ESTABLISH
};
#define TARGET_LONG_OPTIONS \
	{ "target", required_argument, NULL, TARGET_OPT_TARGET }, \
	{ "kubeconfig", required_argument, NULL, TARGET_OPT_KUBECONFIG }, \
	{ "context", required_argument, NULL, TARGET_OPT_CONTEXT }, \
	{ "concurrency", required_argument, NULL, TARGET_OPT_CONCURRENCY }, \
	{ "timeout", required_argument, NULL, TARGET_OPT_TIMEOUT }, \
	{ "establish-timeout", required_argument, NULL, TARGET_OPT_ESTABLISH }
/*
 * Take flag ch (with arg) into *spec ("kube" or "dir:PATH") and *o: 1 if
 * it was one of TARGET_LONG_OPTIONS, 0 if not. A bad value exits 64.
 */
int target_flag(int ch, const char *arg, const char **spec,
    struct target_opts *o);

/* A kind as the target serves it. */
struct target_kind {
	char *group;		/* "" for the core group */
	char *version;
	char *kind;		/* "Deployment" */
	char *resource;		/* "deployments" (dir: the kind lower-cased) */
	int namespaced;
};

/* One live object's metadata, as a metadata-only list gives it. */
struct target_live {
	char *namespace;	/* "" for cluster-scoped */
	char *name;
	char *resource_version;	/* NULL for dir */
	char *checksum;		/* annotation fluxcd.io/sync-checksum */
	char *gc_mark;		/* label fluxcd.io/sync-gc-mark */
	char *ignore;		/* annotation fluxcd.io/ignore (or the legacy
				 * flux.weave.works/ignore) */
	int owned;		/* has ownerReferences */
};

enum target_action {
	TARGET_CREATED,
	TARGET_CONFIGURED,
	TARGET_UNCHANGED,
	TARGET_FAILED
};

struct target_list_req {
	const struct target_kind *kind;		/* in */
	const char *namespace;			/* in: NULL for every one */
	const char *selector;			/* in: a label selector or NULL */
	const char *name;			/* in: only the object so named
						 * (kube: a field selector), or
						 * NULL for all */
	struct target_live *items;		/* out: owned by the request */
	size_t nitems;
	int failed;				/* out: 1 if err is set */
	struct buf err;
};

struct target_apply_req {
	const struct target_kind *kind;		/* in */
	const char *namespace;			/* in: "" for cluster-scoped */
	const char *name;			/* in */
	const char *body;			/* in: the object, JSON */
	size_t len;
	const char *live_version;		/* in: resourceVersion listed, or
						 * NULL if it did not exist */
	int dry_run;				/* in */
	enum target_action action;		/* out */
	int temporary;				/* out: worth retrying later */
	struct buf err;				/* out */
};

struct target_delete_req {
	const struct target_kind *kind;		/* in */
	const char *namespace;			/* in */
	const char *name;			/* in */
	int dry_run;				/* in */
	int failed;				/* out */
	int gone;				/* out: it was not there */
	int temporary;				/* out */
	struct buf err;				/* out */
};

/*
 * Open "kube" or "dir:PATH". NULL with err when the target cannot be used
 * at all (kubeconfig missing or invalid: the tools exit 78; the folder
 * cannot be made: 74). *exit_code says which.
 */
struct target *target_open(const char *spec, const struct target_opts *o,
    int *exit_code, struct buf *err);
void target_close(struct target *t);
int target_is_dir(const struct target *t);
/*
 * Which target this is, for what is remembered about it between runs
 * (kube-apply --state-dir): the API server's URL, or "dir:" and the
 * folder's absolute path. Borrowed: valid until target_close.
 */
const char *target_identity(const struct target *t);

/*
 * Start learning the target's kinds (discovery) in the background, as a
 * kind will soon be resolved: the caller goes on reading its input
 * meanwhile. Every later call on t waits for it; what it found, or the
 * error it met, is what target_resolve then says. Nothing for a target
 * without discovery, or one that has done it.
 */
void target_prefetch(struct target *t);

/*
 * What the target calls the kind of apiVersion/kind. 0 with *out filled
 * (release it with target_kind_release), or -1 with err: the kind is not
 * served ("the server doesn't have a resource type ..."), or discovery
 * failed (then *temporary is set).
 */
int target_resolve(struct target *t, const char *api_version,
    const char *kind, struct target_kind *out, int *temporary,
    struct buf *err);
void target_kind_release(struct target_kind *k);
/*
 * A CustomResourceDefinition of the set being applied: its kind's scope
 * (spec.scope "Namespaced" or "Cluster"). The dir target has no discovery
 * and learns custom kinds this way; the kube target ignores it.
 */
void target_note_crd(struct target *t, const char *group, const char *kind,
    const char *scope);
/*
 * Every kind that can be listed (for gc without an inventory): *kinds is a
 * new array; release each entry and free it. 0, or -1 with err.
 */
int target_kinds(struct target *t, struct target_kind **kinds, size_t *n,
    struct buf *err);
/* Forget what discovery said (after CRDs were applied). 0 or -1 (err). */
int target_refresh(struct target *t, struct buf *err);

/* Run a batch of lists / applies / deletes; every request gets a result. */
void target_list(struct target *t, struct target_list_req *reqs, size_t n);
void target_apply(struct target *t, struct target_apply_req *reqs, size_t n);
void target_delete(struct target *t, struct target_delete_req *reqs,
    size_t n);

/*
 * Wait until the CustomResourceDefinition name is Established, at most
 * the establish_timeout of the options. 0, or -1 with err.
 */
int target_wait_established(struct target *t, const char *name,
    struct buf *err);

/* Free what a request got back (items, err) so it can be reused. */
void target_list_req_release(struct target_list_req *r);
void target_live_release(struct target_live *l);

#endif
