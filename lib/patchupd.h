/*
 * patchupd.h: an update to a workload a patchUpdated .flux.yaml makes
 * (flux-v1-reference.md 4.4): run the generators, apply the patch file,
 * change one field of the patched object, and write the patch file again
 * as the difference between what the generators make and what should be
 * applied. The generators' own output is never edited.
 *
 *	struct buf err = BUF_INIT;
 *	if (patchupd_set(&cfg, "/scratch/checkout", "staging", 60,
 *	    "prod:deployment/web", "/spec/template/spec/containers/0/image",
 *	    "web:1.2", "web:1.1", &err) < 0)
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

#include "lib/buf.h"
#include "lib/fluxcfg.h"

/*
 * In the folder target (the config's target path) of the checkout root
 * (where the generators run, and the patch file is named from; it must
 * stay inside root), set the
 * string at JSON Pointer ptr of the patched object id (ns:kind/name, the
 * namespace as manifest-gen defaulted it) to value; it must hold expect
 * now. 0, or -1 with err.
 */
int patchupd_set(const struct fluxcfg *cfg, const char *root,
    const char *target, double sync_timeout, const char *id, const char *ptr, const char *value,
    const char *expect, struct buf *err);

#endif
