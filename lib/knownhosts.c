#include "lib/knownhosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/banned.h"

const char *
knownhosts_key_type(const unsigned char *key, size_t keylen, size_t *n)
{
	unsigned long len;

	*n = 0;
	if (key == NULL || keylen < 4)
		return NULL;
	len = (unsigned long)key[0] << 24 | (unsigned long)key[1] << 16 |
	    (unsigned long)key[2] << 8 | key[3];
	if (len == 0 || len > keylen - 4)
		return NULL;
	*n = len;
	return (const char *)key + 4;
}

void
knownhosts_fingerprint(const unsigned char *key, size_t keylen,
    struct buf *out)
{
	unsigned char md[DIGEST_SHA256_LEN];

	digest_sha256(key, keylen, md);
	buf_adds(out, "SHA256:");
	digest_base64_encode(md, sizeof(md), DIGEST_B64_NOPAD, out);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* OpenSSH's match_pattern: '*' any run, '?' any one character. */
static int
glob_match(const char *s, const char *p, size_t np)
{
	const char *star_p = NULL, *star_s = NULL, *pend = p + np;

	while (*s) {
		if (p < pend && (*p == '?' || lower(*p) == lower(*s))) {
			p++;
			s++;
		} else if (p < pend && *p == '*') {
			star_p = ++p;
			star_s = s;
		} else if (star_p) {
			p = star_p;
			s = ++star_s;
		} else {
			return 0;
		}
	}
	while (p < pend && *p == '*')
		p++;
	return p == pend;
}

/*
 * OpenSSH's match_pattern_list: 1 if a pattern matches and no negated one
 * does, -1 if a negated one does, 0 if none does.
 */
static int
match_patterns(const char *name, const char *list, size_t n)
{
	const char *p = list, *end = list + n, *comma;
	size_t len;
	int neg, got = 0;

	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		len = comma ? (size_t)(comma - p) : (size_t)(end - p);
		neg = len > 0 && *p == '!';
		if (glob_match(name, p + neg, len - neg)) {
			if (neg)
				return -1;
			got = 1;
		}
		p += len + 1;
	}
	return got;
}

/* "|1|salt|hmac": does HMAC-SHA1(salt, name) equal hmac? */
static int
match_hashed(const char *name, const char *s, size_t n)
{
	struct buf salt = BUF_INIT, mac = BUF_INIT;
	unsigned char md[DIGEST_SHA1_LEN];
	const char *bar;
	int ret = 0;

	s += 3;
	n -= 3;
	bar = memchr(s, '|', n);
	if (bar == NULL)
		return 0;
	if (digest_base64_decode(s, (size_t)(bar - s), 0, &salt) < 0 ||
	    digest_base64_decode(bar + 1, n - (size_t)(bar - s) - 1, 0, &mac)
	    < 0 || mac.len != DIGEST_SHA1_LEN)
		goto out;
	digest_hmac_sha1(salt.s, salt.len, name, strlen(name), md);
	ret = memcmp(md, mac.s, sizeof(md)) == 0;
out:
	buf_release(&salt);
	buf_release(&mac);
	return ret;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t
field_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\r' &&
	    s[n] != '\n')
		n++;
	return n;
}

enum marker { MARK_NONE, MARK_REVOKED, MARK_SKIP };

/*
 * Parse one line. 0 with *mark and the decoded key in *blob if the line is
 * an entry whose host patterns match name; -1 if it is not (a comment, a
 * blank or broken line, another host).
 */
static int
parse_line(const char *s, const char *name, enum marker *mark,
    struct buf *blob)
{
	const char *hosts, *type, *ktype;
	size_t nhosts, ntype, n, nk;
	int m;

	s = skip_space(s);
	*mark = MARK_NONE;
	if (*s == '@') {
		n = field_len(s);
		if (n == 8 && memcmp(s, "@revoked", 8) == 0)
			*mark = MARK_REVOKED;
		else
			return -1;	/* @cert-authority: not supported */
		s = skip_space(s + n);
	}
	if (*s == '\0' || *s == '#' || *s == '\r' || *s == '\n')
		return -1;
	hosts = s;
	nhosts = field_len(s);
	type = skip_space(s + nhosts);
	ntype = field_len(type);
	s = skip_space(type + ntype);
	n = field_len(s);
	if (ntype == 0 || n == 0)
		return -1;

	if (nhosts > 3 && memcmp(hosts, "|1|", 3) == 0)
		m = match_hashed(name, hosts, nhosts);
	else
		m = match_patterns(name, hosts, nhosts);
	if (m != 1)
		return -1;

	buf_reset(blob);
	if (digest_base64_decode(s, n, 0, blob) < 0)
		return -1;
	ktype = knownhosts_key_type((unsigned char *)blob->s, blob->len, &nk);
	if (ktype == NULL || nk != ntype || memcmp(ktype, type, nk) != 0)
		return -1;
	return 0;
}

int
knownhosts_check(const char *path, const char *host, int port,
    const unsigned char *key, size_t keylen, enum knownhosts_result *res,
    unsigned long *line, struct buf *err)
{
	struct buf name = BUF_INIT, blob = BUF_INIT;
	enum knownhosts_result r = KNOWNHOSTS_UNKNOWN;
	unsigned long lineno = 0, found = 0;
	const char *type, *etype;
	size_t ntype, netype, cap = 0, i;
	enum marker mark;
	char *l = NULL;
	FILE *fp;
	int ret = -1;

	type = knownhosts_key_type(key, keylen, &ntype);
	if (type == NULL) {
		buf_addf(err, "the host key of '%s' is not an SSH key blob",
		    host);
		return -1;
	}
	fp = fopen(path, "r");
	if (fp == NULL) {
		buf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (port > 0 && port != 22)
		buf_addf(&name, "[%s]:%d", host, port);
	else
		buf_adds(&name, host);
	for (i = 0; i < name.len; i++)
		name.s[i] = (char)lower((unsigned char)name.s[i]);

	errno = 0;
	while (getline(&l, &cap, fp) != -1) {
		lineno++;
		if (parse_line(l, name.s, &mark, &blob) < 0)
			continue;
		if (blob.len == keylen && memcmp(blob.s, key, keylen) == 0) {
			if (mark == MARK_REVOKED) {
				r = KNOWNHOSTS_REVOKED;
				found = lineno;
				break;	/* nothing overrides a revocation */
			}
			if (r != KNOWNHOSTS_MATCH) {
				r = KNOWNHOSTS_MATCH;
				found = lineno;
			}
			continue;
		}
		etype = knownhosts_key_type((unsigned char *)blob.s, blob.len,
		    &netype);
		if (mark == MARK_NONE && r == KNOWNHOSTS_UNKNOWN &&
		    netype == ntype && memcmp(etype, type, ntype) == 0) {
			r = KNOWNHOSTS_CHANGED;
			found = lineno;
		}
	}
	if (ferror(fp)) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	*res = r;
	*line = r == KNOWNHOSTS_UNKNOWN ? 0 : found;
	ret = 0;
out:
	fclose(fp);
	free(l);
	buf_release(&name);
	buf_release(&blob);
	return ret;
}
