/*
 * Unit tests of lib/yml: YAML typed as kubectl types it (go-yaml v2 and
 * sigs.k8s.io/yaml; docs/records.md (YAML to JSON) has the rules and their sources).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/mtime.h"
#include "lib/yml.h"
#include "tests/unit/tap.h"

static struct buf out = BUF_INIT;

/*
 * The JSON of the one document in yaml, or "error L:C: msg", in a buffer
 * that the next call reuses.
 */
static const char *
json_of(const char *yaml)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;

	buf_reset(&out);
	if (yml_parse_one(yaml, strlen(yaml), &doc, &err) < 0) {
		buf_addf(&out, "error %lu:%lu: %s", err.line, err.column,
		    err.msg);
		return out.s;
	}
	yml_to_json(&out, doc.root);
	yml_doc_release(&doc);
	return out.s;
}

/* The JSON of "v: <value>" without the {"v": } around it. */
static const char *
value_of(const char *value)
{
	struct buf y = BUF_INIT;
	const char *j;
	size_t n;

	buf_addf(&y, "v: %s\n", value);
	j = json_of(y.s);
	buf_release(&y);
	n = strlen(j);
	if (strncmp(j, "{\"v\":", 5) == 0 && n > 6) {
		memmove(out.s, out.s + 5, n - 6);
		buf_setlen(&out, n - 6);
	}
	return out.s;
}

struct pair {
	const char *in, *want;
};

static void
table(const char *what, const struct pair *t, size_t n)
{
	struct buf name = BUF_INIT;
	const char *c;
	size_t i;

	for (i = 0; i < n; i++) {
		/* a TAP description is one line */
		buf_reset(&name);
		for (c = t[i].in; *c; c++)
			if (*c == '\n')
				buf_adds(&name, "\\n");
			else
				buf_addch(&name, *c);
		is_str(value_of(t[i].in), t[i].want, "%s: %s", what, name.s);
	}
	buf_release(&name);
}

#define TABLE(what, t) table(what, t, sizeof(t) / sizeof(t[0]))

static void
test_nulls_and_bools(void)
{
	static const struct pair t[] = {
		{ "", "null" }, { "~", "null" }, { "null", "null" },
		{ "Null", "null" }, { "NULL", "null" }, { "nULL", "\"nULL\"" },
		{ "y", "true" }, { "Y", "true" }, { "yes", "true" },
		{ "Yes", "true" }, { "YES", "true" }, { "on", "true" },
		{ "On", "true" }, { "ON", "true" }, { "true", "true" },
		{ "True", "true" }, { "TRUE", "true" },
		{ "n", "false" }, { "N", "false" }, { "no", "false" },
		{ "No", "false" }, { "NO", "false" }, { "off", "false" },
		{ "Off", "false" }, { "OFF", "false" }, { "false", "false" },
		{ "False", "false" }, { "FALSE", "false" },
		{ "yEs", "\"yEs\"" }, { "tRUE", "\"tRUE\"" },
		{ "o", "\"o\"" }, { "nginx", "\"nginx\"" },
		{ "'yes'", "\"yes\"" }, { "\"null\"", "\"null\"" },
		{ "''", "\"\"" }
	};

	TABLE("null/bool", t);
}

static void
test_ints(void)
{
	static const struct pair t[] = {
		{ "0", "0" }, { "42", "42" }, { "-42", "-42" }, { "+42", "42" },
		{ "-0", "0" }, { "007", "7" }, { "017", "15" },
		{ "0o17", "15" }, { "0O17", "15" }, { "0x1F", "31" },
		{ "0X1f", "31" }, { "-0x10", "-16" }, { "+0x10", "16" },
		{ "0b101", "5" }, { "0B101", "5" }, { "-0b101", "-5" },
		{ "0b-101", "-5" }, { "1_000", "1000" }, { "1__0_", "10" },
		{ "0x_1F", "31" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "9223372036854775808" },
		{ "18446744073709551615", "18446744073709551615" },
		/* beyond 64 bits the digits stay (kubectl rounds them) */
		{ "18446744073709551616", "18446744073709551616" },
		{ "-99999999999999999999", "-99999999999999999999" },
		{ "+000123456789012345678901", "123456789012345678901" },
		{ "0x10000000000000000", "18446744073709551616" },
		{ "0b10000000000000000000000000000000000000000000000000000000000000000",
		    "18446744073709551616" },
		/* 8 and 9 are not octal: go-yaml reads a decimal float */
		{ "08", "8" }, { "0999", "999" }, { "-0999", "-999" },
		{ "0x", "\"0x\"" }, { "0o", "\"0o\"" }, { "0b", "\"0b\"" },
		{ "0xG", "\"0xG\"" }, { "1_0x", "\"1_0x\"" },
		{ "-0x10000000000000000", "\"-0x10000000000000000\"" },
		{ "1:20", "\"1:20\"" }, { "'42'", "\"42\"" },
		{ "\"0x1F\"", "\"0x1F\"" }, { "_1", "\"_1\"" }
	};

	TABLE("int", t);
}

static void
test_floats(void)
{
	static const struct pair t[] = {
		{ "1.0", "1" }, { "0.5", "0.5" }, { ".5", "0.5" },
		{ "-.5", "-0.5" }, { "+.5", "0.5" }, { "1.", "1" },
		{ "1e3", "1000" }, { "1E3", "1000" }, { "1e+3", "1000" },
		{ "2.5e-3", "0.0025" }, { "1_000.5", "1000.5" },
		{ ".5_5", "0.55" }, { "-0.0", "-0" }, { "0.0", "0" },
		{ "3.14159265358979", "3.14159265358979" },
		{ "0.1", "0.1" }, { "100000000000000000000.0",
		    "100000000000000000000" },
		/* Go's encoding/json: exponent form below 1e-6 and from 1e21 */
		{ "1e20", "100000000000000000000" }, { "1e21", "1e+21" },
		{ "1.5e300", "1.5e+300" }, { "0.000001", "0.000001" },
		{ "1e-7", "1e-7" }, { "1.5e-10", "1.5e-10" },
		{ "-1e-100", "-1e-100" }, { "6.02e23", "6.02e+23" },
		{ "123456789.125", "123456789.125" },
		{ "1e-400", "0" },
		/* no float: overflow, hex floats, inf and nan spelt otherwise */
		{ "1e400", "\"1e400\"" }, { "0x1p3", "\"0x1p3\"" },
		{ ".", "\".\"" }, { "._5", "\"._5\"" }, { "1.2.3", "\"1.2.3\"" },
		{ "inf", "\"inf\"" }, { "+inf", "\"+inf\"" }, { "nan", "\"nan\"" }, { "+.nan", "\"+.nan\"" },
		{ ".infinity", "\".infinity\"" }, { "1e", "\"1e\"" },
		{ "'1.5'", "\"1.5\"" }
	};

	TABLE("float", t);
	is_str(value_of(".inf"), "error 1:4: cannot write .inf as JSON",
	    "float: .inf is refused as a value");
	is_str(value_of("-.Inf"), "error 1:4: cannot write -.inf as JSON",
	    "float: -.Inf is refused as a value");
	is_str(value_of("[.NaN]"), "error 1:5: cannot write .nan as JSON",
	    "float: .NaN is refused in a sequence");
}

static void
test_strings(void)
{
	static const struct pair t[] = {
		/* timestamps stay strings (decode.go, into interface{}) */
		{ "2001-12-14", "\"2001-12-14\"" },
		{ "2001-12-14T21:59:43.10-05:00",
		    "\"2001-12-14T21:59:43.10-05:00\"" },
		{ "<<", "\"<<\"" }, { "-x", "\"-x\"" }, { "+", "\"+\"" },
		{ "a \"b\" \\ c", "\"a \\\"b\\\" \\\\ c\"" },
		{ "\"tab\\there\"", "\"tab\\there\"" },
		{ "\"\\u00e9\\u20ac\"", "\"\xc3\xa9\xe2\x82\xac\"" },
		{ "\"\\x01\"", "\"\\u0001\"" },
		{ "h\xc3\xa9", "\"h\xc3\xa9\"" }
	};

	TABLE("string", t);
}

static void
test_tags(void)
{
	static const struct pair t[] = {
		{ "!!str 12", "\"12\"" }, { "!!str yes", "\"yes\"" },
		{ "!!str", "\"\"" }, { "!!int \"12\"", "12" },
		{ "!!int '0x1F'", "31" }, { "!!float 1", "1" },
		{ "!!float \"0x10\"", "16" }, { "!!float 2.5", "2.5" },
		{ "!!bool \"yes\"", "true" }, { "!!null ''", "null" },
		{ "!!null ~", "null" },
		{ "!!timestamp 2001-12-14", "\"2001-12-14\"" },
		{ "!!timestamp 2001-12-14t21:59:43Z", "\"2001-12-14t21:59:43Z\"" },
		{ "!!binary aGVsbG8=", "\"hello\"" },
		{ "!!binary |\n  aGVs\n  bG8=\n", "\"hello\"" },
		{ "!!binary \"\"", "\"\"" },
		/* bytes that are not UTF-8 become U+FFFD, as in json.Marshal */
		{ "!!binary /w==", "\"\xef\xbf\xbd\"" },
		/* unknown tags: the scalar's text, as go-yaml v2 gives it */
		{ "!Ref foo", "\"foo\"" }, { "!Ref 12", "\"12\"" },
		{ "!!python/foo bar", "\"bar\"" }, { "! 12", "\"12\"" },
		{ "!!map x", "\"x\"" },
		/* tags on collections are not looked at */
		{ "!!map {a: 1}", "{\"a\":1}" }, { "!!seq [1]", "[1]" },
		{ "!!str {a: 1}", "{\"a\":1}" }, { "!GetAtt [a, b]",
		    "[\"a\",\"b\"]" },
		{ "!<tag:yaml.org,2002:int> '7'", "7" }
	};
	static const struct pair bad[] = {
		{ "!!int abc", "error 1:4: cannot decode !!str `abc` as a !!int" },
		{ "!!int 1.5", "error 1:4: cannot decode !!float `1.5` as a !!int" },
		{ "!!int ~", "error 1:4: cannot decode !!null `~` as a !!int" },
		{ "!!bool 1", "error 1:4: cannot decode !!int `1` as a !!bool" },
		{ "!!null 0", "error 1:4: cannot decode !!int `0` as a !!null" },
		{ "!!float abc",
		    "error 1:4: cannot decode !!str `abc` as a !!float" },
		{ "!!float 18446744073709551615",
		    "error 1:4: cannot decode !!int `18446744073709551615` as a "
		    "!!float" },
		{ "!!timestamp 12",
		    "error 1:4: cannot decode !!int `12` as a !!timestamp" },
		{ "!!timestamp 2001-02-30",
		    "error 1:4: cannot decode !!str `2001-02-30` as a !!timestamp" },
		{ "!!binary \"a!==\"",
		    "error 1:4: !!binary value contains invalid base64 data" },
		{ "!!binary aGVsbG8",
		    "error 1:4: !!binary value contains invalid base64 data" },
		{ "!!int aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "error 1:4: cannot decode !!str `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaa...` as a !!int" }
	};

	TABLE("tag", t);
	TABLE("tag", bad);
}

static void
test_keys(void)
{
	static const struct pair t[] = {
		{ "{a: 1}", "{\"a\":1}" }, { "{1: a}", "{\"1\":\"a\"}" },
		{ "{0x1F: a}", "{\"31\":\"a\"}" }, { "{-1: a}", "{\"-1\":\"a\"}" },
		{ "{yes: a, off: b}", "{\"true\":\"a\",\"false\":\"b\"}" },
		{ "{'yes': a}", "{\"yes\":\"a\"}" },
		/* floats: strconv.FormatFloat(f, 'g', -1, 32) */
		{ "{1.5: a}", "{\"1.5\":\"a\"}" }, { "{1.0: a}", "{\"1\":\"a\"}" },
		{ "{0.1: a}", "{\"0.1\":\"a\"}" },
		{ "{3.14159265358979: a}", "{\"3.1415927\":\"a\"}" },
		{ "{1e6: a}", "{\"1e+06\":\"a\"}" },
		{ "{123456.0: a}", "{\"123456\":\"a\"}" },
		{ "{0.0001: a}", "{\"0.0001\":\"a\"}" },
		{ "{1e-5: a}", "{\"1e-05\":\"a\"}" },
		{ "{1e300: a}", "{\".inf\":\"a\"}" },
		{ "{.inf: a, -.inf: b, .nan: c}",
		    "{\".inf\":\"a\",\"-.inf\":\"b\",\".nan\":\"c\"}" },
		{ "{99999999999999999999: a}", "{\"1e+20\":\"a\"}" },
		{ "{2001-12-14: a}", "{\"2001-12-14\":\"a\"}" },
		{ "{!!binary aGk=: a}", "{\"hi\":\"a\"}" },
		{ "{!!str 1: a}", "{\"1\":\"a\"}" },
		{ "{\"a\\nb\": 1}", "{\"a\\nb\":1}" }
	};
	static const struct pair bad[] = {
		{ "{~: a}", "error 1:5: a null cannot be a mapping key in JSON" },
		{ "{null: a}",
		    "error 1:5: a null cannot be a mapping key in JSON" },
		{ "{18446744073709551615: a}",
		    "error 1:5: a uint64 cannot be a mapping key in JSON" },
		{ "{0x10000000000000000: a}",
		    "error 1:5: a *big.Int cannot be a mapping key in JSON" },
		{ "{[a]: b}",
		    "error 1:5: a sequence cannot be a mapping key in JSON" },
		{ "{{a: 1}: b}",
		    "error 1:5: a mapping cannot be a mapping key in JSON" },
		{ "{&k [a]: b}",
		    "error 1:5: a sequence cannot be a mapping key in JSON" }
	};

	TABLE("key", t);
	TABLE("key", bad);
	is_str(json_of("a: &k 7\n*k : b\n"), "{\"a\":7,\"7\":\"b\"}",
	    "key: an alias of an int");
	is_str(json_of("a: &k [1]\n*k : b\n"),
	    "error 2:1: a sequence cannot be a mapping key in JSON",
	    "key: an alias of a sequence");
	is_str(json_of("&k .inf : 1\nb: *k\n"),
	    "error 2:4: cannot write .inf as JSON",
	    "key: .inf anchored as a key is refused as a value");
}

static void
test_duplicates(void)
{
	struct buf y = BUF_INIT;
	int i;

	is_str(json_of("a: 1\nb: 2\na: 3\n"),
	    "error 3:1: duplicate key 'a' (first at line 1)",
	    "duplicate: names the second and the first");
	is_str(json_of("x:\n  true: 1\n  yes: 2\n"),
	    "error 3:3: duplicate key 'true' (first at line 2)",
	    "duplicate: after conversion (yes and true)");
	is_str(json_of("{1: a, '1': b}"),
	    "error 1:8: duplicate key '1' (first at line 1)",
	    "duplicate: 1 and '1' are one JSON key");
	is_str(json_of("a: 1\nb: {a: 1}\nc: [{a: 1}, {a: 2}]\n"),
	    "{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}",
	    "duplicate: the same key in other mappings is fine");
	/* a ConfigMap of hundreds of keys: the hashed index */
	buf_adds(&y, "data:\n");
	for (i = 0; i < 500; i++)
		buf_addf(&y, "  key.%d: v%d\n", i, i);
	ok(strncmp(json_of(y.s), "{\"data\":{\"key.0\":\"v0\",", 21) == 0,
	    "duplicate: 500 distinct keys are fine");
	buf_addf(&y, "  key.%d: again\n", 137);
	is_str(json_of(y.s),
	    "error 502:3: duplicate key 'key.137' (first at line 139)",
	    "duplicate: found among 500 keys");
	buf_release(&y);
}

static void
test_anchors(void)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;
	const char *y = "a: &x {k: v}\nb: *x\nc: &s str\nd: *s\n";

	is_str(json_of(y), "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"},"
	    "\"c\":\"str\",\"d\":\"str\"}", "alias: expands");
	ok(yml_parse_one(y, strlen(y), &doc, &err) == 0 &&
	    yml_get(doc.root, "a") == yml_get(doc.root, "b") &&
	    yml_get(doc.root, "c") == yml_get(doc.root, "d"),
	    "alias: shares the anchored node");
	yml_doc_release(&doc);
	is_str(json_of("a: *nope\n"),
	    "error 1:4: unknown anchor 'nope' referenced",
	    "alias: undefined is an error");
	is_str(json_of("a: &x [1, *x]\n"),
	    "error 1:11: anchor 'x' value contains itself",
	    "alias: inside its own anchor");
	is_str(json_of("a: &x 1\nb: &x 2\nc: *x\n"),
	    "{\"a\":1,\"b\":2,\"c\":2}", "alias: the latest anchor wins");
	is_str(json_of("- &x [&x 1]\n- *x\n"), "[[1],1]",
	    "alias: an inner anchor hides the outer one");
	is_str(json_of("a: &x 1\n---\nb: *x\n"),
	    "error 2:1: expected one YAML document, found another",
	    "yml_parse_one: a second document is an error");
	is_str(json_of("a: &x 1\n"), "{\"a\":1}", "alias: anchors end with "
	    "their document");
}

static void
test_merges(void)
{
	static const struct pair t[] = {
		{ "{<<: {a: 1, b: 2}, c: 3}", "{\"a\":1,\"b\":2,\"c\":3}" },
		/* a key after "<<" wins, and stands where it is written */
		{ "{<<: {a: 1, b: 2}, a: 9}", "{\"b\":2,\"a\":9}" },
		/* go-yaml v2: a key before "<<" is overridden by it */
		{ "{a: 9, <<: {a: 1, b: 2}}", "{\"a\":1,\"b\":2}" },
		/* in a sequence of maps, earlier maps win */
		{ "{<<: [{a: 1}, {a: 2, b: 2}]}", "{\"a\":1,\"b\":2}" },
		/* a later "<<" overrides an earlier one */
		{ "{<<: {a: 1}, <<: {a: 2}}", "{\"a\":2}" },
		{ "{\"<<\": 1}", "{\"<<\":1}" }, { "{!!str <<: 1}", "{\"<<\":1}" },
		{ "{!!merge <<: {a: 1}}", "{\"a\":1}" },
		{ "{<<: {<<: {a: 1}, b: 2}}", "{\"a\":1,\"b\":2}" }
	};
	static const struct pair bad[] = {
		{ "{<<: 1}",
		    "error 1:9: map merge requires map or sequence of maps as the "
		    "value" },
		{ "{<<: [{a: 1}, 2]}",
		    "error 1:9: map merge requires map or sequence of maps as the "
		    "value" },
		{ "{<<: ~}",
		    "error 1:9: map merge requires map or sequence of maps as the "
		    "value" },
		{ "{a: 1, <<: {a: 2}, a: 3}",
		    "error 1:23: duplicate key 'a' (first at line 1)" }
	};

	TABLE("merge", t);
	TABLE("merge", bad);
	is_str(json_of("base: &b {image: x, port: 80}\n"
	    "web:\n  name: web\n  <<: *b\n  port: 8080\n"),
	    "{\"base\":{\"image\":\"x\",\"port\":80},"
	    "\"web\":{\"name\":\"web\",\"image\":\"x\",\"port\":8080}}",
	    "merge: of an alias, in document order");
	is_str(json_of("a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc: {<<: [*a, *b]}\n"),
	    "{\"a\":{\"x\":1},\"b\":{\"x\":2,\"z\":2},\"c\":{\"x\":1,\"z\":2}}",
	    "merge: sequence of aliases, earlier wins");
	is_str(json_of("a: &a [1]\nc: {<<: *a}\n"),
	    "error 2:9: map merge requires map or sequence of maps as the "
	    "value", "merge: an alias of a sequence is refused");
}

static void
test_limits(void)
{
	static const char bomb[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct yml_limits lim = yml_default_limits;
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;
	struct yml_parser *p;
	struct buf y = BUF_INIT;
	double t;
	int i, r;

	t = mtime_now();
	is_str(json_of(bomb), "error 7:23: document has more than 4194304 "
	    "nodes once aliases are expanded", "limits: billion laughs refused");
	t = mtime_now() - t;
	ok(t < 0.5, "limits: refused in %.3f s", t);

	lim.max_nodes = 100;
	p = yml_parser_new(bomb, sizeof(bomb) - 1, &lim);
	r = yml_parser_next(p, &doc, &err);
	ok(r < 0 && err.line == 2 && err.column == 32 &&
	    strstr(err.msg, "once aliases are expanded"),
	    "limits: max_nodes names the alias (%lu:%lu %s)", err.line,
	    err.column, err.msg);
	memset(&err, 0, sizeof(err));
	r = yml_parser_next(p, &doc, &err);
	ok(r < 0 && err.line == 2 && err.column == 32,
	    "limits: the parser stays failed");
	yml_parser_free(p);

	lim = yml_default_limits;
	lim.max_bytes = 1000;
	buf_adds(&y, "a: &a \"");
	for (i = 0; i < 300; i++)
		buf_addch(&y, 'x');
	buf_adds(&y, "\"\nb: [*a, *a, *a, *a]\n");
	p = yml_parser_new(y.s, y.len, &lim);
	r = yml_parser_next(p, &doc, &err);
	ok(r < 0 && err.line == 2 && err.column == 13 &&
	    strstr(err.msg, "more than 1000 bytes"),
	    "limits: max_bytes (%lu:%lu %s)", err.line, err.column, err.msg);
	yml_parser_free(p);

	buf_reset(&y);
	buf_adds(&y, "a: ");
	for (i = 0; i < 300; i++)
		buf_addch(&y, '[');
	for (i = 0; i < 300; i++)
		buf_addch(&y, ']');
	is_str(json_of(y.s), "error 1:259: nesting deeper than 256 levels",
	    "limits: depth");
	lim = yml_default_limits;
	lim.max_depth = 4;
	p = yml_parser_new("a: &a [[1]]\nb: [[*a]]\n", 22, &lim);
	r = yml_parser_next(p, &doc, &err);
	ok(r < 0 && err.line == 2 &&
	    err.column == 6 && strstr(err.msg, "once aliases are expanded"),
	    "limits: depth counts what an alias expands to (%lu:%lu %s)",
	    err.line, err.column, err.msg);
	yml_parser_free(p);
	p = yml_parser_new("a: &a [[1]]\nb: [*a]\n", 20, &lim);
	ok(yml_parser_next(p, &doc, &err) == 1, "limits: depth 4 fits");
	yml_doc_release(&doc);
	yml_parser_free(p);
	buf_release(&y);
}

static void
test_block_scalars(void)
{
	static const char y[] =
	    "clip: |\n  a\n   b\n\n\n"
	    "strip: |-\n  a\n\n"
	    "keep: |+\n  a\n\n\n"
	    "fold: >\n  a\n  b\n\n  c\n    d\n  e\n"
	    "foldstrip: >-\n  a\n  b\n\n"
	    "indent: |2\n    x\n  y\n"
	    "tabs: |\n  a\tb \n"
	    "last: |+\n  z\n";
	static const struct pair want[] = {
		{ "clip", "a\n b\n" }, { "strip", "a" },
		{ "keep", "a\n\n\n" }, { "fold", "a b\nc\n  d\ne\n" },
		{ "foldstrip", "a b" }, { "indent", "  x\ny\n" },
		{ "tabs", "a\tb \n" }, { "last", "z\n" }
	};
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;
	const char *s;
	size_t i, n;

	ok(yml_parse_one(y, sizeof(y) - 1, &doc, &err) == 0,
	    "block: parses");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		s = yml_get_str(doc.root, want[i].in);
		yml_str(yml_get(doc.root, want[i].in), &n);
		ok(s && n == strlen(want[i].want) &&
		    memcmp(s, want[i].want, n) == 0,
		    "block: %s is exact to the byte", want[i].in);
	}
	yml_doc_release(&doc);
	is_str(json_of("a: |\n  x\n  y\n"), "{\"a\":\"x\\ny\\n\"}",
	    "block: as JSON");
}

static void
test_documents(void)
{
	static const char y[] =
	    "# leading comment\n"
	    "a: 1\n"
	    "---\n"
	    "---\n"
	    "# only a comment\n"
	    "--- null\n"
	    "...\n"
	    "---\n"
	    "- x\n";
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;
	struct yml_parser *p;
	int r, n;

	p = yml_parser_new(y, sizeof(y) - 1, NULL);
	r = yml_parser_next(p, &doc, &err);
	ok(r == 1 && yml_type(doc.root) == YML_MAP && doc.line == 2,
	    "docs: the first (line %lu)", doc.line);
	r = yml_parser_next(p, &doc, &err);
	ok(r == 1 && doc.root == NULL && doc.line == 3,
	    "docs: an empty document has no root");
	r = yml_parser_next(p, &doc, &err);
	ok(r == 1 && doc.root == NULL && doc.line == 4,
	    "docs: a comment-only document has no root");
	r = yml_parser_next(p, &doc, &err);
	ok(r == 1 && doc.root != NULL && yml_type(doc.root) == YML_NULL,
	    "docs: an explicit null is a null root");
	r = yml_parser_next(p, &doc, &err);
	ok(r == 1 && yml_type(doc.root) == YML_SEQ && yml_len(doc.root) == 1 &&
	    strcmp(yml_str(yml_at(doc.root, 0), NULL), "x") == 0,
	    "docs: after '...'");
	ok(yml_parser_next(p, &doc, &err) == 0 && doc.root == NULL,
	    "docs: then the end");
	ok(yml_parser_next(p, &doc, &err) == 0, "docs: the end stays");
	yml_doc_release(&doc);
	yml_parser_free(p);

	for (n = 0; n < 3; n++) {
		static const char *const empty[] = { "", "# c\n# d\n", "\n\n" };

		p = yml_parser_new(empty[n], strlen(empty[n]), NULL);
		ok(yml_parser_next(p, &doc, &err) == 0,
		    "docs: no document in '%s'", n == 0 ? "" : n == 1 ?
		    "comments" : "blank lines");
		yml_parser_free(p);
	}
	ok(yml_parse_one("", 0, &doc, &err) == 0 && doc.root == NULL,
	    "yml_parse_one: empty input");
	ok(yml_parse_one("---\n", 4, &doc, &err) == 0 && doc.root == NULL,
	    "yml_parse_one: one empty document");
	yml_doc_release(&doc);

	/* the caller's doc is released by the next call, its arena reused */
	p = yml_parser_new("a: 1\n---\nb: 2\n---\nc: [\n", 23, NULL);
	n = 0;
	memset(&err, 0, sizeof(err));
	while ((r = yml_parser_next(p, &doc, &err)) > 0)
		n++;
	ok(n == 2 && r < 0 && err.line == 6 && err.column == 1,
	    "docs: two, then a syntax error at %lu:%lu (%s)", err.line,
	    err.column, err.msg);
	ok(doc.root == NULL && doc.arena == NULL,
	    "docs: nothing is held after an error");
	yml_parser_free(p);
}

static void
test_syntax_errors(void)
{
	static const struct pair t[] = {
		{ "a: b: c\n",
		    "error 1:5: mapping values are not allowed in this context" },
		{ "a:\n\tb: 1\n",
		    "error 2:1: found character that cannot start any token "
		    "(while scanning for the next token at line 2, column 1)" },
		{ "a: [1, 2\n",
		    "error 2:1: did not find expected ',' or ']' (while parsing "
		    "a flow sequence at line 1, column 4)" },
		{ "a: 'x\n",
		    "error 2:1: found unexpected end of stream (while scanning a "
		    "quoted scalar at line 1, column 4)" },
		{ "a: 1\n b: 2\n",
		    "error 2:3: mapping values are not allowed in this context" },
		{ "a: \"\\ud800\"\n",
		    "error 1:7: found invalid Unicode character escape code "
		    "(while parsing a quoted scalar at line 1, column 4)" }
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(json_of(t[i].in), t[i].want, "syntax: error %zu", i);
}

static void
test_utf8(void)
{
	is_str(json_of("a: \"\xff\"\n"),
	    "error 1:5: invalid leading UTF-8 octet (byte 0xff)",
	    "utf-8: invalid input is refused with its place");
	is_str(json_of("a: 1\nb: x\xc3(\n"),
	    "error 2:6: invalid trailing UTF-8 octet (byte 0x28)",
	    "utf-8: a broken sequence on line 2");
	is_str(json_of("\xef\xbb\xbf" "a: \xe2\x82\xac\n"),
	    "{\"a\":\"\xe2\x82\xac\"}", "utf-8: a BOM, and valid UTF-8 kept");
	is_str(json_of("a: !!binary gA==\n"), "{\"a\":\"\xef\xbf\xbd\"}",
	    "utf-8: decoded !!binary that is not UTF-8 becomes U+FFFD");
}

static void
test_access(void)
{
	static const char y[] =
	    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
	    "  labels: {a: b}\ndata:\n  num: 0x1F\n  s: text\n  l: [1, two]\n";
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error err;
	struct yml_node *meta, *data;
	const char *k;
	size_t n;

	ok(yml_parse_one(y, sizeof(y) - 1, &doc, &err) == 0, "access: parses");
	is_str(yml_get_str(doc.root, "kind"), "ConfigMap", "yml_get_str");
	meta = yml_get(doc.root, "metadata");
	ok(yml_type(meta) == YML_MAP && yml_len(meta) == 2 &&
	    yml_line(meta) == 4 && yml_column(meta) == 3,
	    "yml_get: a mapping, with its place");
	ok(yml_get(doc.root, "nope") == NULL && yml_get(NULL, "a") == NULL &&
	    yml_get_str(meta, "labels") == NULL,
	    "yml_get: NULL for missing keys and non-strings");
	data = yml_get(doc.root, "data");
	is_str(yml_scalar_json(yml_get(data, "num")), "31", "yml_scalar_json: int");
	ok(yml_type(yml_get(data, "num")) == YML_INT &&
	    yml_str(yml_get(data, "num"), NULL) == NULL,
	    "yml_str: NULL for an int");
	is_str(yml_scalar_json(yml_get(data, "s")), "\"text\"",
	    "yml_scalar_json: a string, quoted");
	is_str(yml_scalar_json(yml_get(data, "s")), "\"text\"",
	    "yml_scalar_json: again");
	ok(yml_scalar_json(yml_get(data, "l")) == NULL,
	    "yml_scalar_json: NULL for a sequence");
	ok(yml_len(yml_get(data, "l")) == 2 &&
	    yml_type(yml_at(yml_get(data, "l"), 0)) == YML_INT &&
	    yml_at(yml_get(data, "l"), 2) == NULL, "yml_at");
	k = yml_key_at(data, 2, &n);
	ok(k && n == 1 && strcmp(k, "l") == 0 &&
	    yml_value_at(data, 2) == yml_get(data, "l") &&
	    yml_key_at(data, 3, NULL) == NULL, "yml_key_at, yml_value_at");

	yml_map_set_str(&doc, meta, "name", "renamed");
	yml_map_set_str(&doc, meta, "namespace", "team-a");
	buf_reset(&out);
	yml_to_json(&out, meta);
	is_str(out.s, "{\"name\":\"renamed\",\"labels\":{\"a\":\"b\"},"
	    "\"namespace\":\"team-a\"}",
	    "yml_map_set_str: replaces in place, appends at the end");
	is_str(yml_get_str(meta, "namespace"), "team-a",
	    "yml_map_set_str: yml_get finds it");
	is_str(yml_scalar_json(yml_get(meta, "namespace")), "\"team-a\"",
	    "yml_map_set_str: a string like the others");
	yml_doc_release(&doc);

	buf_reset(&out);
	yml_to_json(&out, NULL);
	is_str(out.s, "null", "yml_to_json: NULL is null");
	ok(yml_type(NULL) == YML_NULL && yml_len(NULL) == 0 &&
	    yml_line(NULL) == 0, "accessors take NULL");
}

static void
test_json(void)
{
	is_str(json_of("# c\nkind: Deployment  # c\nspec:\n  replicas: 3\n"
	    "  template:\n    containers:\n    - name: app\n      ports:\n"
	    "      - containerPort: 8080\n      env: []\n      x: {}\n"),
	    "{\"kind\":\"Deployment\",\"spec\":{\"replicas\":3,\"template\":"
	    "{\"containers\":[{\"name\":\"app\",\"ports\":[{\"containerPort\":"
	    "8080}],\"env\":[],\"x\":{}}]}}}",
	    "json: compact, document order");
	is_str(json_of("\"ctl\\x7f\\x1f\\\\/\": \"\\b\\f\\r\\0\""),
	    "{\"ctl\x7f\\u001f\\\\/\":\"\\b\\f\\r\\u0000\"}",
	    "json: escapes in keys and values");
	is_str(json_of("- 0.30000000000000004\n- 1.7976931348623157e308\n"
	    "- 5e-324\n- 0.1e1\n- 100e-2\n- 12345678901234567890.5\n"),
	    "[0.30000000000000004,1.7976931348623157e+308,5e-324,1,1,"
	    "12345678901234567000]", "json: floats as Go writes float64");
	is_str(json_of("[a, [b, [c]], {d: {e: f}}]"),
	    "[\"a\",[\"b\",[\"c\"]],{\"d\":{\"e\":\"f\"}}]", "json: nesting");
}

int
main(void)
{
	test_nulls_and_bools();
	test_ints();
	test_floats();
	test_strings();
	test_tags();
	test_keys();
	test_duplicates();
	test_anchors();
	test_merges();
	test_limits();
	test_block_scalars();
	test_documents();
	test_syntax_errors();
	test_utf8();
	test_access();
	test_json();
	buf_release(&out);
	return tap_done();
}
