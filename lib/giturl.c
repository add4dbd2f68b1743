#include "lib/giturl.h"

#include <stdlib.h>
#include <string.h>

#include "lib/num.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    num_hexval(s[i + 1]) >= 0 && num_hexval(s[i + 2]) >= 0) {
			*o++ = (char)(num_hexval(s[i + 1]) * 16 + num_hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int
parse_hostport(const char *s, size_t n, struct giturl *u, struct buf *err)
{
	const char *colon = NULL, *end = s + n;
	long port;
	char *p;

	if (n > 0 && *s == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL) {
			buf_adds(err, "unterminated '[' in the host");
			return -1;
		}
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		if (close + 1 < end) {
			if (close[1] != ':') {
				buf_adds(err, "text after ']' in the host");
				return -1;
			}
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		u->host = xstrndup(s, colon ? (size_t)(colon - s) : n);
	}
	if (colon != NULL && colon + 1 < end) {
		p = xstrndup(colon + 1, (size_t)(end - colon - 1));
		if (num_parse_long(p, 1, 65535, &port) < 0) {
			buf_addf(err, "bad port '%s'", p);
			free(p);
			return -1;
		}
		free(p);
		u->port = (int)port;
	}
	return 0;
}

int
giturl_parse(const char *url, struct giturl *in, struct buf *err)
{
	struct giturl u;
	const char *sep, *auth, *auth_end, *at, *colon, *slash, *p;
	struct buf clean = BUF_INIT;

	memset(&u, 0, sizeof(u));
	if (*url == '\0') {
		buf_adds(err, "the URL is empty");
		return -1;
	}
	sep = strstr(url, "://");
	slash = strchr(url, '/');
	colon = strchr(url, ':');
	if (sep != NULL && (slash == NULL || sep < slash)) {
		u.scheme = xstrndup(url, (size_t)(sep - url));
		auth = sep + 3;
		auth_end = auth + strcspn(auth, "/");
		if (strcmp(u.scheme, "file") == 0) {
			u.path = xstrdup(auth);
			u.clean = xstrdup(url);
			goto done;
		}
		at = NULL;
		for (p = auth; p < auth_end; p++)
			if (*p == '@')
				at = p;	/* the last one: a user may hold '@' */
		buf_add(&clean, url, (size_t)(auth - url));
		if (at != NULL) {
			const char *pc = memchr(auth, ':', (size_t)(at - auth));

			u.user = pct_decode(auth, (size_t)((pc ? pc : at) - auth));
			if (pc != NULL)
				u.password = pct_decode(pc + 1,
				    (size_t)(at - pc - 1));
			buf_add(&clean, auth, (size_t)((pc ? pc : at) - auth));
			buf_addch(&clean, '@');
			auth = at + 1;
		}
		buf_adds(&clean, auth);
		if (parse_hostport(auth, (size_t)(auth_end - auth), &u, err) < 0)
			goto fail;
		if (u.host[0] == '\0') {
			buf_adds(err, "the URL names no host");
			goto fail;
		}
		u.path = xstrdup(*auth_end ? auth_end : "/");
		u.clean = buf_detach(&clean, NULL);
	} else if (colon != NULL && (slash == NULL || colon < slash) &&
	    colon != url) {
		/* scp-style: [user@]host:path */
		u.scp = 1;
		u.scheme = xstrdup("ssh");
		at = memchr(url, '@', (size_t)(colon - url));
		if (at != NULL)
			u.user = xstrndup(url, (size_t)(at - url));
		u.host = xstrndup(at ? at + 1 : url,
		    (size_t)(colon - (at ? at + 1 : url)));
		u.path = xstrdup(colon + 1);
		u.clean = xstrdup(url);
	} else {
		u.scheme = xstrdup("file");
		u.path = xstrdup(url);
		u.clean = xstrdup(url);
	}
done:
	*in = u;
	buf_release(&clean);
	return 0;
fail:
	buf_release(&clean);
	giturl_release(&u);
	return -1;
}

void
giturl_release(struct giturl *u)
{
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	free(u->clean);
	memset(u, 0, sizeof(*u));
}

int
giturl_port(const struct giturl *u)
{
	if (u->port)
		return u->port;
	if (strcmp(u->scheme, "ssh") == 0)
		return 22;
	if (strcmp(u->scheme, "git") == 0)
		return 9418;
	if (strcmp(u->scheme, "http") == 0)
		return 80;
	if (strcmp(u->scheme, "https") == 0)
		return 443;
	return 0;
}
