/*
 * rendercache.h: what manifest-gen made of each file last time, kept so
 * that a pass where one file of 7,000 changed parses one file. An entry
 * is found by the file's path and is good only while the key stored with
 * it (the file's blob id) is the same; its data is whatever the caller
 * stored (manifest.c's encoding of the file's records).
 *
 * Folder entries are a second kind, found the same way by a folder's path
 * under its tree id: manifest-gen keeps there what its walk of the folder
 * met (the YAML files and subfolders, with their ids), so that an
 * unchanged folder need not be read from Git at all. File and folder
 * entries are apart: a name is looked up among its own kind only.
 *
 * One cache file per source. The old one is mapped read-only and indexed
 * on open; the new one is written as the run goes (every entry the run
 * used, old or new) and replaces the old by rename at rendercache_commit,
 * so the cache never holds files that are gone. The file starts with a
 * header naming the format and the caller's parameters (anything that
 * changes the rendering: the version, the default namespace); a file
 * whose header differs, or that is malformed or cut short anywhere, is
 * not used at all. A cache is only ever a shortcut: without one, or with
 * one that cannot be written, the output is the same.
 *
 *	struct rendercache *c = rendercache_open(path, params);
 *	if ((data = rendercache_find(c, file, key, &n)) != NULL)
 *		... use data, then rendercache_keep(c, file, key, data, n);
 *	else
 *		... render, then rendercache_keep(c, file, key, new, newlen);
 *	rendercache_commit(c);
 *	rendercache_close(c);
 */
#ifndef SLUICE_RENDERCACHE_H
#define SLUICE_RENDERCACHE_H

#include <stddef.h>

#include "lib/buf.h"

struct rendercache;

/*
 * The cache at path (need not exist) for these params. Never NULL: a
 * cache that cannot be read or written only makes the run slower (the
 * reason is logged at debug level, or as a warning for a write error).
 */
struct rendercache *rendercache_open(const char *path, const char *params);

/* The data stored for file under key last time (n bytes), or NULL. */
const char *rendercache_find(struct rendercache *c, const char *file,
    const char *key, size_t *n);

/* Put file's entry into the new cache. */
void rendercache_keep(struct rendercache *c, const char *file,
    const char *key, const char *data, size_t n);

/*
 * The same for folder entries. The caller keeps a folder once per run: a
 * second entry for it would be written, and the last one found next time.
 */
const char *rendercache_find_dir(struct rendercache *c, const char *dir,
    const char *key, size_t *n);
void rendercache_keep_dir(struct rendercache *c, const char *dir,
    const char *key, const char *data, size_t n);

/* Replace the old cache with the new one: 0, or -1 (logged). */
int rendercache_commit(struct rendercache *c);

/* Unmap and free; a new cache not committed is removed. */
void rendercache_close(struct rendercache *c);

/*
 * The encoding of an entry's fields: each one "LEN:BYTES", or "-" for
 * NULL. rendercache_get reads one field at *p (before end) and moves *p
 * past it: 1 with *s and *n (not NUL-terminated), 0 for NULL, -1 if the
 * text is not a field.
 */
void rendercache_put(struct buf *b, const char *s, size_t n);
void rendercache_puts(struct buf *b, const char *s);	/* NULL: "-" */
int rendercache_get(const char **p, const char *end, const char **s,
    size_t *n);

#endif
