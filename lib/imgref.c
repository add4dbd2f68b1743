#include "lib/imgref.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Whether the first component of a name is a registry host rather than
 * the start of a Docker Hub path (the docker rule; see imgref.h).
 */
static int
looks_like_domain(const char *s, size_t n)
{
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL ||
	    (n == 9 && memcmp(s, "localhost", 9) == 0);
}

/* ":" digits, to the end of s[0..n). */
static int
port_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != ':')
		return 0;
	for (i = 1; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/*
 * host[:port]: labels of [A-Za-z0-9-] that neither start nor end with "-",
 * joined by "."; or "[" IPv6 "]".
 */
static int
domain_ok(const char *s, size_t n)
{
	size_t i = 0, start;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && (is_hex(s[i]) || s[i] == ':'); i++)
			;
		if (i == 1 || i >= n || s[i] != ']')
			return 0;
		i++;
		return i == n || port_ok(s + i, n - i);
	}
	for (;;) {
		start = i;
		while (i < n && (is_alnum(s[i]) || s[i] == '-'))
			i++;
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return 0;
		if (i == n)
			return 1;
		if (s[i] == ':')
			return port_ok(s + i, n - i);
		if (s[i] != '.')
			return 0;
		i++;
	}
}

/* [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* over s[0..n) */
static int
component_ok(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i == n || !is_lower_alnum(s[i]))
			return 0;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
	}
}

static int
has_upper(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 1;
	return 0;
}

static int
tag_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(is_alnum(s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(is_alnum(s[i]) || s[i] == '_' || s[i] == '.' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/*
 * algorithm ":" hex: [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*,
 * then at least 32 hex digits; sha256 exactly 64 lower-case ones (what
 * go-digest's Validate asks of the one algorithm registries use).
 */
static int
digest_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i, alen, hlen;

	if (colon == NULL)
		return 0;
	alen = (size_t)(colon - s);
	hlen = n - alen - 1;
	for (i = 0; i < alen;) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
		while (i < alen && is_alnum(s[i]))
			i++;
		if (i < alen) {
			if (strchr("-_+.", s[i]) == NULL)
				return 0;
			if (++i == alen)
				return 0;
		}
	}
	if (alen == 0 || hlen < 32)
		return 0;
	for (i = alen + 1; i < n; i++)
		if (!is_hex(s[i]))
			return 0;
	if (alen == 6 && memcmp(s, "sha256", 6) == 0) {
		if (hlen != 64)
			return 0;
		for (i = alen + 1; i < n; i++)
			if (s[i] >= 'A' && s[i] <= 'F')
				return 0;
	}
	return 1;
}

/* Check the path a/b/c over s[0..n); -1 with a reason in err. */
static int
path_check(const char *s, size_t n, struct buf *err)
{
	size_t i = 0, j;

	if (n == 0) {
		buf_adds(err, "repository path is empty");
		return -1;
	}
	if (has_upper(s, n)) {
		buf_adds(err, "repository path must be lower case");
		return -1;
	}
	for (;;) {
		for (j = i; j < n && s[j] != '/'; j++)
			;
		if (j == i) {
			buf_adds(err, "repository path has an empty component");
			return -1;
		}
		if (!component_ok(s + i, j - i)) {
			buf_addf(err, "invalid repository path component "
			    "'%.*s'", (int)(j - i), s + i);
			return -1;
		}
		if (j == n)
			return 0;
		i = j + 1;
		if (i == n) {
			buf_adds(err, "repository path has an empty component");
			return -1;
		}
	}
}

static int
fail(struct imgref *out, struct buf *err, const char *s, const char *why)
{
	imgref_release(out);
	buf_addf(err, "invalid image reference '%s': %s", s, why);
	return -1;
}

int
imgref_parse(const char *s, struct imgref *out, struct buf *err)
{
	struct buf why = BUF_INIT;
	const char *slash, *rest, *at, *colon, *name_end;
	size_t dlen = 0, plen;
	int ret;

	out->domain = out->path = out->tag = out->digest = NULL;
	if (*s == '\0')
		return fail(out, err, s, "empty reference");

	rest = s;
	slash = strchr(s, '/');
	if (slash != NULL && looks_like_domain(s, (size_t)(slash - s))) {
		dlen = (size_t)(slash - s);
		if (!domain_ok(s, dlen)) {
			buf_addf(&why, "invalid registry host '%.*s'",
			    (int)dlen, s);
			goto bad;
		}
		out->domain = xstrndup(s, dlen);
		rest = slash + 1;
	}

	at = strchr(rest, '@');
	name_end = at != NULL ? at : rest + strlen(rest);
	if (at != NULL) {
		if (!digest_ok(at + 1, strlen(at + 1))) {
			buf_addf(&why, "invalid digest '%s'", at + 1);
			goto bad;
		}
		out->digest = xstrdup(at + 1);
	}

	/* the tag follows the last ":"; a path may hold no ":" at all */
	colon = NULL;
	for (slash = rest; slash < name_end; slash++)
		if (*slash == ':')
			colon = slash;
	if (colon != NULL) {
		size_t tlen = (size_t)(name_end - colon - 1);

		if (tlen == 0) {
			buf_adds(&why, "tag is empty");
			goto bad;
		}
		if (tlen > IMGREF_TAG_MAX) {
			buf_addf(&why, "tag is longer than %d characters",
			    IMGREF_TAG_MAX);
			goto bad;
		}
		if (!tag_ok(colon + 1, tlen)) {
			buf_addf(&why, "invalid tag '%.*s'", (int)tlen,
			    colon + 1);
			goto bad;
		}
		out->tag = xstrndup(colon + 1, tlen);
		name_end = colon;
	}

	plen = (size_t)(name_end - rest);
	if (path_check(rest, plen, &why) < 0)
		goto bad;
	if (dlen + (dlen > 0) + plen > IMGREF_NAME_MAX) {
		buf_addf(&why, "name is longer than %d characters",
		    IMGREF_NAME_MAX);
		goto bad;
	}
	out->path = xstrndup(rest, plen);
	buf_release(&why);
	return 0;
bad:
	ret = fail(out, err, s, why.s);
	buf_release(&why);
	return ret;
}

void
imgref_release(struct imgref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	r->domain = r->path = r->tag = r->digest = NULL;
}

const char *
imgref_registry(const struct imgref *r)
{
	if (r->domain == NULL || strcmp(r->domain, "docker.io") == 0)
		return IMGREF_DOCKER_HUB;
	return r->domain;
}

void
imgref_canonical_name(const struct imgref *r, struct buf *out)
{
	const char *reg = imgref_registry(r);

	buf_adds(out, reg);
	buf_addch(out, '/');
	if (strcmp(reg, IMGREF_DOCKER_HUB) == 0 && strchr(r->path, '/') == NULL)
		buf_adds(out, "library/");
	buf_adds(out, r->path);
}

void
imgref_canonical_ref(const struct imgref *r, struct buf *out)
{
	imgref_canonical_name(r, out);
	if (r->tag != NULL)
		buf_addf(out, ":%s", r->tag);
	if (r->digest != NULL)
		buf_addf(out, "@%s", r->digest);
}

void
imgref_string_with_tag(const struct imgref *r, const char *tag,
    struct buf *out)
{
	if (r->domain != NULL)
		buf_addf(out, "%s/", r->domain);
	buf_adds(out, r->path);
	if (tag != NULL)
		buf_addf(out, ":%s", tag);
	if (r->digest != NULL)
		buf_addf(out, "@%s", r->digest);
}

void
imgref_string(const struct imgref *r, struct buf *out)
{
	imgref_string_with_tag(r, r->tag, out);
}

int
imgref_glob_match(const char *glob, const char *name)
{
	const char *star = NULL, *resume = NULL;

	/*
	 * The classic one-star backtrack: on a mismatch, let the last star
	 * swallow one more byte. Earlier stars never need to give any back,
	 * because "*" matches everything the later one would.
	 */
	while (*name != '\0') {
		if (*glob == '*') {
			star = ++glob;
			resume = name;
		} else if (*glob == *name) {
			glob++;
			name++;
		} else if (star != NULL) {
			glob = star;
			name = ++resume;
		} else {
			return 0;
		}
	}
	while (*glob == '*')
		glob++;
	return *glob == '\0';
}
