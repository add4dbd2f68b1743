/*
 * yannot.c: annotation edits in place (yannot.h).
 *
 * Each change is made on the text the previous one left: one libyaml
 * event pass finds the byte ranges of the object's mapping, of metadata
 * and of metadata.annotations, with each entry's key and where its value
 * ends; then one range of bytes is inserted or deleted (or, for a key that
 * is there, its value scalar is rewritten by yedit). The whole result is
 * checked at the end, as JSON, against the original plus the changes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/yannot.h"
#include "lib/yedit.h"
#include "lib/yml.h"
#include "lib/ywalk.h"
#include "lib/banned.h"

struct entry {
	char *key;		/* NULL: not a plain string key */
	size_t kstart;		/* byte where the key starts */
	size_t kcol;		/* its column */
	size_t vend;		/* byte after its value */
};

/* One mapping of interest: the object, its metadata, its annotations. */
struct map {
	int found;		/* the node is there */
	int is_map, flow;
	size_t start;		/* byte of "{" (flow) or the first key */
	struct entry *ent;
	size_t n;
};

enum { OBJ, META, ANN, NMAPS };

struct find {
	struct map m[NMAPS];
	struct buf path[NMAPS];
	struct map **stack;	/* per walk depth: the watched map, or NULL */
	size_t nstack;
};

static void
find_release(struct find *f)
{
	size_t i, k;

	for (i = 0; i < NMAPS; i++) {
		for (k = 0; k < f->m[i].n; k++)
			free(f->m[i].ent[k].key);
		free(f->m[i].ent);
		buf_release(&f->path[i]);
	}
	free(f->stack);
	memset(f, 0, sizeof(*f));
}

/* A node starts at byte b, column col, of the document being read. */
static void
node_start(struct find *f, struct ywalk *w, size_t b, size_t col,
    const yaml_event_t *ev)
{
	struct map *top = w->depth ? f->stack[w->depth - 1] : NULL;
	size_t i;

	if (top != NULL && w->f[w->depth - 1].want_key) {
		top->ent = xreallocarray(top->ent, top->n + 1,
		    sizeof(*top->ent));
		top->ent[top->n].key = ev->type == YAML_SCALAR_EVENT ?
		    xstrdup((const char *)ev->data.scalar.value) : NULL;
		top->ent[top->n].kstart = b;
		top->ent[top->n].kcol = col;
		top->ent[top->n++].vend = b;
		return;
	}
	for (i = 0; i < NMAPS; i++) {
		if (strcmp(w->path.s, f->path[i].s) != 0 || f->m[i].found)
			continue;
		f->m[i].found = 1;
		f->m[i].is_map = ev->type == YAML_MAPPING_START_EVENT;
		f->m[i].flow = f->m[i].is_map &&
		    ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
		f->m[i].start = b;
	}
}

/* A value of the top collection ended at byte b. */
static void
value_end(struct find *f, const struct ywalk *w, size_t b)
{
	struct map *top = w->depth ? f->stack[w->depth - 1] : NULL;

	if (top != NULL && !w->f[w->depth - 1].want_key && top->n > 0)
		top->ent[top->n - 1].vend = b;
}

/* The three maps of document doc, object ptr, in data. -1 if it does not
 * parse. */
static int
find_maps(const char *data, size_t len, unsigned long doc, const char *ptr,
    struct find *f, struct buf *err)
{
	struct ywalk w = YWALK_INIT;
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned long docno = 0;
	size_t b, last_end = 0, i;
	int in_doc = 0, rc = -1, done = 0;
	struct map *m;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < NMAPS; i++)
		buf_adds(&f->path[i], ptr);
	buf_adds(&f->path[META], "/metadata");
	buf_adds(&f->path[ANN], "/metadata/annotations");
	ywalk_start(&w, data, len);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			buf_addf(err, "the file does not parse: %s at line %lu",
			    p.problem ? p.problem : "error",
			    (unsigned long)p.problem_mark.line + 1);
			goto out;
		}
		b = ywalk_byte(&w, ev.start_mark.index);
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			in_doc = docno == doc;
			ywalk_reset(&w);
			break;
		case YAML_DOCUMENT_END_EVENT:
			done = in_doc;
			docno++;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			ywalk_node(&w);
			if (in_doc)
				node_start(f, &w, b, ev.start_mark.column, &ev);
			last_end = ywalk_byte(&w, ev.end_mark.index);
			if (in_doc)
				value_end(f, &w, last_end);
			ywalk_done(&w, ev.type == YAML_SCALAR_EVENT ?
			    (const char *)ev.data.scalar.value : NULL);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			ywalk_node(&w);
			m = NULL;
			if (in_doc) {
				node_start(f, &w, b, ev.start_mark.column, &ev);
				for (i = 0; i < NMAPS; i++)
					if (strcmp(w.path.s, f->path[i].s) == 0 &&
					    f->m[i].is_map)
						m = &f->m[i];
			}
			ywalk_push(&w, ev.type == YAML_SEQUENCE_START_EVENT);
			f->stack = xreallocarray(f->stack, w.depth,
			    sizeof(*f->stack));
			f->stack[w.depth - 1] = m;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			/* a block collection ends with its last value; a flow
			 * one with its bracket */
			if (ev.start_mark.index != ev.end_mark.index)
				last_end = ywalk_byte(&w, ev.end_mark.index);
			ywalk_pop(&w);
			if (in_doc)
				value_end(f, &w, last_end);
			ywalk_done(&w, NULL);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	if (docno <= doc && !in_doc) {
		buf_addf(err, "the file has no document %lu", doc);
		goto out;
	}
	rc = 0;
out:
	ywalk_release(&w);
	yaml_parser_delete(&p);
	return rc;
}

/* The file's line ending. */
static const char *
eol_of(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);

	return nl != NULL && nl > data && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The start of the line after the one holding pos (pos itself if a line
 * starts there). */
static size_t
line_after(const char *data, size_t len, size_t pos)
{
	if (pos == 0 || data[pos - 1] == '\n')
		return pos;
	while (pos < len && data[pos] != '\n')
		pos++;
	return pos < len ? pos + 1 : len;
}

static void
add_scalar(struct buf *out, const char *s)
{
	const char *v;
	json_t *j;
	char *q;

	if (yedit_plain_ok(s)) {
		buf_adds(out, s);
		return;
	}
	for (v = s; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			break;
	if (*v == '\0') {
		buf_addch(out, '\'');
		for (v = s; *v != '\0'; v++) {
			if (*v == '\'')
				buf_addch(out, '\'');
			buf_addch(out, *v);
		}
		buf_addch(out, '\'');
		return;
	}
	/* control characters: JSON's escapes are YAML's */
	j = json_string(s);
	q = json_dumps(j, JSON_ENCODE_ANY);
	buf_adds(out, q);
	free(q);
	json_decref(j);
}

static void
add_entry(struct buf *out, const struct yannot *a)
{
	add_scalar(out, a->key);
	buf_adds(out, ": ");
	add_scalar(out, a->value);
}

static const struct entry *
entry_get(const struct map *m, const char *key, size_t *i)
{
	for (*i = 0; *i < m->n; (*i)++)
		if (m->ent[*i].key != NULL && strcmp(m->ent[*i].key, key) == 0)
			return &m->ent[*i];
	return NULL;
}

/* Replace [from, to) of text with ins (may be empty) into out. */
static void
splice(struct buf *out, const struct buf *text, size_t from, size_t to,
    const struct buf *ins)
{
	buf_add(out, text->s, from);
	buf_add(out, ins->s, ins->len);
	buf_add(out, text->s + to, text->len - to);
}

/* The bytes that remove entry i of m from text: [*from, *to). */
static int
entry_range(const struct map *m, size_t i, const struct buf *text,
    size_t *from, size_t *to, struct buf *err)
{
	const struct entry *e = &m->ent[i];
	size_t k;

	if (m->flow) {
		if (i + 1 < m->n) {
			*from = e->kstart;
			*to = m->ent[i + 1].kstart;
		} else {
			*from = i > 0 ? m->ent[i - 1].vend : e->kstart;
			*to = e->vend;
		}
		return 0;
	}
	for (k = 1; k <= e->kcol; k++)
		if (e->kstart < k || text->s[e->kstart - k] != ' ') {
			buf_addf(err, "'%s' does not start its line: cannot "
			    "remove it", e->key);
			return -1;
		}
	*from = e->kstart - e->kcol;
	*to = line_after(text->s, text->len, e->vend);
	return 0;
}

/* One change to text, into out: 1 made, 0 nothing to do, -1 err. */
static int
change_one(const struct buf *text, unsigned long doc, const char *ptr,
    const struct yannot *a, struct buf *out, struct buf *err)
{
	struct find f;
	struct buf ins = BUF_INIT, path = BUF_INIT;
	const struct map *ann, *meta;
	const struct entry *e;
	const char *eol = eol_of(text->s, text->len);
	size_t i, from, to, col, step;
	int rc = -1;

	if (find_maps(text->s, text->len, doc, ptr, &f, err) < 0)
		goto out;
	meta = &f.m[META];
	ann = &f.m[ANN];
	if (!meta->found || !meta->is_map) {
		buf_addf(err, "%s/metadata is not a mapping", ptr);
		goto out;
	}
	if (ann->found && !ann->is_map) {
		buf_addf(err, "%s/metadata/annotations is not a mapping", ptr);
		goto out;
	}
	if (a->value == NULL) {
		rc = 0;
		if (!ann->found || entry_get(ann, a->key, &i) == NULL)
			goto out;
		if (ann->n == 1) {
			/* the last one goes with "annotations:" */
			if (entry_get(meta, "annotations", &i) == NULL)
				goto out;
			ann = meta;
		}
		rc = -1;
		if (entry_range(ann, i, text, &from, &to, err) < 0)
			goto out;
		splice(out, text, from, to, &ins);
		rc = 1;
		goto out;
	}
	if (ann->found && (e = entry_get(ann, a->key, &i)) != NULL) {
		struct yedit y = YEDIT_INIT;

		buf_adds(&path, ptr);
		buf_adds(&path, "/metadata/annotations");
		ywalk_add_segment(&path, a->key);
		y.doc = doc;
		y.path = path.s;
		y.value = a->value;
		rc = yedit_apply(text->s, text->len, &y, 1, out) == 1 ? 1 : -1;
		if (rc < 0)
			buf_adds(err, y.err.s);
		else if (out->len == text->len &&
		    memcmp(out->s, text->s, text->len) == 0)
			rc = 0;
		yedit_release(&y);
		goto out;
	}
	if (ann->found && ann->flow) {
		if (ann->n > 0)
			buf_adds(&ins, ", ");
		add_entry(&ins, a);
		from = ann->n > 0 ? ann->ent[ann->n - 1].vend : ann->start + 1;
	} else if (ann->found) {
		from = line_after(text->s, text->len,
		    ann->ent[ann->n - 1].vend);
		if (from == text->len && text->len > 0 &&
		    text->s[text->len - 1] != '\n')
			buf_adds(&ins, eol);
		buf_addf(&ins, "%*s", (int)ann->ent[0].kcol, "");
		add_entry(&ins, a);
		buf_adds(&ins, eol);
	} else if (meta->flow) {
		if (meta->n > 0)
			buf_adds(&ins, ", ");
		buf_adds(&ins, "annotations: {");
		add_entry(&ins, a);
		buf_adds(&ins, "}");
		from = meta->n > 0 ? meta->ent[meta->n - 1].vend :
		    meta->start + 1;
	} else if (meta->n == 0) {
		buf_addf(err, "%s/metadata is empty", ptr);
		goto out;
	} else {
		col = meta->ent[0].kcol;
		step = 2;
		if ((e = entry_get(&f.m[OBJ], "metadata", &i)) != NULL &&
		    col > e->kcol)
			step = col - e->kcol;
		from = line_after(text->s, text->len,
		    meta->ent[meta->n - 1].vend);
		if (from == text->len && text->len > 0 &&
		    text->s[text->len - 1] != '\n')
			buf_adds(&ins, eol);
		buf_addf(&ins, "%*sannotations:%s%*s", (int)col, "", eol,
		    (int)(col + step), "");
		add_entry(&ins, a);
		buf_adds(&ins, eol);
	}
	splice(out, text, from, from, &ins);
	rc = 1;
out:
	find_release(&f);
	buf_release(&ins);
	buf_release(&path);
	return rc;
}

/* Every document of data as JSON, in an array; NULL if it does not
 * parse. */
static json_t *
docs_json(const char *data, size_t len)
{
	struct yml_parser *p = yml_parser_new(data, len, NULL);
	struct yml_doc d = YML_DOC_INIT;
	struct yml_error yerr;
	struct buf b = BUF_INIT;
	json_t *all = json_array(), *j;
	int n;

	while ((n = yml_parser_next(p, &d, &yerr)) > 0) {
		buf_reset(&b);
		if (d.root == NULL) {
			json_array_append_new(all, json_null());
			continue;
		}
		yml_to_json(&b, d.root);
		j = json_loadb(b.s, b.len, 0, NULL);
		json_array_append_new(all, j != NULL ? j : json_null());
	}
	if (n < 0) {
		json_decref(all);
		all = NULL;
	}
	yml_doc_release(&d);
	yml_parser_free(p);
	buf_release(&b);
	return all;
}

/* The intended changes, made to the JSON of the object. */
static int
want_changes(json_t *obj, const struct yannot *a, size_t n)
{
	json_t *meta = json_object_get(obj, "metadata"), *ann;
	size_t i;

	if (!json_is_object(meta))
		return -1;
	ann = json_object_get(meta, "annotations");
	if (ann == NULL) {
		ann = json_object();
		json_object_set_new(meta, "annotations", ann);
	}
	if (!json_is_object(ann))
		return -1;
	for (i = 0; i < n; i++)
		if (a[i].value != NULL)
			json_object_set_new(ann, a[i].key,
			    json_string(a[i].value));
		else
			json_object_del(ann, a[i].key);
	if (json_object_size(ann) == 0)
		json_object_del(meta, "annotations");
	return 0;
}

int
yannot_apply(const char *data, size_t len, unsigned long doc,
    const char *ptr, const struct yannot *a, size_t n, struct buf *out,
    struct buf *err)
{
	struct buf text = BUF_INIT, next = BUF_INIT;
	json_t *want = NULL, *got = NULL, *had;
	size_t i;
	int rc = 0, r;

	buf_add(&text, data, len);
	for (i = 0; i < n; i++) {
		buf_reset(&next);
		if ((r = change_one(&text, doc, ptr, &a[i], &next, err)) < 0) {
			rc = -1;
			goto out;
		}
		if (r == 1) {
			buf_reset(&text);
			buf_add(&text, next.s, next.len);
			rc = 1;
		}
	}
	if (rc == 0)
		goto out;
	want = docs_json(data, len);
	got = docs_json(text.s, text.len);
	had = want != NULL ? json_array_get(want, doc) : NULL;
	if (had != NULL && (had = workload_pointer_get(had, ptr)) != NULL &&
	    want_changes(had, a, n) == 0 && got != NULL &&
	    json_equal(want, got)) {
		buf_add(out, text.s, text.len);
		goto out;
	}
	buf_addf(err, "changing the annotations of %s in document %lu would "
	    "change more than them (the file reads differently): left alone",
	    *ptr ? ptr : "the object", doc);
	rc = -1;
out:
	json_decref(want);
	json_decref(got);
	buf_release(&text);
	buf_release(&next);
	return rc;
}
