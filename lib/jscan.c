#include "lib/jscan.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/num.h"
#include "lib/banned.h"

#define MAX_DEPTH 512

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

/* The end of the string starting at p (on its quote), or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value starting at p, or NULL if it is not JSON. */
static const char *
skip_value(const char *p, const char *end, int depth)
{
	char close;

	if (p >= end || depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '"':
		return skip_string(p, end);
	case '{':
	case '[':
		close = *p == '{' ? '}' : ']';
		p = ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= end || *p != '"' ||
				    (p = skip_string(p, end)) == NULL)
					return NULL;
				p = ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = ws(p + 1, end);
			}
			if ((p = skip_value(p, end, depth + 1)) == NULL)
				return NULL;
			p = ws(p, end);
			if (p >= end)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p = ws(p + 1, end);
		}
	default:
		/* a number or a literal: up to the next delimiter */
		while (p < end && *p != ',' && *p != '}' && *p != ']' &&
		    *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		return p;
	}
}

int
jscan_value(const char *s, size_t n, const char **v, size_t *vn)
{
	const char *end = s + n, *p = ws(s, end), *q;

	q = skip_value(p, end, 0);
	if (q == NULL || q == p)
		return -1;
	*v = p;
	*vn = (size_t)(q - p);
	return 1;
}

int
jscan_key_is(const char *k, size_t kn, const char *key)
{
	size_t n = strlen(key);
	char *dec;
	int eq;

	if (kn == n + 2 && memcmp(k + 1, key, n) == 0)
		return 1;
	if (memchr(k, '\\', kn) == NULL)
		return 0;
	dec = jscan_str(k, kn);	/* an escaped key: rare */
	eq = dec != NULL && strcmp(dec, key) == 0;
	free(dec);
	return eq;
}

/* The value of member key of the object at [p, end). 1, 0, -1. */
static int
member(const char *p, const char *end, const char *key, const char **v,
    size_t *vn)
{
	const char *k, *q;

	p = ws(p, end);
	if (p >= end || *p != '{')
		return 0;
	p = ws(p + 1, end);
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		k = p;
		if (p >= end || *p != '"' || (p = skip_string(p, end)) == NULL)
			return -1;
		q = p;
		p = ws(p, end);
		if (p >= end || *p != ':')
			return -1;
		p = ws(p + 1, end);
		if (jscan_key_is(k, (size_t)(q - k), key)) {
			*v = p;
			if ((q = skip_value(p, end, 1)) == NULL)
				return -1;
			*vn = (size_t)(q - p);
			return 1;
		}
		if ((p = skip_value(p, end, 1)) == NULL)
			return -1;
		p = ws(p, end);
		if (p < end && *p == '}')
			return 0;
		if (p >= end || *p != ',')
			return -1;
		p = ws(p + 1, end);
	}
}

int
jscan_get(const char *s, size_t n, const char *const *path, const char **v,
    size_t *vn)
{
	const char *p = s, *end = s + n;
	size_t len = n;
	int r;

	for (; *path != NULL; path++) {
		r = member(p, end, *path, v, vn);
		if (r <= 0)
			return r;
		p = *v;
		len = *vn;
		end = p + len;
	}
	return 1;
}

int
jscan_iter_init(struct jscan_iter *it, const char *arr, size_t n)
{
	it->end = arr + n;
	it->p = ws(arr, it->end);
	it->first = 1;
	if (it->p >= it->end || *it->p != '[')
		return -1;
	it->p++;
	return 0;
}

int
jscan_next(struct jscan_iter *it, const char **v, size_t *vn)
{
	const char *q;

	it->p = ws(it->p, it->end);
	if (it->p >= it->end)
		return -1;
	if (*it->p == ']')
		return 0;
	if (!it->first) {
		if (*it->p != ',')
			return -1;
		it->p = ws(it->p + 1, it->end);
	}
	it->first = 0;
	if ((q = skip_value(it->p, it->end, 1)) == NULL)
		return -1;
	*v = it->p;
	*vn = (size_t)(q - it->p);
	it->p = q;
	return 1;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = num_hexval(p[i])) < 0)
			return 0xfffd;
		v = v << 4 | (unsigned)h;
	}
	return v;
}

static void
add_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, 0xc0 | (int)(cp >> 6));
		buf_addch(b, 0x80 | (int)(cp & 0x3f));
	} else if (cp < 0x10000) {
		buf_addch(b, 0xe0 | (int)(cp >> 12));
		buf_addch(b, 0x80 | (int)((cp >> 6) & 0x3f));
		buf_addch(b, 0x80 | (int)(cp & 0x3f));
	} else {
		buf_addch(b, 0xf0 | (int)(cp >> 18));
		buf_addch(b, 0x80 | (int)((cp >> 12) & 0x3f));
		buf_addch(b, 0x80 | (int)((cp >> 6) & 0x3f));
		buf_addch(b, 0x80 | (int)(cp & 0x3f));
	}
}

char *
jscan_str(const char *v, size_t vn)
{
	struct buf b = BUF_INIT;
	const char *p = v + 1, *end = v + vn - 1;
	unsigned cp, lo;

	if (vn < 2 || v[0] != '"' || v[vn - 1] != '"')
		return NULL;
	buf_grow(&b, vn);
	while (p < end) {
		if (*p != '\\') {
			buf_addch(&b, *p++);
			continue;
		}
		if (++p >= end)
			break;
		switch (*p) {
		case 'n': buf_addch(&b, '\n'); break;
		case 't': buf_addch(&b, '\t'); break;
		case 'r': buf_addch(&b, '\r'); break;
		case 'b': buf_addch(&b, '\b'); break;
		case 'f': buf_addch(&b, '\f'); break;
		case 'u':
			if (end - p < 5)
				goto out;
			cp = hex4(p + 1);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u') {
				lo = hex4(p + 3);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
			}
			add_utf8(&b, cp);
			break;
		default:
			buf_addch(&b, *p);	/* \" \\ \/ */
		}
		p++;
	}
out:
	return buf_detach(&b, NULL);
}

int
jscan_true(const char *v, size_t vn)
{
	return vn == 4 && memcmp(v, "true", 4) == 0;
}

int
jscan_nonempty_array(const char *v, size_t vn)
{
	struct jscan_iter it;
	const char *e;
	size_t en;

	return jscan_iter_init(&it, v, vn) == 0 && jscan_next(&it, &e, &en) == 1;
}

int
jscan_members_init(struct jscan_iter *it, const char *obj, size_t n)
{
	it->end = obj + n;
	it->p = ws(obj, it->end);
	it->first = 1;
	if (it->p >= it->end || *it->p != '{')
		return -1;
	it->p++;
	return 0;
}

int
jscan_next_member(struct jscan_iter *it, const char **k, size_t *kn,
    const char **v, size_t *vn)
{
	const char *q;

	it->p = ws(it->p, it->end);
	if (it->p >= it->end)
		return -1;
	if (*it->p == '}')
		return 0;
	if (!it->first) {
		if (*it->p != ',')
			return -1;
		it->p = ws(it->p + 1, it->end);
	}
	it->first = 0;
	if (it->p >= it->end || *it->p != '"' ||
	    (q = skip_string(it->p, it->end)) == NULL)
		return -1;
	*k = it->p;
	*kn = (size_t)(q - it->p);
	it->p = ws(q, it->end);
	if (it->p >= it->end || *it->p != ':')
		return -1;
	it->p = ws(it->p + 1, it->end);
	if ((q = skip_value(it->p, it->end, 1)) == NULL)
		return -1;
	*v = it->p;
	*vn = (size_t)(q - it->p);
	it->p = q;
	return 1;
}

char *
jscan_get_str(const char *s, size_t n, const char *const *path)
{
	const char *v;
	size_t vn;

	if (jscan_get(s, n, path, &v, &vn) != 1)
		return NULL;
	return jscan_str(v, vn);
}
