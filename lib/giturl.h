/*
 * giturl.h: the parts of a Git remote URL that git-fetch needs: where to
 * connect, who to be, and the URL without its password (credentials are
 * handed to libgit2 through callbacks, so a password never reaches its
 * error messages, the mirror's config, a record or a log line).
 *
 * Accepted: scheme://[user[:password]@]host[:port]/path for file, git,
 * http, https and ssh; scp-style [user@]host:path (ssh, port 22); and a
 * plain local path.
 */
#ifndef SLUICE_GITURL_H
#define SLUICE_GITURL_H

#include "lib/buf.h"

struct giturl {
	char *scheme;		/* "ssh" for scp-style, "file" for a path */
	char *user;		/* NULL if none; percent-decoded */
	char *password;		/* NULL if none; percent-decoded */
	char *host;		/* NULL for file; no brackets for IPv6 */
	int port;		/* 0 when not given */
	char *path;
	char *clean;		/* the URL as given, without ":password" */
	int scp;		/* written scp-style */
};

/* 0, or -1 with the reason in err (nothing logged). */
int giturl_parse(const char *url, struct giturl *u, struct buf *err);
void giturl_release(struct giturl *u);
/* The port to use for host key checks (the default for the scheme). */
int giturl_port(const struct giturl *u);

#endif
