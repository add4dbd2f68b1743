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

/* jscan_pick finds what jscan_get finds, in one pass */
static void
test_pick(void)
{
	static const char *const keys[] = { "t", "object", "none", "esc",
	    "dup", NULL };
	static const char dup[] = "{\"dup\":1,\"d\\u0075p\":2}";
	const char *v[6], *w;
	size_t vn[6], wn;

	ok(jscan_pick(doc, strlen(doc), keys, v, vn) == 0, "jscan_pick");
	ok(v[0] != NULL && vn[0] == 4 && memcmp(v[0], "true", 4) == 0,
	    "a scalar member");
	ok(jscan_get(doc, strlen(doc), (const char *[]){ "object", NULL },
	    &w, &wn) == 1 && v[1] == w && vn[1] == wn,
	    "an object member, the same span as jscan_get's");
	ok(v[2] == NULL && v[4] == NULL, "missing members are NULL");
	ok(v[3] != NULL && v[3][0] == '"', "the last member");
	ok(jscan_pick(dup, strlen(dup), keys, v, vn) == 0 && v[4] != NULL &&
	    vn[4] == 1 && v[4][0] == '1', "the first of two of a name, "
	    "escaped or not, as jscan_get");
	ok(jscan_pick("[1]", 3, keys, v, vn) < 0 && v[0] == NULL,
	    "not an object");
	ok(jscan_pick("{\"t\":", 5, keys, v, vn) < 0,
	    "truncated text is an error");
	ok(jscan_pick("{\"a\":1,\"b\":2,\"c\":", 17, (const char *[]){
	    "b", "a", NULL }, v, vn) == 0 && v[0] != NULL && *v[0] == '2' &&
	    v[1] != NULL && *v[1] == '1', "the pass ends at the last name "
	    "wanted");
}

/* Every byte that needs a look, at every place in and past a vector. */
static void
test_plain(void)
{
	static const unsigned char special[] = { '"', '\\', 0x00, 0x01, 0x1f,
	    0x80, 0xc3, 0xff };
	char s[48];
	size_t at, k, n, bad = 0;

	memset(s, 'a', sizeof(s));
	for (n = 0; n <= sizeof(s); n++)
		bad += jscan_plain(s, n) != n;
	s[5] = ' ';
	s[20] = '~';
	s[40] = 0x7f;
	bad += jscan_plain(s, sizeof(s)) != sizeof(s);
	is_int(bad, 0, "jscan_plain: plain bytes, any length, all of them");
	bad = 0;
	for (k = 0; k < sizeof(special); k++)
		for (at = 0; at < sizeof(s); at++) {
			memset(s, 'a', sizeof(s));
			s[at] = (char)special[k];
			bad += jscan_plain(s, sizeof(s)) != at;
			bad += jscan_plain(s, at) != at;
			if (at + 1 < sizeof(s)) {
				s[at + 1] = '"';
				bad += jscan_plain(s, sizeof(s)) != at;
			}
		}
	is_int(bad, 0, "jscan_plain: stops at the first byte to look at");
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
	test_pick();
	test_plain();
	return tap_done();
}
