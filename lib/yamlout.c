#include "lib/yamlout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/yml.h"
#include "lib/banned.h"

/*
 * Written by hand rather than with libyaml's emitter: the emitter picks
 * plain style by YAML 1.1's syntax alone, not by the typing kubectl
 * applies afterwards, so it would write "yes" and "0x1F" plain and they
 * would read back as true and 31. Here every style decision is ours, and
 * the typing question is put to lib/yml itself (reads_back_as_string), so
 * the two cannot disagree.
 */

/* libyaml gives up on a simple key longer than 1024 characters */
#define MAX_SIMPLE_KEY 1000

enum style {
	STYLE_PLAIN,
	STYLE_DOUBLE,
	STYLE_LITERAL
};

struct out {
	struct buf *b;
	struct buf *err;
	unsigned depth;
};

/*
 * The code point at s[*i] (advancing *i), or -1 if the bytes there are not
 * UTF-8 (overlong forms and surrogates included).
 */
static long
next_cp(const char *str, size_t n, size_t *i)
{
	const unsigned char *s = (const unsigned char *)str + *i;
	size_t left = n - *i, k, len;
	long cp, min;

	if (s[0] < 0x80) {
		(*i)++;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (left < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += len;
	return cp;
}

/*
 * Can cp stand as it is in a plain or block scalar? YAML's printable set,
 * less the byte order mark and the line breaks YAML 1.1 knows besides \n
 * (NEL, LS, PS), which a reader would turn into \n.
 */
static int
printable(long cp)
{
	if (cp >= 0x20 && cp <= 0x7e)
		return 1;
	if (cp < 0xa0)
		return 0;
	if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
		return 0;
	if (cp <= 0xd7ff)
		return 1;
	if (cp >= 0xe000 && cp <= 0xfffd)
		return 1;
	return cp >= 0x10000 && cp <= 0x10ffff;
}

/* go-yaml v2's resolve table: the words that are not strings when plain */
static int
is_word(const char *s, size_t n)
{
	static const char *const words[] = {
		"~", "null", "Null", "NULL",
		"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
		"on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE",
		"off", "Off", "OFF",
		".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

/*
 * Does lib/yml read s, written plain on its own, as the string s? Asked
 * only of strings that start like a number, where the typing rules
 * (ints, floats, underscores, 0x, 0o, 0b, sexagesimal-looking text) are
 * too many to copy here.
 */
static int
reads_back_as_string(const char *s, size_t n)
{
	struct yml_doc doc = YML_DOC_INIT;
	struct yml_error e;
	const char *got;
	size_t len;
	int same = 0;

	if (yml_parse_one(s, n, &doc, &e) == 0) {
		got = yml_str(doc.root, &len);
		same = got != NULL && len == n && memcmp(got, s, n) == 0;
	}
	yml_doc_release(&doc);
	return same;
}

/* May s (one line, printable, no tab) be written plain? */
static int
plain_ok(const char *s, size_t n)
{
	size_t i;

	if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
		return 0;
	if (strchr("!&*|>'\"%@`{}[],#", s[0]))
		return 0;
	if (strchr("-?:", s[0]) && (n == 1 || s[1] == ' '))
		return 0;
	/* document markers, if this is the whole document */
	if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		return 0;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] == ':' && s[i + 1] == ' ')
			return 0;
		if (s[i] == ' ' && s[i + 1] == '#')
			return 0;
	}
	if (is_word(s, n))
		return 0;
	if (strchr("0123456789+-.", s[0]))
		return reads_back_as_string(s, n);
	return 1;
}

/*
 * The style for s: 0 with *style set, or -1 (with err) if s is not UTF-8.
 */
static int
choose_style(struct out *o, const char *s, size_t n, int key,
    enum style *style)
{
	size_t i = 0, body;
	int nl = 0, tab = 0, escape = 0;
	long cp;

	while (i < n) {
		cp = next_cp(s, n, &i);
		if (cp < 0) {
			buf_adds(o->err, "a string is not valid UTF-8");
			return -1;
		}
		if (cp == '\n')
			nl = 1;
		else if (cp == '\t')
			tab = 1;
		else if (!printable(cp))
			escape = 1;
	}
	*style = STYLE_DOUBLE;
	if (n == 0 || escape)
		return 0;
	if (nl) {
		/* a block scalar needs a line with something on it */
		for (body = n; body > 0 && s[body - 1] == '\n'; body--)
			;
		if (!key && body > 0)
			*style = STYLE_LITERAL;
		return 0;
	}
	if (!tab && plain_ok(s, n))
		*style = STYLE_PLAIN;
	return 0;
}

static void
add_indent(struct buf *b, unsigned indent)
{
	unsigned i;

	for (i = 0; i < indent; i++)
		buf_addch(b, ' ');
}

static void
add_double(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, start;
	long cp;

	buf_addch(b, '"');
	while (i < n) {
		start = i;
		cp = next_cp(s, n, &i);
		switch (cp) {
		case '"': buf_adds(b, "\\\""); continue;
		case '\\': buf_adds(b, "\\\\"); continue;
		case 0: buf_adds(b, "\\0"); continue;
		case '\a': buf_adds(b, "\\a"); continue;
		case '\b': buf_adds(b, "\\b"); continue;
		case '\t': buf_adds(b, "\\t"); continue;
		case '\n': buf_adds(b, "\\n"); continue;
		case '\v': buf_adds(b, "\\v"); continue;
		case '\f': buf_adds(b, "\\f"); continue;
		case '\r': buf_adds(b, "\\r"); continue;
		case 0x1b: buf_adds(b, "\\e"); continue;
		case 0x85: buf_adds(b, "\\N"); continue;
		case 0x2028: buf_adds(b, "\\L"); continue;
		case 0x2029: buf_adds(b, "\\P"); continue;
		}
		if (printable(cp)) {
			buf_add(b, s + start, i - start);
		} else if (cp <= 0xff) {
			buf_adds(b, "\\x");
			buf_addch(b, hex[cp >> 4]);
			buf_addch(b, hex[cp & 15]);
		} else {
			buf_addf(b, "\\u%04lX", (unsigned long)cp);
		}
	}
	buf_addch(b, '"');
}

/*
 * s as a literal block scalar whose lines are indented by indent, after
 * the "|" that the cursor is at. body is s without its final line breaks.
 */
static void
add_literal(struct buf *b, const char *s, size_t n, unsigned indent)
{
	size_t body, trail, i, eol;

	for (body = n; body > 0 && s[body - 1] == '\n'; body--)
		;
	trail = n - body;
	buf_addch(b, '|');
	/*
	 * libyaml finds the indentation from the first line's spaces, and
	 * a tab there is an error: say it (2 in from the parent)
	 */
	if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		buf_addch(b, '2');
	if (trail == 0)
		buf_addch(b, '-');
	else if (trail > 1)
		buf_addch(b, '+');
	buf_addch(b, '\n');
	for (i = 0; i <= body; i = eol + 1) {
		for (eol = i; eol < body && s[eol] != '\n'; eol++)
			;
		if (eol > i) {
			add_indent(b, indent);
			buf_add(b, s + i, eol - i);
		}
		buf_addch(b, '\n');
		if (eol == body)
			break;
	}
	for (i = 1; i < trail; i++)
		buf_addch(b, '\n');
}

/* s in the style it needs (*style, may be NULL), block lines at indent */
static int
add_string(struct out *o, const char *s, size_t n, int key, unsigned indent,
    enum style *style)
{
	enum style st;

	if (choose_style(o, s, n, key, &st) < 0)
		return -1;
	if (st == STYLE_PLAIN)
		buf_add(o->b, s, n);
	else if (st == STYLE_LITERAL)
		add_literal(o->b, s, n, indent);
	else
		add_double(o->b, s, n);
	if (style)
		*style = st;
	return 0;
}

/* The fewest significant digits that read back as v, always a real. */
static void
add_real(struct buf *b, double v)
{
	char tmp[40];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
	buf_adds(b, tmp);
	if (strpbrk(tmp, ".e") == NULL)
		buf_adds(b, ".0");
}

static int add_map(struct out *o, json_t *obj, unsigned indent, int inline1);
static int add_seq(struct out *o, json_t *arr, unsigned indent, int inline1);

static int
deeper(struct out *o)
{
	if (++o->depth > yml_default_limits.max_depth) {
		buf_addf(o->err, "nesting deeper than %u levels",
		    yml_default_limits.max_depth);
		return -1;
	}
	return 0;
}

/*
 * A scalar or an empty collection at the cursor, then the line's end. A
 * block scalar's lines go at indent + 2.
 */
static int
add_scalar(struct out *o, const json_t *v, unsigned indent)
{
	struct buf *b = o->b;
	enum style style;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		/* {} and [] are as deep as any collection to a reader */
		if (deeper(o) < 0)
			return -1;
		o->depth--;
		buf_adds(b, json_is_object(v) ? "{}" : "[]");
		break;
	case JSON_STRING:
		if (add_string(o, json_string_value(v), json_string_length(v),
		    0, indent + 2, &style) < 0)
			return -1;
		if (style == STYLE_LITERAL)
			return 0;	/* it ended its lines */
		break;
	case JSON_INTEGER:
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		add_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	case JSON_NULL:
		buf_adds(b, "null");
		break;
	}
	buf_addch(b, '\n');
	return 0;
}

static int
nonempty(const json_t *v, int *is_map)
{
	*is_map = json_is_object(v);
	if (*is_map)
		return json_object_size(v) > 0;
	return json_is_array(v) && json_array_size(v) > 0;
}

/* v after "key:" (no space yet), the key at indent. */
static int
add_value(struct out *o, json_t *v, unsigned indent)
{
	int map;

	if (!nonempty(v, &map)) {
		buf_addch(o->b, ' ');
		return add_scalar(o, v, indent);
	}
	buf_addch(o->b, '\n');
	if (map)
		return add_map(o, v, indent + 2, 0);
	/* a sequence in a mapping sits at its key's indentation (kubectl) */
	return add_seq(o, v, indent, 0);
}

static int
add_key(struct out *o, const char *k, size_t n, unsigned indent)
{
	size_t start = o->b->len;
	struct buf key = BUF_INIT;

	if (add_string(o, k, n, 1, indent, NULL) < 0)
		return -1;
	if (o->b->len - start <= MAX_SIMPLE_KEY)
		return 0;
	buf_add(&key, o->b->s + start, o->b->len - start);
	buf_setlen(o->b, start);
	buf_adds(o->b, "? ");
	buf_add(o->b, key.s, key.len);
	buf_addch(o->b, '\n');
	add_indent(o->b, indent);
	buf_release(&key);
	return 0;
}

/*
 * A non-empty mapping with its keys at indent; inline1: the cursor is
 * already there (after "- "), so the first key needs no indentation.
 */
static int
add_map(struct out *o, json_t *obj, unsigned indent, int inline1)
{
	void *it;
	int first = 1;

	if (deeper(o) < 0)
		return -1;
	for (it = json_object_iter(obj); it != NULL;
	    it = json_object_iter_next(obj, it)) {
		if (!first || !inline1)
			add_indent(o->b, indent);
		first = 0;
		if (add_key(o, json_object_iter_key(it),
		    json_object_iter_key_len(it), indent) < 0)
			return -1;
		buf_addch(o->b, ':');
		if (add_value(o, json_object_iter_value(it), indent) < 0)
			return -1;
	}
	o->depth--;
	return 0;
}

/* A non-empty sequence with its dashes at indent; inline1 as add_map's. */
static int
add_seq(struct out *o, json_t *arr, unsigned indent, int inline1)
{
	json_t *v;
	size_t i;
	int map;

	if (deeper(o) < 0)
		return -1;
	for (i = 0; i < json_array_size(arr); i++) {
		v = json_array_get(arr, i);
		if (i > 0 || !inline1)
			add_indent(o->b, indent);
		buf_adds(o->b, "- ");
		if (!nonempty(v, &map)) {
			if (add_scalar(o, v, indent) < 0)
				return -1;
		} else if (map) {
			if (add_map(o, v, indent + 2, 1) < 0)
				return -1;
		} else {
			if (add_seq(o, v, indent + 2, 1) < 0)
				return -1;
		}
	}
	o->depth--;
	return 0;
}

int
yamlout_write(struct buf *out, const json_t *value, struct buf *err)
{
	/* jansson's iterators want a json_t *; nothing here changes it */
	json_t *v = (json_t *)(uintptr_t)value;
	struct out o;
	size_t start = out->len;
	int map, r;

	o.b = out;
	o.err = err;
	o.depth = 0;
	if (!nonempty(v, &map))
		r = add_scalar(&o, v, 0);
	else if (map)
		r = add_map(&o, v, 0, 0);
	else
		r = add_seq(&o, v, 0, 0);
	if (r < 0)
		buf_setlen(out, start);
	return r;
}
