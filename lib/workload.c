#include "lib/workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/imgref.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define CHART_IMAGE "chart-image"

static const char policy_prefix[] = "fluxcd.io/";
static const char legacy_prefix[] = "flux.weave.works/";
static const char filter_prefix[] = "filter.fluxcd.io/";
static const char registry_prefix[] = "registry.fluxcd.io/";
static const char repository_prefix[] = "repository.fluxcd.io/";
static const char tag_prefix[] = "tag.fluxcd.io/";

/* Where each kind keeps its pod spec, as object keys from the root. */
static const struct pod_kind {
	const char *kind;
	int flux_v1;
	const char *path[5];
} pod_kinds[] = {
	{ "CronJob", 1, { "spec", "jobTemplate", "spec", "template", "spec" } },
	{ "DaemonSet", 1, { "spec", "template", "spec", NULL, NULL } },
	{ "Deployment", 1, { "spec", "template", "spec", NULL, NULL } },
	{ "Job", 0, { "spec", "template", "spec", NULL, NULL } },
	{ "Pod", 0, { "spec", NULL, NULL, NULL, NULL } },
	{ "ReplicaSet", 0, { "spec", "template", "spec", NULL, NULL } },
	{ "StatefulSet", 1, { "spec", "template", "spec", NULL, NULL } },
};

/* A HelmRelease image mapping: borrowed dot paths, NULL when not given. */
struct mapping {
	const char *registry, *repository, *tag;
};

static int
starts_with(const char *s, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return 0;
	*rest = s + n;
	return 1;
}

/* Append "/" and seg escaped as a JSON Pointer token. */
static void
ptr_add(struct buf *b, const char *seg, size_t n)
{
	size_t i;

	buf_addch(b, '/');
	for (i = 0; i < n; i++) {
		if (seg[i] == '~')
			buf_adds(b, "~0");
		else if (seg[i] == '/')
			buf_adds(b, "~1");
		else
			buf_addch(b, seg[i]);
	}
}

static char *
ptr_join(const char *base, const char *key)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, base);
	ptr_add(&b, key, strlen(key));
	return buf_detach(&b, NULL);
}

/* A dot path below spec.values as a JSON Pointer from the root. */
static char *
ptr_from_dots(const char *dots)
{
	struct buf b = BUF_INIT;
	const char *dot;

	buf_adds(&b, "/spec/values");
	for (;;) {
		dot = strchr(dots, '.');
		if (dot == NULL)
			break;
		ptr_add(&b, dots, (size_t)(dot - dots));
		dots = dot + 1;
	}
	ptr_add(&b, dots, strlen(dots));
	return buf_detach(&b, NULL);
}

/* The string at a dot path below values (keys only, as gabs v1), or NULL. */
static const char *
dots_get_string(const json_t *values, const char *dots)
{
	const json_t *v = values;
	const char *dot;
	char *key;

	for (;;) {
		if (!json_is_object(v))
			return NULL;
		dot = strchr(dots, '.');
		if (dot == NULL)
			break;
		key = xstrndup(dots, (size_t)(dot - dots));
		v = json_object_get(v, key);
		free(key);
		dots = dot + 1;
	}
	return json_string_value(json_object_get(v, dots));
}

static void
container_release(struct workload_container *c)
{
	free(c->name);
	free(c->image);
	free(c->image_path);
	free(c->tag_path);
	free(c->registry_path);
}

static struct workload_container *
container_new(struct workload *w)
{
	struct workload_container *c;

	w->containers = xreallocarray(w->containers, w->n + 1,
	    sizeof(*w->containers));
	c = &w->containers[w->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

/*
 * Add c (taken) to w, replacing a container of the same name: a later
 * interpretation overrides an earlier one, as in Flux's map of them.
 */
static void
container_put(struct workload *w, struct workload_container *c)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (strcmp(w->containers[i].name, c->name) == 0) {
			container_release(&w->containers[i]);
			w->containers[i] = *c;
			return;
		}
	}
	*container_new(w) = *c;
}

static int
container_cmp(const void *a, const void *b)
{
	const struct workload_container *x = a, *y = b;
	int xc = strcmp(x->name, CHART_IMAGE) == 0;
	int yc = strcmp(y->name, CHART_IMAGE) == 0;

	if (xc != yc)
		return yc - xc;
	return strcmp(x->name, y->name);
}

/*
 * The reference a HelmRelease's parts make: base (already parsed), with
 * its host replaced by registry and its tag by tag when those are not NULL
 * (an empty one removes it, as Flux set the field to ""). 0 with the
 * string in *out, or -1 if the result does not parse.
 */
static int
compose(const struct imgref *base, const char *registry, const char *tag,
    char **out)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	struct imgref check = IMGREF_INIT;
	const char *host = registry != NULL ? registry : base->domain;
	const char *t = tag != NULL ? tag : base->tag;
	int ret;

	if (host != NULL && *host != '\0')
		buf_addf(&b, "%s/", host);
	buf_adds(&b, base->path);
	if (t != NULL && *t != '\0')
		buf_addf(&b, ":%s", t);
	if (base->digest != NULL)
		buf_addf(&b, "@%s", base->digest);
	ret = imgref_parse(b.s, &check, &err);
	imgref_release(&check);
	buf_release(&err);
	if (ret < 0) {
		buf_release(&b);
		return -1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/*
 * holder (at pointer base) may hold an image in its field key ("image" or
 * "repository"), with sibling "registry" and "tag" strings. Add it as
 * container name if the parts make a reference.
 */
static void
interpret_fields(struct workload *w, const json_t *holder, const char *base,
    const char *key, const char *name)
{
	struct workload_container c;
	struct imgref r = IMGREF_INIT;
	struct buf err = BUF_INIT;
	const char *s, *registry, *tag;
	char *image;

	s = json_string_value(json_object_get(holder, key));
	if (s == NULL || imgref_parse(s, &r, &err) < 0) {
		buf_release(&err);
		return;
	}
	registry = json_string_value(json_object_get(holder, "registry"));
	tag = json_string_value(json_object_get(holder, "tag"));
	if (compose(&r, registry, tag, &image) == 0) {
		memset(&c, 0, sizeof(c));
		c.name = xstrdup(name);
		c.image = image;
		c.image_path = ptr_join(base, key);
		if (registry != NULL)
			c.registry_path = ptr_join(base, "registry");
		if (tag != NULL)
			c.tag_path = ptr_join(base, "tag");
		container_put(w, &c);
	}
	imgref_release(&r);
}

/* m (at pointer base) as a container: its "image", string or map. */
static void
interpret_container(struct workload *w, const json_t *m, const char *base,
    const char *name)
{
	const json_t *img = json_object_get(m, "image");
	char *sub;

	if (json_is_string(img)) {
		interpret_fields(w, m, base, "image", name);
	} else if (json_is_object(img)) {
		sub = ptr_join(base, "image");
		interpret_fields(w, img, sub, "repository", name);
		free(sub);
	}
}

static void
interpret_mapping(struct workload *w, const json_t *values, const char *alias,
    const struct mapping *m)
{
	struct workload_container c;
	struct buf ref = BUF_INIT, err = BUF_INIT;
	struct imgref r = IMGREF_INIT;
	const char *repo, *reg = NULL, *tag = NULL;

	if (m->repository == NULL)
		return;
	repo = dots_get_string(values, m->repository);
	if (repo == NULL)
		return;
	if (m->registry != NULL &&
	    (reg = dots_get_string(values, m->registry)) == NULL)
		return;
	if (m->tag != NULL && (tag = dots_get_string(values, m->tag)) == NULL)
		return;
	/* Flux joined the parts with "/" and ":" and parsed the result */
	if (reg != NULL)
		buf_addf(&ref, "%s/", reg);
	buf_adds(&ref, repo);
	if (tag != NULL)
		buf_addf(&ref, ":%s", tag);
	if (imgref_parse(ref.s, &r, &err) == 0) {
		memset(&c, 0, sizeof(c));
		c.name = xstrdup(alias);
		c.image = buf_detach(&ref, NULL);
		c.image_path = ptr_from_dots(m->repository);
		if (m->registry != NULL)
			c.registry_path = ptr_from_dots(m->registry);
		if (m->tag != NULL)
			c.tag_path = ptr_from_dots(m->tag);
		container_put(w, &c);
	}
	imgref_release(&r);
	buf_release(&err);
	buf_release(&ref);
}

/* Gather the image mappings of annotations (already checked) by alias. */
static void
collect_mappings(const json_t *annotations, struct strmap *maps)
{
	const char *key, *alias, *path;
	const json_t *v;
	struct mapping *m;
	const char **field;
	int which;

	json_object_foreach((json_t *)annotations, key, v) {
		if (starts_with(key, registry_prefix, &alias))
			which = 0;
		else if (starts_with(key, repository_prefix, &alias))
			which = 1;
		else if (starts_with(key, tag_prefix, &alias))
			which = 2;
		else
			continue;
		m = strmap_get(maps, alias);
		if (m == NULL) {
			m = xcalloc(1, sizeof(*m));
			strmap_put(maps, alias, m, NULL);
		}
		field = which == 0 ? &m->registry :
		    which == 1 ? &m->repository : &m->tag;
		/* Flux took an empty path as no path */
		path = json_string_value(v);
		*field = *path != '\0' ? path : NULL;
	}
}

static int
read_helmrelease(const json_t *object, const json_t *annotations,
    struct workload *w, struct buf *err)
{
	const json_t *spec, *values, *v;
	struct strmap maps = STRMAP_INIT;
	const char *key;
	char *base;
	size_t i;

	spec = json_object_get(object, "spec");
	if (spec == NULL || json_is_null(spec))
		return 0;
	if (!json_is_object(spec)) {
		buf_adds(err, "/spec is not a map");
		return -1;
	}
	values = json_object_get(spec, "values");
	if (values == NULL || json_is_null(values))
		return 0;
	if (!json_is_object(values)) {
		buf_adds(err, "/spec/values is not a map");
		return -1;
	}
	interpret_container(w, values, "/spec/values", CHART_IMAGE);
	json_object_foreach((json_t *)values, key, v) {
		if (!json_is_object(v))
			continue;
		base = ptr_join("/spec/values", key);
		interpret_container(w, v, base, key);
		free(base);
	}
	if (annotations != NULL) {
		collect_mappings(annotations, &maps);
		for (i = 0; i < maps.cap; i++)
			if (maps.slots[i].key != NULL)
				interpret_mapping(w, values, maps.slots[i].key,
				    maps.slots[i].value);
		strmap_release(&maps, free);
	}
	if (w->n > 1)
		qsort(w->containers, w->n, sizeof(*w->containers),
		    container_cmp);
	return 0;
}

static int
read_list(const json_t *spec, const char *field, const char *base, int init,
    struct workload *w, struct buf *err)
{
	const json_t *list, *item, *name, *image;
	struct workload_container *c;
	struct buf path = BUF_INIT;
	size_t i;

	list = json_object_get(spec, field);
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		buf_addf(err, "%s/%s is not a list", base, field);
		return -1;
	}
	json_array_foreach(list, i, item) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s/%zu", base, field, i);
		name = json_object_get(item, "name");
		image = json_object_get(item, "image");
		if (!json_is_string(name)) {
			buf_addf(err, "%s has no name", path.s);
			goto bad;
		}
		if (image != NULL && !json_is_null(image) &&
		    !json_is_string(image)) {
			buf_addf(err, "%s/image is not a string", path.s);
			goto bad;
		}
		c = container_new(w);
		c->name = xstrdup(json_string_value(name));
		if (json_is_string(image))
			c->image = xstrdup(json_string_value(image));
		buf_adds(&path, "/image");
		c->image_path = buf_detach(&path, NULL);
		c->init = init;
	}
	buf_release(&path);
	return 0;
bad:
	buf_release(&path);
	return -1;
}

static int
read_pod(const json_t *object, const struct pod_kind *k, struct workload *w,
    struct buf *err)
{
	const json_t *spec = object;
	struct buf base = BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < 5 && k->path[i] != NULL; i++) {
		spec = json_object_get(spec, k->path[i]);
		ptr_add(&base, k->path[i], strlen(k->path[i]));
		if (spec == NULL || json_is_null(spec)) {
			ret = 0;
			goto out;
		}
		if (!json_is_object(spec)) {
			buf_addf(err, "%s is not a map", base.s);
			goto out;
		}
	}
	if (read_list(spec, "containers", base.s, 0, w, err) < 0 ||
	    read_list(spec, "initContainers", base.s, 1, w, err) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&base);
	return ret;
}

/*
 * Annotations that say something to us must be strings; the others are
 * none of our business. -1 with err for one that is not.
 */
static int
check_annotations(const json_t *annotations, struct buf *err)
{
	static const char *const prefixes[] = {
		policy_prefix, legacy_prefix, filter_prefix,
		registry_prefix, repository_prefix, tag_prefix,
	};
	const char *key, *rest;
	const json_t *v;
	size_t i;

	json_object_foreach((json_t *)annotations, key, v) {
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			if (starts_with(key, prefixes[i], &rest) &&
			    !json_is_string(v)) {
				buf_addf(err, "annotation '%s' is not a string",
				    key);
				return -1;
			}
		}
	}
	return 0;
}

int
workload_policy_of(const char *key, struct buf *name)
{
	const char *rest;

	buf_reset(name);
	if (starts_with(key, policy_prefix, &rest)) {
		buf_adds(name, rest);
		return 3;
	}
	if (starts_with(key, legacy_prefix, &rest)) {
		buf_adds(name, rest);
		return 2;
	}
	if (starts_with(key, filter_prefix, &rest)) {
		buf_addf(name, "tag.%s", rest);
		return 1;
	}
	return 0;
}

size_t
workload_policy_keys(const char *policy, char keys[3][256])
{
	size_t n = 0;

	snprintf(keys[n++], 256, "%s%s", policy_prefix, policy);
	snprintf(keys[n++], 256, "%s%s", legacy_prefix, policy);
	if (strncmp(policy, "tag.", 4) == 0)
		snprintf(keys[n++], 256, "%s%s", filter_prefix, policy + 4);
	return n;
}

static void
read_policies(const json_t *annotations, struct workload *w)
{
	struct strmap set = STRMAP_INIT;	/* policy -> borrowed value */
	const char *key, *rest, *v;
	const json_t *jv;
	struct buf name = BUF_INIT;
	size_t i;
	int pass;

	/* lowest precedence first, so that a later pass overwrites */
	for (pass = 1; pass <= 3; pass++) {
		json_object_foreach((json_t *)annotations, key, jv) {
			if (workload_policy_of(key, &name) != pass)
				continue;
			strmap_put(&set, name.s, (void *)json_string_value(jv),
			    NULL);
		}
	}
	buf_release(&name);

	v = strmap_get(&set, "automated");
	w->automated = v != NULL && strcmp(v, "true") == 0;
	v = strmap_get(&set, "locked");
	w->locked = v != NULL && strcmp(v, "true") == 0;
	v = strmap_get(&set, "ignore");
	w->ignored = v != NULL && strcmp(v, "true") == 0;
	for (i = 0; i < set.cap; i++) {
		key = set.slots[i].key;
		if (key != NULL && starts_with(key, "tag.", &rest))
			strmap_put(&w->tag_filters, rest,
			    xstrdup(set.slots[i].value), NULL);
	}
	strmap_release(&set, NULL);
}

int
workload_read(const json_t *object, struct workload *out, struct buf *err)
{
	const struct pod_kind *pk = NULL;
	const json_t *annotations;
	const char *kind;
	size_t i;
	int hr, ret;

	kind = json_string_value(json_object_get(object, "kind"));
	if (kind == NULL)
		return 1;
	hr = strcmp(kind, "HelmRelease") == 0 ||
	    strcmp(kind, "FluxHelmRelease") == 0;
	for (i = 0; !hr && i < sizeof(pod_kinds) / sizeof(pod_kinds[0]); i++)
		if (strcmp(kind, pod_kinds[i].kind) == 0)
			pk = &pod_kinds[i];
	if (!hr && pk == NULL)
		return 1;

	annotations = json_object_get(json_object_get(object, "metadata"),
	    "annotations");
	if (json_is_null(annotations))
		annotations = NULL;
	if (annotations != NULL && !json_is_object(annotations)) {
		buf_adds(err, "/metadata/annotations is not a map");
		return -1;
	}
	if (annotations != NULL && check_annotations(annotations, err) < 0)
		return -1;

	out->kind = xstrdup(kind);
	out->flux_v1 = hr || pk->flux_v1;
	if (hr)
		ret = read_helmrelease(object, annotations, out, err);
	else
		ret = read_pod(object, pk, out, err);
	if (ret < 0) {
		workload_release(out);
		return -1;
	}
	if (annotations != NULL)
		read_policies(annotations, out);
	return 0;
}

void
workload_release(struct workload *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		container_release(&w->containers[i]);
	free(w->containers);
	free(w->kind);
	strmap_release(&w->tag_filters, free);
	memset(w, 0, sizeof(*w));
}

const struct workload_container *
workload_container_get(const struct workload *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->containers[i].name, name) == 0)
			return &w->containers[i];
	return NULL;
}

const char *
workload_tag_filter(const struct workload *w, const char *container)
{
	const char *p = strmap_get(&w->tag_filters, container);

	return p != NULL ? p : "glob:*";
}

/* A JSON Pointer array index: "0" or digits without a leading zero. */
static int
ptr_index(const char *s, size_t n, size_t *out)
{
	size_t i, v = 0;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > ((size_t)-1 - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

json_t *
workload_pointer_get(const json_t *root, const char *ptr)
{
	json_t *v = (json_t *)root;
	struct buf tok = BUF_INIT;
	const char *end;
	size_t idx;

	while (v != NULL && *ptr != '\0') {
		if (*ptr != '/') {
			v = NULL;
			break;
		}
		ptr++;
		end = strchr(ptr, '/');
		if (end == NULL)
			end = ptr + strlen(ptr);
		buf_reset(&tok);
		for (; ptr < end; ptr++) {
			if (*ptr == '~' && ptr + 1 < end &&
			    (ptr[1] == '0' || ptr[1] == '1')) {
				buf_addch(&tok, ptr[1] == '0' ? '~' : '/');
				ptr++;
			} else {
				buf_addch(&tok, *ptr);
			}
		}
		if (json_is_object(v))
			v = json_object_get(v, tok.s);
		else if (json_is_array(v) &&
		    ptr_index(tok.s, tok.len, &idx) == 0)
			v = json_array_get(v, idx);
		else
			v = NULL;
	}
	buf_release(&tok);
	return v;
}
