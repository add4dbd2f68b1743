/*
 * generate.h: .flux.yaml manifest generation (Flux v1 reference §4), for
 * manifest-gen --manifest-generation. Commands from Git run only when the
 * operator asked for it with that flag; manifest-gen never calls
 * generate_path otherwise.
 *
 * Generators need files on disk. For a revision read from a bare
 * repository, a checkout per source is kept under the state directory
 * (STATE/SOURCE/checkout) and updated incrementally to the commit
 * (lib/checkout); with --dir the folder itself is used.
 */
#ifndef SLUICE_GENERATE_H
#define SLUICE_GENERATE_H

#include <jansson.h>

#include "lib/buf.h"
#include "lib/fluxcfg.h"
#include "lib/manifest.h"
#include "lib/srctree.h"

struct generate_opts {
	double sync_timeout;	/* seconds: default per command, and total */
	const char *state_dir;	/* for checkouts of git sources */
	const char *dir;	/* --dir: run in this folder instead */
};

/*
 * The .flux.yaml that governs target path (cleaned, "" for the root): the
 * path itself if it is a file named .flux.yaml, else the nearest one in it
 * or a folder above it, up to the root. 1 with the config's path in cfg,
 * or 0.
 */
int generate_find_config(struct srctree *t, const char *path,
    struct buf *cfg);

/*
 * Load target path as the config at cfg says, writing records through
 * set. Returns 0 if the config is scanForFiles (the caller reads the path
 * as plain YAML), 1 if it was handled here (objects written, or the
 * failure recorded as an "error" record for this path only).
 */
int generate_path(struct manifest_set *set, struct srctree *t,
    const char *path, const char *cfg, const struct generate_opts *o);

/*
 * The pieces of a patchUpdated load, for img-update too, which recomputes
 * the patch file (Flux v1 reference 4.4) and must see the objects exactly
 * as a sync does.
 */

/* An object of a stream, with its ID as set names it. */
struct gen_object {
	char *id;
	json_t *obj;
};

/*
 * Run cfg's generators in cwd, in order, stopping at the first failure,
 * each within its timeout and all within sync_timeout seconds; their
 * outputs joined as Flux v1 joins them into stream. 0, or -1 with err.
 */
int generate_run(const struct fluxcfg *cfg, const char *cwd,
    double sync_timeout, struct buf *stream, struct buf *err);

/*
 * Append every object of the YAML stream data to *out (List items
 * expanded, documents without kind skipped), then sort *out by ID.
 * 0, or -1 with err.
 */
int generate_objects(const struct manifest_set *set, const char *data,
    size_t len, struct gen_object **out, size_t *nout, struct buf *err);
void generate_objects_free(struct gen_object *v, size_t n);
/* By ID, for qsort and bsearch over struct gen_object. */
int generate_objects_cmp(const void *a, const void *b);

/* The documents of cfg's patch file in cwd (none if it is missing). */
int generate_read_patch(const struct manifest_set *set,
    const struct fluxcfg *cfg, const char *cwd, struct gen_object **out,
    size_t *nout, struct buf *err);

/*
 * Apply each patch to the object of its ID in objs (sorted by ID). 0, or
 * -1 with err ("patch refers to missing resource", or why a patch did not
 * apply); objs are then half patched.
 */
int generate_apply_patches(struct gen_object *objs, size_t nobjs,
    const struct gen_object *patches, size_t npatches, struct buf *err);

#endif
