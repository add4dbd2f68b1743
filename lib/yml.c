#include "lib/yml.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/exitcode.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/*
 * docs/records.md (YAML to JSON) has the rules implemented here, each with the
 * go-yaml v2 or sigs.k8s.io/yaml source that makes it so.
 */

const struct yml_limits yml_default_limits = {
	256, 4u * 1024 * 1024, (size_t)256 * 1024 * 1024
};

/* ---- the tree ---------------------------------------------------------- */

enum node_flags {
	NF_NONFINITE = 1,	/* .inf or .nan: a key may be one, JSON may not */
	NF_UINT = 2,		/* above INT64_MAX: Go's uint64 */
	NF_BIGDEC = 4,		/* decimal beyond 64 bits: Go's float64 */
	NF_BIGINT = 8		/* 0x, 0o, 0b beyond 64 bits: Go's *big.Int */
};

struct yml_entry {
	const char *key;	/* NUL-terminated, in the arena or static */
	size_t klen;
	struct yml_node *val;	/* NULL: overridden while the map was open */
	unsigned line;		/* of the key */
	unsigned flags;		/* EF_* and the number of the "<<" it came by */
};

#define EF_MERGED 0x80000000u	/* came by a "<<" (numbered in the low bits) */
#define EF_HAD_KEY 0x40000000u	/* overrode a key written before the "<<" */
#define EF_MERGE_ID 0x3fffffffu

struct yml_node {
	unsigned char type;
	unsigned char flags;
	unsigned line, column;
	size_t len;		/* bytes of a scalar; items or entries */
	union {
		const char *s;	/* YML_STR: the bytes; other scalars: JSON */
		struct yml_node **items;
		struct yml_entry *ents;
	} u;
};

/*
 * A string's bytes are preceded in the arena by one pointer-sized slot:
 * the arena itself until yml_scalar_json() asks for the JSON text, which is
 * then made once and kept in the slot (NF_JSON_DONE marks that).
 */
#define NF_JSON_DONE 16

/* ---- the arena: big chunks, bump allocation, freed all at once ---------- */

struct yml_chunk {
	struct yml_chunk *next;
	size_t size;
};

struct yml_arena {
	char *cur, *end;
	struct yml_chunk *chunks;	/* the first is the one being cut */
	size_t grow;
};

#define CHUNK_HDR ((sizeof(struct yml_chunk) + 15) & ~(size_t)15)
#define ARENA_FIRST 16384
#define ARENA_MAX (1u << 20)

static struct yml_arena *
arena_new(void)
{
	struct yml_arena *a = xcalloc(1, sizeof(*a));

	a->grow = ARENA_FIRST;
	return a;
}

static void *
arena_slow(struct yml_arena *a, size_t n)
{
	struct yml_chunk *c;
	size_t size;

	if (n > a->grow / 4) {
		/* a big one gets its own chunk, behind the one being cut */
		c = xmalloc(CHUNK_HDR + n);
		c->size = n;
		if (a->chunks) {
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = NULL;
			a->chunks = c;
		}
		return (char *)c + CHUNK_HDR;
	}
	size = a->grow;
	if (a->grow < ARENA_MAX)
		a->grow *= 2;
	c = xmalloc(CHUNK_HDR + size);
	c->size = size;
	c->next = a->chunks;
	a->chunks = c;
	a->cur = (char *)c + CHUNK_HDR + n;
	a->end = (char *)c + CHUNK_HDR + size;
	return (char *)c + CHUNK_HDR;
}

static inline void *
arena_alloc(struct yml_arena *a, size_t n)
{
	char *p;

	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->cur) < n)
		return arena_slow(a, n);
	p = a->cur;
	a->cur += n;
	return p;
}

static char *
arena_strdup(struct yml_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Keep the biggest chunk for the next document, free the rest. */
static void
arena_reset(struct yml_arena *a)
{
	struct yml_chunk *c, *next, *keep = NULL;

	for (c = a->chunks; c; c = c->next)
		if (keep == NULL || c->size > keep->size)
			keep = c;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		if (c != keep)
			free(c);
	}
	a->chunks = keep;
	if (keep) {
		keep->next = NULL;
		a->cur = (char *)keep + CHUNK_HDR;
		a->end = a->cur + keep->size;
	} else {
		a->cur = a->end = NULL;
	}
}

static void
arena_free(struct yml_arena *a)
{
	struct yml_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* A string node's bytes, with the slot before them. */
static const char *
arena_str(struct yml_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, sizeof(void *) + n + 1);

	memcpy(p, &a, sizeof(a));
	p += sizeof(void *);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- the parser's state ------------------------------------------------ */

struct frame {
	unsigned char map;		/* else a sequence */
	unsigned char want_value;	/* a map's key is pending */
	unsigned char merge;		/* the pending key is "<<" */
	unsigned line, column;
	size_t base;			/* first item or entry on the stacks */
	size_t nodes0, bytes0;		/* counters before this node */
	unsigned height;		/* of the tallest child, expanded */
	long anchor;			/* index in anchors, or -1 */
	const char *key;		/* the pending key */
	size_t klen;
	unsigned kline, kcolumn;
	unsigned merges;		/* "<<" keys seen */
	size_t dead;			/* entries overridden */
	/* a hash index of the entries once the map is big */
	uint32_t *ht;			/* kept across maps at this depth */
	size_t htcap;
	int ht_on;
};

struct anchor {
	const char *name;
	size_t nlen;
	struct yml_node *node;		/* NULL while being parsed */
	size_t nodes, bytes;
	unsigned height;
};

struct yml_parser {
	yaml_parser_t yp;
	const char *data;
	size_t len;
	struct yml_limits lim;
	int state;			/* 0 going, 1 at the end, -1 failed */
	struct yml_error err;

	struct yml_arena *arena;	/* of the document being built */
	struct yml_node *root;
	int in_doc;
	unsigned long doc_line;
	size_t nodes, bytes;

	struct yml_node **items;
	size_t nitems, items_alloc;
	struct yml_entry *ents;
	size_t nents, ents_alloc;
	struct frame *frames;
	size_t nframes, frames_alloc;

	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	uint32_t *aht;			/* anchor name -> index + 1 */
	size_t ahtcap;

	struct buf tmp;			/* normalised scalar text */
	struct buf msg;
};

/* ---- errors ------------------------------------------------------------ */

__attribute__((format(printf, 4, 5)))
static int
fail(struct yml_parser *p, unsigned long line, unsigned long column,
    const char *fmt, ...)
{
	va_list ap;

	if (p->state < 0)
		return -1;
	p->state = -1;
	p->err.line = line;
	p->err.column = column;
	va_start(ap, fmt);
	vsnprintf(p->err.msg, sizeof(p->err.msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* s quoted for a message: at most 40 bytes, not cut inside a character. */
static const char *
quote(struct yml_parser *p, const char *s, size_t n)
{
	size_t max = 40;

	buf_reset(&p->msg);
	if (n > max) {
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
		buf_add(&p->msg, s, max);
		buf_adds(&p->msg, "...");
	} else {
		buf_add(&p->msg, s, n);
	}
	return p->msg.s;
}

static int
libyaml_fail(struct yml_parser *p)
{
	yaml_parser_t *yp = &p->yp;
	unsigned long line = yp->problem_mark.line + 1;
	unsigned long col = yp->problem_mark.column + 1;
	const char *problem = yp->problem ? yp->problem : "cannot parse YAML";
	size_t i;

	if (yp->error == YAML_READER_ERROR) {
		/* the reader names a byte offset, not a mark */
		line = 1;
		col = 1;
		for (i = 0; i < yp->problem_offset && i < p->len; i++) {
			if (p->data[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)p->data[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		if (yp->problem_value != -1)
			return fail(p, line, col, "%s (byte 0x%02x)", problem,
			    (unsigned)yp->problem_value & 0xff);
		return fail(p, line, col, "%s", problem);
	}
	if (yp->error == YAML_MEMORY_ERROR)
		return fail(p, 0, 0, "out of memory parsing YAML");
	if (yp->context)
		return fail(p, line, col, "%s (%s at line %lu, column %lu)",
		    problem, yp->context,
		    (unsigned long)yp->context_mark.line + 1,
		    (unsigned long)yp->context_mark.column + 1);
	return fail(p, line, col, "%s", problem);
}

/* ---- numbers: Go's strconv, as go-yaml v2's resolve() calls it ---------- */

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return 99;
}

enum { NUM_OK = 0, NUM_SYNTAX = -1, NUM_RANGE = -2 };

/* strconv.ParseUint(s, base, 64); base 0 reads a 0x, 0o, 0b or 0 prefix. */
static int
go_parse_uint(const char *s, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	int d;

	if (n == 0)
		return NUM_SYNTAX;
	if (base == 0) {
		base = 10;
		if (s[0] == '0') {
			int c = n >= 3 ? s[1] | 0x20 : 0;

			if (c == 'b' || c == 'o' || c == 'x') {
				base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
				s += 2;
				n -= 2;
			} else {
				base = 8;
				s++;
				n--;
			}
		}
	}
	for (i = 0; i < n; i++) {
		d = digit_value((unsigned char)s[i]);
		if (d >= base)
			return NUM_SYNTAX;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return NUM_RANGE;	/* Go stops at the overflow too */
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return NUM_OK;
}

/* strconv.ParseInt(s, base, 64): an optional sign, then ParseUint. */
static int
go_parse_int(const char *s, size_t n, int base, int64_t *out)
{
	uint64_t u;
	int neg = 0, r;

	if (n == 0)
		return NUM_SYNTAX;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		n--;
	}
	r = go_parse_uint(s, n, base, &u);
	if (r != NUM_OK)
		return r;
	if (!neg && u > (uint64_t)INT64_MAX)
		return NUM_RANGE;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return NUM_RANGE;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return NUM_OK;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (yamlStyleFloat) */
static int
yaml_style_float(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	} else {
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/*
 * The shortest decimal digits that read back as v (%.*e until it does),
 * as Go's strconv finds them. *dp is where the point goes: v = 0.d * 10^dp.
 */
static size_t
shortest_digits(double v, int single, char *digits, int *dp)
{
	char tmp[40];
	char *e;
	size_t nd = 0;
	int prec, i, maxp = single ? 9 : 17;

	for (prec = 1; prec <= maxp; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (single ? strtof(tmp, NULL) == (float)v :
		    strtod(tmp, NULL) == v)
			break;
	}
	/* tmp is [-]d[.ddd]e[+-]xx */
	for (i = tmp[0] == '-'; tmp[i] != 'e'; i++)
		if (tmp[i] != '.')
			digits[nd++] = tmp[i];
	*dp = (int)strtol(tmp + i + 1, &e, 10) + 1;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (nd == 1 && digits[0] == '0')
		*dp = 1;
	return nd;
}

static void
add_exp(struct buf *b, int exp, int min2)
{
	buf_addch(b, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	if (min2 && exp < 10)
		buf_addch(b, '0');
	buf_addf(b, "%d", exp);
}

static void
add_fixed(struct buf *b, const char *d, size_t nd, int dp)
{
	int i;

	if (dp <= 0) {
		buf_adds(b, "0.");
		for (i = dp; i < 0; i++)
			buf_addch(b, '0');
		buf_add(b, d, nd);
	} else if ((size_t)dp >= nd) {
		buf_add(b, d, nd);
		for (i = (int)nd; i < dp; i++)
			buf_addch(b, '0');
	} else {
		buf_add(b, d, (size_t)dp);
		buf_addch(b, '.');
		buf_add(b, d + dp, nd - (size_t)dp);
	}
}

/* v (finite) as Go's encoding/json writes a float64. */
static void
add_json_float(struct buf *b, double v)
{
	char d[40];
	size_t nd;
	int dp;
	double a = fabs(v);

	if (signbit(v))
		buf_addch(b, '-');
	if (a == 0) {
		buf_addch(b, '0');
		return;
	}
	nd = shortest_digits(a, 0, d, &dp);
	if (a < 1e-6 || a >= 1e21) {
		/* 'e' form; json then turns e-07 into e-7 */
		buf_addch(b, d[0]);
		if (nd > 1) {
			buf_addch(b, '.');
			buf_add(b, d + 1, nd - 1);
		}
		buf_addch(b, 'e');
		add_exp(b, dp - 1, dp - 1 >= 0);
		return;
	}
	add_fixed(b, d, nd, dp);
}

/* strconv.FormatFloat(v, 'g', -1, 32), as a float key becomes a string. */
static void
add_key_float(struct buf *b, double v)
{
	char d[40];
	size_t nd;
	int dp;
	float f = (float)v;

	if (isnan(f)) {
		buf_adds(b, ".nan");
		return;
	}
	if (isinf(f)) {
		buf_adds(b, f > 0 ? ".inf" : "-.inf");
		return;
	}
	if (signbit(f))
		buf_addch(b, '-');
	if (f == 0) {
		buf_addch(b, '0');
		return;
	}
	nd = shortest_digits(fabs((double)f), 1, d, &dp);
	if (dp - 1 < -4 || dp - 1 >= 6) {
		buf_addch(b, d[0]);
		if (nd > 1) {
			buf_addch(b, '.');
			buf_add(b, d + 1, nd - 1);
		}
		buf_addch(b, 'e');
		add_exp(b, dp - 1, 1);
		return;
	}
	add_fixed(b, d, nd, dp);
}

/* digits (in base 2, 8 or 16) of a number beyond 64 bits, in decimal */
static int
add_big_decimal(struct buf *b, const char *s, size_t n, int base)
{
	uint32_t *limb;		/* base 10^9, least significant first */
	size_t nl = 1, i, j;
	uint64_t carry;

	if (n > 4096)
		return -1;
	limb = xcalloc(n / 2 + 2, sizeof(*limb));
	for (i = 0; i < n; i++) {
		carry = (uint64_t)digit_value((unsigned char)s[i]);
		for (j = 0; j < nl; j++) {
			carry += (uint64_t)limb[j] * (uint64_t)base;
			limb[j] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
		if (carry)
			limb[nl++] = (uint32_t)carry;
	}
	buf_addf(b, "%u", limb[nl - 1]);
	for (j = nl - 1; j-- > 0;)
		buf_addf(b, "%09u", limb[j]);
	free(limb);
	return 0;
}

/* ---- scalars ----------------------------------------------------------- */

enum tag_kind {
	TAG_NONE, TAG_EXCL, TAG_STR, TAG_BOOL, TAG_INT, TAG_FLOAT, TAG_NULL,
	TAG_TIMESTAMP, TAG_BINARY, TAG_MERGE, TAG_OTHER
};

static const char *const tag_names[] = {
	"", "!", "!!str", "!!bool", "!!int", "!!float", "!!null",
	"!!timestamp", "!!binary", "!!merge", "?"
};

static enum tag_kind
tag_kind(const char *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	static const struct {
		const char *name;
		enum tag_kind kind;
	} known[] = {
		{ "str", TAG_STR }, { "bool", TAG_BOOL }, { "int", TAG_INT },
		{ "float", TAG_FLOAT }, { "null", TAG_NULL },
		{ "timestamp", TAG_TIMESTAMP }, { "binary", TAG_BINARY },
		{ "merge", TAG_MERGE }
	};
	size_t i;

	if (tag == NULL)
		return TAG_NONE;
	if (tag[0] == '!' && tag[1] == '\0')
		return TAG_EXCL;
	if (strncmp(tag, prefix, sizeof(prefix) - 1) != 0)
		return TAG_OTHER;
	tag += sizeof(prefix) - 1;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(tag, known[i].name) == 0)
			return known[i].kind;
	return TAG_OTHER;
}

/* What a scalar is: its type and the bytes (string) or JSON text (else). */
struct scalar {
	enum yml_type type;
	unsigned flags;
	const char *s;
	size_t len;
	int copy;		/* s is not static: copy it into the arena */
	enum tag_kind rtag;	/* what resolve() would name it (for errors) */
};

/* go-yaml v2's resolveTable: what the first byte hints at. */
static unsigned char hint_table[256];

static void
init_hints(void)
{
	const char *c;

	if (hint_table['0'])
		return;
	hint_table['+'] = hint_table['-'] = 'S';
	for (c = "0123456789"; *c; c++)
		hint_table[(unsigned char)*c] = 'D';
	for (c = "yYnNtTfFoO~"; *c; c++)
		hint_table[(unsigned char)*c] = 'M';
	hint_table['.'] = '.';
}

/* go-yaml v2's resolveMap */
static const struct {
	const char *s;
	unsigned char len;
	unsigned char kind;	/* n null, t true, f false, N nan, I inf, i -inf */
} words[] = {
	{ "~", 1, 'n' }, { "null", 4, 'n' }, { "Null", 4, 'n' },
	{ "NULL", 4, 'n' },
	{ "y", 1, 't' }, { "Y", 1, 't' }, { "yes", 3, 't' }, { "Yes", 3, 't' },
	{ "YES", 3, 't' }, { "true", 4, 't' }, { "True", 4, 't' },
	{ "TRUE", 4, 't' }, { "on", 2, 't' }, { "On", 2, 't' },
	{ "ON", 2, 't' },
	{ "n", 1, 'f' }, { "N", 1, 'f' }, { "no", 2, 'f' }, { "No", 2, 'f' },
	{ "NO", 2, 'f' }, { "false", 5, 'f' }, { "False", 5, 'f' },
	{ "FALSE", 5, 'f' }, { "off", 3, 'f' }, { "Off", 3, 'f' },
	{ "OFF", 3, 'f' },
	{ ".nan", 4, 'N' }, { ".NaN", 4, 'N' }, { ".NAN", 4, 'N' },
	{ ".inf", 4, 'I' }, { ".Inf", 4, 'I' }, { ".INF", 4, 'I' },
	{ "+.inf", 5, 'I' }, { "+.Inf", 5, 'I' }, { "+.INF", 5, 'I' },
	{ "-.inf", 5, 'i' }, { "-.Inf", 5, 'i' }, { "-.INF", 5, 'i' }
};

static int
lookup_word(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 'n';
	if (n > 5)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].len == n && memcmp(words[i].s, s, n) == 0)
			return words[i].kind;
	return 0;
}

static void
set_static(struct scalar *sc, enum yml_type type, const char *json)
{
	sc->type = type;
	sc->s = json;
	sc->len = strlen(json);
	sc->copy = 0;
}

static void
set_float(struct yml_parser *p, struct scalar *sc, double v)
{
	buf_reset(&p->tmp);
	add_json_float(&p->tmp, v);
	sc->type = YML_FLOAT;
	sc->s = p->tmp.s;
	sc->len = p->tmp.len;
	sc->copy = 1;
	sc->rtag = TAG_FLOAT;
}

static void
set_int(struct yml_parser *p, struct scalar *sc, int64_t v)
{
	buf_reset(&p->tmp);
	buf_addf(&p->tmp, "%lld", (long long)v);
	sc->type = YML_INT;
	sc->s = p->tmp.s;
	sc->len = p->tmp.len;
	sc->copy = 1;
	sc->rtag = TAG_INT;
}

/* Is s already what JSON says of the integer it is? */
static int
canonical_int(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	if (n - i == 0 || n - i > 18)
		return 0;
	if (s[i] == '0')
		return n == 1;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * [-+]?[0-9]+ that ParseInt refused (too big, or 8 or 9 after a leading
 * 0): go-yaml v2 reads it as a decimal float64. Below 2^53 that is exact
 * and JSON says the digits; beyond, we keep the digits where kubectl would
 * round them.
 */
static void
set_decimal(struct yml_parser *p, struct scalar *sc, const char *s, size_t n)
{
	size_t i = 0;
	int neg = 0;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	while (i + 1 < n && s[i] == '0')
		i++;
	buf_reset(&p->tmp);
	if (neg && !(n - i == 1 && s[i] == '0'))
		buf_addch(&p->tmp, '-');
	buf_add(&p->tmp, s + i, n - i);
	sc->s = p->tmp.s;
	sc->len = p->tmp.len;
	sc->copy = 1;
	if (n - i < 16 || (n - i == 16 && memcmp(s + i, "9007199254740992",
	    16) < 0)) {
		sc->type = YML_FLOAT;
		sc->rtag = TAG_FLOAT;
	} else {
		sc->type = YML_INT;
		sc->flags = NF_BIGDEC;
		sc->rtag = TAG_INT;
	}
}

static int
all_digits(const char *s, size_t n)
{
	size_t i = n && (s[0] == '+' || s[0] == '-');

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Go's ParseFloat on a plain scalar starting with '.', underscores and all */
static int
dot_float(const char *s, size_t n, double *v, struct buf *tmp)
{
	size_t i;

	buf_reset(tmp);
	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			/* only between digits (strconv's underscoreOK) */
			if (i == 0 || i + 1 == n || s[i - 1] < '0' ||
			    s[i - 1] > '9' || s[i + 1] < '0' || s[i + 1] > '9')
				return 0;
			continue;
		}
		buf_addch(tmp, s[i]);
	}
	if (!yaml_style_float(tmp->s, tmp->len))
		return 0;
	*v = strtod(tmp->s, NULL);
	return !isinf(*v);
}

static int
days_in(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* 1 or 2 digits (Go's getnum), in [lo, hi] */
static int
get_num(const char **s, const char *end, int lo, int hi, int *out)
{
	int v;

	if (*s >= end || **s < '0' || **s > '9')
		return 0;
	v = *(*s)++ - '0';
	if (*s < end && **s >= '0' && **s <= '9')
		v = v * 10 + *(*s)++ - '0';
	*out = v;
	return v >= lo && v <= hi;
}

/*
 * go-yaml v2's parseTimestamp: time.Parse with "2006-1-2T15:4:5.999999999Z07:00"
 * (or 't'), "2006-1-2 15:4:5.999999999" or "2006-1-2".
 */
static int
is_timestamp(const char *s, size_t n)
{
	const char *e = s + n;
	int y, m, d, v, i;
	char sep;

	if (n < 8)
		return 0;
	for (i = 0, y = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		y = y * 10 + s[i] - '0';
	}
	s += 4;
	if (*s++ != '-' || !get_num(&s, e, 1, 12, &m) || s >= e || *s++ != '-'
	    || !get_num(&s, e, 1, 31, &d) || d > days_in(y, m))
		return 0;
	if (s == e)
		return 1;
	sep = *s++;
	if (sep != 'T' && sep != 't' && sep != ' ')
		return 0;
	if (!get_num(&s, e, 0, 23, &v) || s >= e || *s++ != ':' ||
	    !get_num(&s, e, 0, 59, &v) || s >= e || *s++ != ':' ||
	    !get_num(&s, e, 0, 59, &v))
		return 0;
	if (s + 1 < e && (*s == '.' || *s == ',') && s[1] >= '0' && s[1] <= '9')
		for (s++; s < e && *s >= '0' && *s <= '9'; s++)
			;
	if (sep == ' ')
		return s == e;
	if (s < e && *s == 'Z')
		return s + 1 == e;
	if (s < e && (*s == '+' || *s == '-')) {
		s++;
		return get_num(&s, e, 0, 99, &v) && s < e && *s++ == ':' &&
		    get_num(&s, e, 0, 99, &v) && s == e;
	}
	return 0;
}

/*
 * go-yaml v2's resolve() for a plain scalar, or any scalar with one of the
 * tags it resolves: null, bool, int, float, or the string itself.
 */
static void
resolve_plain(struct yml_parser *p, struct scalar *sc, const char *s,
    size_t n, enum tag_kind tag)
{
	const char *plain = s;
	size_t pn = n, i;
	int64_t iv;
	uint64_t uv;
	double fv;
	int hint, w, ru;

	sc->flags = 0;
	sc->type = YML_STR;
	sc->s = s;
	sc->len = n;
	sc->copy = 1;
	sc->rtag = TAG_STR;
	hint = n ? hint_table[(unsigned char)s[0]] : 'N';
	if (hint == 0)
		return;
	w = hint == 'D' ? 0 : lookup_word(s, n);
	switch (w) {
	case 'n':
		set_static(sc, YML_NULL, "null");
		sc->rtag = TAG_NULL;
		return;
	case 't':
	case 'f':
		set_static(sc, YML_BOOL, w == 't' ? "true" : "false");
		sc->rtag = TAG_BOOL;
		return;
	case 'N':
	case 'I':
	case 'i':
		/* fine as a key (".inf"), refused as a value */
		set_static(sc, YML_FLOAT, w == 'N' ? ".nan" : w == 'I' ?
		    ".inf" : "-.inf");
		sc->flags = NF_NONFINITE;
		sc->rtag = TAG_FLOAT;
		return;
	}
	if (hint == 'M')
		return;
	if (hint == '.') {
		if (dot_float(s, n, &fv, &p->tmp))
			set_float(p, sc, fv);
		return;
	}
	if (tag == TAG_TIMESTAMP && is_timestamp(s, n)) {
		/* a string all the same (decode.go: "backward compatibility") */
		sc->rtag = TAG_TIMESTAMP;
		return;
	}
	if (memchr(s, '_', n)) {
		buf_reset(&p->tmp);
		for (i = 0; i < n; i++)
			if (s[i] != '_')
				buf_addch(&p->tmp, s[i]);
		/* the copy outlives the calls below, which reuse tmp */
		plain = arena_strdup(p->arena, p->tmp.s, p->tmp.len);
		pn = p->tmp.len;
	}
	if (go_parse_int(plain, pn, 0, &iv) == NUM_OK) {
		if (canonical_int(plain, pn)) {
			sc->type = YML_INT;
			sc->s = plain;
			sc->len = pn;
			sc->rtag = TAG_INT;
		} else {
			set_int(p, sc, iv);
		}
		return;
	}
	ru = go_parse_uint(plain, pn, 0, &uv);
	if (ru == NUM_OK) {
		buf_reset(&p->tmp);
		buf_addf(&p->tmp, "%llu", (unsigned long long)uv);
		sc->type = YML_INT;
		sc->flags = NF_UINT;
		sc->s = p->tmp.s;
		sc->len = p->tmp.len;
		sc->rtag = TAG_INT;
		return;
	}
	if (yaml_style_float(plain, pn)) {
		if (all_digits(plain, pn)) {
			set_decimal(p, sc, plain, pn);
			return;
		}
		buf_reset(&p->tmp);
		buf_add(&p->tmp, plain, pn);
		fv = strtod(p->tmp.s, NULL);
		if (!isinf(fv)) {
			set_float(p, sc, fv);
			return;
		}
	}
	if (pn > 2 && plain[0] == '0' && plain[1] == 'b') {
		/* ParseInt(plain[2:], 2, 64): so "0b-101" is -5 */
		if (go_parse_int(plain + 2, pn - 2, 2, &iv) == NUM_OK) {
			set_int(p, sc, iv);
			return;
		}
		if (go_parse_uint(plain + 2, pn - 2, 2, &uv) == NUM_OK) {
			buf_reset(&p->tmp);
			buf_addf(&p->tmp, "%llu", (unsigned long long)uv);
			sc->type = YML_INT;
			sc->flags = NF_UINT;
			sc->s = p->tmp.s;
			sc->len = p->tmp.len;
			sc->rtag = TAG_INT;
			return;
		}
	}
	if (ru == NUM_RANGE && pn > 2 && plain[0] == '0') {
		/* big.Int's SetString(plain, 0): 0x, 0o or 0b beyond 64 bits */
		int c = plain[1] | 0x20;
		int base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;

		buf_reset(&p->tmp);
		if (base && add_big_decimal(&p->tmp, plain + 2, pn - 2,
		    base) == 0) {
			sc->type = YML_INT;
			sc->flags = NF_BIGINT;
			sc->s = p->tmp.s;
			sc->len = p->tmp.len;
			sc->rtag = TAG_INT;
			return;
		}
	}
}

/* base64.StdEncoding.DecodeString: padding required, \r and \n skipped */
static int
b64_decode(struct buf *out, const char *s, size_t n)
{
	struct buf clean = BUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			buf_addch(&clean, s[i]);
	buf_reset(out);
	ret = digest_base64_decode(clean.s, clean.len, DIGEST_B64_LAX, out);
	buf_release(&clean);
	return ret;
}

/*
 * Type the scalar of event ev as go-yaml v2's decoder would into an
 * interface{}: 0, or -1 with the error set.
 */
static int
type_scalar(struct yml_parser *p, const yaml_event_t *ev, struct scalar *sc)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	enum tag_kind tag = tag_kind((const char *)ev->data.scalar.tag);
	unsigned long line = ev->start_mark.line + 1;
	unsigned long col = ev->start_mark.column + 1;
	enum yml_type want;

	sc->flags = 0;
	sc->type = YML_STR;
	sc->s = s;
	sc->len = n;
	sc->copy = 1;
	switch (tag) {
	case TAG_NONE:
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			resolve_plain(p, sc, s, n, tag);
		return 0;
	case TAG_BINARY:
		if (b64_decode(&p->tmp, s, n) < 0)
			return fail(p, line, col,
			    "!!binary value contains invalid base64 data");
		sc->s = p->tmp.s;
		sc->len = p->tmp.len;
		return 0;
	case TAG_STR:
	case TAG_EXCL:
	case TAG_MERGE:
	case TAG_OTHER:
		/* resolve() gives back an unknown tag's text as a string */
		return 0;
	default:
		break;
	}
	resolve_plain(p, sc, s, n, tag);
	switch (tag) {
	case TAG_BOOL: want = YML_BOOL; break;
	case TAG_INT: want = YML_INT; break;
	case TAG_FLOAT: want = YML_FLOAT; break;
	case TAG_NULL: want = YML_NULL; break;
	default: want = YML_STR; break;
	}
	if (tag == TAG_TIMESTAMP ? sc->rtag == TAG_TIMESTAMP : sc->type == want)
		return 0;
	if (tag == TAG_FLOAT && sc->type == YML_INT && sc->flags == NF_BIGDEC) {
		/* a float64 in Go too; we keep its digits */
		sc->type = YML_FLOAT;
		sc->rtag = TAG_FLOAT;
		return 0;
	}
	if (tag == TAG_FLOAT && sc->type == YML_INT && sc->flags == 0) {
		/* !!float 1: resolve() makes an int64 a float64 */
		int64_t iv;

		go_parse_int(sc->s, sc->len, 10, &iv);
		set_float(p, sc, (double)iv);
		return 0;
	}
	return fail(p, line, col, "cannot decode %s `%s` as a %s",
	    tag_names[sc->rtag], quote(p, s, n), tag_names[tag]);
}

/* ---- building the tree ------------------------------------------------- */

static struct yml_node *
new_node(struct yml_parser *p, enum yml_type type, unsigned line,
    unsigned col)
{
	struct yml_node *n = arena_alloc(p->arena, sizeof(*n));

	n->type = (unsigned char)type;
	n->flags = 0;
	n->line = line;
	n->column = col;
	n->len = 0;
	n->u.s = NULL;
	return n;
}

static struct yml_node *
scalar_node(struct yml_parser *p, const struct scalar *sc, unsigned line,
    unsigned col)
{
	struct yml_node *n = new_node(p, sc->type, line, col);

	n->flags = (unsigned char)sc->flags;
	n->len = sc->len;
	if (sc->type == YML_STR)
		n->u.s = arena_str(p->arena, sc->s, sc->len);
	else if (sc->copy)
		n->u.s = arena_strdup(p->arena, sc->s, sc->len);
	else
		n->u.s = sc->s;
	return n;
}

static int
count(struct yml_parser *p, size_t nodes, size_t bytes, unsigned long line,
    unsigned long col, int alias)
{
	p->nodes += nodes;
	p->bytes += bytes;
	if (p->nodes > p->lim.max_nodes)
		return fail(p, line, col, "document has more than %zu nodes%s",
		    p->lim.max_nodes, alias ? " once aliases are expanded" :
		    "");
	if (p->bytes > p->lim.max_bytes)
		return fail(p, line, col,
		    "document has more than %zu bytes of scalars%s",
		    p->lim.max_bytes, alias ? " once aliases are expanded" :
		    "");
	return 0;
}

static uint32_t
hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* ---- anchors ----------------------------------------------------------- */

static void
anchors_rehash(struct yml_parser *p, size_t cap)
{
	size_t i, j;

	free(p->aht);
	p->aht = xcalloc(cap, sizeof(*p->aht));
	p->ahtcap = cap;
	for (i = 0; i < p->nanchors; i++) {
		const struct anchor *a = &p->anchors[i];

		j = hash_bytes(a->name, a->nlen) & (cap - 1);
		while (p->aht[j])
			j = (j + 1) & (cap - 1);
		p->aht[j] = (uint32_t)i + 1;
	}
}

/* The slot of name: its anchor's index + 1 is there, or 0 if none. */
static uint32_t *
anchor_slot(struct yml_parser *p, const char *name, size_t n)
{
	size_t j;
	const struct anchor *a;

	j = hash_bytes(name, n) & (p->ahtcap - 1);
	for (; p->aht[j]; j = (j + 1) & (p->ahtcap - 1)) {
		a = &p->anchors[p->aht[j] - 1];
		if (a->nlen == n && memcmp(a->name, name, n) == 0)
			break;
	}
	return &p->aht[j];
}

/* A new anchor, being parsed; a later one of the same name hides it. */
static long
anchor_add(struct yml_parser *p, const char *name)
{
	size_t n = strlen(name);
	struct anchor *a;
	uint32_t *slot;

	if ((p->nanchors + 1) * 2 > p->ahtcap)
		anchors_rehash(p, p->ahtcap ? p->ahtcap * 2 : 64);
	if (p->nanchors == p->anchors_alloc) {
		p->anchors_alloc = p->anchors_alloc ? p->anchors_alloc * 2 : 16;
		p->anchors = xreallocarray(p->anchors, p->anchors_alloc,
		    sizeof(*p->anchors));
	}
	a = &p->anchors[p->nanchors];
	a->name = arena_strdup(p->arena, name, n);
	a->nlen = n;
	a->node = NULL;
	a->nodes = a->bytes = 0;
	a->height = 0;
	slot = anchor_slot(p, name, n);
	*slot = (uint32_t)p->nanchors + 1;
	return (long)p->nanchors++;
}

static void
anchor_done(struct yml_parser *p, long i, struct yml_node *n, size_t nodes0,
    size_t bytes0, unsigned height)
{
	struct anchor *a = &p->anchors[i];

	a->node = n;
	a->nodes = p->nodes - nodes0;
	a->bytes = p->bytes - bytes0;
	a->height = height;
}

static const struct anchor *
anchor_find(struct yml_parser *p, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t n = strlen(name);
	uint32_t *slot;
	unsigned long line = ev->start_mark.line + 1;
	unsigned long col = ev->start_mark.column + 1;
	const struct anchor *a;

	if (p->ahtcap == 0 || *(slot = anchor_slot(p, name, n)) == 0) {
		fail(p, line, col, "unknown anchor '%s' referenced",
		    quote(p, name, n));
		return NULL;
	}
	a = &p->anchors[*slot - 1];
	if (a->node == NULL) {
		fail(p, line, col, "anchor '%s' value contains itself",
		    quote(p, name, n));
		return NULL;
	}
	if (count(p, a->nodes, a->bytes, line, col, 1) < 0)
		return NULL;
	if (p->nframes + a->height > p->lim.max_depth) {
		fail(p, line, col, "nesting deeper than %u levels once aliases "
		    "are expanded", p->lim.max_depth);
		return NULL;
	}
	return a;
}

/* ---- mappings ---------------------------------------------------------- */

#define HASH_FROM 16	/* entries before a map gets a hash index */

static void
ht_insert(struct frame *f, const struct yml_entry *ents, size_t i)
{
	const struct yml_entry *e = &ents[i];
	size_t j = hash_bytes(e->key, e->klen) & (f->htcap - 1);

	while (f->ht[j]) {
		const struct yml_entry *o = &ents[f->ht[j] - 1];

		if (o->klen == e->klen && memcmp(o->key, e->key, e->klen) == 0)
			break;
		j = (j + 1) & (f->htcap - 1);
	}
	f->ht[j] = (uint32_t)i + 1;
}

static void
ht_build(struct yml_parser *p, struct frame *f, size_t want)
{
	size_t cap = f->htcap ? f->htcap : 64, i;

	while (cap < want * 2)
		cap *= 2;
	if (cap != f->htcap) {
		free(f->ht);
		f->ht = xmalloc(cap * sizeof(*f->ht));
		f->htcap = cap;
	}
	memset(f->ht, 0, cap * sizeof(*f->ht));
	f->ht_on = 1;
	for (i = f->base; i < p->nents; i++)
		if (p->ents[i].val)
			ht_insert(f, p->ents, i);
}

/* The index of the live entry with key, or -1. */
static long
map_find(struct yml_parser *p, struct frame *f, const char *key, size_t n)
{
	const struct yml_entry *e;
	size_t i, j;

	if (f->ht_on) {
		j = hash_bytes(key, n) & (f->htcap - 1);
		for (; f->ht[j]; j = (j + 1) & (f->htcap - 1)) {
			e = &p->ents[f->ht[j] - 1];
			if (e->klen == n && memcmp(e->key, key, n) == 0)
				return (long)f->ht[j] - 1;
		}
		return -1;
	}
	for (i = f->base; i < p->nents; i++) {
		e = &p->ents[i];
		if (e->klen == n && e->val && memcmp(e->key, key, n) == 0)
			return (long)i;
	}
	return -1;
}

static void
map_append(struct yml_parser *p, struct frame *f, const char *key, size_t n,
    struct yml_node *val, unsigned line, unsigned flags)
{
	struct yml_entry *e;
	size_t live;

	if (p->nents == p->ents_alloc) {
		p->ents_alloc = p->ents_alloc ? p->ents_alloc * 2 : 256;
		p->ents = xreallocarray(p->ents, p->ents_alloc,
		    sizeof(*p->ents));
	}
	e = &p->ents[p->nents++];
	e->key = key;
	e->klen = n;
	e->val = val;
	e->line = line;
	e->flags = flags;
	live = p->nents - f->base - f->dead;
	if (f->ht_on && live * 2 <= f->htcap)
		ht_insert(f, p->ents, p->nents - 1);
	else if (live >= HASH_FROM)
		ht_build(p, f, live);
}

/* An entry written while the map is open; -1 on a duplicate key. */
static int
map_put(struct yml_parser *p, struct frame *f, struct yml_node *val)
{
	long i = map_find(p, f, f->key, f->klen);
	struct yml_entry *e;

	if (i >= 0) {
		e = &p->ents[i];
		if (!(e->flags & EF_MERGED) || (e->flags & EF_HAD_KEY))
			return fail(p, f->kline, f->kcolumn,
			    "duplicate key '%s' (first at line %u)",
			    quote(p, f->key, f->klen), e->line);
		/* a key written after "<<" wins over the merged one */
		e->val = NULL;
		f->dead++;
	}
	map_append(p, f, f->key, f->klen, val, f->kline, 0);
	return 0;
}

/* The entries of map src, merged where the "<<" stands. */
static void
merge_one(struct yml_parser *p, struct frame *f, const struct yml_node *src,
    unsigned id)
{
	const struct yml_entry *s;
	struct yml_entry *e;
	unsigned flags;
	size_t k;
	long i;

	for (k = 0; k < src->len; k++) {
		s = &src->u.ents[k];
		flags = EF_MERGED | id;
		i = map_find(p, f, s->key, s->klen);
		if (i >= 0) {
			e = &p->ents[i];
			if ((e->flags & EF_MERGED) &&
			    (e->flags & EF_MERGE_ID) == id)
				continue;	/* an earlier map of this "<<" */
			/*
			 * go-yaml v2 sets merged keys into the map as it goes:
			 * they override keys written before the "<<"
			 */
			if (!(e->flags & EF_MERGED) || (e->flags & EF_HAD_KEY))
				flags |= EF_HAD_KEY;
			e->val = NULL;
			f->dead++;
			map_append(p, f, s->key, s->klen, s->val,
			    (flags & EF_HAD_KEY) ? e->line : f->kline, flags);
			continue;
		}
		map_append(p, f, s->key, s->klen, s->val, f->kline, flags);
	}
}

static int
map_merge(struct yml_parser *p, struct frame *f, struct yml_node *val,
    unsigned long line, unsigned long col)
{
	size_t i;
	unsigned id = ++f->merges & EF_MERGE_ID;

	if (val->type == YML_MAP) {
		merge_one(p, f, val, id);
		return 0;
	}
	if (val->type == YML_SEQ) {
		for (i = 0; i < val->len; i++)
			if (val->u.items[i]->type != YML_MAP)
				goto bad;
		/* earlier maps take precedence (decode.go steps backwards) */
		for (i = 0; i < val->len; i++)
			merge_one(p, f, val->u.items[i], id);
		return 0;
	}
bad:
	return fail(p, line, col,
	    "map merge requires map or sequence of maps as the value");
}

/* ---- keys -------------------------------------------------------------- */

/*
 * Set the pending key of map frame f from a typed scalar, as
 * convertToJSONableObject turns keys into strings.
 */
static int
set_key(struct yml_parser *p, struct frame *f, enum yml_type type,
    unsigned flags, const char *s, size_t n, int copy, unsigned long line,
    unsigned long col)
{
	const char *why = NULL;

	switch (type) {
	case YML_STR:
	case YML_BOOL:
		break;
	case YML_INT:
		if (flags & NF_BIGDEC) {
			/* a float64 in Go, formatted as a key float is */
			double v = strtod(s, NULL);

			buf_reset(&p->tmp);
			add_key_float(&p->tmp, v);
			s = p->tmp.s;
			n = p->tmp.len;
			copy = 1;
		} else if (flags & (NF_UINT | NF_BIGINT)) {
			why = flags & NF_UINT ? "uint64" : "*big.Int";
		}
		break;
	case YML_FLOAT:
		if (!(flags & NF_NONFINITE)) {
			double v = strtod(s, NULL);

			buf_reset(&p->tmp);
			add_key_float(&p->tmp, v);
			s = p->tmp.s;
			n = p->tmp.len;
			copy = 1;
		}
		break;
	case YML_NULL:
		why = "null";
		break;
	case YML_SEQ:
		why = "sequence";
		break;
	case YML_MAP:
		why = "mapping";
		break;
	}
	if (why)
		return fail(p, line, col, "a %s cannot be a mapping key in "
		    "JSON", why);
	f->key = copy ? arena_strdup(p->arena, s, n) : s;
	f->klen = n;
	f->kline = (unsigned)line;
	f->kcolumn = (unsigned)col;
	f->merge = 0;
	f->want_value = 1;
	return 0;
}

/* ---- events ------------------------------------------------------------ */

/* Place a finished node (of expanded height h) in its parent. */
static int
add_value(struct yml_parser *p, struct yml_node *n, unsigned h,
    unsigned long line, unsigned long col)
{
	struct frame *f;

	if (n->type == YML_FLOAT && (n->flags & NF_NONFINITE))
		return fail(p, line, col, "cannot write %s as JSON", n->u.s);
	if (p->nframes == 0) {
		p->root = n;
		return 0;
	}
	f = &p->frames[p->nframes - 1];
	if (h > f->height)
		f->height = h;
	if (!f->map) {
		if (p->nitems == p->items_alloc) {
			p->items_alloc = p->items_alloc ? p->items_alloc * 2 :
			    256;
			p->items = xreallocarray(p->items, p->items_alloc,
			    sizeof(*p->items));
		}
		p->items[p->nitems++] = n;
		return 0;
	}
	f->want_value = 0;
	if (f->merge)
		return map_merge(p, f, n, line, col);
	return map_put(p, f, n);
}

static int
on_scalar(struct yml_parser *p, const yaml_event_t *ev)
{
	struct scalar sc;
	struct yml_node *n = NULL;
	struct frame *f = p->nframes ? &p->frames[p->nframes - 1] : NULL;
	unsigned long line = ev->start_mark.line + 1;
	unsigned long col = ev->start_mark.column + 1;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	long ai;

	if (f == NULL && ev->data.scalar.length == 0 && !anchor &&
	    !ev->data.scalar.tag &&
	    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		p->root = NULL;		/* an empty document */
		return 0;
	}
	if (f && f->map && !f->want_value &&
	    ev->data.scalar.length == 2 &&
	    memcmp(ev->data.scalar.value, "<<", 2) == 0 &&
	    (ev->data.scalar.plain_implicit ||
	    tag_kind((const char *)ev->data.scalar.tag) == TAG_MERGE)) {
		/* decode.go isMerge() */
		if (count(p, 1, 2, line, col, 0) < 0)
			return -1;
		if (anchor) {
			sc.type = YML_STR;
			sc.flags = 0;
			sc.s = "<<";
			sc.len = 2;
			ai = anchor_add(p, anchor);
			n = scalar_node(p, &sc, (unsigned)line, (unsigned)col);
			anchor_done(p, ai, n, p->nodes - 1, p->bytes - 2, 0);
		}
		f->merge = 1;
		f->want_value = 1;
		f->kline = (unsigned)line;
		f->kcolumn = (unsigned)col;
		return 0;
	}
	if (type_scalar(p, ev, &sc) < 0)
		return -1;
	if (count(p, 1, sc.len, line, col, 0) < 0)
		return -1;
	if (anchor) {
		ai = anchor_add(p, anchor);
		n = scalar_node(p, &sc, (unsigned)line, (unsigned)col);
		anchor_done(p, ai, n, p->nodes - 1, p->bytes - sc.len, 0);
	}
	if (f && f->map && !f->want_value) {
		if (n)
			return set_key(p, f, n->type, n->flags, n->u.s, n->len,
			    0, line, col);
		return set_key(p, f, sc.type, sc.flags, sc.s, sc.len,
		    sc.copy, line, col);
	}
	if (n == NULL)
		n = scalar_node(p, &sc, (unsigned)line, (unsigned)col);
	return add_value(p, n, 0, line, col);
}

static int
on_alias(struct yml_parser *p, const yaml_event_t *ev)
{
	const struct anchor *a = anchor_find(p, ev);
	struct frame *f = p->nframes ? &p->frames[p->nframes - 1] : NULL;
	unsigned long line = ev->start_mark.line + 1;
	unsigned long col = ev->start_mark.column + 1;
	const struct yml_node *n;

	if (a == NULL)
		return -1;
	n = a->node;
	if (f && f->map && !f->want_value)
		return set_key(p, f, n->type, n->flags, n->u.s, n->len, 0, line,
		    col);
	return add_value(p, a->node, a->height, line, col);
}

static int
on_start(struct yml_parser *p, const yaml_event_t *ev, int map)
{
	struct frame *f = p->nframes ? &p->frames[p->nframes - 1] : NULL;
	unsigned long line = ev->start_mark.line + 1;
	unsigned long col = ev->start_mark.column + 1;
	const char *anchor = map ? (const char *)ev->data.mapping_start.anchor :
	    (const char *)ev->data.sequence_start.anchor;

	if (f && f->map && !f->want_value)
		return fail(p, line, col, "a %s cannot be a mapping key in JSON",
		    map ? "mapping" : "sequence");
	if (p->nframes + 1 > p->lim.max_depth)
		return fail(p, line, col, "nesting deeper than %u levels",
		    p->lim.max_depth);
	if (p->nframes == p->frames_alloc) {
		size_t old = p->frames_alloc;

		p->frames_alloc = old ? old * 2 : 32;
		p->frames = xreallocarray(p->frames, p->frames_alloc,
		    sizeof(*p->frames));
		memset(p->frames + old, 0,
		    (p->frames_alloc - old) * sizeof(*p->frames));
	}
	f = &p->frames[p->nframes++];
	f->map = (unsigned char)map;
	f->want_value = 0;
	f->merge = 0;
	f->line = (unsigned)line;
	f->column = (unsigned)col;
	f->base = map ? p->nents : p->nitems;
	f->nodes0 = p->nodes;
	f->bytes0 = p->bytes;
	f->height = 0;
	f->merges = 0;
	f->dead = 0;
	f->ht_on = 0;
	f->anchor = anchor ? anchor_add(p, anchor) : -1;
	return count(p, 1, 0, line, col, 0);
}

static int
on_end(struct yml_parser *p)
{
	struct frame *f = &p->frames[p->nframes - 1];
	struct yml_node *n;
	size_t k, live;
	unsigned h = f->height + 1;

	n = new_node(p, f->map ? YML_MAP : YML_SEQ, f->line, f->column);
	if (f->map) {
		live = p->nents - f->base - f->dead;
		n->len = live;
		n->u.ents = arena_alloc(p->arena, live * sizeof(*n->u.ents));
		if (f->dead == 0 && live) {
			memcpy(n->u.ents, p->ents + f->base,
			    live * sizeof(*n->u.ents));
		} else {
			struct yml_entry *o = n->u.ents;

			for (k = f->base; k < p->nents; k++)
				if (p->ents[k].val)
					*o++ = p->ents[k];
		}
		p->nents = f->base;
	} else {
		n->len = p->nitems - f->base;
		n->u.items = arena_alloc(p->arena, n->len * sizeof(*n->u.items));
		if (n->len)
			memcpy(n->u.items, p->items + f->base,
			    n->len * sizeof(*n->u.items));
		p->nitems = f->base;
	}
	if (f->anchor >= 0)
		anchor_done(p, f->anchor, n, f->nodes0, f->bytes0, h);
	p->nframes--;
	return add_value(p, n, h, n->line, n->column);
}

/* ---- the stream -------------------------------------------------------- */

struct yml_parser *
yml_parser_new(const char *data, size_t len, const struct yml_limits *limits)
{
	struct yml_parser *p = xcalloc(1, sizeof(*p));

	init_hints();
	if (!yaml_parser_initialize(&p->yp)) {
		fprintf(stderr, "fatal: out of memory (libyaml)\n");
		exit(EXIT_SOFTWARE);
	}
	yaml_parser_set_input_string(&p->yp, (const unsigned char *)data, len);
	p->data = data;
	p->len = len;
	p->lim = limits ? *limits : yml_default_limits;
	buf_init(&p->tmp, 0);
	buf_init(&p->msg, 0);
	return p;
}

void
yml_parser_free(struct yml_parser *p)
{
	size_t i;

	if (p == NULL)
		return;
	yaml_parser_delete(&p->yp);
	arena_free(p->arena);
	for (i = 0; i < p->frames_alloc; i++)
		free(p->frames[i].ht);
	free(p->frames);
	free(p->items);
	free(p->ents);
	free(p->anchors);
	free(p->aht);
	buf_release(&p->tmp);
	buf_release(&p->msg);
	free(p);
}

void
yml_doc_release(struct yml_doc *doc)
{
	arena_free(doc->arena);
	doc->arena = NULL;
	doc->root = NULL;
	doc->line = 0;
}

static void
begin_doc(struct yml_parser *p, const yaml_event_t *ev)
{
	p->in_doc = 1;
	p->root = NULL;
	p->doc_line = ev->start_mark.line + 1;
	p->nodes = p->bytes = 0;
	p->nitems = p->nents = p->nframes = 0;
	p->nanchors = 0;
	if (p->ahtcap)
		memset(p->aht, 0, p->ahtcap * sizeof(*p->aht));
	if (p->arena == NULL)
		p->arena = arena_new();
}

static int
on_event(struct yml_parser *p, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(p, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(p, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(p, ev, 0);
	case YAML_MAPPING_START_EVENT:
		return on_start(p, ev, 1);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(p);
	case YAML_DOCUMENT_START_EVENT:
		begin_doc(p, ev);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		p->in_doc = 0;
		return 1;
	case YAML_STREAM_END_EVENT:
		p->state = 1;
		return 1;
	default:
		return 0;
	}
}

int
yml_parser_next(struct yml_parser *p, struct yml_doc *doc,
    struct yml_error *err)
{
	yaml_event_t ev;
	int r = 0;

	if (doc->arena) {
		/* the old document's arena is reused for the next one */
		arena_reset(doc->arena);
		if (p->arena == NULL)
			p->arena = doc->arena;
		else
			arena_free(doc->arena);
	}
	doc->arena = NULL;
	doc->root = NULL;
	doc->line = 0;
	while (p->state == 0) {
		if (!yaml_parser_parse(&p->yp, &ev)) {
			libyaml_fail(p);
			break;
		}
		r = on_event(p, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
		if (r > 0 && p->state == 0) {
			doc->root = p->root;
			doc->line = p->doc_line;
			doc->arena = p->arena;
			p->arena = NULL;
			p->root = NULL;
			return 1;
		}
	}
	if (p->state > 0)
		return 0;
	if (err)
		*err = p->err;
	return -1;
}

int
yml_parse_one(const char *data, size_t len, struct yml_doc *doc,
    struct yml_error *err)
{
	struct yml_parser *p = yml_parser_new(data, len, NULL);
	yaml_event_t ev;
	int r;

	r = yml_parser_next(p, doc, err);
	if (r > 0) {
		/* one more event says whether a second document follows */
		if (!yaml_parser_parse(&p->yp, &ev)) {
			libyaml_fail(p);
			r = -1;
		} else {
			if (ev.type == YAML_DOCUMENT_START_EVENT) {
				fail(p, ev.start_mark.line + 1,
				    ev.start_mark.column + 1,
				    "expected one YAML document, found another");
				r = -1;
			}
			yaml_event_delete(&ev);
		}
		if (r < 0) {
			yml_doc_release(doc);
			if (err)
				*err = p->err;
		}
	}
	yml_parser_free(p);
	return r < 0 ? -1 : 0;
}

/* ---- reading the tree -------------------------------------------------- */

enum yml_type
yml_type(const struct yml_node *n)
{
	return n ? (enum yml_type)n->type : YML_NULL;
}

unsigned long
yml_line(const struct yml_node *n)
{
	return n ? n->line : 0;
}

unsigned long
yml_column(const struct yml_node *n)
{
	return n ? n->column : 0;
}

const char *
yml_str(const struct yml_node *n, size_t *len)
{
	if (n == NULL || n->type != YML_STR)
		return NULL;
	if (len)
		*len = n->len;
	return n->u.s;
}

const char *
yml_scalar_json(const struct yml_node *n)
{
	struct yml_node *w = (struct yml_node *)(uintptr_t)n;
	struct yml_arena *a;
	struct buf b = BUF_INIT;
	char *slot, *json;

	if (n == NULL || n->type == YML_SEQ || n->type == YML_MAP)
		return NULL;
	if (n->type != YML_STR)
		return n->u.s;
	slot = (char *)(uintptr_t)n->u.s - sizeof(void *);
	if (n->flags & NF_JSON_DONE) {
		memcpy(&json, slot, sizeof(json));
		return json;
	}
	memcpy(&a, slot, sizeof(a));
	buf_add_json_str(&b, n->u.s, n->len);
	json = arena_strdup(a, b.s, b.len);
	buf_release(&b);
	memcpy(slot, &json, sizeof(json));
	w->flags |= NF_JSON_DONE;
	return json;
}

size_t
yml_len(const struct yml_node *n)
{
	if (n == NULL || (n->type != YML_SEQ && n->type != YML_MAP))
		return 0;
	return n->len;
}

struct yml_node *
yml_at(const struct yml_node *seq, size_t i)
{
	if (seq == NULL || seq->type != YML_SEQ || i >= seq->len)
		return NULL;
	return seq->u.items[i];
}

const char *
yml_key_at(const struct yml_node *map, size_t i, size_t *len)
{
	if (map == NULL || map->type != YML_MAP || i >= map->len)
		return NULL;
	if (len)
		*len = map->u.ents[i].klen;
	return map->u.ents[i].key;
}

struct yml_node *
yml_value_at(const struct yml_node *map, size_t i)
{
	if (map == NULL || map->type != YML_MAP || i >= map->len)
		return NULL;
	return map->u.ents[i].val;
}

static struct yml_entry *
find_entry(const struct yml_node *map, const char *key)
{
	size_t n, i;

	if (map == NULL || map->type != YML_MAP || key == NULL)
		return NULL;
	n = strlen(key);
	for (i = 0; i < map->len; i++)
		if (map->u.ents[i].klen == n &&
		    memcmp(map->u.ents[i].key, key, n) == 0)
			return &map->u.ents[i];
	return NULL;
}

struct yml_node *
yml_get(const struct yml_node *map, const char *key)
{
	struct yml_entry *e = find_entry(map, key);

	return e ? e->val : NULL;
}

const char *
yml_get_str(const struct yml_node *map, const char *key)
{
	return yml_str(yml_get(map, key), NULL);
}

void
yml_map_set_str(struct yml_doc *doc, struct yml_node *map, const char *key,
    const char *value)
{
	struct yml_entry *e, *ents;
	struct yml_node *n;

	if (doc->arena == NULL || map == NULL || map->type != YML_MAP)
		return;
	n = arena_alloc(doc->arena, sizeof(*n));
	n->type = YML_STR;
	n->flags = 0;
	n->line = map->line;
	n->column = map->column;
	n->len = strlen(value);
	n->u.s = arena_str(doc->arena, value, n->len);
	e = find_entry(map, key);
	if (e) {
		e->val = n;
		return;
	}
	ents = arena_alloc(doc->arena, (map->len + 1) * sizeof(*ents));
	if (map->len)
		memcpy(ents, map->u.ents, map->len * sizeof(*ents));
	e = &ents[map->len];
	e->klen = strlen(key);
	e->key = arena_strdup(doc->arena, key, e->klen);
	e->val = n;
	e->line = map->line;
	e->flags = 0;
	map->u.ents = ents;
	map->len++;
}

/* ---- JSON -------------------------------------------------------------- */

/* bytes that JSON cannot take as they are: controls, '"', '\\', non-ASCII */
static const unsigned char json_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

static inline void
put_ch(struct buf *b, char c)
{
	if (b->len + 1 >= b->alloc)
		buf_grow(b, 1);
	b->s[b->len++] = c;
}

static inline void
put_raw(struct buf *b, const char *s, size_t n)
{
	if (b->len + n >= b->alloc)
		buf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

static void
put_str(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++)
		if (json_special[u[i]])
			break;
	if (i < n) {
		buf_add_json_str(b, s, n);
		return;
	}
	if (b->len + n + 2 >= b->alloc)
		buf_grow(b, n + 2);
	b->s[b->len++] = '"';
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len++] = '"';
}

static void
put_node(struct buf *b, const struct yml_node *n)
{
	size_t i;

	switch (n->type) {
	case YML_STR:
		put_str(b, n->u.s, n->len);
		break;
	case YML_SEQ:
		put_ch(b, '[');
		for (i = 0; i < n->len; i++) {
			if (i)
				put_ch(b, ',');
			put_node(b, n->u.items[i]);
		}
		put_ch(b, ']');
		break;
	case YML_MAP:
		put_ch(b, '{');
		for (i = 0; i < n->len; i++) {
			if (i)
				put_ch(b, ',');
			put_str(b, n->u.ents[i].key, n->u.ents[i].klen);
			put_ch(b, ':');
			put_node(b, n->u.ents[i].val);
		}
		put_ch(b, '}');
		break;
	default:
		put_raw(b, n->u.s, n->len);
	}
}

void
yml_to_json(struct buf *out, const struct yml_node *n)
{
	if (n == NULL)
		put_raw(out, "null", 4);
	else
		put_node(out, n);
	buf_grow(out, 0);
	out->s[out->len] = '\0';
}
