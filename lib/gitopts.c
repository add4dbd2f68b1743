/*
 * gitopts.c: the shared Git flags (gitopts.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/gitopts.h"
#include "lib/log.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

void
gitopts_init(struct gitopts *g)
{
	const char *s = getenv("SLUICE_STATE_DIR");

	memset(g, 0, sizeof(*g));
	g->m.branch = "master";
	g->m.sync_tag = "flux-sync";
	g->m.timeout = 20;
	g->user = "sluice";
	g->email = "sluice@localhost";
	g->state_dir = s != NULL && *s != '\0' ? s : "/var/lib/sluice";
}

static char *
read_secret_file(const char *path)
{
	struct buf b = BUF_INIT;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || buf_read_fd(&b, fd, 64 * 1024) < 0)
		die(EXIT_CONFIG, "cannot read the password file '%s': %s",
		    path, strerror(errno));
	close(fd);
	while (b.len > 0 && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == '\r'))
		buf_setlen(&b, b.len - 1);
	return buf_detach(&b, NULL);
}

int
gitopts_flag(struct gitopts *g, int ch, const char *arg)
{
	switch (ch) {
	case GITOPT_URL: g->m.url = arg; break;
	case GITOPT_BRANCH: g->m.branch = arg; break;
	case GITOPT_SOURCE: g->source = arg; break;
	case GITOPT_STATE_DIR: g->state_dir = arg; break;
	case GITOPT_READONLY: g->readonly = 1; break;
	case GITOPT_TIMEOUT:
		g->m.timeout = tool_duration(arg, "--git-timeout");
		break;
	case GITOPT_SSH_KEY: g->m.ssh_key = arg; break;
	case GITOPT_KNOWN_HOSTS: g->m.known_hosts = arg; break;
	case GITOPT_CA_FILE: g->m.ca_file = arg; break;
	case GITOPT_HTTP_USER: g->m.http_user = arg; break;
	case GITOPT_HTTP_PASSWORD_FILE:
		free(g->password);
		g->password = read_secret_file(arg);
		break;
	case GITOPT_USER: g->user = arg; break;
	case GITOPT_EMAIL: g->email = arg; break;
	case GITOPT_SIGNING_KEY: g->signing_key = arg; break;
	default:
		return 0;
	}
	return 1;
}

char *
gitopts_source_from_url(const char *url)
{
	const char *end = url + strlen(url), *start;
	size_t n;

	while (end > url && end[-1] == '/')
		end--;
	start = end;
	while (start > url && start[-1] != '/' && start[-1] != ':')
		start--;
	n = (size_t)(end - start);
	if (n > 4 && strncmp(end - 4, ".git", 4) == 0)
		n -= 4;
	return n ? xstrndup(start, n) : xstrdup("default");
}

void
gitopts_finish(struct gitopts *g)
{
	struct buf b = BUF_INIT;
	const char *env, *home;

	if (g->password == NULL && (env = getenv("SLUICE_GIT_PASSWORD")) &&
	    *env != '\0')
		g->password = xstrdup(env);
	g->m.http_password = g->password;
	if (g->m.known_hosts == NULL && (home = getenv("HOME")) != NULL) {
		buf_addf(&b, "%s/.ssh/known_hosts", home);
		g->known_hosts = buf_detach(&b, NULL);
		g->m.known_hosts = g->known_hosts;
	}
	if (g->source == NULL && g->m.url != NULL) {
		g->source_buf = gitopts_source_from_url(g->m.url);
		g->source = g->source_buf;
	}
}

void
gitopts_release(struct gitopts *g)
{
	free(g->password);
	free(g->known_hosts);
	free(g->source_buf);
	g->password = g->known_hosts = g->source_buf = NULL;
}
