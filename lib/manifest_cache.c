/*
 * manifest_cache.c: a file's objects kept in the render cache
 * (lib/rendercache.h) and replayed from it. Parsing YAML is most of what
 * manifest-gen costs; a pass over a repository where one file changed
 * should parse that file and copy the rest.
 *
 * A replay must write exactly what parsing the same blob would write now.
 * Within one file that holds: the same bytes parse the same way. What a
 * file's records owe to the rest of the set is redone on replay, because
 * the kept entry goes through manifest_commit_file like a parsed one
 * (duplicate IDs, the CRDs it defines, the counts). What cannot be redone
 * is a scope learnt from a CRD elsewhere in the set (which may have
 * changed since): so a file is kept only if every document made an object
 * of a built-in kind. A file with custom resources, or with any error, is
 * parsed every time.
 *
 * An entry, per object, is seven fields (rendercache_put): ID, document,
 * ignored, the CRD's group, kind and scope (or NULL), and the record after
 * its head (the source and commit, which differ from run to run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonw.h"
#include "lib/manifest_impl.h"
#include "lib/rendercache.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* What every object record of the set starts with: see record_head. */
static const struct buf *
object_head(struct manifest_set *set)
{
	struct jsonw w;

	if (set->object_head.len == 0) {
		jsonw_init(&w, &set->object_head);
		manifest_record_head(&w, set, "object");
	}
	return &set->object_head;
}

void
manifest_cache_keep(const struct file_state *fs, const char *key)
{
	struct manifest_set *set = fs->set;
	const struct buf *head = object_head(set);
	struct buf b = BUF_INIT;
	char num[32];
	size_t i;

	for (i = 0; i < fs->np; i++) {
		const struct pending *p = &fs->p[i];
		const char *rec = fs->out.s + p->off;

		if (p->what != PENDING_OBJECT || !p->builtin ||
		    p->len < head->len + 1 ||
		    memcmp(rec, head->s, head->len) != 0)
			goto out;
		rendercache_puts(&b, p->id);
		snprintf(num, sizeof(num), "%lu", p->doc);
		rendercache_puts(&b, num);
		rendercache_puts(&b, p->ignored ? "1" : "0");
		rendercache_puts(&b, p->crd_group);
		rendercache_puts(&b, p->crd_kind);
		rendercache_puts(&b, p->crd_scope);
		/* without the newline that ends it in fs->out */
		rendercache_put(&b, rec + head->len, p->len - head->len - 1);
	}
	rendercache_keep(set->cache, fs->file, key, b.s, b.len);
out:
	buf_release(&b);
}

/* One field as a new string (NULL for a NULL field): 0, or -1. */
static int
field_dup(const char **p, const char *end, char **out)
{
	const char *s;
	size_t n;
	int r = rendercache_get(p, end, &s, &n);

	*out = r == 1 ? xmemdup(s, n) : NULL;
	return r < 0 ? -1 : 0;
}

/* One object of an entry into fs: 0, or -1 if the entry is not sound. */
static int
replay_object(struct file_state *fs, const char **p, const char *end)
{
	const struct buf *head = object_head(fs->set);
	const char *rest;
	char *id = NULL, *doc = NULL, *ignored = NULL, *stop;
	struct pending *pe;
	unsigned long d;
	size_t n;

	if (field_dup(p, end, &id) < 0 || id == NULL ||
	    field_dup(p, end, &doc) < 0 || doc == NULL ||
	    field_dup(p, end, &ignored) < 0 || ignored == NULL)
		goto bad;
	d = strtoul(doc, &stop, 10);
	if (*doc < '0' || *doc > '9' || *stop != '\0')
		goto bad;
	pe = manifest_new_pending(fs, PENDING_OBJECT, d);
	pe->id = id;
	pe->ignored = strcmp(ignored, "1") == 0;
	pe->builtin = 1;
	free(doc);
	free(ignored);
	if (field_dup(p, end, &pe->crd_group) < 0 ||
	    field_dup(p, end, &pe->crd_kind) < 0 ||
	    field_dup(p, end, &pe->crd_scope) < 0 ||
	    rendercache_get(p, end, &rest, &n) != 1)
		return -1;
	buf_add(&fs->out, head->s, head->len);
	buf_add(&fs->out, rest, n);
	buf_addch(&fs->out, '\n');
	pe->len = fs->out.len - pe->off;
	return 0;
bad:
	free(id);
	free(doc);
	free(ignored);
	return -1;
}

int
manifest_from_cache(struct manifest_set *set, const char *file,
    const char *key)
{
	struct file_state fs;
	const char *data, *p, *end;
	size_t n, i;
	int ret = 0;

	if (set->cache == NULL ||
	    (data = rendercache_find(set->cache, file, key, &n)) == NULL)
		return 0;
	memset(&fs, 0, sizeof(fs));
	fs.set = set;
	fs.file = file;
	buf_init(&fs.out, n + 64);
	/* the whole entry first: nothing is written from a bad one */
	for (p = data, end = data + n; p < end;)
		if (replay_object(&fs, &p, end) < 0)
			goto out;
	strmap_put(&set->files, file, (void *)1, NULL);
	set->nfiles++;
	set->ncached++;
	if (manifest_commit_file(&fs) < 0)
		manifest_add_failed(set, file);
	rendercache_keep(set->cache, file, key, data, n);
	ret = 1;
out:
	for (i = 0; i < fs.np; i++)
		manifest_pending_release(&fs.p[i]);
	free(fs.p);
	buf_release(&fs.out);
	return ret;
}
