/*
 * semver.c: versions and constraints (semver.h). The rules, operator by
 * operator, are Masterminds/semver v3.1's, which Flux v1 matched tags
 * with; the comments say where its behaviour is surprising.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/semver.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* ---- versions ---- */

/* Digits at *p into *out; -1 if there are none or they overflow. */
static int
number(const char **p, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (~0ULL - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '-';
}

/*
 * Dot-separated identifiers at *p (at least one); for a prerelease, a
 * numeric identifier may not have a leading zero. The end in *p.
 */
static int
identifiers(const char **p, int pre)
{
	const char *s = *p, *start;
	int digits;

	for (;;) {
		start = s;
		digits = 1;
		for (; is_ident_char((unsigned char)*s); s++)
			if (!isdigit((unsigned char)*s))
				digits = 0;
		if (s == start)
			return -1;
		if (pre && digits && *start == '0' && s - start > 1)
			return -1;
		if (*s != '.')
			break;
		s++;
	}
	*p = s;
	return 0;
}

/*
 * The version at s up to end (or the NUL): 0 and *out, or -1. Parts may
 * be x, X or * when xok, and are then reported in *xmask (1 major, 2
 * minor, 4 patch, missing parts included) and read as 0.
 */
static int
parse_version(const char *s, const char *end, struct semver *out, int xok,
    unsigned *xmask)
{
	unsigned long long part[3] = { 0, 0, 0 };
	const char *p = s, *pre = NULL, *pre_end = NULL;
	unsigned mask = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (*p == 'v')
		p++;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (p >= end || *p != '.') {
				mask |= 7u & ~((1u << i) - 1);
				break;
			}
			p++;
		}
		if (xok && p < end && (*p == 'x' || *p == 'X' || *p == '*') &&
		    (p + 1 == end || p[1] == '.' || p[1] == '-' ||
		    p[1] == '+')) {
			mask |= 1u << i;
			p++;
			continue;
		}
		if (number(&p, &part[i]) < 0 || p > end)
			return -1;
	}
	if (p < end && *p == '-') {
		pre = ++p;
		if (identifiers(&p, 1) < 0 || p > end)
			return -1;
		pre_end = p;
	}
	if (p < end && *p == '+') {
		p++;
		if (identifiers(&p, 0) < 0 || p > end)
			return -1;
	}
	if (p != end)
		return -1;
	out->major = part[0];
	out->minor = part[1];
	out->patch = part[2];
	if (pre != NULL)
		out->pre = xstrndup(pre, (size_t)(pre_end - pre));
	if (xmask != NULL)
		*xmask = mask;
	return 0;
}

int
semver_parse(const char *s, struct semver *out)
{
	return parse_version(s, s + strlen(s), out, 0, NULL);
}

void
semver_release(struct semver *v)
{
	free(v->pre);
	v->pre = NULL;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* One prerelease identifier against another ("" when one has run out:
 * fewer identifiers are lower). Numbers are lower than words. */
static int
compare_ident(const char *a, size_t na, const char *b, size_t nb)
{
	int da = all_digits(a, na), db = all_digits(b, nb), c;

	if (na == nb && memcmp(a, b, na) == 0)
		return 0;
	if (na == 0 || nb == 0)
		return na == 0 ? -1 : 1;
	if (da && db) {
		/* no leading zeros: the longer is the larger */
		while (na > 1 && *a == '0')
			a++, na--;
		while (nb > 1 && *b == '0')
			b++, nb--;
		if (na != nb)
			return na < nb ? -1 : 1;
		return memcmp(a, b, na) < 0 ? -1 : 1;
	}
	if (da != db)
		return da ? -1 : 1;
	c = memcmp(a, b, na < nb ? na : nb);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return na < nb ? -1 : 1;
}

static int
compare_pre(const char *a, const char *b)
{
	size_t na, nb;
	int c;

	for (;;) {
		na = a ? strcspn(a, ".") : 0;
		nb = b ? strcspn(b, ".") : 0;
		if (na == 0 && nb == 0)
			return 0;
		if ((c = compare_ident(a ? a : "", na, b ? b : "", nb)) != 0)
			return c;
		a = a && a[na] == '.' ? a + na + 1 : NULL;
		b = b && b[nb] == '.' ? b + nb + 1 : NULL;
		if (a == NULL && b == NULL)
			return 0;
	}
}

int
semver_compare(const struct semver *a, const struct semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	if (a->pre == NULL || b->pre == NULL)
		return a->pre == b->pre ? 0 : a->pre == NULL ? 1 : -1;
	return compare_pre(a->pre, b->pre);
}

/* ---- constraints ---- */

enum op {
	OP_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE, OP_TILDE, OP_CARET
};

struct one {
	enum op op;
	struct semver con;
	int dirty, minor_dirty, patch_dirty;
};

struct all {
	struct one *c;
	size_t n;
};

struct semver_constraint {
	struct all *any;
	size_t n;
};

/* The operator at *p, longest first; OP_EQ for none. */
static enum op
read_op(const char **p)
{
	static const struct {
		const char *s;
		enum op op;
	} ops[] = {
		{ "!=", OP_NE }, { ">=", OP_GE }, { "=>", OP_GE },
		{ "<=", OP_LE }, { "=<", OP_LE }, { "~>", OP_TILDE },
		{ "=", OP_EQ }, { ">", OP_GT }, { "<", OP_LT },
		{ "~", OP_TILDE }, { "^", OP_CARET },
	};
	size_t i, n;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i].s);
		if (strncmp(*p, ops[i].s, n) == 0) {
			*p += n;
			return ops[i].op;
		}
	}
	return OP_EQ;
}

static int
is_version_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '+' || c == '*';
}

/*
 * A constraint's version from *p: x parts and missing parts make it
 * "dirty" as Masterminds' parseConstraint says: an x major stands for
 * 0.0.0, an x minor for MAJOR.0.0, an x patch for MAJOR.MINOR.0.
 */
static int
read_cv(const char **p, struct one *out)
{
	const char *s = *p, *e = s;
	unsigned mask;

	while (is_version_char((unsigned char)*e))
		e++;
	if (e == s || parse_version(s, e, &out->con, 1, &mask) < 0)
		return -1;
	if (mask & 1) {
		out->con.major = out->con.minor = out->con.patch = 0;
		out->dirty = 1;
	} else if (mask & 2) {
		out->con.minor = out->con.patch = 0;
		out->dirty = out->minor_dirty = 1;
	} else if (mask & 4) {
		out->con.patch = 0;
		out->dirty = out->patch_dirty = 1;
	}
	*p = e;
	return 0;
}

static void
skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r' ||
	    **p == '\f' || **p == '\v')
		(*p)++;
}

static void
all_add(struct all *a, const struct one *c)
{
	a->c = xreallocarray(a->c, a->n + 1, sizeof(*a->c));
	a->c[a->n++] = *c;
}

static void
all_release(struct all *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		semver_release(&a->c[i].con);
	free(a->c);
}

/*
 * One alternative, s to end: constraints separated by white space or a
 * comma, and "A - B" ranges. 0, or -1.
 */
static int
parse_all(const char *s, const char *end, struct all *out)
{
	char *text = xstrndup(s, (size_t)(end - s));
	const char *p = text, *q;
	struct one c, hi;
	int sep = 1, rc = -1;

	for (;;) {
		skip_space(&p);
		if (*p == '\0')
			break;
		if (!sep)
			goto out;
		memset(&c, 0, sizeof(c));
		c.op = read_op(&p);
		skip_space(&p);
		if (read_cv(&p, &c) < 0)
			goto out;
		/* "A - B": spaces around the hyphen, no operators */
		q = p;
		skip_space(&q);
		if (c.op == OP_EQ && q > p && q[0] == '-' && (q[1] == ' ' ||
		    q[1] == '\t')) {
			q++;
			skip_space(&q);
			memset(&hi, 0, sizeof(hi));
			if (read_cv(&q, &hi) < 0) {
				semver_release(&c.con);
				goto out;
			}
			c.op = OP_GE;
			hi.op = OP_LE;
			all_add(out, &c);
			all_add(out, &hi);
			p = q;
		} else {
			all_add(out, &c);
		}
		q = p;
		skip_space(&p);
		sep = p > q;
		if (*p == ',') {
			p++;
			sep = 1;
		}
	}
	rc = out->n > 0 ? 0 : -1;
out:
	free(text);
	return rc;
}

struct semver_constraint *
semver_constraint_parse(const char *s, struct buf *err)
{
	struct semver_constraint *c = xcalloc(1, sizeof(*c));
	const char *p = s, *bar;

	for (;;) {
		bar = strstr(p, "||");
		c->any = xreallocarray(c->any, c->n + 1, sizeof(*c->any));
		memset(&c->any[c->n], 0, sizeof(*c->any));
		if (parse_all(p, bar ? bar : p + strlen(p), &c->any[c->n++]) <
		    0) {
			buf_addf(err, "improper constraint: %s", s);
			semver_constraint_free(c);
			return NULL;
		}
		if (bar == NULL)
			break;
		p = bar + 2;
	}
	return c;
}

void
semver_constraint_free(struct semver_constraint *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		all_release(&c->any[i]);
	free(c->any);
	free(c);
}

static int
check_tilde(const struct semver *v, const struct one *c)
{
	if (semver_compare(v, &c->con) < 0)
		return 0;
	/* ~0.0.0 (and so "*") is anything */
	if (c->con.major == 0 && c->con.minor == 0 && c->con.patch == 0 &&
	    !c->minor_dirty && !c->patch_dirty)
		return 1;
	if (v->major != c->con.major)
		return 0;
	return v->minor == c->con.minor || c->minor_dirty;
}

static int
check_caret(const struct semver *v, const struct one *c)
{
	if (semver_compare(v, &c->con) < 0)
		return 0;
	/* "^*" is any, as Masterminds documents (v3.1's code said no) */
	if (c->dirty && !c->minor_dirty && !c->patch_dirty)
		return 1;
	if (c->con.major > 0 || c->minor_dirty)
		return v->major == c->con.major;
	if (v->major > 0)
		return 0;
	if (c->con.minor > 0 || c->patch_dirty)
		return v->minor == c->con.minor;
	if (v->minor > 0)
		return 0;
	return v->patch == c->con.patch;
}

static int
check_not_equal(const struct semver *v, const struct one *c)
{
	if (!c->dirty)
		return semver_compare(v, &c->con) != 0;
	if (c->con.major != v->major)
		return 1;
	if (c->minor_dirty)
		return 0;
	if (c->con.minor != v->minor)
		return 1;
	if (!c->patch_dirty)
		return c->con.patch != v->patch;
	if (v->pre != NULL || c->con.pre != NULL)
		return compare_pre(v->pre, c->con.pre) != 0;
	return 0;
}

static int
check_one(const struct semver *v, const struct one *c)
{
	/*
	 * A prerelease passes only a constraint that names one (Masterminds
	 * issue 21). For != that holds only of x constraints: "!= 1.0.0"
	 * lets "1.1.0-rc.1" through, "!= 1.x" does not.
	 */
	if (v->pre != NULL && c->con.pre == NULL &&
	    (c->op != OP_NE || c->dirty))
		return 0;
	switch (c->op) {
	case OP_NE:
		return check_not_equal(v, c);
	case OP_GT:
		if (!c->dirty)
			return semver_compare(v, &c->con) > 0;
		if (v->major != c->con.major)
			return v->major > c->con.major;
		/* "> 11" wants 12 and up; "> 11.1" wants 11.2 and up */
		if (c->minor_dirty)
			return 0;
		if (c->patch_dirty)
			return v->minor > c->con.minor;
		return semver_compare(v, &c->con) > 0;
	case OP_LT:
		return semver_compare(v, &c->con) < 0;
	case OP_GE:
		return semver_compare(v, &c->con) >= 0;
	case OP_LE:
		if (!c->dirty)
			return semver_compare(v, &c->con) <= 0;
		if (v->major > c->con.major)
			return 0;
		return !(v->major == c->con.major && v->minor > c->con.minor &&
		    !c->minor_dirty);
	case OP_TILDE:
		return check_tilde(v, c);
	case OP_CARET:
		return check_caret(v, c);
	default:
		/* = or none: an x version means ~ */
		if (c->dirty)
			return check_tilde(v, c);
		return semver_compare(v, &c->con) == 0;
	}
}

int
semver_check(const struct semver_constraint *c, const struct semver *v)
{
	size_t i, k;

	for (i = 0; i < c->n; i++) {
		for (k = 0; k < c->any[i].n; k++)
			if (!check_one(v, &c->any[i].c[k]))
				break;
		if (k == c->any[i].n)
			return 1;
	}
	return 0;
}
