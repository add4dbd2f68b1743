/*
 * Unit tests of lib/yedit: a table of files, one edit each (or two), and
 * the file expected byte for byte, or the error expected.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/yedit.h"
#include "tests/unit/tap.h"

#define IMG "/spec/template/spec/containers/0/image"

struct one_case {
	const char *name;
	const char *in;
	unsigned long doc;
	const char *path, *value;
	const char *want;	/* NULL: refused */
	const char *err;	/* refused: a part of the message */
};

static const struct one_case cases[] = {
	{ "a later document, found by its --- line (implicit first doc)",
	    "a: 1\n---\nimage: x:1\n--- # c\nimage: x:1\n",
	    2, "/image", "x:2",
	    "a: 1\n---\nimage: x:1\n--- # c\nimage: x:2\n", NULL },
	{ "a later document, comments before the first ---",
	    "# only a comment\n---\nimage: x:1\n---\nimage: x:1\n",
	    1, "/image", "x:2",
	    "# only a comment\n---\nimage: x:1\n---\nimage: x:2\n", NULL },
	{ "a later document after a ... end marker (parsed from the start)",
	    "image: x:1\n...\n---\nimage: x:1\n---\nimage: x:1\n",
	    1, "/image", "x:2",
	    "image: x:1\n...\n---\nimage: x:2\n---\nimage: x:1\n", NULL },
	{ "a document that is not there, counted from a ---",
	    "---\nimage: x:1\n---\nimage: x:1\n",
	    5, "/image", "x:2", NULL, "no document 5" },
	{ "plain, comments and odd spacing kept",
	    "# app\n"
	    "apiVersion: apps/v1\n"
	    "kind: Deployment   # the kind\n"
	    "spec:\n"
	    "    template:\n"
	    "        spec:\n"
	    "            containers:\n"
	    "            -   name: app   # first\n"
	    "                image:    nginx:1.25    # pinned? no\n"
	    "                ports: [80]\n",
	    0, IMG, "nginx:1.27",
	    "# app\n"
	    "apiVersion: apps/v1\n"
	    "kind: Deployment   # the kind\n"
	    "spec:\n"
	    "    template:\n"
	    "        spec:\n"
	    "            containers:\n"
	    "            -   name: app   # first\n"
	    "                image:    nginx:1.27    # pinned? no\n"
	    "                ports: [80]\n", NULL },
	{ "single-quoted stays single-quoted",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: 'quay.io/a/b:1.0'\n        name: b\n",
	    0, IMG, "quay.io/a/b:1.1",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: 'quay.io/a/b:1.1'\n        name: b\n", NULL },
	{ "double-quoted stays double-quoted",
	    "spec: {template: {spec: {containers: [{name: c, "
	    "image: \"localhost:5000/c:7\"}]}}}\n",
	    0, IMG, "localhost:5000/c:8",
	    "spec: {template: {spec: {containers: [{name: c, "
	    "image: \"localhost:5000/c:8\"}]}}}\n", NULL },
	{ "flow style, plain",
	    "spec: {template: {spec: {containers: [{name: c, image: c:7}]}}}\n",
	    0, IMG, "c:10",
	    "spec: {template: {spec: {containers: [{name: c, image: c:10}]}}}\n",
	    NULL },
	{ "the second document of three, markers kept",
	    "---\nkind: A\n...\n---\n"
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: x:1\n"
	    "---\nkind: C\nimage: x:1\n",
	    1, IMG, "x:2",
	    "---\nkind: A\n...\n---\n"
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: x:2\n"
	    "---\nkind: C\nimage: x:1\n", NULL },
	{ "a List item",
	    "kind: List\nitems:\n- kind: A\n- spec:\n    template:\n"
	    "      spec:\n        containers:\n        - image: x:1\n",
	    0, "/items/1" IMG, "x:2",
	    "kind: List\nitems:\n- kind: A\n- spec:\n    template:\n"
	    "      spec:\n        containers:\n        - image: x:2\n", NULL },
	{ "CRLF line endings",
	    "spec:\r\n  template:\r\n    spec:\r\n      containers:\r\n"
	    "      - name: a\r\n        image: a:1 # c\r\n",
	    0, IMG, "a:22",
	    "spec:\r\n  template:\r\n    spec:\r\n      containers:\r\n"
	    "      - name: a\r\n        image: a:22 # c\r\n", NULL },
	{ "a BOM and multi-byte text before the target",
	    "\xef\xbb\xbf# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3\n"
	    "spec: {note: \"\xc3\xa9\xc3\xa9\", template: {spec: {containers: "
	    "[{image: a:1}]}}}\n",
	    0, IMG, "a:2",
	    "\xef\xbb\xbf# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3\n"
	    "spec: {note: \"\xc3\xa9\xc3\xa9\", template: {spec: {containers: "
	    "[{image: a:2}]}}}\n", NULL },
	{ "quoted keys",
	    "\"spec\":\n  'template':\n    spec:\n      \"containers\":\n"
	    "      - \"image\": a:1\n",
	    0, IMG, "a:2",
	    "\"spec\":\n  'template':\n    spec:\n      \"containers\":\n"
	    "      - \"image\": a:2\n", NULL },
	{ "an anchor nobody else uses is kept",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: &img a:1\n",
	    0, IMG, "a:2",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: &img a:2\n", NULL },
	{ "a tag is kept",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: !!str a:1\n",
	    0, IMG, "a:2",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: !!str a:2\n", NULL },
	{ "a comment between an anchor and its value is kept",
	    "a: &x # the anchor\n  old\nb: 1\n",
	    0, "/a", "new",
	    "a: &x # the anchor\n  new\nb: 1\n", NULL },
	{ "a comment between a tag and a block scalar is kept",
	    "a: !!str # c\n  # d\n  |-\n  old\n",
	    0, "/a", "new",
	    "a: !!str # c\n  # d\n  |-\n  new\n", NULL },
	{ "a block scalar keeps its header and indentation",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: |-\n          a:1\n        name: a\n",
	    0, IMG, "a:2",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: |-\n          a:2\n        name: a\n", NULL },
	{ "a plain value that would read as a number is quoted",
	    "spec:\n  values:\n    image:\n      repository: r\n"
	    "      tag: v1.9\n",
	    0, "/spec/values/image/tag", "1.10",
	    "spec:\n  values:\n    image:\n      repository: r\n"
	    "      tag: \"1.10\"\n", NULL },
	{ "an escaped key in the path",
	    "metadata:\n  annotations:\n    fluxcd.io/tag.app: glob:1.*\n",
	    0, "/metadata/annotations/fluxcd.io~1tag.app", "semver:~1.2",
	    "metadata:\n  annotations:\n    fluxcd.io/tag.app: semver:~1.2\n",
	    NULL },
	{ "a value with spaces stays plain",
	    "metadata: {annotations: {x: y}}\n",
	    0, "/metadata/annotations/x", "semver:>=1.0 <2",
	    "metadata: {annotations: {x: semver:>=1.0 <2}}\n", NULL },
	{ "a value with a comma is quoted, in flow context",
	    "metadata: {annotations: {x: y}}\n",
	    0, "/metadata/annotations/x", "a,b",
	    "metadata: {annotations: {x: \"a,b\"}}\n", NULL },
	{ "a quote inside a single-quoted value is doubled",
	    "x: 'a'\n", 0, "/x", "it's", "x: 'it''s'\n", NULL },
	{ "an alias elsewhere shares the anchor: refused",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: &img a:1\n      - image: *img\n",
	    0, IMG, "a:2", NULL, "change more than its value" },
	{ "the target is an alias: refused",
	    "x: &img a:1\nspec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: *img\n",
	    0, IMG, "a:2", NULL, "an alias" },
	{ "the target is a mapping: refused",
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: {a: 1}\n",
	    0, IMG, "a:2", NULL, "a collection" },
	{ "reached through a merge key: refused",
	    "base: &b\n  image: a:1\nspec:\n  template:\n    spec:\n"
	    "      containers:\n      - <<: *b\n",
	    0, IMG, "a:2", NULL, "is not in document 0" },
	{ "no such path",
	    "spec: {}\n", 0, IMG, "a:2", NULL, "is not in document 0" },
	{ "no such document",
	    "a: 1\n---\nb: 2\n", 5, "/a", "x", NULL, "no document 5" },
	{ "a file that does not parse before the target",
	    "a: [1\nb: 2\n", 0, "/b", "x", NULL, "does not parse" },
	{ "a broken document after a --- does not stop an edit before it",
	    "a: 1\n---\nb: [\n", 0, "/a", "x", "a: x\n---\nb: [\n", NULL },
	{ "text after a broken end would join the edited document",
	    /* the two-line flow sequence ends document 0 before "d: 1",
	     * which is an error; on one line it would be a key */
	    "[a, b\n  c]d: 1\n", 0, "/1", "x", NULL, "does not parse" },
};

static void
test_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct one_case *c = &cases[i];
		struct yedit e = YEDIT_INIT;
		struct buf out = BUF_INIT;
		size_t n;

		e.doc = c->doc;
		e.path = c->path;
		e.value = c->value;
		n = yedit_apply(c->in, strlen(c->in), &e, 1, &out);
		if (c->want != NULL) {
			ok(n == 1 && e.done && out.len == strlen(c->want) &&
			    memcmp(out.s, c->want, out.len) == 0, "%s", c->name);
			if (!e.done)
				printf("#   err: %s\n", e.err.s);
			else if (strcmp(out.s, c->want) != 0)
				printf("#   got:\n%s", out.s);
		} else {
			ok(n == 0 && !e.done && strstr(e.err.s, c->err) != NULL &&
			    out.len == strlen(c->in) &&
			    memcmp(out.s, c->in, out.len) == 0,
			    "%s (%s)", c->name, e.err.s);
		}
		yedit_release(&e);
		buf_release(&out);
	}
}

/* Several edits at once: two in one document, one refused elsewhere. */
static void
test_several(void)
{
	static const char in[] =
	    "spec:\n  template:\n    spec:\n      initContainers:\n"
	    "      - image: i:1\n      containers:\n      - image: a:1\n"
	    "      - image: b:1\n"
	    "---\n"
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: &x c:1\n      - image: *x\n";
	static const char want[] =
	    "spec:\n  template:\n    spec:\n      initContainers:\n"
	    "      - image: i:2\n      containers:\n      - image: a:1\n"
	    "      - image: b:22\n"
	    "---\n"
	    "spec:\n  template:\n    spec:\n      containers:\n"
	    "      - image: &x c:1\n      - image: *x\n";
	struct yedit e[3] = { YEDIT_INIT, YEDIT_INIT, YEDIT_INIT };
	struct buf out = BUF_INIT;
	size_t i;

	e[0].doc = 1;
	e[0].path = IMG;
	e[0].value = "c:2";
	e[1].doc = 0;
	e[1].path = "/spec/template/spec/containers/1/image";
	e[1].value = "b:22";
	e[2].doc = 0;
	e[2].path = "/spec/template/spec/initContainers/0/image";
	e[2].value = "i:2";
	is_int(yedit_apply(in, strlen(in), e, 3, &out), 2, "two of three");
	ok(!e[0].done && e[1].done && e[2].done, "the aliased one refused");
	is_str(out.s, want, "and the file as expected");

	/* expect: a field that changed since is left alone */
	buf_reset(&out);
	e[1].expect = "b:1";
	e[2].expect = "i:0";
	is_int(yedit_apply(in, strlen(in), e + 1, 2, &out), 1,
	    "one of two expected values holds");
	ok(e[1].done && !e[2].done && strstr(e[2].err.s,
	    "is 'i:1', not 'i:0' as expected") != NULL, "the other: %s",
	    e[2].err.s);
	for (i = 0; i < 3; i++)
		yedit_release(&e[i]);
	buf_release(&out);
}

int
main(void)
{
	test_cases();
	test_several();
	return tap_done();
}
