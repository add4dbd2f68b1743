/* Unit tests of lib/jscan. */
#include <stdlib.h>
#include <string.h>

#include "lib/jscan.h"
#include "tests/unit/tap.h"

static const char doc[] =
    "{\"type\":\"object\",\"id\":\"a:b/c\",\"n\":-1.5e3,\"t\":true,"
    "\"object\":{\"metadata\":{\"name\":\"web\",\"labels\":{\"x\":\"1\","
    "\"fluxcd.io\\/sync-gc-mark\":\"sha256.abc\"},\"e\":[]},"
    "\"list\":[1, {\"a\":[2,3]}, \"s\\\"q\"]}, \"esc\":\"a\\u00e9\\ud83d\\ude00\\n\"}";

static char *
get(const char *const *path)
{
	const char *v;
	size_t vn;

	if (jscan_get(doc, strlen(doc), path, &v, &vn) != 1)
		return NULL;
	return jscan_str(v, vn);
}

int
main(void)
{
	const char *v, *e;
	size_t vn, en;
	struct jscan_iter it;
	char *s;
	int n;

	s = get((const char *[]){ "id", NULL });
	is_str(s, "a:b/c", "a top-level string");
	free(s);
	s = get((const char *[]){ "object", "metadata", "name", NULL });
	is_str(s, "web", "a nested string");
	free(s);
	s = get((const char *[]){ "object", "metadata", "labels",
	    "fluxcd.io/sync-gc-mark", NULL });
	is_str(s, "sha256.abc", "an escaped key is found");
	free(s);
	s = get((const char *[]){ "esc", NULL });
	is_str(s, "a\xc3\xa9\xf0\x9f\x98\x80\n", "escapes and surrogates decode");
	free(s);
	ok(get((const char *[]){ "object", "nope", NULL }) == NULL,
	    "a missing member");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "id", "x", NULL },
	    &v, &vn) == 0, "a step through a non-object is not found");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "t", NULL }, &v,
	    &vn) == 1 && jscan_true(v, vn), "true");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "n", NULL }, &v,
	    &vn) == 1 && vn == 6 && memcmp(v, "-1.5e3", 6) == 0, "a number span");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "object", "metadata",
	    "e", NULL }, &v, &vn) == 1 && !jscan_nonempty_array(v, vn),
	    "an empty array");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "object", "list",
	    NULL }, &v, &vn) == 1 && jscan_iter_init(&it, v, vn) == 0,
	    "an array");
	for (n = 0; jscan_next(&it, &e, &en) == 1; n++)
		;
	is_int(n, 3, "three elements, nested ones skipped whole");
	ok(jscan_get("{\"a\":", 5, (const char *[]){ "a", NULL }, &v, &vn) < 0,
	    "truncated text is an error, not an overrun");
	ok(jscan_get("{\"a\":[1,2", 9, (const char *[]){ "b", NULL }, &v,
	    &vn) < 0, "a truncated array is an error");
	ok(jscan_str("12", 2) == NULL, "a number is not a string");
	s = jscan_get_str(doc, strlen(doc), (const char *[]){ "object",
	    "metadata", "name", NULL });
	is_str(s, "web", "jscan_get_str");
	free(s);
	ok(jscan_get_str(doc, strlen(doc), (const char *[]){ "n", NULL }) ==
	    NULL, "jscan_get_str of a number is NULL");
	return tap_done();
}
