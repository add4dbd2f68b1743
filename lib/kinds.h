/*
 * kinds.h: whether a kind is namespaced or cluster-scoped, without asking
 * a cluster. Flux v1 asked the API server's discovery (reference §5.2);
 * manifest-gen works without one, so it knows the standard Kubernetes
 * kinds from a built-in table, plus the CustomResourceDefinitions found in
 * the same manifest set (kinds_add_crd). A kind in neither is
 * KIND_SCOPE_UNKNOWN; kube-apply settles it with discovery.
 *
 * A kind is looked up by API group (the part of apiVersion before the "/",
 * "" for the core group "v1") and kind.
 */
#ifndef SLUICE_KINDS_H
#define SLUICE_KINDS_H

#include "lib/strmap.h"

enum kind_scope {
	KIND_SCOPE_UNKNOWN,
	KIND_SCOPE_NAMESPACED,
	KIND_SCOPE_CLUSTER
};

struct kinds {
	struct strmap crds;	/* "group/Kind" -> scope (as a pointer) */
};
#define KINDS_INIT { STRMAP_INIT }

/* group is n bytes: the apiVersion up to its "/" */
enum kind_scope kinds_scope(const struct kinds *k, const char *api_version,
    const char *kind);
/* Remember a CRD's kind; scope is its spec.scope ("Namespaced"/"Cluster"). */
void kinds_add_crd(struct kinds *k, const char *group, const char *kind,
    const char *scope);
void kinds_release(struct kinds *k);
/* 1 if the built-in tables are in strcmp order (a unit test checks). */
int kinds_tables_sorted(void);

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), n bytes. */
const char *kinds_group(const char *api_version, size_t *n);

#endif
