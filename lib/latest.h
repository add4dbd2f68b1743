/*
 * latest.h: which tag a container should run, by its tag filter, and the
 * scalar to change for it (flux-v1-reference.md sections 6.5 and 6.6).
 *
 *	struct latest l = LATEST_INIT;
 *	latest_choose("nginx:1.25", "semver:~1", &img, &l);
 *	if (l.result == LATEST_NEWER)
 *		latest_edit(object, &w.containers[i], l.tag, &path, &value);
 *	latest_release(&l);
 *
 * Choosing, as Flux v1's automation did, with its guards:
 *  - the tags the filter lets through, newest first (policy_sort); none:
 *    nothing to do;
 *  - for a time-ordered filter every one of them must have a creation
 *    time, or the container is skipped ("inconsistent repository
 *    metadata"): a tag not read yet might be the newest;
 *  - for a time-ordered filter the newest and the current image must both
 *    have a creation time, or it is skipped (Flux's zero-timestamp guard,
 *    fluxcd/flux#2929): comparing against an unknown time could move a
 *    container to an older image;
 *  - the newest tag equal to the current one: nothing to do.
 * A reference pinned by digest is skipped: its tag does not decide which
 * image runs.
 *
 * Unlike Flux v1, the current tag is the one written in Git (Flux used the
 * one running in the cluster, which a manual rollout could have moved).
 */
#ifndef SLUICE_LATEST_H
#define SLUICE_LATEST_H

#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/workload.h"

/* What img-scan knows of one repository: its tags and their times. */
struct latest_image {
	const char *const *tags;
	const long long *created;	/* unix seconds, 0: unknown */
	size_t n;
};

enum latest_result { LATEST_SAME, LATEST_NEWER, LATEST_SKIP };

struct latest {
	enum latest_result result;
	char *tag;		/* NEWER: the tag to move to */
	char *image;		/* NEWER: the reference, spelt as in Git */
	struct buf why;		/* SKIP (and SAME, when no tag passed) */
};
#define LATEST_INIT { LATEST_SAME, NULL, NULL, BUF_INIT }

/*
 * Choose for a container running ref (as written in Git) with filter
 * (workload_tag_filter's). 0, or -1 when ref or filter is invalid (an
 * error of the manifest: result SKIP, why says it).
 */
int latest_choose(const char *ref, const char *filter,
    const struct latest_image *img, struct latest *out);
void latest_release(struct latest *l);

/*
 * The scalar to change to move container c of object to tag, as a JSON
 * Pointer from the object's root and the new value: the image field with
 * the tag swapped, or for a HelmRelease whose tag has its own field, that
 * field. New strings in *path and *value; -1 with err if the field is
 * not a string of the expected shape.
 */
int latest_edit(const json_t *object, const struct workload_container *c,
    const char *tag, char **path, char **value, struct buf *err);

#endif
