/*
 * yedit.c: scalar edits in place (yedit.h).
 *
 * One libyaml event pass finds each target scalar and the byte range of
 * its document; the new text of each scalar is written in its style; each
 * changed document is parsed again (lib/yml, kubectl's typing) and
 * compared, as JSON, with the original plus the intended values.
 *
 * libyaml's marks count characters, not bytes (a CRLF counts 2, as two
 * characters), so marks are turned into byte offsets by walking the UTF-8
 * from the last offset found (lib/ywalk.h): events come in file order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "lib/strmap.h"
#include "lib/workload.h"
#include "lib/xalloc.h"
#include "lib/yedit.h"
#include "lib/yml.h"
#include "lib/ywalk.h"
#include "lib/banned.h"

/* The range of one document with edits, and its edits. */
struct doc {
	unsigned long index;
	size_t start, end;
	struct yedit **e;
	size_t n;
};

static int
cmp_doc(const void *a, const void *b)
{
	const struct yedit *x = *(struct yedit *const *)a;
	const struct yedit *y = *(struct yedit *const *)b;

	if (x->doc != y->doc)
		return x->doc < y->doc ? -1 : 1;
	return 0;
}

static int
cmp_start(const void *a, const void *b)
{
	const struct yedit *x = *(struct yedit *const *)a;
	const struct yedit *y = *(struct yedit *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A target node that is not a scalar written here. */
static void
not_scalar(struct yedit *e, const char *what)
{
	if (e->err.len == 0)
		buf_addf(&e->err, "%s is %s, not a scalar written in the file",
		    e->path, what);
}

/*
 * The event pass: targets get start, end and style (done stays 0 until
 * verified); docs get their byte ranges. Returns -1 with every edit's err
 * set if the file does not parse up to a "---" after the last edited
 * document (or to its end): a document is re-read alone once edited, and
 * that is how it reads in the file only when its end is one the edit
 * cannot move (text after a broken end can join an edited document; a
 * "---" cannot). The documents after that "---" are left unread: a 2 MB
 * file need not be parsed to its end to edit its first document.
 */
static int
find_targets(const char *data, size_t len, struct doc *docs, size_t ndocs,
    unsigned long base)
{
	struct ywalk w = YWALK_INIT;
	struct strmap here = STRMAP_INIT;
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned long docno = 0;
	size_t di = 0, i;
	struct yedit *e;
	int rc = -1, in_doc = 0, end = 0;

	ywalk_start(&w, data, len);
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (ndocs > 0 && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			for (i = 0; i < ndocs; i++)
				for (size_t k = 0; k < docs[i].n; k++)
					if (docs[i].e[k]->err.len == 0)
						buf_addf(&docs[i].e[k]->err,
						    "the file does not parse: "
						    "%s at line %lu",
						    p.problem ? p.problem :
						    "error",
						    (unsigned long)p.problem_mark.line
						    + 1);
			goto out;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (di == ndocs) {
				end = 1;	/* the last one ended at a --- */
				break;
			}
			in_doc = docs[di].index == docno;
			if (in_doc) {
				docs[di].start = ywalk_byte(&w,
				    ev.start_mark.index);
				strmap_release(&here, NULL);
				for (i = 0; i < docs[di].n; i++)
					if (strmap_put(&here, docs[di].e[i]->path,
					    docs[di].e[i], NULL) == 0)
						buf_addf(&docs[di].e[i]->err,
						    "%s is edited twice",
						    docs[di].e[i]->path);
			}
			ywalk_reset(&w);
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (in_doc) {
				docs[di].end = ywalk_byte(&w, ev.end_mark.index);
				di++;
			}
			docno++;
			in_doc = 0;
			break;
		case YAML_STREAM_END_EVENT:
			for (i = di; i < ndocs; i++)
				for (size_t k = 0; k < docs[i].n; k++)
					if (docs[i].e[k]->err.len == 0)
						buf_addf(&docs[i].e[k]->err,
						    "the file has no document "
						    "%lu", docs[i].index + base);
			end = 1;
			break;
		case YAML_SCALAR_EVENT:
			ywalk_node(&w);
			if (in_doc && (e = strmap_get(&here, w.path.s)) != NULL &&
			    e->err.len == 0 && e->expect != NULL &&
			    strcmp(e->expect,
			    (const char *)ev.data.scalar.value) != 0) {
				buf_addf(&e->err, "%s is '%.200s', not '%s' "
				    "as expected", e->path,
				    (const char *)ev.data.scalar.value,
				    e->expect);
			} else if (in_doc && e != NULL && e->err.len == 0) {
				e->start = ywalk_byte(&w, ev.start_mark.index);
				e->end = ywalk_byte(&w, ev.end_mark.index);
				e->style = ev.data.scalar.style;
				e->done = 1;	/* found; verified later */
			}
			ywalk_done(&w, (const char *)ev.data.scalar.value);
			break;
		case YAML_ALIAS_EVENT:
			ywalk_node(&w);
			if (in_doc && (e = strmap_get(&here, w.path.s)) != NULL)
				not_scalar(e, "an alias");
			ywalk_done(&w, NULL);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			ywalk_node(&w);
			if (in_doc && (e = strmap_get(&here, w.path.s)) != NULL)
				not_scalar(e, "a collection");
			ywalk_push(&w, ev.type == YAML_SEQUENCE_START_EVENT);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			ywalk_pop(&w);
			ywalk_done(&w, NULL);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
out:
	ywalk_release(&w);
	strmap_release(&here, NULL);
	yaml_parser_delete(&p);
	return rc;
}

/*
 * Does value, written plain, read back as the same string, in block or
 * flow context? No indicator first, none of ",[]{}" (flow), no ": " or
 * " #", no control characters or edge spaces; and then YAML must type it
 * a string ("1.10", "true" and "~" are not).
 */
int
yedit_plain_ok(const char *value)
{
	struct yml_doc d = YML_DOC_INIT;
	struct yml_error err;
	size_t n = strlen(value), i;
	const char *s;
	int same;

	if (n == 0 || strchr("-?:,[]{}#&*!|>'\"%@` ", *value) != NULL ||
	    value[n - 1] == ' ' || value[n - 1] == ':' ||
	    strpbrk(value, ",[]{}") != NULL || strstr(value, ": ") != NULL ||
	    strstr(value, " #") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return 0;
	if (yml_parse_one(value, n, &d, &err) < 0) {
		yml_doc_release(&d);
		return 0;
	}
	s = d.root && yml_type(d.root) == YML_STR ? yml_str(d.root, NULL) :
	    NULL;
	same = s != NULL && strcmp(s, value) == 0;
	yml_doc_release(&d);
	return same;
}

static void
add_double_quoted(struct buf *out, const char *v)
{
	buf_addch(out, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			buf_addch(out, '\\');
		if ((unsigned char)*v < 0x20)
			buf_addf(out, "\\x%02x", (unsigned char)*v);
		else
			buf_addch(out, *v);
	}
	buf_addch(out, '"');
}

/*
 * The new text for e's scalar, whose old text is old (olen bytes, from
 * the anchor or tag if any). -1 with err if its style cannot be kept.
 */
static int
render(struct yedit *e, const char *old, size_t olen, struct buf *out)
{
	size_t i = 0, nl, indent;
	const char *v;

	/* keep "&anchor" and "!tag" in front, and a comment after them */
	while (i < olen && (old[i] == '&' || old[i] == '!')) {
		while (i < olen && old[i] != ' ' && old[i] != '\t' &&
		    old[i] != '\n' && old[i] != '\r')
			i++;
		while (i < olen && (old[i] == ' ' || old[i] == '\t' ||
		    old[i] == '\n' || old[i] == '\r' || old[i] == '#')) {
			if (old[i] == '#')
				while (i < olen && old[i] != '\n')
					i++;
			else
				i++;
		}
	}
	buf_add(out, old, i);
	switch (e->style) {
	case YAML_PLAIN_SCALAR_STYLE:
		if (yedit_plain_ok(e->value))
			buf_adds(out, e->value);
		else
			add_double_quoted(out, e->value);
		return 0;
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		buf_addch(out, '\'');
		for (v = e->value; *v != '\0'; v++) {
			if (*v == '\'')
				buf_addch(out, '\'');
			buf_addch(out, *v);
		}
		buf_addch(out, '\'');
		return 0;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		add_double_quoted(out, e->value);
		return 0;
	default:
		/* a block scalar: its header line, then one line of content at
		 * the indentation of its first */
		for (nl = i; nl < olen && old[nl] != '\n'; nl++)
			;
		if (nl == olen || strchr(e->value, '\n') != NULL) {
			buf_addf(&e->err, "%s is a block scalar of an unusual "
			    "shape", e->path);
			return -1;
		}
		for (indent = 0; nl + 1 + indent < olen &&
		    old[nl + 1 + indent] == ' '; indent++)
			;
		buf_add(out, old + i, nl + 1 - i);
		buf_addf(out, "%*s%s\n", (int)indent, "", e->value);
		return 0;
	}
}

/* Set the value at e->path in root; -1 if the path is not there. */
static int
json_set_path(json_t *root, const char *path, const char *value)
{
	const char *slash = strrchr(path, '/');
	char *parent, *key, *k;
	const char *s;
	json_t *p;
	int rc = -1;

	if (slash == NULL)
		return -1;
	parent = xstrndup(path, (size_t)(slash - path));
	key = xmalloc(strlen(slash) + 1);
	for (s = slash + 1, k = key; *s != '\0'; s++) {
		if (s[0] == '~' && (s[1] == '0' || s[1] == '1')) {
			*k++ = s[1] == '0' ? '~' : '/';
			s++;
		} else {
			*k++ = *s;
		}
	}
	*k = '\0';
	p = workload_pointer_get(root, parent);
	if (json_is_object(p) && json_object_get(p, key) != NULL)
		rc = json_object_set_new(p, key, json_string(value));
	else if (json_is_array(p) && strspn(key, "0123456789") ==
	    strlen(key) && *key != '\0')
		rc = json_array_set_new(p, strtoul(key, NULL, 10),
		    json_string(value));
	free(parent);
	free(key);
	return rc;
}

static json_t *
doc_json(const char *s, size_t n)
{
	struct yml_doc d = YML_DOC_INIT;
	struct yml_error err;
	struct buf b = BUF_INIT;
	json_t *j = NULL;

	if (yml_parse_one(s, n, &d, &err) == 0 && d.root != NULL) {
		yml_to_json(&b, d.root);
		j = json_loadb(b.s, b.len, 0, NULL);
	}
	yml_doc_release(&d);
	buf_release(&b);
	return j;
}

/*
 * Build doc's new text into out (its edits sorted by start) and check it
 * reads as the old one with the intended values. 0, or -1 with every one
 * of its edits undone and err set.
 */
static int
edit_doc(const char *data, struct doc *d, struct buf *out)
{
	json_t *want = doc_json(data + d->start, d->end - d->start), *got;
	size_t pos = d->start, i;
	int ok = want != NULL;

	qsort(d->e, d->n, sizeof(*d->e), cmp_start);
	for (i = 0; i < d->n; i++) {
		struct yedit *e = d->e[i];

		if (!e->done)
			continue;
		buf_add(out, data + pos, e->start - pos);
		if (render(e, data + e->start, e->end - e->start, out) < 0 ||
		    (want != NULL && json_set_path(want, e->path,
		    e->value) < 0)) {
			ok = 0;
			if (e->err.len == 0)
				buf_addf(&e->err, "%s is not in the document",
				    e->path);
		}
		pos = e->end;
	}
	buf_add(out, data + pos, d->end - pos);
	got = ok ? doc_json(out->s, out->len) : NULL;
	if (got == NULL || !json_equal(want, got)) {
		for (i = 0; i < d->n; i++) {
			if (d->e[i]->err.len == 0)
				buf_addf(&d->e[i]->err, "editing %s would "
				    "change more than its value (another "
				    "value shares it, or the document reads "
				    "differently): left alone", d->e[i]->path);
			d->e[i]->done = 0;
		}
		ok = 0;
	}
	json_decref(want);
	json_decref(got);
	return ok ? 0 : -1;
}

/* The edits, in data whose first document is document base. */
static size_t
apply_all(const char *data, size_t len, struct yedit *e, size_t n,
    struct buf *out, unsigned long base)
{
	struct yedit **by = xcalloc(n ? n : 1, sizeof(*by));
	struct doc *docs = xcalloc(n ? n : 1, sizeof(*docs));
	struct buf text = BUF_INIT;
	size_t i, ndocs = 0, done = 0, pos = 0;

	for (i = 0; i < n; i++) {
		e[i].done = 0;
		buf_reset(&e[i].err);
		by[i] = &e[i];
		if (e[i].path == NULL || e[i].value == NULL ||
		    (*e[i].path != '\0' && *e[i].path != '/') ||
		    strchr(e[i].path, '\001') != NULL)
			buf_addf(&e[i].err, "'%s' is not a JSON Pointer",
			    e[i].path ? e[i].path : "(null)");
	}
	qsort(by, n, sizeof(*by), cmp_doc);
	for (i = 0; i < n; i++) {
		if (ndocs == 0 || docs[ndocs - 1].index != by[i]->doc - base) {
			docs[ndocs].index = by[i]->doc - base;
			docs[ndocs++].e = &by[i];
		}
		docs[ndocs - 1].n++;
	}
	if (find_targets(data, len, docs, ndocs, base) == 0) {
		for (i = 0; i < ndocs; i++) {
			size_t k, found = 0;

			for (k = 0; k < docs[i].n; k++) {
				if (!docs[i].e[k]->done &&
				    docs[i].e[k]->err.len == 0)
					buf_addf(&docs[i].e[k]->err,
					    "%s is not in document %lu",
					    docs[i].e[k]->path,
					    docs[i].index + base);
				if (docs[i].e[k]->err.len > 0)
					docs[i].e[k]->done = 0;
				found += docs[i].e[k]->done;
			}
			if (found == 0)
				continue;
			buf_reset(&text);
			if (edit_doc(data, &docs[i], &text) < 0)
				continue;
			buf_add(out, data + pos, docs[i].start - pos);
			buf_add(out, text.s, text.len);
			pos = docs[i].end;
			done += found;
		}
	} else {
		for (i = 0; i < n; i++)
			e[i].done = 0;
	}
	buf_add(out, data + pos, len - pos);
	buf_release(&text);
	free(by);
	free(docs);
	return done;
}

void
yedit_release(struct yedit *e)
{
	buf_release(&e->err);
}

/*
 * Does the line hold a line break other than its "\n" (a CR alone, or
 * YAML 1.1's NEL, LS or PS, which libyaml honours)? Then a "---" may
 * start where a line scan does not see one.
 */
static int
other_breaks(const char *line, size_t k)
{
	const unsigned char *u = (const unsigned char *)line;
	size_t i;

	for (i = 0; i < k; i++) {
		if (u[i] == '\r' && i + 1 < k)
			return 1;
		if (u[i] == 0xc2 && i + 1 < k && u[i + 1] == 0x85)
			return 1;
		if (u[i] == 0xe2 && i + 2 < k && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			return 1;
	}
	return 0;
}

/*
 * Where document doc starts, found without parsing the ones before it:
 * at its "---" line, counting an implicit first document when anything
 * but comments comes before the first "---". That is how libyaml counts
 * documents unless the file has "..." end markers (after which a bare
 * document may start) or "%" directives, so those files, and a BOM, get
 * -1: parse from the start. 0 with *off.
 */
static int
skip_docs(const char *data, size_t len, unsigned long doc, size_t *off)
{
	const char *line, *nl;
	size_t pos = 0, k;
	unsigned long next = 0;		/* the index of the next "---" */
	int marker_seen = 0;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		return -1;
	while (pos < len) {
		line = data + pos;
		nl = memchr(line, '\n', len - pos);
		k = nl != NULL ? (size_t)(nl - line) : len - pos;
		if (other_breaks(line, k))
			return -1;
		if (k >= 3 && memcmp(line, "---", 3) == 0 && (k == 3 ||
		    line[3] == ' ' || line[3] == '\t' || line[3] == '\r')) {
			marker_seen = 1;
			if (next == doc) {
				*off = pos;
				return 0;
			}
			next++;
		} else if (k >= 3 && memcmp(line, "...", 3) == 0) {
			return -1;
		} else if (k > 0 && *line == '%') {
			return -1;
		} else if (!marker_seen && next == 0) {
			/* content before the first "---": an implicit doc */
			size_t i = 0;

			while (i < k && (line[i] == ' ' || line[i] == '\t' ||
			    line[i] == '\r'))
				i++;
			if (i < k && line[i] != '#')
				next = 1;
		}
		pos += k + 1;
	}
	return -1;
}

size_t
yedit_apply(const char *data, size_t len, struct yedit *e, size_t n,
    struct buf *out)
{
	unsigned long first = (unsigned long)-1;
	size_t i, off, done;

	/* a 2 MB file of 1,000 documents need not be parsed up to the last
	 * to edit it */
	for (i = 0; i < n; i++)
		if (e[i].doc < first)
			first = e[i].doc;
	if (n == 0 || first == 0 || skip_docs(data, len, first, &off) < 0)
		return apply_all(data, len, e, n, out, 0);
	buf_add(out, data, off);
	done = apply_all(data + off, len - off, e, n, out, first);
	for (i = 0; i < n; i++) {
		e[i].start += off;
		e[i].end += off;
	}
	return done;
}
