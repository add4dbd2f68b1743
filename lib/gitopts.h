/*
 * gitopts.h: the Git flags that git-fetch and img-update share (Flux v1's
 * names: --git-url, --git-branch, ...), parsed one way for both.
 *
 *	static const struct option long_options[] = {
 *		GITOPTS_LONG_OPTIONS,
 *		... the tool's own ...
 *	};
 *	gitopts_init(&g);
 *	while ((ch = getopt_long(...)) != -1)
 *		switch (ch) {
 *		... the tool's own ...
 *		default:
 *			if (!gitopts_flag(&g, ch, optarg))
 *				tool_usage(usage_line);
 *		}
 *	gitopts_finish(&g);	-- password, known_hosts, source defaults
 *	...
 *	gitopts_release(&g);
 *
 * The password comes from --git-http-password-file or
 * $SLUICE_GIT_PASSWORD, never from a flag's value (it would show in ps).
 */
#ifndef SLUICE_GITOPTS_H
#define SLUICE_GITOPTS_H

#include <getopt.h>

#include "lib/mirror.h"

/* Option values from 1024 up: tools number their own from 256. */
enum {
	GITOPT_URL = 1024, GITOPT_BRANCH, GITOPT_SOURCE, GITOPT_STATE_DIR,
	GITOPT_READONLY, GITOPT_TIMEOUT, GITOPT_SSH_KEY, GITOPT_KNOWN_HOSTS,
	GITOPT_CA_FILE, GITOPT_HTTP_USER, GITOPT_HTTP_PASSWORD_FILE,
	GITOPT_USER, GITOPT_EMAIL, GITOPT_SIGNING_KEY
};

#define GITOPTS_LONG_OPTIONS \
	{ "git-url", required_argument, NULL, GITOPT_URL }, \
	{ "git-branch", required_argument, NULL, GITOPT_BRANCH }, \
	{ "source", required_argument, NULL, GITOPT_SOURCE }, \
	{ "state-dir", required_argument, NULL, GITOPT_STATE_DIR }, \
	{ "git-readonly", no_argument, NULL, GITOPT_READONLY }, \
	{ "git-timeout", required_argument, NULL, GITOPT_TIMEOUT }, \
	{ "git-ssh-key", required_argument, NULL, GITOPT_SSH_KEY }, \
	{ "git-known-hosts", required_argument, NULL, GITOPT_KNOWN_HOSTS }, \
	{ "git-ca-file", required_argument, NULL, GITOPT_CA_FILE }, \
	{ "git-http-user", required_argument, NULL, GITOPT_HTTP_USER }, \
	{ "git-http-password-file", required_argument, NULL, \
	    GITOPT_HTTP_PASSWORD_FILE }, \
	{ "git-user", required_argument, NULL, GITOPT_USER }, \
	{ "git-email", required_argument, NULL, GITOPT_EMAIL }, \
	{ "git-signing-key", required_argument, NULL, GITOPT_SIGNING_KEY }

/* The help lines for them, for the tools' help texts. */
#define GITOPTS_HELP \
    "  --git-url URL                 file://, git://, http(s)://, ssh:// or\n" \
    "                                user@host:path\n" \
    "  --git-branch B                the branch (master)\n" \
    "  --source NAME                 the source's name (from the URL)\n" \
    "  --state-dir DIR               $SLUICE_STATE_DIR, /var/lib/sluice\n" \
    "  --git-readonly                never push\n" \
    "  --git-timeout DURATION        per network operation (20s)\n" \
    "  --git-ssh-key FILE            private key for ssh URLs\n" \
    "  --git-known-hosts FILE        trusted host keys (~/.ssh/known_hosts)\n" \
    "  --git-ca-file FILE            CA for https (the system CAs)\n" \
    "  --git-http-user NAME          user for http(s) (the URL's, or git)\n" \
    "  --git-http-password-file F    password or token ($SLUICE_GIT_PASSWORD)\n" \
    "  --git-user NAME               committer and tagger (sluice)\n" \
    "  --git-email EMAIL             their email (sluice@localhost)\n" \
    "  --git-signing-key KEY         sign with this GPG key\n"

struct gitopts {
	struct mirror_opts m;
	const char *source;
	const char *state_dir;
	int readonly;
	const char *user, *email, *signing_key;
	/* owned */
	char *password, *known_hosts, *source_buf;
};

/* Defaults: branch master, sync tag flux-sync, 20 s, user sluice. */
void gitopts_init(struct gitopts *g);
/* One flag of GITOPTS_LONG_OPTIONS: 1 if ch is one (exits 64 or 78 on a
 * bad value), else 0. */
int gitopts_flag(struct gitopts *g, int ch, const char *arg);
/* After the flags: the password from the environment, known_hosts from
 * $HOME, the source from the URL, if not given. */
void gitopts_finish(struct gitopts *g);
void gitopts_release(struct gitopts *g);

/* The source name a URL gives: its last path part without ".git". */
char *gitopts_source_from_url(const char *url);

#endif
