/*
 * latest.c: choosing a container's tag (latest.h).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/imgref.h"
#include "lib/latest.h"
#include "lib/policy.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static long long
created_of(const struct latest_image *img, const char *tag)
{
	size_t i;

	for (i = 0; i < img->n; i++)
		if (strcmp(img->tags[i], tag) == 0)
			return img->created ? img->created[i] : 0;
	return 0;
}

static int
skip(struct latest *out, int rc, const char *msg)
{
	out->result = LATEST_SKIP;
	buf_adds(&out->why, msg);
	return rc;
}

int
latest_choose(const char *ref, const char *filter,
    const struct latest_image *img, struct latest *out)
{
	struct imgref r = IMGREF_INIT;
	struct policy p = POLICY_INIT;
	struct buf b = BUF_INIT;
	size_t *order, m, i;
	const char *cur, *newest;
	int rc = 0;

	out->result = LATEST_SAME;
	if (imgref_parse(ref, &r, &out->why) < 0)
		return skip(out, -1, "");
	if (r.digest != NULL) {
		imgref_release(&r);
		return skip(out, 0, "pinned by digest: its tag does not "
		    "decide the image");
	}
	if (policy_parse(filter, &p, &out->why) < 0) {
		imgref_release(&r);
		return skip(out, -1, "");
	}
	order = xcalloc(img->n ? img->n : 1, sizeof(*order));
	m = policy_sort(&p, img->tags, img->created, img->n, order);
	if (m == 0) {
		buf_addf(&out->why, "no tag passes the filter '%s'", filter);
		goto out;
	}
	if (policy_needs_time(&p)) {
		for (i = 0; i < m; i++)
			if (img->created == NULL || img->created[order[i]] <= 0) {
				buf_addf(&b, "inconsistent repository metadata: "
				    "tag '%s' has no creation time yet",
				    img->tags[order[i]]);
				skip(out, 0, b.s);
				goto out;
			}
	}
	newest = img->tags[order[0]];
	cur = r.tag != NULL ? r.tag : "latest";
	if (strcmp(newest, cur) == 0)
		goto out;
	if (policy_needs_time(&p) && created_of(img, cur) <= 0) {
		buf_addf(&b, "image with zero created timestamp: the current "
		    "tag '%s' has no creation time, so '%s' may not be newer",
		    cur, newest);
		skip(out, 0, b.s);
		goto out;
	}
	out->result = LATEST_NEWER;
	out->tag = xstrdup(newest);
	buf_reset(&b);
	imgref_string_with_tag(&r, newest, &b);
	out->image = buf_detach(&b, NULL);
out:
	free(order);
	policy_release(&p);
	imgref_release(&r);
	buf_release(&b);
	return rc;
}

void
latest_release(struct latest *l)
{
	free(l->tag);
	free(l->image);
	buf_release(&l->why);
	*l = (struct latest)LATEST_INIT;
}

int
latest_edit(const json_t *object, const struct workload_container *c,
    const char *tag, char **path, char **value, struct buf *err)
{
	struct imgref r = IMGREF_INIT;
	struct buf b = BUF_INIT;
	const char *cur;

	*path = *value = NULL;
	if (c->tag_path != NULL) {
		if (!json_is_string(workload_pointer_get(object,
		    c->tag_path))) {
			buf_addf(err, "%s is not a string", c->tag_path);
			return -1;
		}
		*path = xstrdup(c->tag_path);
		*value = xstrdup(tag);
		return 0;
	}
	cur = json_string_value(workload_pointer_get(object, c->image_path));
	if (cur == NULL) {
		buf_addf(err, "%s is not a string", c->image_path);
		return -1;
	}
	/* the field as written: "repo:tag", or without its host when the
	 * host has a field of its own */
	if (imgref_parse(cur, &r, err) < 0)
		return -1;
	imgref_string_with_tag(&r, tag, &b);
	imgref_release(&r);
	*path = xstrdup(c->image_path);
	*value = buf_detach(&b, NULL);
	return 0;
}
