#include "lib/kinds.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/banned.h"

/*
 * The kinds served by a stock kube-apiserver (1.20 to 1.31, including the
 * removed beta groups a Flux v1 repository may still hold), and the custom
 * kinds so common in Flux v1 repositories that their CRDs are rarely in
 * the same repository (HelmRelease). "group/Kind", sorted for bsearch.
 */
static const char *const cluster_kinds[] = {
	"/ComponentStatus",
	"/Namespace",
	"/Node",
	"/PersistentVolume",
	"admissionregistration.k8s.io/MutatingAdmissionPolicy",
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
	"admissionregistration.k8s.io/MutatingWebhookConfiguration",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration",
	"apiextensions.k8s.io/CustomResourceDefinition",
	"apiregistration.k8s.io/APIService",
	"authentication.k8s.io/SelfSubjectReview",
	"authentication.k8s.io/TokenReview",
	"authorization.k8s.io/SelfSubjectAccessReview",
	"authorization.k8s.io/SelfSubjectRulesReview",
	"authorization.k8s.io/SubjectAccessReview",
	"certificates.k8s.io/CertificateSigningRequest",
	"certificates.k8s.io/ClusterTrustBundle",
	"extensions/PodSecurityPolicy",
	"flowcontrol.apiserver.k8s.io/FlowSchema",
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
	"internal.apiserver.k8s.io/StorageVersion",
	"networking.k8s.io/IPAddress",
	"networking.k8s.io/IngressClass",
	"networking.k8s.io/ServiceCIDR",
	"node.k8s.io/RuntimeClass",
	"policy/PodSecurityPolicy",
	"rbac.authorization.k8s.io/ClusterRole",
	"rbac.authorization.k8s.io/ClusterRoleBinding",
	"resource.k8s.io/DeviceClass",
	"resource.k8s.io/ResourceSlice",
	"scheduling.k8s.io/PriorityClass",
	"storage.k8s.io/CSIDriver",
	"storage.k8s.io/CSINode",
	"storage.k8s.io/StorageClass",
	"storage.k8s.io/VolumeAttachment",
	"storage.k8s.io/VolumeAttributesClass",
};

static const char *const namespaced_kinds[] = {
	"/Binding",
	"/ConfigMap",
	"/Endpoints",
	"/Event",
	"/LimitRange",
	"/PersistentVolumeClaim",
	"/Pod",
	"/PodTemplate",
	"/ReplicationController",
	"/ResourceQuota",
	"/Secret",
	"/Service",
	"/ServiceAccount",
	"apps/ControllerRevision",
	"apps/DaemonSet",
	"apps/Deployment",
	"apps/ReplicaSet",
	"apps/StatefulSet",
	"authorization.k8s.io/LocalSubjectAccessReview",
	"autoscaling/HorizontalPodAutoscaler",
	"batch/CronJob",
	"batch/Job",
	"coordination.k8s.io/Lease",
	"discovery.k8s.io/EndpointSlice",
	"events.k8s.io/Event",
	"extensions/DaemonSet",
	"extensions/Deployment",
	"extensions/Ingress",
	"extensions/NetworkPolicy",
	"extensions/ReplicaSet",
	"flux.weave.works/HelmRelease",
	"helm.fluxcd.io/HelmRelease",
	"helm.toolkit.fluxcd.io/HelmRelease",
	"networking.k8s.io/Ingress",
	"networking.k8s.io/NetworkPolicy",
	"policy/PodDisruptionBudget",
	"rbac.authorization.k8s.io/Role",
	"rbac.authorization.k8s.io/RoleBinding",
	"resource.k8s.io/ResourceClaim",
	"resource.k8s.io/ResourceClaimTemplate",
	"storage.k8s.io/CSIStorageCapacity",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
in_table(const char *const *table, size_t n, const char *key)
{
	return bsearch(&key, table, n, sizeof(*table), cmp_str) != NULL;
}

const char *
kinds_group(const char *api_version, size_t *n)
{
	const char *slash = strchr(api_version, '/');

	*n = slash ? (size_t)(slash - api_version) : 0;
	return api_version;
}

/* CRD scopes are stored as small integers in the map's pointers */
#define SCOPE_PTR(s) ((void *)(uintptr_t)(s))

enum kind_scope
kinds_scope(const struct kinds *k, const char *api_version, const char *kind)
{
	struct buf key = BUF_INIT;
	enum kind_scope scope = KIND_SCOPE_UNKNOWN;
	const char *group;
	void *v;
	size_t n;

	group = kinds_group(api_version, &n);
	buf_add(&key, group, n);
	buf_addch(&key, '/');
	buf_adds(&key, kind);
	if (in_table(cluster_kinds, NELEM(cluster_kinds), key.s))
		scope = KIND_SCOPE_CLUSTER;
	else if (in_table(namespaced_kinds, NELEM(namespaced_kinds), key.s))
		scope = KIND_SCOPE_NAMESPACED;
	else if ((v = strmap_get(&k->crds, key.s)) != NULL)
		scope = (enum kind_scope)(uintptr_t)v;
	buf_release(&key);
	return scope;
}

void
kinds_add_crd(struct kinds *k, const char *group, const char *kind,
    const char *scope)
{
	struct buf key = BUF_INIT;
	enum kind_scope s;

	if (scope != NULL && strcmp(scope, "Cluster") == 0)
		s = KIND_SCOPE_CLUSTER;
	else if (scope != NULL && strcmp(scope, "Namespaced") == 0)
		s = KIND_SCOPE_NAMESPACED;
	else
		return;
	buf_addf(&key, "%s/%s", group, kind);
	strmap_put(&k->crds, key.s, SCOPE_PTR(s), NULL);
	buf_release(&key);
}

void
kinds_release(struct kinds *k)
{
	strmap_release(&k->crds, NULL);
}

static int
sorted(const char *const *table, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(table[i - 1], table[i]) >= 0)
			return 0;
	return 1;
}

int
kinds_tables_sorted(void)
{
	return sorted(cluster_kinds, NELEM(cluster_kinds)) &&
	    sorted(namespaced_kinds, NELEM(namespaced_kinds));
}
