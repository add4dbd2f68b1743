/*
 * packidx.h: the object ids a Git pack index (.idx) lists, read from the
 * file itself: libgit2 1.5 has no call that lists the objects of one pack
 * of a repository. Versions 1 and 2, the only ones git and libgit2 write
 * (gitformat-pack(5)); the ids come out sorted, as the file holds them.
 *
 *	struct packidx idx = PACKIDX_INIT;
 *	if (packidx_read(&idx, "objects/pack/pack-X.idx", &err) == 0)
 *		use(idx.ids, idx.n);
 *	packidx_release(&idx);
 *
 * A struct packidx owns its ids.
 */
#ifndef SLUICE_PACKIDX_H
#define SLUICE_PACKIDX_H

#include <stddef.h>

#include <git2.h>

#include "lib/buf.h"

struct packidx {
	git_oid *ids;
	size_t n;
	int version;		/* 1 or 2 */
};
#define PACKIDX_INIT { NULL, 0, 0 }

/*
 * Read the ids of the index at path into idx (replacing what it held).
 * The file is checked as far as the ids go: its size against its count,
 * the fan-out table, the order of the names. 0; or -1 with the reason in
 * err (nothing logged) when it cannot be read, is of another version, or
 * breaks those rules.
 */
int packidx_read(struct packidx *idx, const char *path, struct buf *err);

void packidx_release(struct packidx *idx);

#endif
