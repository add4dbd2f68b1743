/*
 * Unit tests of lib/yannot: a table of files, the annotation changes, and
 * the file expected byte for byte (or the error expected).
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/yannot.h"
#include "tests/unit/tap.h"

#define AUTO "fluxcd.io/automated"
#define LOCK "fluxcd.io/locked"

struct one_case {
	const char *name;
	const char *in;
	unsigned long doc;
	const char *ptr;
	struct yannot a[3];
	size_t n;
	const char *want;	/* NULL: refused; "" nothing to change */
	const char *err;
};

static const struct one_case cases[] = {
	{ "annotations created after the last metadata key, at its indent",
	    "apiVersion: apps/v1\n"
	    "kind: Deployment\n"
	    "metadata:\n"
	    "    name: app   # the app\n"
	    "    namespace: web\n"
	    "# a comment\n"
	    "spec:\n"
	    "    replicas: 1\n",
	    0, "", { { AUTO, "true" } }, 1,
	    "apiVersion: apps/v1\n"
	    "kind: Deployment\n"
	    "metadata:\n"
	    "    name: app   # the app\n"
	    "    namespace: web\n"
	    "    annotations:\n"
	    "        fluxcd.io/automated: 'true'\n"
	    "# a comment\n"
	    "spec:\n"
	    "    replicas: 1\n", NULL },
	{ "a key added after the last annotation",
	    "metadata:\n"
	    "  name: app\n"
	    "  annotations:\n"
	    "     a.io/x: \"1\"   # keep\n"
	    "     b.io/y: |\n"
	    "       two\n"
	    "       lines\n"
	    "spec: {}\n",
	    0, "", { { "fluxcd.io/tag.app", "semver:~1.2" } }, 1,
	    "metadata:\n"
	    "  name: app\n"
	    "  annotations:\n"
	    "     a.io/x: \"1\"   # keep\n"
	    "     b.io/y: |\n"
	    "       two\n"
	    "       lines\n"
	    "     fluxcd.io/tag.app: semver:~1.2\n"
	    "spec: {}\n", NULL },
	{ "an existing value keeps its quoting",
	    "metadata:\n"
	    "  annotations:\n"
	    "    fluxcd.io/automated: \"false\"\n"
	    "  name: app\n",
	    0, "", { { AUTO, "true" } }, 1,
	    "metadata:\n"
	    "  annotations:\n"
	    "    fluxcd.io/automated: \"true\"\n"
	    "  name: app\n", NULL },
	{ "the same value: nothing to change",
	    "metadata:\n  name: a\n  annotations:\n    fluxcd.io/automated: 'true'\n",
	    0, "", { { AUTO, "true" } }, 1, "", NULL },
	{ "removing one of two",
	    "metadata:\n"
	    "  annotations:\n"
	    "    fluxcd.io/locked: 'true'   # why\n"
	    "    fluxcd.io/automated: 'true'\n"
	    "  name: app\n",
	    0, "", { { LOCK, NULL } }, 1,
	    "metadata:\n"
	    "  annotations:\n"
	    "    fluxcd.io/automated: 'true'\n"
	    "  name: app\n", NULL },
	{ "removing the last removes annotations",
	    "metadata:\n"
	    "  name: app\n"
	    "  annotations:\n"
	    "    fluxcd.io/locked: 'true'\n"
	    "  labels: {a: b}\n",
	    0, "", { { LOCK, NULL } }, 1,
	    "metadata:\n"
	    "  name: app\n"
	    "  labels: {a: b}\n", NULL },
	{ "removing what is not there: nothing to change",
	    "metadata:\n  name: app\n",
	    0, "", { { LOCK, NULL } }, 1, "", NULL },
	{ "set, set and remove in one go",
	    "metadata:\n  name: app\n  annotations:\n    fluxcd.io/locked_msg: x\n",
	    0, "", { { LOCK, "true" }, { "fluxcd.io/locked_user", "Jo <jo@x>" },
	    { "fluxcd.io/locked_msg", NULL } }, 3,
	    "metadata:\n  name: app\n  annotations:\n"
	    "    fluxcd.io/locked: 'true'\n"
	    "    fluxcd.io/locked_user: Jo <jo@x>\n", NULL },
	{ "flow metadata",
	    "metadata: {name: app, namespace: x}\nspec: {}\n",
	    0, "", { { AUTO, "true" } }, 1,
	    "metadata: {name: app, namespace: x, annotations: "
	    "{fluxcd.io/automated: 'true'}}\nspec: {}\n", NULL },
	{ "flow annotations, added to and removed from",
	    "metadata:\n  name: app\n  annotations: {a: b, fluxcd.io/locked: 'true'}\n",
	    0, "", { { LOCK, NULL }, { AUTO, "true" } }, 2,
	    "metadata:\n  name: app\n  annotations: {a: b, "
	    "fluxcd.io/automated: 'true'}\n", NULL },
	{ "empty flow annotations",
	    "metadata:\n  name: app\n  annotations: {}\n",
	    0, "", { { AUTO, "true" } }, 1,
	    "metadata:\n  name: app\n  annotations: {fluxcd.io/automated: 'true'}\n",
	    NULL },
	{ "CRLF line endings stay CRLF",
	    "metadata:\r\n  name: app\r\nspec:\r\n  x: 1\r\n",
	    0, "", { { AUTO, "true" } }, 1,
	    "metadata:\r\n  name: app\r\n  annotations:\r\n"
	    "    fluxcd.io/automated: 'true'\r\nspec:\r\n  x: 1\r\n", NULL },
	{ "no final newline",
	    "kind: A\nmetadata:\n  name: app",
	    0, "", { { AUTO, "true" } }, 1,
	    "kind: A\nmetadata:\n  name: app\n  annotations:\n"
	    "    fluxcd.io/automated: 'true'\n", NULL },
	{ "the second document only",
	    "---\nmetadata:\n  name: a\n---\nmetadata:\n  name: b\n---\n"
	    "metadata:\n  name: c\n",
	    1, "", { { AUTO, "true" } }, 1,
	    "---\nmetadata:\n  name: a\n---\nmetadata:\n  name: b\n"
	    "  annotations:\n    fluxcd.io/automated: 'true'\n---\n"
	    "metadata:\n  name: c\n", NULL },
	{ "a List item",
	    "kind: List\n"
	    "items:\n"
	    "- kind: Deployment\n"
	    "  metadata:\n"
	    "    name: a\n"
	    "- kind: Deployment\n"
	    "  metadata:\n"
	    "    name: b\n",
	    0, "/items/1", { { AUTO, "true" } }, 1,
	    "kind: List\n"
	    "items:\n"
	    "- kind: Deployment\n"
	    "  metadata:\n"
	    "    name: a\n"
	    "- kind: Deployment\n"
	    "  metadata:\n"
	    "    name: b\n"
	    "    annotations:\n"
	    "      fluxcd.io/automated: 'true'\n", NULL },
	{ "a value that needs quotes",
	    "metadata:\n  name: app\n",
	    0, "", { { "fluxcd.io/locked_msg", "it's: broken" } }, 1,
	    "metadata:\n  name: app\n  annotations:\n"
	    "    fluxcd.io/locked_msg: 'it''s: broken'\n", NULL },
	{ "no metadata",
	    "kind: A\nspec: {}\n", 0, "", { { AUTO, "true" } }, 1,
	    NULL, "/metadata is not a mapping" },
	{ "annotations that are not a mapping",
	    "metadata:\n  name: a\n  annotations: [x]\n", 0, "",
	    { { AUTO, "true" } }, 1, NULL, "annotations is not a mapping" },
	{ "a document that is not there",
	    "metadata:\n  name: a\n", 3, "", { { AUTO, "true" } }, 1,
	    NULL, "no document 3" },
	{ "annotations shared through an alias: refused",
	    "metadata:\n  name: a\n  annotations: &ann\n    x: y\n"
	    "spec:\n  template:\n    metadata:\n      annotations: *ann\n",
	    0, "", { { AUTO, "true" } }, 1, NULL, "would change more" },
};

int
main(void)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct one_case *c = &cases[i];

		buf_reset(&out);
		buf_reset(&err);
		rc = yannot_apply(c->in, strlen(c->in), c->doc, c->ptr, c->a,
		    c->n, &out, &err);
		if (c->want == NULL) {
			ok(rc == -1 && strstr(err.s, c->err) != NULL &&
			    out.len == 0, "%s: refused", c->name);
			if (rc != -1 || strstr(err.s, c->err) == NULL)
				printf("#   rc %d, err: %s\n", rc, err.s);
		} else if (*c->want == '\0') {
			ok(rc == 0 && out.len == 0, "%s", c->name);
		} else {
			ok(rc == 1, "%s: changed", c->name);
			is_str(out.s, c->want, "%s: byte for byte", c->name);
			if (rc < 0)
				printf("#   err: %s\n", err.s);
		}
	}
	buf_release(&out);
	buf_release(&err);
	return tap_done();
}
