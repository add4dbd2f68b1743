#include "lib/jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lib/buf.h"
#include "lib/num.h"
#include "lib/xalloc.h"
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

#define ONES	0x0101010101010101ull
#define HIGHS	0x8080808080808080ull

size_t
jscan_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t x, q, b;
	size_t i = 0;

#ifdef __SSE2__
	/*
	 * Sixteen bytes at a time where there are sixteen left (n runs to
	 * the end of the line, not of the string, so there nearly always
	 * are): the first byte to look at comes straight from the mask. A
	 * signed compare with 0x20 catches both the control characters and
	 * the bytes above 0x7f.
	 */
	{
		const __m128i quote = _mm_set1_epi8('"');
		const __m128i backslash = _mm_set1_epi8('\\');
		const __m128i space = _mm_set1_epi8(0x20);
		__m128i v;
		unsigned m;

		for (; i + 16 <= n; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
			    _mm_cmplt_epi8(v, space)));
			if (m != 0)
				return i + (size_t)__builtin_ctz(m);
		}
	}
#endif
	/*
	 * A byte of q or b is zero where x has a quote or a backslash;
	 * (v - ONES) & ~v has the high bit of its lowest zero byte set, and
	 * x - 0x20 in every byte that of its lowest byte below 0x20. Any
	 * high bit means "look closer", and is never set for a word of plain
	 * bytes.
	 */
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, p + i, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		if ((((q - ONES) & ~q) | ((b - ONES) & ~b) |
		    (x - ONES * 0x20) | x) & HIGHS)
			break;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
	    p[i] != '\\')
		i++;
	return i;
}

/* The end of the string starting at p (on its quote), or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p += *p == '\\' ? 2 : 1) {
		p += jscan_plain(p, (size_t)(end - p));
		if (p < end && *p == '"')
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
	if (memchr(p, '\\', (size_t)(end - p)) == NULL)
		return xmemdup(p, (size_t)(end - p));	/* most strings */
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

int
jscan_pick(const char *s, size_t n, const char *const *keys, const char **v,
    size_t *vn)
{
	struct jscan_iter it;
	const char *k, *mv;
	size_t kn, mvn, i, left;
	int rc = 0;

	for (left = 0; keys[left] != NULL; left++)
		v[left] = NULL;
	if (jscan_members_init(&it, s, n) < 0)
		return -1;
	while (left > 0 && (rc = jscan_next_member(&it, &k, &kn, &mv,
	    &mvn)) == 1)
		for (i = 0; keys[i] != NULL; i++)
			if (v[i] == NULL && jscan_key_is(k, kn, keys[i])) {
				v[i] = mv;
				vn[i] = mvn;
				left--;
				break;
			}
	return left > 0 && rc < 0 ? -1 : 0;
}
