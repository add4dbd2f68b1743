#include "lib/flux.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/banned.h"

/*
 * The parts of Go's net/url that SafeURL goes through. The rules are Go's
 * (shouldEscape, unescape, validEncoded, parseHost, validUserinfo); the
 * code is ours.
 */
enum enc { ENC_PATH, ENC_USER, ENC_HOST, ENC_ZONE, ENC_FRAG };

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static int
should_escape(int c, enum enc mode)
{
	if (is_alnum(c))
		return 0;
	if ((mode == ENC_HOST || mode == ENC_ZONE) && c != '\0' &&
	    strchr("!$&'()*+,;=:[]<>\"", c) != NULL)
		return 0;
	switch (c) {
	case '-': case '_': case '.': case '~':
		return 0;
	case '$': case '&': case '+': case ',': case '/': case ':': case ';':
	case '=': case '?': case '@':
		switch (mode) {
		case ENC_PATH:
			return c == '?';
		case ENC_USER:
			return c == '@' || c == '/' || c == '?' || c == ':';
		case ENC_FRAG:
			return 0;
		default:
			break;
		}
		break;
	default:
		break;
	}
	if (mode == ENC_FRAG &&
	    (c == '!' || c == '(' || c == ')' || c == '*'))
		return 0;
	return 1;
}

/* Append the %-decoded form of s to out (if out is not NULL). 0 or -1. */
static int
unescape(const char *s, size_t n, enum enc mode, struct buf *out)
{
	unsigned char c, v;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return -1;
			v = (unsigned char)(unhex(s[i + 1]) << 4 |
			    unhex(s[i + 2]));
			/* only non-ASCII bytes may be %-encoded in a host,
			 * and %25 before an IPv6 zone (RFC 6874) */
			if (mode == ENC_HOST && unhex(s[i + 1]) < 8 &&
			    memcmp(s + i, "%25", 3) != 0)
				return -1;
			if (mode == ENC_ZONE && memcmp(s + i, "%25", 3) != 0 &&
			    v != ' ' && should_escape(v, ENC_HOST))
				return -1;
			i += 2;
			if (out)
				buf_addch(out, v);
			continue;
		}
		if ((mode == ENC_HOST || mode == ENC_ZONE) && c < 0x80 &&
		    should_escape(c, mode))
			return -1;
		if (out)
			buf_addch(out, c);
	}
	return 0;
}

static void
escape(const char *s, size_t n, enum enc mode, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (should_escape(c, mode)) {
			buf_addch(out, '%');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		} else {
			buf_addch(out, c);
		}
	}
}

static int
valid_encoded(const char *s, size_t n, enum enc mode)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr("!$&'()*+,;=:@[]%", s[i]) != NULL && s[i] != '\0')
			continue;
		if (should_escape((unsigned char)s[i], mode))
			return 0;
	}
	return 1;
}

/*
 * Go keeps a path (or fragment) as it was written when that is a valid
 * encoding of it (EscapedPath, RawPath), and otherwise encodes the decoded
 * form itself. s has already been through unescape successfully.
 */
static void
add_reencoded(const char *s, size_t n, enum enc mode, struct buf *out)
{
	struct buf raw = BUF_INIT;

	if (valid_encoded(s, n, mode)) {
		buf_add(out, s, n);
		return;
	}
	unescape(s, n, mode, &raw);
	escape(raw.s, raw.len, mode, out);
	buf_release(&raw);
}

/* ":digits" or nothing */
static int
valid_port(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (s[0] != ':')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
valid_userinfo(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && (s[i] == '\0' ||
		    strchr("-._:~!$&'()*+,;=%@", s[i]) == NULL))
			return 0;
	return 1;
}

static size_t
last_index(const char *s, size_t n, int c)
{
	while (n--)
		if (s[n] == c)
			return n;
	return (size_t)-1;
}

/* Go 1.17's parseHost: host[:port] or [v6%25zone]:port, decoded. */
static int
parse_host(const char *s, size_t n, struct buf *host)
{
	size_t i, zone;

	if (n && s[0] == '[') {
		i = last_index(s, n, ']');
		if (i == (size_t)-1 || !valid_port(s + i + 1, n - i - 1))
			return -1;
		for (zone = 0; zone + 3 <= i; zone++)
			if (memcmp(s + zone, "%25", 3) == 0)
				break;
		if (zone + 3 <= i)
			return unescape(s, zone, ENC_HOST, host) < 0 ||
			    unescape(s + zone, i - zone, ENC_ZONE, host) < 0 ||
			    unescape(s + i, n - i, ENC_HOST, host) < 0 ? -1 : 0;
	} else if ((i = last_index(s, n, ':')) != (size_t)-1) {
		if (!valid_port(s + i, n - i))
			return -1;
	}
	return unescape(s, n, ENC_HOST, host);
}

static const char *const transports[] = {
	"ssh", "git", "git+ssh", "http", "https", "ftp", "ftps", "rsync",
	"file",
};

static int
is_transport(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (strlen(transports[i]) == n && memcmp(transports[i], s, n)
		    == 0)
			return 1;
	return 0;
}

/*
 * git-urls's ParseTransport: Go's url.Parse, accepted only with a git
 * transport as the scheme; then String() with the password left out.
 * -1 (out unchanged) when url is not of this form.
 */
static int
parse_transport(const char *url, struct buf *out)
{
	struct buf o = BUF_INIT, user = BUF_INIT, host = BUF_INIT;
	const char *hash = strchr(url, '#'), *rest, *q, *auth = NULL;
	const char *frag = NULL, *query = NULL, *at, *colon;
	size_t ulen = hash ? (size_t)(hash - url) : strlen(url);
	size_t i, restlen, authlen = 0, fraglen = 0, querylen = 0, nq = 0;
	int force_query = 0, opaque, has_user = 0, ret = -1;

	if (hash) {
		frag = hash + 1;
		fraglen = strlen(frag);
	}
	for (i = 0; i < ulen; i++) {
		if (is_alpha((unsigned char)url[i]))
			continue;
		if ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
		    url[i] == '-' || url[i] == '.') {
			if (i == 0)
				return -1;
			continue;
		}
		break;
	}
	if (i == 0 || i == ulen || url[i] != ':')
		return -1;
	for (; o.len < i; )
		buf_addch(&o, url[o.len] | (is_alpha(url[o.len]) ? 0x20 : 0));
	if (!is_transport(o.s, o.len))
		goto out;
	buf_addch(&o, ':');
	rest = url + i + 1;
	restlen = ulen - i - 1;

	for (i = 0; i < restlen; i++)
		nq += rest[i] == '?';
	if (nq == 1 && rest[restlen - 1] == '?') {
		force_query = 1;
		restlen--;
	} else if ((q = memchr(rest, '?', restlen)) != NULL) {
		query = q + 1;
		querylen = restlen - (size_t)(query - rest);
		restlen = (size_t)(q - rest);
	}

	opaque = restlen == 0 || rest[0] != '/';
	if (!opaque && restlen >= 2 && rest[1] == '/') {
		auth = rest + 2;
		q = memchr(auth, '/', restlen - 2);
		authlen = q ? (size_t)(q - auth) : restlen - 2;
		rest = auth + authlen;
		restlen -= 2 + authlen;
		i = last_index(auth, authlen, '@');
		at = i == (size_t)-1 ? NULL : auth + i;
		if (parse_host(at ? at + 1 : auth, at ? authlen - i - 1 :
		    authlen, &host) < 0)
			goto out;
		if (at) {
			if (!valid_userinfo(auth, i))
				goto out;
			colon = memchr(auth, ':', i);
			if (unescape(auth, colon ? (size_t)(colon - auth) : i,
			    ENC_USER, &user) < 0)
				goto out;
			/* a password that does not decode fails the parse
			 * even though SafeURL then drops it */
			if (colon && unescape(colon + 1,
			    (size_t)(at - colon - 1), ENC_USER, NULL) < 0)
				goto out;
			has_user = 1;
		}
	}
	if (!opaque && unescape(rest, restlen, ENC_PATH, NULL) < 0)
		goto out;
	if (fraglen && unescape(frag, fraglen, ENC_FRAG, NULL) < 0)
		goto out;

	if (opaque) {
		buf_add(&o, rest, restlen);
	} else {
		if (host.len || restlen || has_user)
			buf_adds(&o, "//");
		if (has_user) {
			escape(user.s, user.len, ENC_USER, &o);
			buf_addch(&o, '@');
		}
		escape(host.s, host.len, ENC_HOST, &o);
		add_reencoded(rest, restlen, ENC_PATH, &o);
	}
	if (force_query || querylen) {
		buf_addch(&o, '?');
		if (querylen)
			buf_add(&o, query, querylen);
	}
	if (fraglen) {
		buf_addch(&o, '#');
		add_reencoded(frag, fraglen, ENC_FRAG, &o);
	}
	buf_add(out, o.s, o.len);
	ret = 0;
out:
	buf_release(&o);
	buf_release(&user);
	buf_release(&host);
	return ret;
}

static size_t
span(const char *s, const char *extra)
{
	size_t n = 0;

	while (s[n] != '\0' && (is_alnum((unsigned char)s[n]) ||
	    strchr(extra, s[n]) != NULL))
		n++;
	return n;
}

/*
 * git-urls's ParseScp, whose regular expression is
 *	^([a-zA-Z0-9-._~]+@)?([a-zA-Z0-9._-]+):([a-zA-Z0-9./._-]+)(?:\?||$)(.*)$
 * giving ssh://[user@]host/path[?rest]. The classes cannot overlap '@'
 * and ':', so the greedy first match needs no backtracking: with "user@"
 * present the match without it fails too.
 */
static int
parse_scp(const char *url, struct buf *out)
{
	const char *user = url, *host = url, *path, *query;
	size_t nuser = span(url, "-._~"), nhost, npath;

	if (nuser && url[nuser] == '@')
		host = url + nuser + 1;
	else
		nuser = 0;
	nhost = span(host, "._-");
	if (nhost == 0 || host[nhost] != ':')
		return -1;
	path = host + nhost + 1;
	npath = span(path, "./_-");
	if (npath == 0)
		return -1;
	query = path + npath;
	if (*query == '?')
		query++;

	buf_adds(out, "ssh://");
	if (nuser) {
		buf_add(out, user, nuser);
		buf_addch(out, '@');
	}
	buf_add(out, host, nhost);
	if (path[0] != '/')
		buf_addch(out, '/');
	buf_add(out, path, npath);
	if (*query) {
		buf_addch(out, '?');
		buf_adds(out, query);
	}
	return 0;
}

/* git-urls's ParseLocal: URL{Scheme: "file", Path: url}.String() */
static void
parse_local(const char *url, struct buf *out)
{
	buf_adds(out, "file://");
	if (strcmp(url, "*") == 0)	/* Go's EscapedPath special case */
		buf_addch(out, '*');
	else
		escape(url, strlen(url), ENC_PATH, out);
}

int
flux_safe_url(const char *url, struct buf *out)
{
	const char *p;

	if (*url == '\0')
		return -1;
	for (p = url; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	if (parse_transport(url, out) == 0 || parse_scp(url, out) == 0)
		return 0;
	parse_local(url, out);
	return 0;
}

static void
add_hash_name(struct digest_sha256 *c, struct buf *out)
{
	unsigned char md[DIGEST_SHA256_LEN];

	digest_sha256_final(c, md);
	digest_base64_encode(md, sizeof(md), DIGEST_B64_URL | DIGEST_B64_NOPAD,
	    out);
}

void
flux_sync_set_name(const char *safe_url, const char *branch,
    char *const *paths, size_t npaths, struct buf *out)
{
	struct digest_sha256 c;
	size_t i;

	digest_sha256_init(&c);
	digest_sha256_update(&c, safe_url, strlen(safe_url));
	digest_sha256_update(&c, branch, strlen(branch));
	for (i = 0; i < npaths; i++)
		digest_sha256_update(&c, paths[i], strlen(paths[i]));
	add_hash_name(&c, out);
}

void
flux_gc_mark(const char *sync_set, const char *id, struct buf *out)
{
	struct digest_sha256 c;

	digest_sha256_init(&c);
	digest_sha256_update(&c, sync_set, strlen(sync_set));
	digest_sha256_update(&c, id, strlen(id));
	buf_adds(out, "sha256.");
	add_hash_name(&c, out);
}
