/*
 * manifest_impl.h: what lib/manifest.c shares with lib/manifest_cache.c,
 * which replays a file's objects from the render cache through the same
 * manifest_commit_file a parsed file goes through. Only those two include
 * this.
 */
#ifndef SLUICE_MANIFEST_IMPL_H
#define SLUICE_MANIFEST_IMPL_H

#include "lib/buf.h"
#include "lib/jsonw.h"
#include "lib/manifest.h"

/* An object waiting for its kind's scope: see manifest.h. */
struct manifest_held {
	char *file, *api_version, *kind, *name, *ns;
	unsigned long doc;
	long item;			/* -1: not a List item */
	int ignored;
	char *json;			/* the object as written in Git */
	char *json_ns;			/* with the default namespace added */
};

/*
 * What one file produced, kept until the whole stream has parsed: only
 * then are its objects written and its IDs and CRDs remembered.
 */
enum pending_what { PENDING_OBJECT, PENDING_ERROR, PENDING_HELD };

struct pending {
	enum pending_what what;
	size_t off, len;		/* the record in the file's buffer */
	char *id;			/* PENDING_OBJECT */
	unsigned long doc;
	char *crd_group, *crd_kind, *crd_scope;	/* a CRD object */
	int ignored;
	int builtin;			/* its scope is from the built-in table */
	struct manifest_held held;	/* PENDING_HELD */
};

struct file_state {
	struct manifest_set *set;
	const char *file;
	struct yml_doc *doc;
	struct buf out;			/* records, newline-terminated */
	struct pending *p;
	size_t np, palloc;
};


/* The start of a record of this set, up to and with its "commit". */
void manifest_record_head(struct jsonw *w, const struct manifest_set *set,
    const char *type);
struct pending *manifest_new_pending(struct file_state *fs,
    enum pending_what what, unsigned long doc);
void manifest_pending_release(struct pending *p);
/* List file as failed (once). */
void manifest_add_failed(struct manifest_set *set, const char *file);
/*
 * The file's stream parsed: write what it made (fs->p, records in
 * fs->out), checking IDs against the set. 0, or -1 if any failed.
 */
int manifest_commit_file(struct file_state *fs);
/* Keep what fs made in the set's cache under key, if it can be replayed. */
void manifest_cache_keep(const struct file_state *fs, const char *key);

#endif
