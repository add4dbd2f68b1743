/*
 * patchupd.c: recompute a patchUpdated patch file (patchupd.h).
 */
#include "lib/patchupd.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/fsx.h"
#include "lib/generate.h"
#include "lib/manifest.h"
#include "lib/patch.h"
#include "lib/xalloc.h"
#include "lib/yamlout.h"
#include "lib/banned.h"

/* Copies of n objects. */
static struct gen_object *
copy_objects(const struct gen_object *v, size_t n)
{
	struct gen_object *out = xcalloc(n ? n : 1, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++) {
		out[i].id = xstrdup(v[i].id);
		out[i].obj = json_deep_copy(v[i].obj);
	}
	return out;
}

/* The patch file that makes want (n objects) of gen: 0, or -1 with err. */
static int
render_patch(const struct gen_object *gen, const struct gen_object *want,
    size_t n, struct buf *out, struct buf *err)
{
	json_t *d;
	size_t i;
	int rc = 0;

	/* gen and want are the same objects in the same (ID) order */
	for (i = 0; i < n && rc == 0; i++) {
		d = patch_diff(gen[i].obj, want[i].obj);
		if (d == NULL) {
			buf_addf(err, "'%s' is not an object", gen[i].id);
			rc = -1;
		} else if (json_object_size(d) > 0) {
			buf_adds(out, "---\n");
			rc = yamlout_write(out, d, err);
		}
		json_decref(d);
	}
	return rc;
}

/* Do the objects the new patch makes equal want? 0, or -1 with err. */
static int
check_patch(const struct manifest_set *set, const struct gen_object *gen,
    const struct gen_object *want, size_t n, const struct buf *patch,
    struct buf *err)
{
	struct gen_object *got = copy_objects(gen, n), *docs = NULL;
	size_t ndocs = 0, i;
	int rc = -1;

	if (generate_objects(set, patch->s, patch->len, &docs, &ndocs,
	    err) < 0 || generate_apply_patches(got, n, docs, ndocs, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!json_equal(got[i].obj, want[i].obj)) {
			buf_addf(err, "the new patch would not make '%s' as "
			    "intended", gen[i].id);
			goto out;
		}
	rc = 0;
out:
	generate_objects_free(got, n);
	generate_objects_free(docs, ndocs);
	return rc;
}

/*
 * Is the patch file, named from the target path, inside the checkout?
 * Generators may read what they like (the operator let them run), but
 * sluice writes only inside the checkout it made.
 */
static int
inside(const char *target, const char *file)
{
	struct buf p = BUF_INIT;
	const char *seg, *end;
	long depth = 0;

	if (*file == '/')
		return 0;
	buf_addf(&p, "%s%s%s", target, *target ? "/" : "", file);
	for (seg = p.s; *seg != '\0'; seg = *end ? end + 1 : end) {
		end = strchr(seg, '/');
		if (end == NULL)
			end = seg + strlen(seg);
		if (end - seg == 2 && memcmp(seg, "..", 2) == 0)
			depth--;
		else if (end - seg > 0 && !(end - seg == 1 && *seg == '.'))
			depth++;
		if (depth < 0)
			break;
	}
	buf_release(&p);
	return depth > 0;
}

int
patchupd_edit(const struct fluxcfg *cfg, const char *root, const char *target,
    double sync_timeout, const char *id, patchupd_fn *edit, void *arg,
    struct buf *err)
{
	struct gen_object *gen = NULL, *want = NULL, *docs = NULL, key, *hit;
	size_t ngen = 0, ndocs = 0;
	struct buf stream = BUF_INIT, ns = BUF_INIT, patch = BUF_INIT;
	struct buf path = BUF_INIT, cwd = BUF_INIT, why = BUF_INIT;
	struct manifest_opts mo = { "", NULL, NULL };
	struct manifest_set set;
	const char *colon = strchr(id, ':');
	int rc = -1;

	/* IDs as manifest-gen made them: id's namespace is the default */
	buf_add(&ns, id, colon != NULL ? (size_t)(colon - id) : 0);
	mo.default_ns = ns.s;
	manifest_set_init(&set, &mo);
	buf_addf(&cwd, "%s%s%s", root, *target ? "/" : "", target);
	if (!inside(target, cfg->patch_file)) {
		buf_addf(err, "patch file '%s' is outside the repository",
		    cfg->patch_file);
		goto out;
	}
	if (generate_run(cfg, cwd.s, sync_timeout, &stream, err) < 0)
		goto out;
	if (generate_objects(&set, stream.s, stream.len, &gen, &ngen,
	    &why) < 0) {
		buf_addf(err, "generator output: %s", why.s);
		goto out;
	}
	want = copy_objects(gen, ngen);
	if (generate_read_patch(&set, cfg, cwd.s, &docs, &ndocs, err) < 0 ||
	    generate_apply_patches(want, ngen, docs, ndocs, err) < 0)
		goto out;
	key.id = (char *)id;
	hit = bsearch(&key, want, ngen, sizeof(*want), generate_objects_cmp);
	if (hit == NULL) {
		buf_addf(err, "the generators in '%s' no longer make '%s'",
		    target, id);
		goto out;
	}
	if (edit(hit->obj, arg, err) < 0)
		goto out;
	if (render_patch(gen, want, ngen, &patch, err) < 0 ||
	    check_patch(&set, gen, want, ngen, &patch, err) < 0)
		goto out;
	buf_addf(&path, "%s/%s", cwd.s, cfg->patch_file);
	if (fsx_write_atomic_at(AT_FDCWD, path.s, patch.s, patch.len, 0600,
	    cfg->patch_file, err) < 0)
		goto out;
	rc = 0;
out:
	generate_objects_free(gen, ngen);
	if (want != NULL)
		generate_objects_free(want, ngen);
	generate_objects_free(docs, ndocs);
	manifest_set_release(&set);
	buf_release(&stream);
	buf_release(&ns);
	buf_release(&patch);
	buf_release(&path);
	buf_release(&cwd);
	buf_release(&why);
	return rc;
}
