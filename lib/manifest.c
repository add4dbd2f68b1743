#include "lib/manifest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonw.h"
#include "lib/manifest_impl.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/xalloc.h"
#include "lib/yml.h"
#include "lib/banned.h"

#define STAGE "manifest-gen"

void
manifest_set_init(struct manifest_set *set, const struct manifest_opts *o)
{
	memset(set, 0, sizeof(*set));
	set->o = *o;
	buf_init(&set->object_head, 0);
}

static void
held_release(struct manifest_held *h)
{
	free(h->file);
	free(h->api_version);
	free(h->kind);
	free(h->name);
	free(h->ns);
	free(h->json);
	free(h->json_ns);
}

void
manifest_set_release(struct manifest_set *set)
{
	size_t i;

	kinds_release(&set->kinds);
	strmap_release(&set->ids, free);
	strmap_release(&set->files, NULL);
	strmap_release(&set->failed_set, NULL);
	for (i = 0; i < set->nfailed; i++)
		free(set->failed[i]);
	free(set->failed);
	for (i = 0; i < set->nheld; i++)
		held_release(&set->held[i]);
	free(set->held);
	buf_release(&set->object_head);
	memset(set, 0, sizeof(*set));
}

int
manifest_seen(struct manifest_set *set, const char *file)
{
	return strmap_get(&set->files, file) != NULL;
}

void
manifest_add_failed(struct manifest_set *set, const char *file)
{
	if (strmap_put(&set->failed_set, file, (void *)1, NULL) == 0)
		return;
	set->failed = xreallocarray(set->failed, set->nfailed + 1,
	    sizeof(*set->failed));
	set->failed[set->nfailed++] = xstrdup(file);
}

/* The fields every record of this source starts with, after "type". */
void
manifest_record_head(struct jsonw *w, const struct manifest_set *set,
    const char *type)
{
	jsonw_open(w);
	jsonw_kstr(w, "type", type);
	if (strcmp(type, "end") == 0 || strcmp(type, "error") == 0)
		jsonw_kstr(w, "stage", STAGE);
	jsonw_kstr(w, "source", set->o.source);
	jsonw_kstr(w, "commit", set->o.commit);
}

static void
error_record(struct buf *b, const struct manifest_set *set, const char *file,
    long doc, const char *id, unsigned long line, unsigned long column,
    const char *msg)
{
	struct jsonw w;

	jsonw_init(&w, b);
	manifest_record_head(&w, set, "error");
	jsonw_kstr(&w, "file", file);
	if (doc >= 0)
		jsonw_kint(&w, "doc", doc);
	if (id != NULL)
		jsonw_kstr(&w, "id", id);
	if (line) {
		jsonw_kint(&w, "line", (long long)line);
		jsonw_kint(&w, "column", (long long)column);
	}
	jsonw_kstr(&w, "message", msg);
	jsonw_close(&w);
	buf_addch(b, '\n');
}

static void
log_record_error(const char *file, unsigned long line, unsigned long column,
    const char *msg)
{
	char pos[64];

	if (line) {
		snprintf(pos, sizeof(pos), "%lu:%lu", line, column);
		log_event(LOG_ERROR, (const char *const[]){ "file", file,
		    "at", pos, NULL }, "%s", msg);
	} else {
		log_event(LOG_ERROR, (const char *const[]){ "file", file,
		    NULL }, "%s", msg);
	}
}

void
manifest_fail(struct manifest_set *set, const char *file, unsigned long line,
    unsigned long column, const char *fmt, ...)
{
	struct buf msg = BUF_INIT, rec = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error_record(&rec, set, file, -1, NULL, line, column, msg.s);
	rec_out_line(rec.s, rec.len - 1);
	log_record_error(file, line, column, msg.s);
	set->nerrors++;
	manifest_add_failed(set, file);
	buf_release(&msg);
	buf_release(&rec);
}

struct pending *
manifest_new_pending(struct file_state *fs, enum pending_what what,
    unsigned long doc)
{
	struct pending *p;

	if (fs->np == fs->palloc) {
		fs->palloc = fs->palloc ? fs->palloc * 2 : 8;
		fs->p = xreallocarray(fs->p, fs->palloc, sizeof(*fs->p));
	}
	p = &fs->p[fs->np++];
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->doc = doc;
	p->off = fs->out.len;
	return p;
}

void
manifest_pending_release(struct pending *p)
{
	free(p->id);
	free(p->crd_group);
	free(p->crd_kind);
	free(p->crd_scope);
	held_release(&p->held);
}

/* An error about one document: the rest of the file still counts. */
static void
doc_error(struct file_state *fs, unsigned long doc, const struct yml_node *at,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
doc_error(struct file_state *fs, unsigned long doc, const struct yml_node *at,
    const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	struct pending *p;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	p = manifest_new_pending(fs, PENDING_ERROR, doc);
	error_record(&fs->out, fs->set, fs->file, (long)doc, NULL,
	    at ? yml_line(at) : 0, at ? yml_column(at) : 0, msg.s);
	p->len = fs->out.len - p->off;
	log_record_error(fs->file, at ? yml_line(at) : 0,
	    at ? yml_column(at) : 0, msg.s);
	buf_release(&msg);
}

static void
make_id(struct buf *id, const char *ns, const char *kind, const char *name)
{
	const char *k;

	buf_reset(id);
	buf_adds(id, ns);
	buf_addch(id, ':');
	for (k = kind; *k; k++)
		buf_addch(id, *k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
	buf_addch(id, '/');
	buf_adds(id, name);
}

/* fluxcd.io/ignore: "true" (or the legacy prefix) in Git. */
static int
ignored_in_git(const struct yml_node *meta)
{
	const struct yml_node *ann = yml_get(meta, "annotations");
	const char *v;

	v = yml_get_str(ann, "fluxcd.io/ignore");
	if (v == NULL)
		v = yml_get_str(ann, "flux.weave.works/ignore");
	return v != NULL && strcmp(v, "true") == 0;
}

/*
 * The start of an "object" record, up to the "object" key: the caller
 * appends the object's JSON and closes it.
 */
static void
object_head(struct jsonw *w, const struct manifest_set *set,
    const char *file, unsigned long doc, long item, const char *id,
    enum kind_scope scope, int ignored)
{
	manifest_record_head(w, set, "object");
	jsonw_kstr(w, "file", file);
	jsonw_kint(w, "doc", (long long)doc);
	if (item >= 0)
		jsonw_kint(w, "item", item);
	jsonw_kstr(w, "id", id);
	jsonw_key(w, "namespaced");
	if (scope == KIND_SCOPE_UNKNOWN)
		jsonw_null(w);
	else
		jsonw_bool(w, scope == KIND_SCOPE_NAMESPACED);
	jsonw_kbool(w, "ignored", ignored);
	jsonw_key(w, "object");
	jsonw_raw(w, "", 0);	/* the value follows, written by the caller */
}

static int
is_crd(const char *api_version, const char *kind)
{
	size_t n;
	const char *g = kinds_group(api_version, &n);

	return strcmp(kind, "CustomResourceDefinition") == 0 &&
	    n == strlen("apiextensions.k8s.io") &&
	    memcmp(g, "apiextensions.k8s.io", n) == 0;
}

/* For the built-in table alone: see manifest_cache_keep. */
static const struct kinds no_crds = KINDS_INIT;

static void
handle_object(struct file_state *fs, unsigned long doc, long item,
    struct yml_node *obj)
{
	struct manifest_set *set = fs->set;
	const char *api_version, *kind, *name, *ns;
	struct yml_node *meta;
	struct buf id = BUF_INIT, tmp = BUF_INIT;
	enum kind_scope scope;
	struct pending *p;
	struct jsonw w;
	int ignored;

	kind = yml_get_str(obj, "kind");
	api_version = yml_get_str(obj, "apiVersion");
	meta = yml_get(obj, "metadata");
	name = yml_get_str(meta, "name");
	if (api_version == NULL || *api_version == '\0') {
		doc_error(fs, doc, obj, "%s%s has no apiVersion",
		    item >= 0 ? "a List item of kind " : "kind ", kind);
		return;
	}
	if (meta != NULL && yml_type(meta) != YML_MAP) {
		doc_error(fs, doc, meta, "metadata is not a mapping");
		return;
	}
	if (name == NULL || *name == '\0') {
		doc_error(fs, doc, meta ? meta : obj,
		    "%s has no metadata.name", kind);
		return;
	}
	ns = yml_get_str(meta, "namespace");
	if (ns != NULL && *ns == '\0')
		ns = NULL;
	ignored = ignored_in_git(meta);
	scope = kinds_scope(&set->kinds, api_version, kind);

	if (scope == KIND_SCOPE_UNKNOWN) {
		p = manifest_new_pending(fs, PENDING_HELD, doc);
		p->held.file = xstrdup(fs->file);
		p->held.api_version = xstrdup(api_version);
		p->held.kind = xstrdup(kind);
		p->held.name = xstrdup(name);
		p->held.ns = ns ? xstrdup(ns) : NULL;
		p->held.doc = doc;
		p->held.item = item;
		p->held.ignored = ignored;
		yml_to_json(&tmp, obj);
		p->held.json = buf_detach(&tmp, NULL);
		if (ns == NULL) {
			/* name before meta: the set may move the arena */
			yml_map_set_str(fs->doc, meta, "namespace",
			    set->o.default_ns);
			yml_to_json(&tmp, obj);
			p->held.json_ns = buf_detach(&tmp, NULL);
		}
		goto out;
	}
	if (scope == KIND_SCOPE_NAMESPACED) {
		if (ns == NULL) {
			ns = set->o.default_ns;
			yml_map_set_str(fs->doc, meta, "namespace", ns);
		}
		make_id(&id, ns, kind, name);
	} else {
		make_id(&id, "<cluster>", kind, name);
	}
	p = manifest_new_pending(fs, PENDING_OBJECT, doc);
	p->id = buf_detach(&id, NULL);
	p->ignored = ignored;
	p->builtin = kinds_scope(&no_crds, api_version, kind) == scope;
	if (is_crd(api_version, kind)) {
		const struct yml_node *spec = yml_get(obj, "spec");
		const char *group = yml_get_str(spec, "group");
		const char *ckind = yml_get_str(yml_get(spec, "names"), "kind");
		const char *cscope = yml_get_str(spec, "scope");

		if (group && ckind && cscope) {
			p->crd_group = xstrdup(group);
			p->crd_kind = xstrdup(ckind);
			p->crd_scope = xstrdup(cscope);
		}
	}
	jsonw_init(&w, &fs->out);
	object_head(&w, set, fs->file, doc, item, p->id, scope, ignored);
	yml_to_json(&fs->out, obj);
	jsonw_close(&w);
	buf_addch(&fs->out, '\n');
	p->len = fs->out.len - p->off;
out:
	buf_release(&id);
	buf_release(&tmp);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static void
handle_doc(struct file_state *fs, unsigned long doc, struct yml_node *root)
{
	struct yml_node *items, *it;
	const struct yml_node *kindn;
	const char *kind;
	size_t i;

	if (root == NULL || yml_type(root) == YML_NULL)
		return;		/* empty document: nothing to do */
	if (yml_type(root) != YML_MAP) {
		doc_error(fs, doc, root, "document is not a mapping");
		return;
	}
	kindn = yml_get(root, "kind");
	if (kindn == NULL || yml_type(kindn) == YML_NULL)
		return;		/* Flux v1 skips documents with no kind */
	kind = yml_str(kindn, NULL);
	if (kind == NULL || *kind == '\0') {
		doc_error(fs, doc, kindn, "kind is not a string");
		return;
	}
	if (!ends_with(kind, "List")) {
		handle_object(fs, doc, -1, root);
		return;
	}
	items = yml_get(root, "items");
	if (items == NULL || yml_type(items) == YML_NULL)
		return;
	if (yml_type(items) != YML_SEQ) {
		doc_error(fs, doc, items, "%s items is not a sequence", kind);
		return;
	}
	for (i = 0; i < yml_len(items); i++) {
		it = yml_at(items, i);
		kindn = yml_type(it) == YML_MAP ? yml_get(it, "kind") : NULL;
		if (yml_str(kindn, NULL) == NULL) {
			doc_error(fs, doc, it, "%s item %zu has no kind",
			    kind, i);
			continue;
		}
		handle_object(fs, doc, (long)i, it);
	}
}

/* The file parsed: write what it produced, in order. */
int
manifest_commit_file(struct file_state *fs)
{
	struct manifest_set *set = fs->set;
	struct buf loc = BUF_INIT, msg = BUF_INIT, rec = BUF_INIT;
	int ret = 0;
	char *first;
	size_t i;

	for (i = 0; i < fs->np; i++) {
		struct pending *p = &fs->p[i];

		switch (p->what) {
		case PENDING_ERROR:
			rec_out_line(fs->out.s + p->off, p->len - 1);
			set->nerrors++;
			ret = -1;
			break;
		case PENDING_HELD:
			if (set->nheld == set->held_alloc) {
				set->held_alloc = set->held_alloc ?
				    set->held_alloc * 2 : 16;
				set->held = xreallocarray(set->held,
				    set->held_alloc, sizeof(*set->held));
			}
			set->held[set->nheld++] = p->held;
			memset(&p->held, 0, sizeof(p->held));
			break;
		case PENDING_OBJECT:
			buf_reset(&loc);
			buf_addf(&loc, "%s (document %lu)", fs->file, p->doc);
			first = strmap_get(&set->ids, p->id);
			if (first != NULL) {
				buf_reset(&msg);
				buf_reset(&rec);
				buf_addf(&msg, "duplicate definition of '%s' "
				    "(in %s and %s)", p->id, first, loc.s);
				error_record(&rec, set, fs->file, (long)p->doc,
				    p->id, 0, 0, msg.s);
				rec_out_line(rec.s, rec.len - 1);
				log_record_error(fs->file, 0, 0, msg.s);
				set->nerrors++;
				ret = -1;
				break;
			}
			strmap_put(&set->ids, p->id, buf_detach(&loc, NULL),
			    NULL);
			if (p->crd_group)
				kinds_add_crd(&set->kinds, p->crd_group,
				    p->crd_kind, p->crd_scope);
			rec_out_line(fs->out.s + p->off, p->len - 1);
			set->nobjects++;
			set->nignored += p->ignored != 0;
			break;
		}
	}
	buf_release(&loc);
	buf_release(&msg);
	buf_release(&rec);
	return ret;
}

int
manifest_add_stream(struct manifest_set *set, const char *file,
    const char *data, size_t len)
{
	return manifest_add_blob(set, file, NULL, data, len);
}

int
manifest_add_blob(struct manifest_set *set, const char *file,
    const char *key, const char *data, size_t len)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error yerr;
	struct yml_parser *parser;
	struct file_state fs;
	unsigned long ndoc = 0;
	int r, ret;
	size_t i;

	strmap_put(&set->files, file, (void *)1, NULL);
	set->nfiles++;
	memset(&fs, 0, sizeof(fs));
	fs.set = set;
	fs.file = file;
	fs.doc = &doc;
	buf_init(&fs.out, 0);
	parser = yml_parser_new(data, len, NULL);
	while ((r = yml_parser_next(parser, &doc, &yerr)) > 0) {
		handle_doc(&fs, ndoc, doc.root);
		ndoc++;
	}
	yml_doc_release(&doc);
	yml_parser_free(parser);
	if (r < 0) {
		/* all or nothing: none of a broken file's objects go out */
		manifest_fail(set, file, yerr.line, yerr.column, "%s",
		    yerr.msg);
		ret = -1;
	} else {
		ret = manifest_commit_file(&fs);
		if (ret < 0)
			manifest_add_failed(set, file);
		if (key != NULL && set->cache != NULL)
			manifest_cache_keep(&fs, key);
	}
	for (i = 0; i < fs.np; i++)
		manifest_pending_release(&fs.p[i]);
	free(fs.p);
	buf_release(&fs.out);
	return ret;
}

int
manifest_object_id(const struct manifest_set *set, const struct yml_node *obj,
    struct buf *id)
{
	const struct yml_node *meta = yml_get(obj, "metadata");
	const char *kind = yml_get_str(obj, "kind");
	const char *api = yml_get_str(obj, "apiVersion");
	const char *name = yml_get_str(meta, "name");
	const char *ns = yml_get_str(meta, "namespace");

	if (kind == NULL || name == NULL || *name == '\0')
		return -1;
	if (ns == NULL || *ns == '\0')
		ns = set->o.default_ns;
	if (kinds_scope(&set->kinds, api ? api : "", kind) ==
	    KIND_SCOPE_CLUSTER)
		ns = "<cluster>";
	make_id(id, ns, kind, name);
	return 0;
}

static void
write_held(struct manifest_set *set, struct manifest_held *h)
{
	struct buf id = BUF_INIT, rec = BUF_INIT, loc = BUF_INIT;
	enum kind_scope scope;
	const char *json;
	struct jsonw w;
	char *first;

	scope = kinds_scope(&set->kinds, h->api_version, h->kind);
	json = h->json;
	if (scope == KIND_SCOPE_CLUSTER) {
		make_id(&id, "<cluster>", h->kind, h->name);
	} else {
		/* unknown: namespaced, as nearly every custom kind is */
		make_id(&id, h->ns ? h->ns : set->o.default_ns, h->kind,
		    h->name);
		if (h->json_ns)
			json = h->json_ns;
	}
	buf_addf(&loc, "%s (document %lu)", h->file, h->doc);
	first = strmap_get(&set->ids, id.s);
	if (first != NULL) {
		struct buf msg = BUF_INIT;

		buf_addf(&msg, "duplicate definition of '%s' (in %s and %s)",
		    id.s, first, loc.s);
		error_record(&rec, set, h->file, (long)h->doc, id.s, 0, 0,
		    msg.s);
		rec_out_line(rec.s, rec.len - 1);
		log_record_error(h->file, 0, 0, msg.s);
		set->nerrors++;
		manifest_add_failed(set, h->file);
		buf_release(&msg);
		goto out;
	}
	if (scope == KIND_SCOPE_UNKNOWN) {
		set->nunknown++;
		log_event(LOG_WARN, (const char *const[]){ "file", h->file,
		    "id", id.s, NULL }, "scope of kind '%s' in '%s' is not "
		    "known (no CRD for it in the set); taken as namespaced",
		    h->kind, h->api_version);
	}
	jsonw_init(&w, &rec);
	object_head(&w, set, h->file, h->doc, h->item, id.s, scope,
	    h->ignored);
	buf_adds(&rec, json);
	jsonw_close(&w);
	rec_out_line(rec.s, rec.len);
	strmap_put(&set->ids, id.s, buf_detach(&loc, NULL), NULL);
	set->nobjects++;
	set->nignored += h->ignored != 0;
out:
	buf_release(&id);
	buf_release(&rec);
	buf_release(&loc);
}

static void
end_record(const struct manifest_set *set, const struct manifest_opts *o,
    int ok, const char *why)
{
	struct rec_count counts[] = {
		{ "files", set ? set->nfiles : 0 },
		{ "cached", set ? set->ncached : 0 },
		{ "objects", set ? set->nobjects : 0 },
		{ "ignored", set ? set->nignored : 0 },
		{ "unknownScope", set ? set->nunknown : 0 },
		{ "errors", set ? set->nerrors : 0 },
	};

	rec_write_end(STAGE, o->source, o->commit, ok, counts,
	    sizeof(counts) / sizeof(counts[0]), set ? set->failed : NULL,
	    set ? set->nfailed : 0, why);
}

void
manifest_finish(struct manifest_set *set)
{
	size_t i;

	for (i = 0; i < set->nheld; i++)
		write_held(set, &set->held[i]);
	end_record(set, &set->o, set->nerrors == 0, NULL);
}

void
manifest_end_failed(const struct manifest_opts *o, const char *why)
{
	end_record(NULL, o, 0, why);
}
