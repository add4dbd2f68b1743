/*
 * patchupd.h: an update to a workload a patchUpdated .flux.yaml makes
 * (flux-v1-reference.md 4.4): run the generators, apply the patch file,
 * change one field of the patched object, and write the patch file again
 * as the difference between what the generators make and what should be
 * applied. The generators' own output is never edited.
 *
 *	struct buf err = BUF_INIT;
 *	if (patchupd_edit(&cfg, "/scratch/checkout", "staging", 60,
 *	    "prod:deployment/web", set_image, &arg, &err) < 0)
 *		... err.s says why; the patch file is as it was ...
 *
 * Commands from Git run here (the generators, with the caller's
 * environment, as a sync runs them): callers call this only when the
 * operator asked (--manifest-generation).
 *
 * The new file has one document per object that differs from its
 * generated form, sorted by ID, each a strategic merge or JSON merge patch
 * (lib/patch.h, patch_diff), written with mode 0600 as Flux v1 wrote it.
 * Before it is written it is read back and applied to a fresh copy of the
 * generated objects: unless that gives exactly the objects intended, it is
 * not written and the update fails.
 */
#ifndef SLUICE_PATCHUPD_H
#define SLUICE_PATCHUPD_H

#include <jansson.h>

#include "lib/buf.h"
#include "lib/fluxcfg.h"

/*
 * Change a patched object: 0, or -1 with err. obj is the object as the
 * generators and the current patch make it.
 */
typedef int patchupd_fn(json_t *obj, void *arg, struct buf *err);

/*
 * In the folder target (the config's target path) of the checkout root
 * (where the generators run, and the patch file is named from; it must
 * stay inside root), let edit change the patched object id (ns:kind/name,
 * the namespace as manifest-gen defaulted it) and write the patch file
 * that makes it so. 0, or -1 with err.
 */
int patchupd_edit(const struct fluxcfg *cfg, const char *root,
    const char *target, double sync_timeout, const char *id,
    patchupd_fn *edit, void *arg, struct buf *err);

#endif
