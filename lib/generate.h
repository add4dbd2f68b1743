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

#include "lib/buf.h"
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

#endif
