/*
 * Unit tests of lib/yamlout: what it writes reads back through lib/yml as
 * the same JSON, and it writes it the way kubectl would (plain where that
 * is safe, block scalars for text).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/yamlout.h"
#include "lib/yml.h"
#include "tests/unit/tap.h"

static struct buf yaml = BUF_INIT;

/* v as YAML, in a buffer the next call reuses; NULL if it failed */
static const char *
yaml_of(const json_t *v)
{
	struct buf err = BUF_INIT;
	int r;

	buf_reset(&yaml);
	r = yamlout_write(&yaml, v, &err);
	if (r < 0)
		printf("# yamlout_write: %s\n", err.s);
	buf_release(&err);
	return r < 0 ? NULL : yaml.s;
}

/* Show text as TAP comments. */
static void
diag(const char *what, const char *s, size_t n)
{
	size_t i;

	printf("# %s:\n#   ", what);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			printf("\\n\n#   ");
		else if ((unsigned char)s[i] < 0x20)
			printf("\\x%02x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	}
	printf("\n");
}

/*
 * Write v, read it back with lib/yml, and compare. flags go to json_loadb
 * (JSON_DECODE_INT_AS_REAL for integral reals). 1 if equal; quiet when
 * quiet is set (the fuzz loop reports its first failure only).
 */
static int
round_trip(const json_t *v, size_t flags, int quiet)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error e;
	struct buf json = BUF_INIT;
	json_error_t je;
	json_t *back = NULL;
	char *want;
	int same = 0;

	if (yaml_of(v) == NULL)
		return 0;
	if (yml_parse_one(yaml.s, yaml.len, &doc, &e) < 0) {
		if (!quiet)
			printf("# yml: %lu:%lu: %s\n", e.line, e.column,
			    e.msg);
	} else {
		yml_to_json(&json, doc.root);
		back = json_loadb(json.s, json.len,
		    flags | JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
		same = back != NULL && json_equal(back, (json_t *)(uintptr_t)v);
	}
	if (!same && !quiet) {
		want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		diag("json", want, strlen(want));
		diag("yaml", yaml.s, yaml.len);
		diag("read back", json.s, json.len);
		free(want);
	}
	json_decref(back);
	buf_release(&json);
	yml_doc_release(&doc);
	return same;
}

/* The YAML of the JSON text j. */
static const char *
yaml_of_text(const char *j)
{
	json_error_t je;
	json_t *v = json_loads(j, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	const char *s;

	if (v == NULL) {
		printf("# bad test JSON %s: %s\n", j, je.text);
		return NULL;
	}
	s = yaml_of(v);
	json_decref(v);
	return s;
}

static const char *const tricky[] = {
	"yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "n",
	"Y", "N", "true", "False", "null", "Null", "~", "", " ", "  ",
	"1", "-1", "+1", "1.0", "1.", ".5", "-.5", "1e3", "1E-3", "0x1F",
	"0o17", "017", "08", "0b101", "0b-101", "1_000", "1__0", "_1",
	"12:30:00", "190:20:30", "0.", "-", "--", "---", "...", "- x", "-x",
	"?", "? x", "?x", ":", ":x", "x:", "a: b", "a:b", "a :b", "a #b",
	"a#b", "#c", "# c", "!tag", "!!str", "&a", "*a", "|", ">", "'q'",
	"\"q\"", "%x", "@x", "`x", "{}", "[]", "{a: 1}", "[1, 2]", ",x",
	"x,y", "x]", "x}", " x", "x ", "a  b", "<<", "<", "=", ".inf",
	"-.inf", "+.inf", ".nan", ".NaN", ".Inf", "2024-01-02",
	"2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "1.2.3", "v1",
	"9007199254740993", "123456789012345678901234567890",
	"0x10000000000000000", "-0", "+0", "0", "00", "1e400", "-1e400",
	"multi\nline\n", "no trailing newline\nx", "trailing\n\n",
	"trailing\n\n\n", "\n", "\n\n", "\nx", "\n\nx\n", " lead\nx\n",
	"  two\n three\n", "x\n  indented\n", "x\n\n\ny", "x\n \ny",
	"x\n   ", "x\n  \n", "tab\there", "\tlead tab\nx\n",
	"line\twith tab\n", "\t", "x\t", "cr\r\nlf\n", "cr\r",
	"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"\xf0\x9f\x98\x80 emoji", "\xc2\xa0" "nbsp\xc2\xa0", "nel\xc2\x85" "x",
	"ls\xe2\x80\xa8x", "ps\xe2\x80\xa9x", "\xef\xbb\xbf" "bom",
	"c1\xc2\x80" "x", "\xef\xbf\xbe", "\x01\x02\x1f\x7f", "esc\x1b",
	"bell\a", "back\\slash", "quote\"d", "it's",
	"a\nb: c\n- d\n# e\n", "--- x\n... y\n", "|\n>\n",
	"#!/bin/sh\nset -eu\nexec \"$@\"\n",
	"key: value\nlist:\n- a\n", "x\n#", "x\n-", "\xe2\x80\x94" "dash",
};

static void
test_tricky_strings(void)
{
	size_t i, bad_value = 0, bad_key = 0, bad_item = 0, bad_top = 0;
	json_t *s, *v;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		s = json_string(tricky[i]);
		if (s == NULL) {
			printf("# not UTF-8: case %zu\n", i);
			continue;
		}
		v = json_pack("{s:O}", "k", s);
		if (!round_trip(v, 0, 0))
			bad_value++;
		json_decref(v);
		v = json_object();
		json_object_set(v, tricky[i], s);
		json_object_set_new(v, "after", json_integer(1));
		if (!round_trip(v, 0, 0))
			bad_key++;
		json_decref(v);
		v = json_pack("{s:[O,[O,{s:O}]]}", "l", s, s, "m", s);
		if (!round_trip(v, 0, 0))
			bad_item++;
		json_decref(v);
		if (!round_trip(s, 0, 0))
			bad_top++;
		json_decref(s);
	}
	is_int(bad_value, 0, "tricky strings read back as mapping values");
	is_int(bad_key, 0, "tricky strings read back as mapping keys");
	is_int(bad_item, 0, "tricky strings read back as sequence items");
	is_int(bad_top, 0, "tricky strings read back as whole documents");
}

static void
test_nul(void)
{
	json_t *v = json_pack("{s:s%}", "k", "a\0b\n\0", (size_t)5);

	ok(round_trip(v, 0, 0), "a string holding NULs reads back");
	json_decref(v);
}

/* Random strings over an alphabet of troublemakers. */
static void
test_fuzz(void)
{
	static const char *const atoms[] = {
		" ", " ", ":", "#", "-", "\n", "\n", "\t", "0", "1", ".", "x",
		"y", "e", "\xc3\xa9", "'", "\"", "\\", "\x01", "~", "!", "&",
		"*", "[", "{", ",", "?", "|", ">", "%", "@", "`", "_", "+",
		"\r", "\xe2\x80\xa8", "\xc2\x85", "\xef\xbb\xbf", "o", "n",
		"true", "0x", "b", "<<", "---", "...",
	};
	struct buf s = BUF_INIT;
	unsigned long seed = 12345;
	size_t i, j, len, bad[3] = { 0, 0, 0 };
	json_t *str, *v;

	for (i = 0; i < 20000; i++) {
		buf_reset(&s);
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		len = (seed >> 33) % 10;
		for (j = 0; j < len; j++) {
			seed = seed * 6364136223846793005ul +
			    1442695040888963407ul;
			buf_adds(&s, atoms[(seed >> 33) %
			    (sizeof(atoms) / sizeof(atoms[0]))]);
		}
		str = json_stringn(s.s, s.len);
		v = json_pack("{s:O}", "k", str);
		if (!round_trip(v, 0, bad[0] > 0) && bad[0]++ == 0)
			diag("first failure (value)", s.s, s.len);
		json_decref(v);
		v = json_object();
		json_object_setn_new(v, s.s, s.len, json_integer(1));
		if (!round_trip(v, 0, bad[1] > 0) && bad[1]++ == 0)
			diag("first failure (key)", s.s, s.len);
		json_decref(v);
		v = json_pack("[[O]]", str);
		if (!round_trip(v, 0, bad[2] > 0) && bad[2]++ == 0)
			diag("first failure (item)", s.s, s.len);
		json_decref(v);
		json_decref(str);
	}
	is_int(bad[0], 0, "20000 random strings read back as values");
	is_int(bad[1], 0, "... as keys");
	is_int(bad[2], 0, "... as items of a nested sequence");
	buf_release(&s);
}

static void
test_numbers(void)
{
	static const double reals[] = {
		0.1, -0.1, 0.5, 3.141592653589793, 2.718281828459045e-10,
		1e-300, 1.7976931348623157e308, 4.9e-324, 123456.789,
		-9.87654321e-7, 1.5e22, 0.30000000000000004,
	};
	static const double integral[] = { 0, 1, -1, 100, 1e15, 1e20, 1e22 };
	json_t *v;
	size_t i, bad = 0;

	v = json_pack("{s:I,s:I,s:I,s:I,s:I}", "max", (json_int_t)INT64_MAX,
	    "min", (json_int_t)INT64_MIN, "zero", (json_int_t)0,
	    "neg", (json_int_t)-1, "big", (json_int_t)9007199254740993);
	ok(round_trip(v, 0, 0), "integers up to 64 bits read back");
	json_decref(v);
	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		v = json_pack("{s:f}", "r", reals[i]);
		if (!round_trip(v, 0, 0))
			bad++;
		json_decref(v);
	}
	is_int(bad, 0, "reals read back as the same double");
	bad = 0;
	for (i = 0; i < sizeof(integral) / sizeof(integral[0]); i++) {
		v = json_pack("{s:f}", "r", integral[i]);
		if (!round_trip(v, JSON_DECODE_INT_AS_REAL, 0))
			bad++;
		json_decref(v);
	}
	is_int(bad, 0, "integral reals read back as the same number");
	is_str(yaml_of_text("{\"a\":1.0,\"b\":1e20,\"c\":0.1,\"d\":-2.5e-8}"),
	    "a: 1.0\nb: 1e+20\nc: 0.1\nd: -2.5e-08\n",
	    "reals stay reals in the YAML");
	is_str(yaml_of_text("{\"a\":true,\"b\":false,\"c\":null,\"d\":-7}"),
	    "a: true\nb: false\nc: null\nd: -7\n", "other scalars");
}

static void
test_structure(void)
{
	static const char *const docs[] = {
		"{}", "[]", "null", "1", "\"x\"", "[[]]", "[{}]", "[[[]]]",
		"{\"a\":{}}", "{\"a\":[]}", "{\"a\":{\"b\":{}}}",
		"{\"a\":[[],{},[[]],[{}]]}", "[[1,2],[3,[4,[5]]]]",
		"[{\"a\":1,\"b\":[{\"c\":[]}]},{\"d\":{\"e\":[1]}}]",
		"{\"a\":[{\"b\":\"x\\ny\\n\"},\"p\\nq\",[\"r\\n\"]]}",
		"[\"top\\nlevel\\n\",\" lead\\nx\"]",
		"{\"z\":1,\"a\":2,\"m\":3}",
	};
	size_t i, bad = 0;
	json_error_t je;
	json_t *v;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		v = json_loads(docs[i], JSON_DECODE_ANY, &je);
		if (!round_trip(v, 0, 0))
			bad++;
		json_decref(v);
	}
	is_int(bad, 0, "nested and empty collections read back");
	is_str(yaml_of_text(
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	    "\"metadata\":{\"name\":\"web\",\"labels\":{\"on\":\"yes\","
	    "\"app\":\"web\"},\"annotations\":{}},"
	    "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":"
	    "[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"args\":[\"--x\","
	    "\"-y\",\"\"],\"ports\":[{\"containerPort\":80}],\"env\":[]}]}},"
	    "\"matrix\":[[1,2],[],{}],"
	    "\"script\":\"#!/bin/sh\\necho hi\\n\"}}"),
	    "apiVersion: apps/v1\n"
	    "kind: Deployment\n"
	    "metadata:\n"
	    "  name: web\n"
	    "  labels:\n"
	    "    \"on\": \"yes\"\n"
	    "    app: web\n"
	    "  annotations: {}\n"
	    "spec:\n"
	    "  replicas: 2\n"
	    "  template:\n"
	    "    spec:\n"
	    "      containers:\n"
	    "      - name: web\n"
	    "        image: nginx:1.25\n"
	    "        args:\n"
	    "        - --x\n"
	    "        - -y\n"
	    "        - \"\"\n"
	    "        ports:\n"
	    "        - containerPort: 80\n"
	    "        env: []\n"
	    "  matrix:\n"
	    "  - - 1\n"
	    "    - 2\n"
	    "  - []\n"
	    "  - {}\n"
	    "  script: |\n"
	    "    #!/bin/sh\n"
	    "    echo hi\n",
	    "a Deployment is written as kubectl would");
	is_str(yaml_of_text("{\"a\":\"x\\ny\",\"b\":\"x\\n\\n\","
	    "\"c\":\" x\\n\",\"d\":\"\\n\",\"e\":\"x\\r\\ny\"}"),
	    "a: |-\n  x\n  y\n"
	    "b: |+\n  x\n\n"
	    "c: |2\n   x\n"
	    "d: \"\\n\"\n"
	    "e: \"x\\r\\ny\"\n",
	    "chomping, indentation indicators, and text kept double-quoted");
	is_str(yaml_of_text("[\"yes\",\"1.0\",\"0x1F\",\"\",\" x\",\"a: b\","
	    "\"#c\",\"1.2.3\",\"a:b\",\"caf\\u00e9\",\"tab\\tx\",\"\\u2028\","
	    "\"- x\",\"-x\",\"~\",\"~x\",\"\\u0000\"]"),
	    "- \"yes\"\n- \"1.0\"\n- \"0x1F\"\n- \"\"\n- \" x\"\n- \"a: b\"\n"
	    "- \"#c\"\n- 1.2.3\n- a:b\n- caf\xc3\xa9\n- \"tab\\tx\"\n"
	    "- \"\\L\"\n- \"- x\"\n- -x\n- \"~\"\n- ~x\n- \"\\0\"\n",
	    "strings are quoted only when they must be");
}

static void
test_long_key(void)
{
	struct buf k = BUF_INIT;
	json_t *v;
	size_t i;

	for (i = 0; i < 1500; i++)
		buf_addch(&k, (char)('a' + i % 26));
	v = json_object();
	json_object_set_new(v, k.s, json_string("v"));
	json_object_set_new(v, "short", json_integer(1));
	ok(round_trip(v, 0, 0), "a key of 1500 bytes reads back");
	json_object_set_new(v, k.s, json_pack("{s:[i,i]}", "n", 1, 2));
	ok(round_trip(v, 0, 0), "... with a mapping as its value");
	json_object_set_new(v, k.s, json_pack("[i,{s:i}]", 1, "x", 2));
	ok(round_trip(v, 0, 0), "... with a sequence as its value");
	json_object_set_new(v, k.s, json_string("text\nblock\n"));
	ok(round_trip(v, 0, 0), "... with a block scalar as its value");
	json_decref(v);
	buf_release(&k);
}

static void
test_refusals(void)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_t *v, *inner;
	int i;

	buf_adds(&out, "kept");
	v = json_pack("{s:o}", "k", json_stringn_nocheck("\xff\xfe", 2));
	ok(yamlout_write(&out, v, &err) < 0 && strcmp(out.s, "kept") == 0 &&
	    strstr(err.s, "UTF-8") != NULL,
	    "a string that is not UTF-8 is refused, out left as it was");
	json_decref(v);

	v = json_array();
	for (i = 1; i < 256; i++) {
		inner = json_array();
		json_array_append_new(inner, v);
		v = inner;
	}
	ok(round_trip(v, 0, 0), "256 levels of nesting read back");
	inner = json_array();
	json_array_append_new(inner, json_integer(1));
	json_array_append_new(inner, v);
	buf_reset(&err);
	ok(yamlout_write(&out, inner, &err) < 0 &&
	    strstr(err.s, "nesting") != NULL, "257 levels are refused");
	json_decref(inner);
	buf_release(&out);
	buf_release(&err);
}

int
main(void)
{
	test_tricky_strings();
	test_nul();
	test_fuzz();
	test_numbers();
	test_structure();
	test_long_key();
	test_refusals();
	buf_release(&yaml);
	return tap_done();
}
