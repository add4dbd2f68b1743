/*
 * manifest.h: turn YAML streams into "object" records, the way Flux v1
 * loads manifests (reference §5.1, §5.2), but with each failure kept to
 * the file or object it concerns (DESIGN.md rule 2).
 *
 * One struct manifest_set covers one source revision: it remembers the IDs
 * seen (a duplicate is an error naming both places), the CRDs seen (their
 * kinds' scope), the files that failed, and the counts for the "end"
 * record. Records go straight to stdout through lib/rec.
 *
 * Per file, all or nothing for syntax: a stream that does not parse gives
 * one "error" record and none of its objects, so no half-read file is
 * applied. A document that parses but is not a usable object (no
 * metadata.name, ...) gives an "error" record for that document alone.
 *
 * Objects whose kind's scope is not known yet (a custom resource whose CRD
 * may come later in the walk) are held back and written by
 * manifest_finish, once every CRD of the set is known; so output is
 * deterministic: known kinds in walk order, then the held-back ones in
 * walk order.
 */
#ifndef SLUICE_MANIFEST_H
#define SLUICE_MANIFEST_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/kinds.h"
#include "lib/strmap.h"

/* Files larger than this are an error, not a memory spike. */
#define MANIFEST_MAX_FILE (64u << 20)

struct manifest_opts {
	const char *source;		/* borrowed; names the records */
	const char *commit;		/* borrowed; NULL for a folder */
	const char *default_ns;		/* for namespaced kinds without one */
};

struct manifest_held;
struct rendercache;

struct manifest_set {
	struct manifest_opts o;
	struct kinds kinds;
	struct strmap ids;		/* ID -> "file" (doc N) of its first */
	struct strmap files;		/* files read, for overlapping paths */
	struct strmap failed_set;
	char **failed;			/* files/paths that failed, in order */
	size_t nfailed;
	struct manifest_held *held;
	size_t nheld, held_alloc;
	struct rendercache *cache;	/* borrowed; NULL: none */
	struct buf object_head;		/* what each object record starts
					 * with, for the cache's replays */
	unsigned long nfiles, ncached, nobjects, nignored, nerrors, nunknown;
};

void manifest_set_init(struct manifest_set *set,
    const struct manifest_opts *o);
void manifest_set_release(struct manifest_set *set);

/* 1 if file was already rendered in this set (overlapping --git-paths). */
int manifest_seen(struct manifest_set *set, const char *file);

/*
 * Render the YAML stream data (len bytes, named file in records) into
 * records. 0, or -1 if anything in it failed (its error records written).
 */
int manifest_add_stream(struct manifest_set *set, const char *file,
    const char *data, size_t len);

/*
 * manifest_add_stream for the content of a blob whose identity is key (a
 * blob id): with set->cache, what the file made is kept there under key,
 * when that can be replayed exactly (see manifest_cache.c).
 */
int manifest_add_blob(struct manifest_set *set, const char *file,
    const char *key, const char *data, size_t len);

/*
 * With set->cache: if the cache holds file under key, write what it made
 * last time, exactly as manifest_add_blob would now, and return 1; else 0
 * (and the caller reads and adds the blob).
 */
int manifest_from_cache(struct manifest_set *set, const char *file,
    const char *key);

/*
 * Write an "error" record about file (a file, a path, a .flux.yaml) and
 * list it as failed. line/column 0 when not known.
 */
void manifest_fail(struct manifest_set *set, const char *file,
    unsigned long line, unsigned long column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Write the held-back objects, then the "end" record. */
void manifest_finish(struct manifest_set *set);

/*
 * The ID obj would get in this set (its namespace defaulted as for an
 * object record) into id: 0, or -1 if obj has no kind or metadata.name.
 */
struct yml_node;
int manifest_object_id(const struct manifest_set *set,
    const struct yml_node *obj, struct buf *id);

/* Write an "end" record for a revision that could not be read at all. */
void manifest_end_failed(const struct manifest_opts *o, const char *why);

#endif
