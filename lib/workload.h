/*
 * workload.h: the containers, images and automation policies of one
 * Kubernetes object, read the way Flux v1 read a manifest
 * (flux-v1-reference.md sections 3.1 and 6.1).
 *
 *	struct workload w = WORKLOAD_INIT;
 *	struct buf err = BUF_INIT;
 *	switch (workload_read(json_object_get(rec, "object"), &w, &err)) {
 *	case 0:  ... w.containers[0 .. w.n) ...; break;
 *	case 1:  not a workload: pass the record on; break;
 *	default: mark the record with err.s;
 *	}
 *	workload_release(&w);
 *
 * Kinds, matched exactly as Flux matched them (by kind, whatever the
 * apiVersion):
 *  - Deployment, DaemonSet, StatefulSet: spec.template.spec;
 *  - CronJob: spec.jobTemplate.spec.template.spec;
 *  - HelmRelease, FluxHelmRelease: spec.values (below);
 *  - ReplicaSet, Job: spec.template.spec; Pod: spec. Flux v1 did not treat
 *    these three as workloads, so flux_v1 is 0 for them: a Job's pod
 *    template cannot be changed once created, so a tool that updates
 *    images should keep to flux_v1 kinds unless told otherwise.
 * A pod spec gives containers then initContainers, in manifest order
 * ([F] resource/spec.go Containers).
 *
 * HelmRelease "containers" come from spec.values ([F] resource/
 * helmrelease.go FindHelmReleaseContainers):
 *  - values itself, named "chart-image", and each top-level key whose
 *    value is a map, named after the key, when it has an "image" that is
 *      - a string "repo:tag" (with optional string siblings "tag" and
 *        "registry", which replace the tag and the host of the string), or
 *      - a map with a string "repository" (and optional string "tag" and
 *        "registry" beside it);
 *  - annotation mappings: repository.fluxcd.io/<alias> (needed), and
 *    registry.fluxcd.io/<alias> and tag.fluxcd.io/<alias>, each a dot path
 *    below spec.values, for the layouts registry+repository+tag,
 *    registry+repository, repository+tag and repository alone. A mapping
 *    replaces a container found above under the same name;
 *  - a candidate whose parts do not make a valid reference (imgref_parse)
 *    is not a container, as Flux skipped what ParseRef refused;
 *  - order: "chart-image" first, then by name (bytes).
 *
 * Policies come from annotations with the prefixes fluxcd.io/,
 * flux.weave.works/ and filter.fluxcd.io/<container> (a tag filter). The
 * boolean ones are set only by the exact string "true", so "false" (or
 * anything else) is off. When one policy is given under several prefixes
 * (Flux's choice then depended on Go's map order) fluxcd.io/ wins, then
 * flux.weave.works/, then filter.fluxcd.io/, the order in which Flux looks
 * for the key to rewrite.
 *
 * Paths are JSON Pointers (RFC 6901) from the object's root, e.g.
 * "/spec/template/spec/containers/0/image", so that keys holding "." or
 * "/" stay unambiguous; workload_pointer_get resolves them.
 *
 * Every string and the array are owned by the struct workload; tag_filters
 * owns its keys and values. Nothing here logs.
 */
#ifndef SLUICE_WORKLOAD_H
#define SLUICE_WORKLOAD_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/strmap.h"

struct workload_container {
	char *name;
	/*
	 * The reference as the manifest composes it: the image field of a
	 * pod container as written (NULL if the container has none; it is
	 * not checked here), or for a HelmRelease the reference put together
	 * from its parts and known to parse.
	 */
	char *image;
	/*
	 * Where the string lives: the image field, or the field holding the
	 * repository. With registry_path, that field holds the path (with
	 * ":tag" unless tag_path); without, the host too when there is one.
	 */
	char *image_path;
	char *tag_path;		/* separate tag field, or NULL */
	char *registry_path;	/* separate registry field, or NULL */
	int init;		/* 1 for an initContainer */
};

struct workload {
	char *kind;
	int flux_v1;		/* a kind Flux v1 automated and updated */
	struct workload_container *containers;
	size_t n;
	int automated, locked, ignored;
	struct strmap tag_filters;	/* container name -> pattern */
};
#define WORKLOAD_INIT { NULL, 0, NULL, 0, 0, 0, 0, STRMAP_INIT }

/*
 * Read object (borrowed; a Kubernetes manifest) into *out, which must be
 * WORKLOAD_INIT or released. 0 if it is a workload kind (n may be 0);
 * 1 if it is not, or has no string kind; -1 if it is malformed (a
 * container list that is not an array, a container without a string name,
 * an image or a policy annotation that is not a string, ...), with a
 * message appended to err that names the place as a JSON Pointer
 * ("/spec/template/spec/containers/0 has no name"; the caller adds which
 * object). After 1 or -1, *out is empty. Either way workload_release is
 * safe.
 */
int workload_read(const json_t *object, struct workload *out, struct buf *err);

void workload_release(struct workload *w);

/* The container named name, or NULL. Borrowed from w. */
const struct workload_container *workload_container_get(
    const struct workload *w, const char *name);

/*
 * The tag filter of a container as annotated ("semver:~1.2", "glob:1.*",
 * "1.*", ...), not normalised; "glob:*" when there is none. Borrowed.
 */
const char *workload_tag_filter(const struct workload *w,
    const char *container);

/*
 * The value at JSON Pointer ptr in root ("" is root itself), or NULL.
 * Borrowed from root.
 */
json_t *workload_pointer_get(const json_t *root, const char *ptr);

/*
 * The policy an annotation key sets ("automated", "locked_msg",
 * "tag.app") into name: 3 for fluxcd.io/, 2 for flux.weave.works/, 1 for
 * filter.fluxcd.io/ (the precedence above), 0 if it is no policy key.
 */
int workload_policy_of(const char *key, struct buf *name);

/*
 * The keys policy may be written under, in that precedence: fluxcd.io/,
 * flux.weave.works/, and for "tag.C" filter.fluxcd.io/C. Returns how many.
 */
size_t workload_policy_keys(const char *policy, char keys[3][256]);

#endif
