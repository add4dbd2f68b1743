/*
 * yedit_fuzz.c: a libFuzzer target for lib/yedit (`make fuzz`), also run
 * over its seed corpus by tests/fuzz/replay.c in `make check`.
 *
 * The promise under test (yedit.h): for any input, yedit_apply either
 * makes exactly the intended edit or refuses, and never crashes. One
 * input is one edit and the file it applies to, as text:
 *
 *	line 1: the document index, decimal, then optionally one flag:
 *		"e" sets expect to the value there now (when it is a string),
 *		"w" sets expect to a value that is not there
 *	line 2: the JSON Pointer
 *	line 3: the new value; "\n", "\r", "\t" and "\\" are escapes
 *	the rest: the YAML file, byte for byte
 *
 * e.g. "1e\n/spec/template/spec/containers/0/image\nnginx:1.27\n---\n...".
 * Any broken invariant aborts:
 *	- the count returned is the number of edits done;
 *	- refused, the output is the input, byte for byte;
 *	- done, only the bytes of the edit's scalar (its private start..end)
 *	  differ, and lib/yml, reading the whole new file, finds the new value
 *	  at the pointer in that document and every other document as it was;
 *	- with an expect that is not the value there, the edit is refused.
 * AddressSanitizer and UBSan (and LeakSanitizer, for every input) do
 * the rest. With YEDIT_FUZZ_VERBOSE set, each input's outcome goes to
 * stderr ("done", or "refused: " and why), so tests/fuzz.bats can tell
 * that the seeds reach the edits and not only the refusals.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "lib/yedit.h"
#include "lib/yml.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The documents lib/yml reads in a file: JSON text, "" for an empty one. */
struct docs {
	char **json;
	size_t n;
	int failed;		/* stopped at a parse error after n documents */
	struct yml_error err;
};

static void
fail(const char *what)
{
	fprintf(stderr, "yedit_fuzz: %s\n", what);
	abort();
}

static void
docs_load(struct docs *d, const char *s, size_t len)
{
	struct yml_parser *p = yml_parser_new(s, len, NULL);
	struct yml_doc doc = YML_DOC_INIT;
	struct buf b = BUF_INIT;
	int r;

	memset(d, 0, sizeof(*d));
	while ((r = yml_parser_next(p, &doc, &d->err)) > 0) {
		buf_reset(&b);
		if (doc.root != NULL)
			yml_to_json(&b, doc.root);
		d->json = xreallocarray(d->json, d->n + 1, sizeof(*d->json));
		d->json[d->n++] = xmemdup(b.s ? b.s : "", b.len);
	}
	d->failed = r < 0;
	yml_doc_release(&doc);
	yml_parser_free(p);
	buf_release(&b);
}

static void
docs_release(struct docs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->json[i]);
	free(d->json);
}

static json_t *
load(const char *text)
{
	/* reals for integers: lib/yml may write ones jansson cannot hold */
	return json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
	    NULL);
}

/*
 * The value at ptr in root (RFC 6901, written here again rather than
 * borrowed from lib/, so that a shared mistake cannot hide), with its
 * parent and the last token; NULL if there is none.
 */
static json_t *
pointer_get(json_t *root, const char *ptr, json_t **parent, char **last)
{
	json_t *v = root;
	struct buf tok = BUF_INIT;
	const char *end;
	char *num_end;
	unsigned long idx;

	*parent = NULL;
	*last = NULL;
	if (*ptr == '\0')
		return NULL;	/* the root: yedit never edits it */
	while (v != NULL && *ptr != '\0') {
		if (*ptr != '/') {
			v = NULL;
			break;
		}
		ptr++;
		end = strchr(ptr, '/');
		if (end == NULL)
			end = ptr + strlen(ptr);
		buf_reset(&tok);
		for (; ptr < end; ptr++) {
			if (*ptr == '~' && ptr[1] == '0') {
				buf_addch(&tok, '~');
				ptr++;
			} else if (*ptr == '~' && ptr[1] == '1') {
				buf_addch(&tok, '/');
				ptr++;
			} else if (*ptr == '~') {
				v = NULL;	/* not a pointer */
				break;
			} else {
				buf_addch(&tok, *ptr);
			}
		}
		if (v == NULL)
			break;
		*parent = v;
		if (json_is_object(v)) {
			v = json_object_get(v, tok.s);
		} else if (json_is_array(v) && tok.len > 0 &&
		    strspn(tok.s, "0123456789") == tok.len &&
		    (tok.s[0] != '0' || tok.len == 1)) {
			idx = strtoul(tok.s, &num_end, 10);
			v = json_array_get(v, idx);
		} else {
			v = NULL;
		}
	}
	if (v != NULL)
		*last = buf_detach(&tok, NULL);
	buf_release(&tok);
	return v;
}

/* Take one line (without its "\n") from *p, or NULL at the end. */
static char *
take_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *s;

	if (nl == NULL)
		return NULL;
	s = xstrndup(*p, (size_t)(nl - *p));
	*p = nl + 1;
	return s;
}

static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*w++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' :
			    *s == 't' ? '\t' : *s;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The edit was done: check the new file against the old one. */
static void
check_done(const char *in, size_t len, const struct yedit *e,
    const struct buf *out, const struct docs *before)
{
	struct docs after;
	json_t *want, *got, *at, *parent;
	char *last;
	size_t i;

	if (e->start > e->end || e->end > len)
		fail("the scalar's span is not in the file");
	if (out->len < e->start + (len - e->end) ||
	    memcmp(out->s, in, e->start) != 0 ||
	    memcmp(out->s + out->len - (len - e->end), in + e->end,
	    len - e->end) != 0)
		fail("bytes outside the scalar changed");

	docs_load(&after, out->s, out->len);
	if (before->n <= e->doc) {
		/* lib/yml stops before the target (a duplicate key, say, that
		 * libyaml's events do not see): the same there, then */
		if (!before->failed || !after.failed || after.n != before->n ||
		    strcmp(after.err.msg, before->err.msg) != 0)
			fail("an earlier document reads differently");
		for (i = 0; i < before->n; i++)
			if (strcmp(before->json[i], after.json[i]) != 0)
				fail("an earlier document changed");
		docs_release(&after);
		return;
	}
	if (after.n != before->n || after.failed != before->failed)
		fail("the file has other documents now");
	for (i = 0; i < before->n; i++)
		if (i != e->doc && strcmp(before->json[i], after.json[i]) != 0)
			fail("another document changed");

	want = load(before->json[e->doc]);
	got = load(after.json[e->doc]);
	if (want == NULL || got == NULL)
		fail("the edited document is not JSON");
	at = pointer_get(want, e->path, &parent, &last);
	if (at == NULL)
		fail("the pointer is not in the old document");
	if (json_is_object(at) || json_is_array(at))
		fail("the old value is not a scalar");
	if (json_is_object(parent))
		json_object_set_new(parent, last, json_string(e->value));
	else
		json_array_set_new(parent, strtoul(last, NULL, 10),
		    json_string(e->value));
	if (!json_equal(want, got))
		fail("the edited document is not the old one with the value");
	free(last);
	json_decref(want);
	json_decref(got);
	docs_release(&after);
}

/* The string at e's pointer now, or NULL (copied). */
static char *
current_value(const struct docs *d, const struct yedit *e)
{
	json_t *root, *at, *parent;
	char *last, *s = NULL;

	if (e->doc >= d->n || (root = load(d->json[e->doc])) == NULL)
		return NULL;
	at = pointer_get(root, e->path, &parent, &last);
	if (json_is_string(at))
		s = xstrdup(json_string_value(at));
	free(last);
	json_decref(root);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *yaml;
	struct yedit e = YEDIT_INIT;
	struct buf out = BUF_INIT;
	struct docs before;
	char *head = NULL, *path = NULL, *value = NULL, *expect = NULL;
	char *num_end;
	size_t n, ylen;

	if (size > 1 << 16)
		return -1;	/* not worth the time: keep it from the corpus */
	if ((head = take_line(&p, end)) == NULL ||
	    (path = take_line(&p, end)) == NULL ||
	    (value = take_line(&p, end)) == NULL)
		goto out;
	unescape(value);
	yaml = p;
	ylen = (size_t)(end - p);

	e.doc = strtoul(head, &num_end, 10) % 64;
	e.path = path;
	e.value = value;
	docs_load(&before, yaml, ylen);
	if (*num_end == 'e') {
		expect = current_value(&before, &e);
	} else if (*num_end == 'w') {
		expect = current_value(&before, &e);
		n = expect ? strlen(expect) : 0;
		expect = xrealloc(expect, n + 2);
		memcpy(expect + n, "\001", 2);
	}
	e.expect = expect;

	n = yedit_apply(yaml, ylen, &e, 1, &out);
	if (getenv("YEDIT_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "yedit_fuzz: %s%s\n", e.done ? "done" :
		    "refused: ", e.done ? "" : e.err.s);
	if (n != (size_t)(e.done != 0))
		fail("the count is not the number done");
	if (!e.done) {
		if (e.err.len == 0)
			fail("refused without saying why");
		if (out.len != ylen || memcmp(out.s, yaml, ylen) != 0)
			fail("refused, but the file changed");
	} else {
		if (*num_end == 'w')
			fail("done where the value was not the one expected");
		check_done(yaml, ylen, &e, &out, &before);
	}
	docs_release(&before);
out:
	yedit_release(&e);
	buf_release(&out);
	free(head);
	free(path);
	free(value);
	free(expect);
	return 0;
}
