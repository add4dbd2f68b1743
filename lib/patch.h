/*
 * patch.h: apply a .flux.yaml patchUpdated patch document to one generated
 * Kubernetes object, the way Flux v1 does (flux-v1-reference.md 4.4,
 * [F] pkg/cluster/kubernetes/patch.go): a strategic merge patch for kinds in
 * client-go's scheme, an RFC 7386 JSON merge patch for everything else
 * (CRDs, HelmRelease, any custom resource).
 *
 *	struct buf err = BUF_INIT;
 *	if (patch_apply(obj, patchdoc, &err) < 0)
 *		mark the record with err.s;
 *	buf_release(&err);
 *
 * Which kinds are strategic: the (group, kind) pairs of client-go's scheme,
 * the version ignored: core ("" / "v1"), apps, extensions, batch,
 * autoscaling, policy, networking.k8s.io, rbac.authorization.k8s.io,
 * storage.k8s.io, scheduling.k8s.io, admissionregistration.k8s.io,
 * certificates.k8s.io, coordination.k8s.io, discovery.k8s.io,
 * events.k8s.io, node.k8s.io, flowcontrol.apiserver.k8s.io,
 * settings.k8s.io, authentication/authorization.k8s.io,
 * internal.apiserver.k8s.io. apiextensions.k8s.io (CustomResourceDefinition)
 * and apiregistration.k8s.io are not in that scheme, so they get a merge
 * patch, as in Flux.
 *
 * Strategic merge, list fields that merge (k8s.io/api patchStrategy and
 * patchMergeKey tags); every other list is replaced whole:
 *	metadata.ownerReferences		by uid
 *	metadata.finalizers			merged as a set of strings
 *	PodSpec containers, initContainers,
 *	    ephemeralContainers			by name
 *	PodSpec volumes				by name (merge,retainKeys)
 *	PodSpec imagePullSecrets		by name
 *	PodSpec hostAliases			by ip
 *	PodSpec topologySpreadConstraints	by topologyKey
 *	PodSpec resourceClaims, schedulingGates	by name
 *	Container ports				by containerPort
 *	Container env				by name
 *	Container volumeMounts			by mountPath
 *	Container volumeDevices			by devicePath
 *	Service spec.ports			by port
 *	ServiceAccount secrets			by name
 *	{Mutating,Validating}WebhookConfiguration webhooks	by name
 *	Node spec.podCIDRs			merged as a set of strings
 * The PodSpec is found under spec (Pod), spec.template (Deployment,
 * ReplicaSet, DaemonSet, StatefulSet, ReplicationController, Job),
 * spec.jobTemplate.spec.template (CronJob) and template (PodTemplate).
 * Replaced, having no merge key: tolerations, envFrom, args, command,
 * volumeClaimTemplates, rbac rules and subjects, Ingress rules, and so on.
 * Fields we do not know (there is no full schema here) merge as maps when
 * both sides are objects and are replaced otherwise; Kubernetes would
 * refuse a field its types lack, we take it.
 *
 * Directives: "$patch": "replace" | "delete" | "merge" in a map (replace:
 * the map becomes the patch's map; delete: the key holding it goes; at the
 * top level delete empties the object) and in an element of a merge-keyed
 * list (delete: elements with that key go; replace: the list becomes the
 * patch's other elements); "$retainKeys" (keys of the original not listed
 * go); "$deleteFromPrimitiveList/<field>"; "$setElementOrder/<field>" (the
 * listed elements come first, in that order, then any others in their
 * current order); and null, which deletes a key. An unknown "$" key is an
 * error.
 *
 * The patch documents Flux writes also carry apiVersion, kind,
 * metadata.name and metadata.namespace; merging those onto the object they
 * were matched to changes nothing. Matching patch documents to objects by
 * ID is the caller's job.
 */
#ifndef SLUICE_PATCH_H
#define SLUICE_PATCH_H

#include <jansson.h>

#include "lib/buf.h"

/*
 * 1 if objects of this apiVersion ("apps/v1", "v1") and kind get a
 * strategic merge patch, 0 if a JSON merge patch. NULL arguments give 0.
 */
int patch_is_strategic(const char *api_version, const char *kind);

/*
 * Apply patch (borrowed, not changed) to target (changed in place), which
 * must both be JSON objects. The kind of patch is chosen from target's own
 * apiVersion and kind (patch_is_strategic). Values taken from patch are
 * copied, so target never shares nodes with it.
 *
 * 0, or -1 with a message appended to err (which may be NULL). Nothing is
 * logged: only the caller can name the file. On -1 target may be half
 * patched, so throw it away (or patch a copy).
 */
int patch_apply(json_t *target, const json_t *patch, struct buf *err);

/*
 * The patch that turns orig into mod (both borrowed), as Flux v1 writes a
 * patchUpdated file's documents: a two-way strategic merge patch (the
 * changed fields, null for those gone; for the merge-keyed lists above the
 * changed elements by key, "$patch: delete" for those gone and
 * "$setElementOrder/<field>" for the order; "$deleteFromPrimitiveList/"
 * for scalars gone from a merged list; a list whose elements lack distinct
 * keys is replaced whole) for kinds patch_is_strategic names, an RFC 7386
 * merge patch for the rest. A non-empty patch carries mod's apiVersion,
 * kind, metadata.name and metadata.namespace; every map's keys are in
 * byte order, as Go writes them. {} when nothing differs; NULL if either
 * is not an object.
 *
 * What JSON merging cannot say (a key whose new value is null) is not
 * said: apply the result to orig and compare with mod to be sure.
 */
json_t *patch_diff(const json_t *orig, const json_t *mod);

#endif
