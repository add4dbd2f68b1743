/*
 * mirror_pack.h: keeping a mirror's object store small, as `git gc --auto`
 * does for the git command, which libgit2 has no equivalent of. Each fetch
 * that brings objects adds a pack, and img-update's commits add loose
 * objects; left alone, a source polled for months holds thousands of
 * packs, and every process that opens the mirror maps every index and
 * looks through every pack.
 *
 * When the mirror holds more packs than git's gc.autoPackLimit (50), or
 * more loose objects than git's gc.auto (6700, estimated as git does from
 * the folder objects/17), the largest pack (the base, from the first
 * clone) is kept and one new pack is written with the objects of all the
 * others and the loose ones. That costs a delta search over what came
 * since the base, not over the whole repository, which libgit2 1.5 does
 * eight times slower than git. Packs with a .keep file are never touched
 * and do not count, as in git.
 *
 * The old packs and loose objects are removed only once the new pack is
 * whole on disk: written, synced, and every object read back from it
 * alone. Any failure leaves every old file in place.
 */
#ifndef SLUICE_MIRROR_PACK_H
#define SLUICE_MIRROR_PACK_H

#include "lib/mirror.h"

#define MIRROR_PACK_LIMIT	50	/* git's gc.autoPackLimit */
#define MIRROR_LOOSE_LIMIT	6700	/* git's gc.auto */

/*
 * Consolidate m's packs if they are past the limits above. m must be open
 * and locked (mirror_open). 1 consolidated (one info line logged), and
 * m->repo is then a new handle, which sees only the packs that remain; 0
 * nothing to do (nothing logged); -1 it failed: one warning logged and
 * nothing removed. A failure here is never a reason to fail the run.
 * Leftovers of killed runs in objects/pack are removed either way, each
 * with a warning.
 */
int mirror_pack_maintain(struct mirror *m);

#endif
