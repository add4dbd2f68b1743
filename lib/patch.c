#include "lib/patch.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* ---- which kinds are in client-go's scheme ---- */

struct scheme_kind {
	const char *group;
	const char *kind;
};

static const struct scheme_kind scheme_kinds[] = {
	{ "", "Binding" }, { "", "ComponentStatus" }, { "", "ConfigMap" },
	{ "", "Endpoints" }, { "", "Event" }, { "", "LimitRange" },
	{ "", "Namespace" }, { "", "Node" }, { "", "PersistentVolume" },
	{ "", "PersistentVolumeClaim" }, { "", "Pod" }, { "", "PodTemplate" },
	{ "", "ReplicationController" }, { "", "ResourceQuota" },
	{ "", "Secret" }, { "", "Service" }, { "", "ServiceAccount" },
	{ "apps", "ControllerRevision" }, { "apps", "DaemonSet" },
	{ "apps", "Deployment" }, { "apps", "ReplicaSet" },
	{ "apps", "StatefulSet" },
	{ "extensions", "DaemonSet" }, { "extensions", "Deployment" },
	{ "extensions", "ReplicaSet" }, { "extensions", "Ingress" },
	{ "extensions", "NetworkPolicy" },
	{ "extensions", "PodSecurityPolicy" },
	{ "batch", "Job" }, { "batch", "CronJob" },
	{ "autoscaling", "HorizontalPodAutoscaler" },
	{ "autoscaling", "Scale" },
	{ "policy", "PodDisruptionBudget" }, { "policy", "PodSecurityPolicy" },
	{ "policy", "Eviction" },
	{ "networking.k8s.io", "Ingress" },
	{ "networking.k8s.io", "IngressClass" },
	{ "networking.k8s.io", "NetworkPolicy" },
	{ "rbac.authorization.k8s.io", "Role" },
	{ "rbac.authorization.k8s.io", "RoleBinding" },
	{ "rbac.authorization.k8s.io", "ClusterRole" },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding" },
	{ "storage.k8s.io", "StorageClass" },
	{ "storage.k8s.io", "VolumeAttachment" },
	{ "storage.k8s.io", "CSIDriver" }, { "storage.k8s.io", "CSINode" },
	{ "storage.k8s.io", "CSIStorageCapacity" },
	{ "scheduling.k8s.io", "PriorityClass" },
	{ "admissionregistration.k8s.io", "MutatingWebhookConfiguration" },
	{ "admissionregistration.k8s.io", "ValidatingWebhookConfiguration" },
	{ "admissionregistration.k8s.io", "ValidatingAdmissionPolicy" },
	{ "admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding" },
	{ "certificates.k8s.io", "CertificateSigningRequest" },
	{ "coordination.k8s.io", "Lease" },
	{ "discovery.k8s.io", "EndpointSlice" },
	{ "events.k8s.io", "Event" },
	{ "node.k8s.io", "RuntimeClass" },
	{ "flowcontrol.apiserver.k8s.io", "FlowSchema" },
	{ "flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration" },
	{ "settings.k8s.io", "PodPreset" },
	{ "authentication.k8s.io", "TokenReview" },
	{ "authorization.k8s.io", "SubjectAccessReview" },
	{ "authorization.k8s.io", "LocalSubjectAccessReview" },
	{ "authorization.k8s.io", "SelfSubjectAccessReview" },
	{ "authorization.k8s.io", "SelfSubjectRulesReview" },
	{ "internal.apiserver.k8s.io", "StorageVersion" },
};

/* The group of an apiVersion: "apps/v1" is "apps", "v1" is "". */
static int
group_is(const char *api_version, const char *group)
{
	const char *slash = strchr(api_version, '/');
	size_t n;

	if (slash == NULL)
		return group[0] == '\0';
	n = (size_t)(slash - api_version);
	return strlen(group) == n && memcmp(api_version, group, n) == 0;
}

int
patch_is_strategic(const char *api_version, const char *kind)
{
	size_t i;

	if (api_version == NULL || kind == NULL)
		return 0;
	for (i = 0; i < sizeof(scheme_kinds) / sizeof(scheme_kinds[0]); i++)
		if (strcmp(kind, scheme_kinds[i].kind) == 0 &&
		    group_is(api_version, scheme_kinds[i].group))
			return 1;
	return 0;
}

/* ---- the little schema strategic merge needs ---- */

enum ptype {
	PT_NONE,		/* unknown: maps merge, lists are replaced */
	PT_ROOT,		/* any object: metadata */
	PT_ROOT_WORKLOAD,	/* spec.template is a pod template */
	PT_ROOT_CRONJOB,
	PT_ROOT_POD,
	PT_ROOT_PODTEMPLATE,
	PT_ROOT_SERVICE,
	PT_ROOT_SERVICEACCOUNT,
	PT_ROOT_WEBHOOKS,
	PT_ROOT_NODE,
	PT_META,
	PT_WORKLOAD_SPEC,
	PT_CRONJOB_SPEC,
	PT_JOB_TEMPLATE,
	PT_POD_TEMPLATE,
	PT_POD_SPEC,
	PT_CONTAINER,
	PT_SERVICE_SPEC,
	PT_NODE_SPEC
};

struct pfield {
	enum ptype in;
	const char *name;
	enum ptype type;	/* of the value, or of a list's elements */
	int merge;		/* a list with patchStrategy merge */
	const char *key;	/* its patchMergeKey; NULL: a list of scalars */
};

static const struct pfield pfields[] = {
	{ PT_ROOT, "metadata", PT_META, 0, NULL },
	{ PT_ROOT_WORKLOAD, "spec", PT_WORKLOAD_SPEC, 0, NULL },
	{ PT_ROOT_CRONJOB, "spec", PT_CRONJOB_SPEC, 0, NULL },
	{ PT_ROOT_POD, "spec", PT_POD_SPEC, 0, NULL },
	{ PT_ROOT_PODTEMPLATE, "template", PT_POD_TEMPLATE, 0, NULL },
	{ PT_ROOT_SERVICE, "spec", PT_SERVICE_SPEC, 0, NULL },
	{ PT_ROOT_SERVICEACCOUNT, "secrets", PT_NONE, 1, "name" },
	{ PT_ROOT_WEBHOOKS, "webhooks", PT_NONE, 1, "name" },
	{ PT_ROOT_NODE, "spec", PT_NODE_SPEC, 0, NULL },
	{ PT_META, "ownerReferences", PT_NONE, 1, "uid" },
	{ PT_META, "finalizers", PT_NONE, 1, NULL },
	{ PT_WORKLOAD_SPEC, "template", PT_POD_TEMPLATE, 0, NULL },
	{ PT_CRONJOB_SPEC, "jobTemplate", PT_JOB_TEMPLATE, 0, NULL },
	{ PT_JOB_TEMPLATE, "metadata", PT_META, 0, NULL },
	{ PT_JOB_TEMPLATE, "spec", PT_WORKLOAD_SPEC, 0, NULL },
	{ PT_POD_TEMPLATE, "metadata", PT_META, 0, NULL },
	{ PT_POD_TEMPLATE, "spec", PT_POD_SPEC, 0, NULL },
	{ PT_POD_SPEC, "containers", PT_CONTAINER, 1, "name" },
	{ PT_POD_SPEC, "initContainers", PT_CONTAINER, 1, "name" },
	{ PT_POD_SPEC, "ephemeralContainers", PT_CONTAINER, 1, "name" },
	{ PT_POD_SPEC, "volumes", PT_NONE, 1, "name" },
	{ PT_POD_SPEC, "imagePullSecrets", PT_NONE, 1, "name" },
	{ PT_POD_SPEC, "hostAliases", PT_NONE, 1, "ip" },
	{ PT_POD_SPEC, "topologySpreadConstraints", PT_NONE, 1, "topologyKey" },
	{ PT_POD_SPEC, "resourceClaims", PT_NONE, 1, "name" },
	{ PT_POD_SPEC, "schedulingGates", PT_NONE, 1, "name" },
	{ PT_CONTAINER, "ports", PT_NONE, 1, "containerPort" },
	{ PT_CONTAINER, "env", PT_NONE, 1, "name" },
	{ PT_CONTAINER, "volumeMounts", PT_NONE, 1, "mountPath" },
	{ PT_CONTAINER, "volumeDevices", PT_NONE, 1, "devicePath" },
	{ PT_SERVICE_SPEC, "ports", PT_NONE, 1, "port" },
	{ PT_NODE_SPEC, "podCIDRs", PT_NONE, 1, NULL },
};

static const struct pfield unknown_field = { PT_NONE, "", PT_NONE, 0, NULL };

static const struct pfield *
field_get(enum ptype in, const char *name)
{
	size_t i;

	if (in == PT_NONE)
		return &unknown_field;
	for (i = 0; i < sizeof(pfields) / sizeof(pfields[0]); i++)
		if (pfields[i].in == in && strcmp(pfields[i].name, name) == 0)
			return &pfields[i];
	if (in > PT_ROOT && in <= PT_ROOT_NODE)
		return field_get(PT_ROOT, name);
	return &unknown_field;
}

static enum ptype
root_type(const char *api_version, const char *kind)
{
	static const struct { const char *group, *kind; enum ptype t; } r[] = {
		{ "apps", "Deployment", PT_ROOT_WORKLOAD },
		{ "apps", "ReplicaSet", PT_ROOT_WORKLOAD },
		{ "apps", "DaemonSet", PT_ROOT_WORKLOAD },
		{ "apps", "StatefulSet", PT_ROOT_WORKLOAD },
		{ "extensions", "Deployment", PT_ROOT_WORKLOAD },
		{ "extensions", "ReplicaSet", PT_ROOT_WORKLOAD },
		{ "extensions", "DaemonSet", PT_ROOT_WORKLOAD },
		{ "", "ReplicationController", PT_ROOT_WORKLOAD },
		{ "batch", "Job", PT_ROOT_WORKLOAD },
		{ "batch", "CronJob", PT_ROOT_CRONJOB },
		{ "", "Pod", PT_ROOT_POD },
		{ "", "PodTemplate", PT_ROOT_PODTEMPLATE },
		{ "", "Service", PT_ROOT_SERVICE },
		{ "", "ServiceAccount", PT_ROOT_SERVICEACCOUNT },
		{ "", "Node", PT_ROOT_NODE },
		{ "admissionregistration.k8s.io",
		    "MutatingWebhookConfiguration", PT_ROOT_WEBHOOKS },
		{ "admissionregistration.k8s.io",
		    "ValidatingWebhookConfiguration", PT_ROOT_WEBHOOKS },
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (strcmp(kind, r[i].kind) == 0 &&
		    group_is(api_version, r[i].group))
			return r[i].t;
	return PT_ROOT;
}

/* ---- strategic merge ---- */

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PRIMITIVE "$deleteFromPrimitiveList/"
#define SET_ORDER "$setElementOrder/"

struct smp {
	struct buf *err;
	struct buf path;	/* where we are, for messages */
};

__attribute__((format(printf, 2, 3)))
static int
smp_fail(struct smp *s, const char *fmt, ...)
{
	va_list ap;

	if (s->err == NULL)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(s->err, fmt, ap);
	va_end(ap);
	if (s->path.len)
		buf_addf(s->err, " at '%s'", s->path.s);
	return -1;
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int smp_map(struct smp *s, json_t *orig, const json_t *patch,
    enum ptype t);

/* A copy of a patch value to put into the target. */
static json_t *
copy(const json_t *v)
{
	json_t *c = json_deep_copy(v);

	if (c == NULL)		/* jansson is out of memory */
		BUG("cannot copy a JSON value");
	return c;
}

/* What a map's "$patch" key says: nothing (or "merge"), replace, delete. */
enum { D_NONE, D_REPLACE, D_DELETE };

/* Set *d from map's "$patch". 0, or -1 for a value we do not know. */
static int
directive(struct smp *s, const json_t *map, int *d)
{
	const json_t *v = json_object_get(map, DIRECTIVE);
	const char *str;

	*d = D_NONE;
	if (v == NULL)
		return 0;
	str = json_string_value(v);
	if (str == NULL)
		return smp_fail(s, "'$patch' is not a string");
	if (strcmp(str, "replace") == 0)
		*d = D_REPLACE;
	else if (strcmp(str, "delete") == 0)
		*d = D_DELETE;
	else if (strcmp(str, "merge") != 0)
		return smp_fail(s, "unknown '$patch' directive '%s'", str);
	return 0;
}

/* Is elem, an element of a list with merge key key (NULL: scalars), o? */
static int
elem_matches(const json_t *elem, const json_t *o, const char *key)
{
	const json_t *a, *b;

	if (key == NULL)
		return json_equal((json_t *)elem, (json_t *)o);
	if (!json_is_object(elem) || !json_is_object(o))
		return 0;
	a = json_object_get(elem, key);
	b = json_object_get(o, key);
	return a != NULL && b != NULL && json_equal((json_t *)a, (json_t *)b);
}

/* $setElementOrder: the listed elements first, in order, then the rest. */
static void
set_order(json_t *arr, const json_t *order, const char *key)
{
	size_t n = json_array_size(arr), i, j;
	char *used;
	json_t *out;

	if (!json_is_array(order) || n == 0)
		return;
	used = xcalloc(n, 1);
	out = json_array();
	for (i = 0; i < json_array_size(order); i++) {
		const json_t *o = json_array_get(order, i);

		for (j = 0; j < n; j++) {
			json_t *e = json_array_get(arr, j);

			if (!used[j] && elem_matches(e, o, key)) {
				used[j] = 1;
				json_array_append(out, e);
			}
		}
	}
	for (j = 0; j < n; j++)
		if (!used[j])
			json_array_append(out, json_array_get(arr, j));
	json_array_clear(arr);
	json_array_extend(arr, out);
	json_decref(out);
	free(used);
}

/* Remove from arr every element equal to one of vals. */
static void
delete_from_list(json_t *arr, const json_t *vals)
{
	size_t i, j;

	if (!json_is_array(arr) || !json_is_array(vals))
		return;
	for (i = json_array_size(arr); i-- > 0;)
		for (j = 0; j < json_array_size(vals); j++)
			if (json_equal(json_array_get(arr, i),
			    json_array_get(vals, j))) {
				json_array_remove(arr, i);
				break;
			}
}

/* Merge patch into orig, both lists of a field with patchStrategy merge. */
static int
smp_list(struct smp *s, json_t *orig, const json_t *patch,
    const struct pfield *f)
{
	size_t i, j, n = json_array_size(patch);
	int d, replace = 0;

	if (f->key == NULL) {
		/* scalars: a set union that keeps the original order */
		for (i = 0; i < n; i++) {
			const json_t *p = json_array_get(patch, i);

			for (j = 0; j < json_array_size(orig); j++)
				if (json_equal(json_array_get(orig, j),
				    (json_t *)p))
					break;
			if (j == json_array_size(orig))
				json_array_append_new(orig, copy(p));
		}
		return 0;
	}

	/* first the elements that are directives */
	for (i = 0; i < n; i++) {
		const json_t *p = json_array_get(patch, i);
		const json_t *kv;

		if (!json_is_object(p))
			return smp_fail(s, "an element of '%s' is not an "
			    "object", f->name);
		if (directive(s, p, &d) < 0)
			return -1;
		if (d == D_REPLACE) {
			replace = 1;
		} else if (d == D_DELETE) {
			kv = json_object_get(p, f->key);
			if (kv == NULL)
				return smp_fail(s, "'$patch: delete' in '%s' "
				    "without the merge key '%s'", f->name,
				    f->key);
			for (j = json_array_size(orig); j-- > 0;)
				if (elem_matches(json_array_get(orig, j), p,
				    f->key))
					json_array_remove(orig, j);
		} else if (json_object_get(p, DIRECTIVE) != NULL) {
			return smp_fail(s, "'$patch: merge' is not allowed "
			    "in a list element");
		}
	}
	if (replace) {
		json_array_clear(orig);
		for (i = 0; i < n; i++) {
			const json_t *p = json_array_get(patch, i);

			if (json_object_get(p, DIRECTIVE) == NULL)
				json_array_append_new(orig, copy(p));
		}
		return 0;
	}

	/* then the elements to merge by key, or to append */
	for (i = 0; i < n; i++) {
		const json_t *p = json_array_get(patch, i);
		json_t *o = NULL, *fresh;

		if (json_object_get(p, DIRECTIVE) != NULL)
			continue;
		if (json_object_get(p, f->key) == NULL)
			return smp_fail(s, "an element of '%s' lacks the "
			    "merge key '%s'", f->name, f->key);
		for (j = 0; j < json_array_size(orig); j++)
			if (elem_matches(json_array_get(orig, j), p, f->key)) {
				o = json_array_get(orig, j);
				break;
			}
		if (o != NULL) {
			if (smp_map(s, o, p, f->type) < 0)
				return -1;
			continue;
		}
		fresh = json_object();
		if (smp_map(s, fresh, p, f->type) < 0) {
			json_decref(fresh);
			return -1;
		}
		json_array_append_new(orig, fresh);
	}
	return 0;
}

/*
 * Merge patch's value pv for key k into map orig, where f says what the
 * field is. A null pv deletes the key.
 */
static int
smp_value(struct smp *s, json_t *orig, const char *k, const json_t *pv,
    const struct pfield *f)
{
	json_t *ov = json_object_get(orig, k), *fresh;
	int r;

	if (json_is_null(pv)) {
		json_object_del(orig, k);
		return 0;
	}
	if (json_is_object(pv)) {
		if (json_is_object(ov))
			fresh = NULL;
		else
			ov = fresh = json_object();
		r = smp_map(s, ov, pv, f->type);
		if (r < 0) {
			json_decref(fresh);
			return -1;
		}
		if (r == 1) {	/* $patch: delete */
			json_decref(fresh);
			json_object_del(orig, k);
		} else if (fresh != NULL) {
			json_object_set_new(orig, k, fresh);
		}
		return 0;
	}
	if (json_is_array(pv) && f->merge) {
		if (json_is_array(ov))
			fresh = NULL;
		else
			ov = fresh = json_array();
		if (smp_list(s, ov, pv, f) < 0) {
			json_decref(fresh);
			return -1;
		}
		if (fresh != NULL)
			json_object_set_new(orig, k, fresh);
		return 0;
	}
	json_object_set_new(orig, k, copy(pv));
	return 0;
}

static int
retain_keys(struct smp *s, json_t *orig, const json_t *patch)
{
	const json_t *keep = json_object_get(patch, RETAIN_KEYS);
	const char *k;
	json_t *v;
	void *tmp;
	size_t i;

	if (!json_is_array(keep))
		return smp_fail(s, "'$retainKeys' is not a list");
	for (i = 0; i < json_array_size(keep); i++)
		if (!json_is_string(json_array_get(keep, i)))
			return smp_fail(s, "'$retainKeys' holds a non-string");
	json_object_foreach_safe((json_t *)patch, tmp, k, v) {
		if (k[0] == '$' || json_is_null(v))
			continue;
		for (i = 0; i < json_array_size(keep); i++)
			if (strcmp(json_string_value(json_array_get(keep, i)),
			    k) == 0)
				break;
		if (i == json_array_size(keep))
			return smp_fail(s, "'%s' is not in '$retainKeys'", k);
	}
	json_object_foreach_safe(orig, tmp, k, v) {
		for (i = 0; i < json_array_size(keep); i++)
			if (strcmp(json_string_value(json_array_get(keep, i)),
			    k) == 0)
				break;
		if (i == json_array_size(keep))
			json_object_del(orig, k);
	}
	return 0;
}

/*
 * Merge map patch into map orig, of type t. 0, 1 when patch says
 * "$patch: delete" (the caller removes orig), or -1.
 */
static int
smp_map(struct smp *s, json_t *orig, const json_t *patch, enum ptype t)
{
	const char *k;
	json_t *pv;
	size_t mark;
	int d, ret = 0;

	if (directive(s, patch, &d) < 0)
		return -1;
	if (d == D_DELETE)
		return 1;
	if (d == D_REPLACE) {
		json_object_clear(orig);
		json_object_foreach((json_t *)patch, k, pv)
			if (strcmp(k, DIRECTIVE) != 0)
				json_object_set_new(orig, k, copy(pv));
		return 0;
	}
	if (json_object_get(patch, RETAIN_KEYS) != NULL &&
	    retain_keys(s, orig, patch) < 0)
		return -1;
	json_object_foreach((json_t *)patch, k, pv) {
		if (has_prefix(k, DELETE_PRIMITIVE)) {
			if (!json_is_array(pv))
				return smp_fail(s, "'%s' is not a list", k);
			delete_from_list(json_object_get(orig,
			    k + strlen(DELETE_PRIMITIVE)), pv);
		}
	}
	json_object_foreach((json_t *)patch, k, pv) {
		if (k[0] == '$') {
			if (strcmp(k, DIRECTIVE) != 0 &&
			    strcmp(k, RETAIN_KEYS) != 0 &&
			    !has_prefix(k, DELETE_PRIMITIVE) &&
			    !has_prefix(k, SET_ORDER))
				return smp_fail(s, "unknown patch directive "
				    "'%s'", k);
			continue;
		}
		mark = s->path.len;
		buf_addf(&s->path, "%s%s", mark ? "." : "", k);
		ret = smp_value(s, orig, k, pv, field_get(t, k));
		buf_setlen(&s->path, mark);
		if (ret < 0)
			return -1;
	}
	json_object_foreach((json_t *)patch, k, pv) {
		const char *name;
		json_t *arr;

		if (!has_prefix(k, SET_ORDER))
			continue;
		name = k + strlen(SET_ORDER);
		arr = json_object_get(orig, name);
		if (!json_is_array(pv))
			return smp_fail(s, "'%s' is not a list", k);
		if (json_is_array(arr))
			set_order(arr, pv, field_get(t, name)->key);
	}
	return 0;
}

/* ---- RFC 7386 JSON merge patch ---- */

static void
merge_patch(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *pv, *tv;

	json_object_foreach((json_t *)patch, k, pv) {
		tv = json_object_get(target, k);
		if (json_is_null(pv)) {
			json_object_del(target, k);
		} else if (json_is_object(pv)) {
			if (!json_is_object(tv)) {
				tv = json_object();
				json_object_set_new(target, k, tv);
			}
			merge_patch(tv, pv);
		} else {
			json_object_set_new(target, k, copy(pv));
		}
	}
}

int
patch_apply(json_t *target, const json_t *patch, struct buf *err)
{
	struct smp s = { err, BUF_INIT };
	const char *api_version, *kind;
	int r;

	if (!json_is_object(target) || !json_is_object(patch)) {
		if (err != NULL)
			buf_adds(err, "a patch and its object must both be "
			    "JSON objects");
		return -1;
	}
	api_version = json_string_value(json_object_get(target, "apiVersion"));
	kind = json_string_value(json_object_get(target, "kind"));
	if (!patch_is_strategic(api_version, kind)) {
		merge_patch(target, patch);
		return 0;
	}
	r = smp_map(&s, target, patch, root_type(api_version, kind));
	buf_release(&s.path);
	if (r == 1)		/* $patch: delete of the whole object */
		json_object_clear(target);
	return r < 0 ? -1 : 0;
}

/* ---- the two-way diff: the patch that turns one object into another ---- */

static json_t *diff_map(const json_t *orig, const json_t *mod, enum ptype t,
    int strategic);

/* Does every element of list carry a distinct merge key? */
static int
keyed_list(const json_t *list, const char *key)
{
	size_t i, j;
	const json_t *a;

	for (i = 0; i < json_array_size(list); i++) {
		a = json_object_get(json_array_get(list, i), key);
		if (a == NULL)
			return 0;
		for (j = 0; j < i; j++)
			if (elem_matches(json_array_get(list, j),
			    json_array_get(list, i), key))
				return 0;
	}
	return 1;
}

/* The element of list that matches elem by key (NULL: by value). */
static const json_t *
find_elem(const json_t *list, const json_t *elem, const char *key)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++)
		if (elem_matches(json_array_get(list, i), elem, key))
			return json_array_get(list, i);
	return NULL;
}

/* Are the elements of a that b has too in the same order in both? */
static int
same_order(const json_t *a, const json_t *b, const char *key)
{
	size_t i, j = 0;

	for (i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);

		if (find_elem(b, e, key) == NULL)
			continue;
		while (j < json_array_size(b) &&
		    !elem_matches(json_array_get(b, j), e, key))
			j++;
		if (j == json_array_size(b))
			return 0;
		j++;
	}
	return 1;
}

/*
 * The patch for a list field with patchStrategy merge, written into out
 * as the apiserver's CreateTwoWayMergePatch writes it: the changed and
 * new elements (by merge key), "$patch: delete" for the ones gone, and
 * "$setElementOrder/<field>" with the new order. A list of scalars gets
 * the new values, "$deleteFromPrimitiveList/<field>" and the order.
 */
static void
diff_merge_list(json_t *out, const char *k, const json_t *ov,
    const json_t *mv, const struct pfield *f)
{
	json_t *changes = json_array(), *gone = json_array(), *order, *e;
	struct buf name = BUF_INIT;
	size_t i;

	if (f->key != NULL && (!keyed_list(ov, f->key) ||
	    !keyed_list(mv, f->key))) {
		/* no merge key to go by: the whole list, replaced */
		json_array_extend(changes, (json_t *)mv);
		e = json_object();
		json_object_set_new(e, DIRECTIVE, json_string("replace"));
		json_array_append_new(changes, e);
		json_object_set_new(out, k, changes);
		json_decref(gone);
		return;
	}
	for (i = 0; i < json_array_size(mv); i++) {
		const json_t *m = json_array_get(mv, i);
		const json_t *o = find_elem(ov, m, f->key);

		if (o == NULL) {
			json_array_append_new(changes, copy(m));
		} else if (f->key != NULL && !json_equal((json_t *)o,
		    (json_t *)m)) {
			e = diff_map(o, m, f->type, 1);
			json_object_set_new(e, f->key,
			    copy(json_object_get(m, f->key)));
			json_array_append_new(changes, e);
		}
	}
	for (i = 0; i < json_array_size(ov); i++) {
		const json_t *o = json_array_get(ov, i);

		if (find_elem(mv, o, f->key) != NULL)
			continue;
		if (f->key == NULL) {
			json_array_append_new(gone, copy(o));
			continue;
		}
		e = json_object();
		json_object_set_new(e, f->key,
		    copy(json_object_get(o, f->key)));
		json_object_set_new(e, DIRECTIVE, json_string("delete"));
		json_array_append_new(changes, e);
	}
	if (json_array_size(changes) > 0 || json_array_size(gone) > 0 ||
	    !same_order(mv, ov, f->key)) {
		order = json_array();
		for (i = 0; i < json_array_size(mv); i++) {
			const json_t *m = json_array_get(mv, i);

			if (f->key == NULL) {
				json_array_append_new(order, copy(m));
				continue;
			}
			e = json_object();
			json_object_set_new(e, f->key,
			    copy(json_object_get(m, f->key)));
			json_array_append_new(order, e);
		}
		buf_addf(&name, "%s%s", SET_ORDER, k);
		json_object_set_new(out, name.s, order);
	}
	if (json_array_size(changes) > 0)
		json_object_set_new(out, k, changes);
	else
		json_decref(changes);
	if (json_array_size(gone) > 0) {
		buf_reset(&name);
		buf_addf(&name, "%s%s", DELETE_PRIMITIVE, k);
		json_object_set_new(out, name.s, gone);
	} else {
		json_decref(gone);
	}
	buf_release(&name);
}

/* The patch from map orig to map mod, of type t (strategic or not). */
static json_t *
diff_map(const json_t *orig, const json_t *mod, enum ptype t, int strategic)
{
	json_t *out = json_object(), *mv, *sub;
	const json_t *ov;
	const struct pfield *f;
	const char *k;

	json_object_foreach((json_t *)mod, k, mv) {
		ov = json_object_get(orig, k);
		f = strategic ? field_get(t, k) : &unknown_field;
		if (ov == NULL) {
			json_object_set_new(out, k, copy(mv));
		} else if (json_equal((json_t *)ov, mv)) {
			continue;
		} else if (json_is_object(ov) && json_is_object(mv)) {
			sub = diff_map(ov, mv, f->type, strategic);
			if (json_object_size(sub) > 0)
				json_object_set_new(out, k, sub);
			else
				json_decref(sub);
		} else if (json_is_array(ov) && json_is_array(mv) && f->merge) {
			diff_merge_list(out, k, ov, mv, f);
		} else {
			json_object_set_new(out, k, copy(mv));
		}
	}
	json_object_foreach((json_t *)orig, k, mv)
		if (json_object_get(mod, k) == NULL)
			json_object_set_new(out, k, json_null());
	return out;
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of v with every object's keys in byte order, as Go writes maps. */
static json_t *
sorted_copy(const json_t *v)
{
	const char **keys, *k;
	json_t *out, *e;
	size_t i, n;

	if (json_is_array(v)) {
		out = json_array();
		for (i = 0; i < json_array_size(v); i++)
			json_array_append_new(out,
			    sorted_copy(json_array_get(v, i)));
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	n = json_object_size(v);
	keys = xcalloc(n ? n : 1, sizeof(*keys));
	i = 0;
	json_object_foreach((json_t *)v, k, e)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_key);
	out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i],
		    sorted_copy(json_object_get(v, keys[i])));
	free(keys);
	return out;
}

json_t *
patch_diff(const json_t *orig, const json_t *mod)
{
	const char *api_version, *kind, *name, *ns;
	const json_t *meta;
	json_t *d, *out, *m;
	int strategic;

	if (!json_is_object(orig) || !json_is_object(mod))
		return NULL;
	api_version = json_string_value(json_object_get(mod, "apiVersion"));
	kind = json_string_value(json_object_get(mod, "kind"));
	strategic = patch_is_strategic(api_version, kind);
	d = diff_map(orig, mod, strategic ? root_type(api_version, kind) :
	    PT_NONE, strategic);
	if (json_object_size(d) == 0 || api_version == NULL || kind == NULL) {
		json_decref(d);
		return json_object();
	}
	/* named, as Flux v1 names its patch documents */
	meta = json_object_get(mod, "metadata");
	name = json_string_value(json_object_get(meta, "name"));
	ns = json_string_value(json_object_get(meta, "namespace"));
	json_object_set_new(d, "apiVersion", json_string(api_version));
	json_object_set_new(d, "kind", json_string(kind));
	m = json_object_get(d, "metadata");
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(d, "metadata", m);
	}
	if (name != NULL)
		json_object_set_new(m, "name", json_string(name));
	if (ns != NULL)
		json_object_set_new(m, "namespace", json_string(ns));
	out = sorted_copy(d);
	json_decref(d);
	return out;
}
