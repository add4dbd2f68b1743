/*
 * hook: receive push webhooks from GitHub, GitLab and Docker Hub and start
 * the matching pass of a source at once, instead of at its next timer tick.
 *
 *	hook [--listen ADDR:PORT] [--secret-dir DIR] [--timeout SECONDS]
 *	    [--max-body BYTES] [--max-clients N]
 *
 * With --listen it is a small HTTP/1.1 server (one process per connection,
 * at most --max-clients at once); without, it answers the one connection
 * on standard input and output, as inetd and systemd's socket units with
 * Accept=yes hand it over. One request per connection.
 *
 *	POST /hook/SOURCE                  GitHub (X-Hub-Signature-256, an
 *	                                   HMAC-SHA256 of the body) or GitLab
 *	                                   (X-Gitlab-Token): the sync pass
 *	POST /hook/SOURCE/dockerhub/TOKEN  Docker Hub, which signs nothing:
 *	                                   the token is the secret; the
 *	                                   images pass
 *
 * The secret of SOURCE is the file DIR/SOURCE (--secret-dir, default
 * $SLUICE_CONFIG_DIR/hook, /etc/sluice/hook), read at each request, one
 * trailing newline ignored. Secrets are compared in constant time and
 * never logged; neither is the request target, which holds Docker Hub's.
 * The pass is started by `sluice trigger SOURCE sync|images`.
 *
 * Answers: 202 a pass was started; 200 a ping or an event that starts
 * nothing; 400 malformed request; 401 no signature or token; 403 a wrong
 * one; 404 no such source (or no secret for it); 405 not POST; 408 too
 * slow; 411 no Content-Length; 413 body over --max-body; 431 headers over
 * 16 KiB; 500/503 the trigger failed (503: temporarily, try again).
 *
 * In: HTTP. Out: HTTP; diagnostics on stderr (one line per request).
 * Exit: 0; 64 usage; 74 cannot listen (server mode).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/tool.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define HEAD_MAX	(16 * 1024)	/* request line and headers */
#define SECRET_MAX	4096
#define SOURCE_MAX	64
#define ADDR_MAX	1025	/* NI_MAXHOST, which POSIX does not name */
#define PORT_MAX	32

static const char usage_line[] =
    "usage: hook [--listen ADDR:PORT] [--secret-dir DIR] [--timeout SECONDS]\n"
    "            [--max-body BYTES] [--max-clients N]";

static const char help_text[] =
    "usage: hook [options]\n"
    "\n"
    "Receives GitHub, GitLab and Docker Hub push webhooks and starts a\n"
    "source's pass at once (sluice trigger). Without --listen, answers the\n"
    "one connection on standard input and output (systemd Accept=yes).\n"
    "\n"
    "  POST /hook/SOURCE                   GitHub or GitLab: sync pass\n"
    "  POST /hook/SOURCE/dockerhub/TOKEN   Docker Hub: images pass\n"
    "\n"
    "  --listen ADDR:PORT    serve HTTP there (port 0: any; logged)\n"
    "  --secret-dir DIR      DIR/SOURCE holds SOURCE's secret\n"
    "                        ($SLUICE_CONFIG_DIR/hook, /etc/sluice/hook)\n"
    "  --timeout SECONDS     for a whole request to arrive (10)\n"
    "  --max-body BYTES      largest body accepted (1048576)\n"
    "  --max-clients N       connections served at once (16)\n"
    "  --log-format auto|text|json\n";

enum {
	OPT_LISTEN = 256, OPT_SECRET_DIR, OPT_TIMEOUT, OPT_MAX_BODY,
	OPT_MAX_CLIENTS, OPT_LOG_FORMAT, OPT_VERSION
};

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "secret-dir", required_argument, NULL, OPT_SECRET_DIR },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct options {
	const char *listen;
	char *secret_dir;
	long timeout, max_body, max_clients;
};

/* One request as read; the pointers point into head. */
struct request {
	struct buf head, body;
	const char *method, *target;
	const char *content_length, *transfer_encoding, *expect;
	const char *gh_signature, *gh_signature1, *gh_event;
	const char *gl_token, *gl_event;
	size_t body_start;		/* bytes of body read with the head */
	int duplicate_length;
};
#define REQUEST_INIT { BUF_INIT, BUF_INIT, NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, NULL, NULL, NULL, 0, 0 }

enum provider { UNKNOWN, GITHUB, GITLAB, DOCKERHUB };
static const char *const provider_names[] = {
	NULL, "github", "gitlab", "dockerhub"
};

/* What one connection came to, for the log line. */
struct outcome {
	int status;
	const char *why;		/* static text */
	char source[SOURCE_MAX + 1];
	char event[65];			/* from the client: cut short */
	enum provider provider;
	const char *pass;
};

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* the client went away: nothing to do */
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, const struct outcome *oc)
{
	struct buf b = BUF_INIT, text = BUF_INIT;

	buf_addf(&text, "%s\n", oc->why);
	buf_addf(&b, "HTTP/1.1 %d %s\r\n", oc->status, reason(oc->status));
	if (oc->status == 405)
		buf_adds(&b, "Allow: POST\r\n");
	buf_addf(&b, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", text.len,
	    text.s);
	write_all(fd, b.s, b.len);
	buf_release(&b);
	buf_release(&text);
}

/*
 * Read what is there from fd into b, at most max bytes in all, waiting
 * until deadline. >0 bytes read, 0 end of input, -1 error, -2 timeout.
 */
static ssize_t
read_some(int fd, struct buf *b, size_t max, double deadline)
{
	struct pollfd p;
	double left;
	ssize_t n;
	size_t want = max - b->len;

	if (want > 65536)
		want = 65536;
	for (;;) {
		left = deadline - mtime_now();
		if (left <= 0)
			return -2;
		p.fd = fd;
		p.events = POLLIN;
		n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			continue;	/* the deadline check above ends it */
		buf_grow(b, want);
		n = read(fd, b->s + b->len, want);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n > 0)
			buf_setlen(b, b->len + (size_t)n);
		return n;
	}
}

static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static void
keep_header(struct request *r, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{ "content-length", offsetof(struct request, content_length) },
		{ "transfer-encoding",
		    offsetof(struct request, transfer_encoding) },
		{ "expect", offsetof(struct request, expect) },
		{ "x-hub-signature-256",
		    offsetof(struct request, gh_signature) },
		{ "x-hub-signature", offsetof(struct request, gh_signature1) },
		{ "x-github-event", offsetof(struct request, gh_event) },
		{ "x-gitlab-token", offsetof(struct request, gl_token) },
		{ "x-gitlab-event", offsetof(struct request, gl_event) },
	};
	const char **slot;
	size_t i;

	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (strcasecmp(name, wanted[i].name) != 0)
			continue;
		slot = (const char **)(void *)((char *)r + wanted[i].off);
		if (*slot != NULL && i == 0 && strcmp(*slot, value) != 0)
			r->duplicate_length = 1;
		*slot = value;
		return;
	}
}

/*
 * Split the head (NUL-terminated lines in place) into the request line
 * and the headers we use. 0, or -1 if it is not HTTP/1.x as RFC 9112
 * writes it.
 */
static int
parse_head(struct request *r, size_t head_len)
{
	char *p = r->head.s, *end = r->head.s + head_len, *eol, *sp, *colon;
	char *v, *ve;

	eol = strstr(p, "\r\n");
	if (eol == NULL || eol >= end)
		return -1;
	*eol = '\0';
	/* METHOD SP TARGET SP HTTP/1.x */
	sp = strchr(p, ' ');
	if (sp == NULL || sp == p || sp - p > 15)
		return -1;
	*sp = '\0';
	r->method = p;
	for (; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return -1;
	p = sp + 1;
	sp = strchr(p, ' ');
	if (sp == NULL || *p != '/')
		return -1;
	*sp = '\0';
	r->target = p;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -1;
	if (strcmp(sp + 1, "HTTP/1.1") != 0 && strcmp(sp + 1, "HTTP/1.0") != 0)
		return -1;

	for (p = eol + 2; p < end; p = eol + 2) {
		eol = strstr(p, "\r\n");
		if (eol == NULL || eol > end)
			return -1;
		if (eol == p)
			break;		/* the empty line */
		*eol = '\0';
		colon = strchr(p, ':');
		if (colon == NULL || colon == p)
			return -1;	/* also obs-fold: a leading space */
		*colon = '\0';
		for (v = p; *v; v++)
			if (!is_tchar((unsigned char)*v))
				return -1;
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (ve = v + strlen(v); ve > v && (ve[-1] == ' ' ||
		    ve[-1] == '\t'); ve--)
			;
		*ve = '\0';
		keep_header(r, p, v);
	}
	return 0;
}

/*
 * Read the request line and headers: at most HEAD_MAX bytes, ending in an
 * empty line. 0, or an HTTP status to refuse with.
 */
static int
read_head(int fd, struct request *r, double deadline)
{
	char *end;
	ssize_t n;
	size_t from = 0;

	for (;;) {
		n = read_some(fd, &r->head, HEAD_MAX, deadline);
		if (n == -2)
			return 408;
		if (n <= 0)
			return 400;
		end = strstr(r->head.s + (from > 3 ? from - 3 : 0), "\r\n\r\n");
		if (end != NULL)
			break;
		from = r->head.len;
		if (r->head.len >= HEAD_MAX)
			return 431;
		if (memchr(r->head.s, '\0', r->head.len) != NULL)
			return 400;
	}
	r->body_start = r->head.len - (size_t)(end + 4 - r->head.s);
	if (memchr(r->head.s, '\0', (size_t)(end - r->head.s)) != NULL)
		return 400;
	if (parse_head(r, (size_t)(end + 4 - r->head.s)) < 0)
		return 400;
	return 0;
}

/* The body, Content-Length bytes of it. 0, or a status to refuse with. */
static int
read_body(int fd, int out, struct request *r, size_t length,
    double deadline)
{
	const char *start = r->head.s + r->head.len - r->body_start;
	ssize_t n;

	if (r->body_start > length)
		return 400;	/* a second request: we take only one */
	buf_add(&r->body, start, r->body_start);
	if (r->expect != NULL && strcasecmp(r->expect, "100-continue") == 0 &&
	    r->body.len < length)
		write_all(out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	while (r->body.len < length) {
		n = read_some(fd, &r->body, length, deadline);
		if (n == -2)
			return 408;
		if (n <= 0)
			return 400;
	}
	return 0;
}

/* A source name as systemd instance names and file names allow. */
static int
valid_source(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SOURCE_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

/*
 * SOURCE's secret into secret (wiped by the caller). 0, or -1 (logged)
 * if there is none: the source cannot take hooks.
 */
static int
read_secret(const char *dir, const char *source, struct buf *secret)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int fd, ret = -1;

	buf_addf(&path, "%s/%s", dir, source);
	fd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT)
			log_errno("cannot open the secret '%s'", path.s);
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("the secret '%s' is not a file", path.s);
		goto out;
	}
	if (buf_read_fd(secret, fd, SECRET_MAX) < 0) {
		log_errno("cannot read the secret '%s'", path.s);
		goto out;
	}
	if (secret->len > 0 && secret->s[secret->len - 1] == '\n')
		buf_setlen(secret, secret->len - 1);
	if (secret->len > 0 && secret->s[secret->len - 1] == '\r')
		buf_setlen(secret, secret->len - 1);
	if (secret->len == 0) {
		log_error("the secret '%s' is empty", path.s);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	return ret;
}

/* A token against the secret, in a time that tells nothing of either. */
static int
token_matches(const char *token, size_t n, const struct buf *secret)
{
	unsigned char a[DIGEST_SHA256_LEN], b[DIGEST_SHA256_LEN];
	int ok;

	digest_sha256(token, n, a);
	digest_sha256(secret->s, secret->len, b);
	ok = digest_equal(a, b, sizeof(a));
	digest_wipe(b, sizeof(b));
	return ok;
}

/* GitHub: "sha256=" and the hex HMAC-SHA256 of the body. */
static int
github_matches(const char *header, const struct buf *body,
    const struct buf *secret)
{
	unsigned char md[DIGEST_SHA256_LEN];
	struct buf want = BUF_INIT;
	int ok;

	if (strncmp(header, "sha256=", 7) != 0 ||
	    strlen(header + 7) != 2 * DIGEST_SHA256_LEN)
		return 0;
	digest_hmac_sha256(secret->s, secret->len, body->s, body->len, md);
	digest_hex(md, sizeof(md), &want);
	ok = digest_equal(want.s, header + 7, want.len);
	digest_wipe(want.s, want.len);
	digest_wipe(md, sizeof(md));
	buf_release(&want);
	return ok;
}

/*
 * Run `sluice trigger SOURCE PASS`; its output goes to our stderr (the
 * socket may be our stdout). Its exit status, or -1.
 */
static int
run_trigger(const char *source, const char *pass)
{
	const char *argv[] = { "sluice", "trigger", source, pass, NULL };
	pid_t pid;
	int st, fd;

	pid = fork();
	if (pid < 0)
		return log_errno("cannot fork");
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(2, 1) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)(void *)argv);
		log_errno("cannot run 'sluice trigger'");
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return log_errno("cannot wait for 'sluice trigger'");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
set(struct outcome *oc, int status, const char *why)
{
	oc->status = status;
	oc->why = why;
}

/* Decide and do what the request asks; the answer goes into oc. */
static void
serve(int in, int out, const struct options *o, struct outcome *oc)
{
	struct request r = REQUEST_INIT;
	struct buf secret = BUF_INIT;
	const char *p, *slash, *token = NULL, *event = NULL;
	double deadline = mtime_now() + (double)o->timeout;
	size_t token_len = 0, length;
	int status, dockerhub = 0, rc, trigger = 1;
	long n;

	status = read_head(in, &r, deadline);
	if (status != 0) {
		set(oc, status, status == 408 ? "request timed out" :
		    status == 431 ? "request headers too large" :
		    "malformed request");
		goto out;
	}

	/* /hook/SOURCE or /hook/SOURCE/dockerhub/TOKEN; a query is ignored */
	p = r.target;
	if (strncmp(p, "/hook/", 6) != 0) {
		set(oc, 404, "no such hook");
		goto out;
	}
	p += 6;
	slash = p + strcspn(p, "/?");
	if (!valid_source(p, (size_t)(slash - p))) {
		set(oc, 404, "no such source");
		goto out;
	}
	memcpy(oc->source, p, (size_t)(slash - p));
	oc->source[slash - p] = '\0';
	if (*slash == '/') {
		if (strncmp(slash, "/dockerhub/", 11) != 0) {
			set(oc, 404, "no such hook");
			goto out;
		}
		dockerhub = 1;
		token = slash + 11;
		token_len = strcspn(token, "/?");
		if (token[token_len] == '/') {
			set(oc, 404, "no such hook");
			goto out;
		}
	}
	if (strcmp(r.method, "POST") != 0) {
		set(oc, 405, "only POST is accepted");
		goto out;
	}
	if (read_secret(o->secret_dir, oc->source, &secret) < 0) {
		set(oc, 404, "no such source");
		goto out;
	}

	/* who is calling, and are they allowed: before reading any body */
	if (dockerhub) {
		oc->provider = DOCKERHUB;
		oc->pass = "images";
		if (token_len == 0) {
			set(oc, 401, "no token");
			goto out;
		}
		if (!token_matches(token, token_len, &secret)) {
			set(oc, 403, "wrong token");
			goto out;
		}
	} else if (r.gh_signature || r.gh_signature1 || r.gh_event) {
		oc->provider = GITHUB;
		event = r.gh_event;
		oc->pass = "sync";
		if (r.gh_signature == NULL) {
			set(oc, 401, "no X-Hub-Signature-256 header");
			goto out;
		}
	} else if (r.gl_token || r.gl_event) {
		oc->provider = GITLAB;
		event = r.gl_event;
		oc->pass = "sync";
		if (r.gl_token == NULL) {
			set(oc, 401, "no X-Gitlab-Token header");
			goto out;
		}
		if (!token_matches(r.gl_token, strlen(r.gl_token), &secret)) {
			set(oc, 403, "wrong token");
			goto out;
		}
	} else {
		set(oc, 401, "no signature or token: not a GitHub, GitLab "
		    "or Docker Hub hook");
		goto out;
	}

	if (event != NULL) {
		char *c;

		snprintf(oc->event, sizeof(oc->event), "%s", event);
		for (c = oc->event; *c; c++)	/* it goes to a terminal too */
			if ((unsigned char)*c < ' ' || (unsigned char)*c > '~')
				*c = '?';
	}
	if (r.transfer_encoding != NULL || r.content_length == NULL) {
		set(oc, 411, "a Content-Length is required");
		goto out;
	}
	if (r.duplicate_length || strspn(r.content_length, "0123456789") !=
	    strlen(r.content_length) || strlen(r.content_length) > 12) {
		set(oc, 400, "malformed Content-Length");
		goto out;
	}
	n = strtol(r.content_length, NULL, 10);
	if (n > o->max_body) {
		set(oc, 413, "request body too large");
		goto out;
	}
	length = (size_t)n;
	status = read_body(in, out, &r, length, deadline);
	if (status != 0) {
		set(oc, status, status == 408 ? "request timed out" :
		    "malformed request");
		goto out;
	}
	if (oc->provider == GITHUB && !github_matches(r.gh_signature, &r.body,
	    &secret)) {
		set(oc, 403, "wrong signature");
		goto out;
	}

	/* which events start a pass */
	if (oc->provider == GITHUB && event != NULL) {
		if (strcmp(event, "ping") == 0) {
			set(oc, 200, "pong");
			trigger = 0;
		} else if (strcmp(event, "push") != 0) {
			set(oc, 200, "event ignored");
			trigger = 0;
		}
	} else if (oc->provider == GITLAB && event != NULL &&
	    strcmp(event, "Push Hook") != 0 &&
	    strcmp(event, "Tag Push Hook") != 0) {
		set(oc, 200, "event ignored");
		trigger = 0;
	}
	if (!trigger)
		goto out;

	rc = run_trigger(oc->source, oc->pass);
	if (rc == 0)
		set(oc, 202, "pass started");
	else if (rc == EXIT_CONFIG)
		set(oc, 404, "no such source");
	else if (rc == EXIT_TEMPFAIL)
		set(oc, 503, "cannot start the pass now; try again");
	else
		set(oc, 500, "cannot start the pass");
out:
	digest_wipe(secret.s, secret.len);
	buf_release(&secret);
	buf_release(&r.head);
	buf_release(&r.body);
}

/* After a refusal: let the client see the answer, then hang up. */
static void
finish(int in, int out, double deadline)
{
	struct buf sink = BUF_INIT;
	size_t drained = 0;
	ssize_t n;

	(void)shutdown(out, SHUT_WR);
	/* a client still sending would get a reset, and lose the answer */
	while (drained < 4 * 1024 * 1024) {
		buf_reset(&sink);
		n = read_some(in, &sink, 65536, deadline);
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	buf_release(&sink);
}

static void
peer_name(int fd, char *out, size_t n)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char host[ADDR_MAX];

	snprintf(out, n, "-");
	if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&sa, len, host, sizeof(host), NULL,
	    0, NI_NUMERICHOST) == 0)
		snprintf(out, n, "%s", host);
}

static void
connection(int in, int out, const struct options *o)
{
	struct outcome oc;
	char peer[ADDR_MAX], code[8];
	const char *fields[13];
	int i = 0;

	memset(&oc, 0, sizeof(oc));
	peer_name(in, peer, sizeof(peer));
	serve(in, out, o, &oc);
	respond(out, &oc);
	finish(in, out, mtime_now() + 1);

	snprintf(code, sizeof(code), "%d", oc.status);
	fields[i++] = "status";
	fields[i++] = code;
	fields[i++] = "source";
	fields[i++] = oc.source[0] ? oc.source : NULL;
	fields[i++] = "provider";
	fields[i++] = provider_names[oc.provider];
	fields[i++] = "event";
	fields[i++] = oc.event[0] ? oc.event : NULL;
	fields[i++] = "pass";
	fields[i++] = oc.status == 202 ? oc.pass : NULL;
	fields[i++] = "remote";
	fields[i++] = peer;
	fields[i] = NULL;
	/* the event name comes from the client: log_event quotes it */
	log_event(oc.status < 300 ? LOG_INFO : oc.status >= 500 ? LOG_ERROR :
	    LOG_WARN, fields, "%s", oc.why);
}

static int
listen_on(const char *spec)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], addr[ADDR_MAX], port[PORT_MAX];
	const char *colon = strrchr(spec, ':');
	size_t hl;
	int fd = -1, one = 1, rc;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (colon == NULL || colon[1] == '\0')
		die(EXIT_USAGE, "--listen: '%s' is not ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		die(EXIT_USAGE, "--listen: '%s' is not ADDR:PORT", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0)
		die(EXIT_USAGE, "--listen: cannot resolve '%s': %s", host,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die(EXIT_IOERR, "cannot listen on '%s': %s", spec,
		    strerror(errno));
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    getnameinfo((struct sockaddr *)&sa, len, addr, sizeof(addr), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		log_info("listening on %s%s%s:%s", strchr(addr, ':') ? "[" : "",
		    addr, strchr(addr, ':') ? "]" : "", port);
	return fd;
}

static void
reap(long *active, int block)
{
	while (*active > 0 && waitpid(-1, NULL, block ? 0 : WNOHANG) > 0) {
		(*active)--;
		block = 0;
	}
}

static noreturn void
server(const struct options *o)
{
	long active = 0;
	pid_t pid;
	int lfd, fd;

	lfd = listen_on(o->listen);
	for (;;) {
		reap(&active, active >= o->max_clients);
		if (active >= o->max_clients)
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				log_errno("cannot accept a connection");
			continue;
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			connection(fd, fd, o);
			close(fd);
			_exit(0);
		}
		if (pid < 0)
			log_errno("cannot fork");
		else
			active++;
		close(fd);
	}
}

int
main(int argc, char *argv[])
{
	struct options o = { NULL, NULL, 10, 1024 * 1024, 16 };
	const char *cfg;
	struct buf dir = BUF_INIT;
	int ch;

	tool_init("hook");
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN: o.listen = optarg; break;
		case OPT_SECRET_DIR:
			free(o.secret_dir);
			o.secret_dir = xstrdup(optarg);
			break;
		case OPT_TIMEOUT:
			o.timeout = tool_num(optarg, 1, 3600, "--timeout");
			break;
		case OPT_MAX_BODY:
			o.max_body = tool_num(optarg, 0, 64L * 1024 * 1024,
			    "--max-body");
			break;
		case OPT_MAX_CLIENTS:
			o.max_clients = tool_num(optarg, 1, 1024,
			    "--max-clients");
			break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("hook " SLUICE_VERSION "\n");
		default: tool_usage(usage_line);
		}
	}
	if (optind != argc)
		tool_usage(usage_line);
	if (o.secret_dir == NULL) {
		cfg = getenv("SLUICE_CONFIG_DIR");
		buf_addf(&dir, "%s/hook", cfg && *cfg ? cfg : "/etc/sluice");
		o.secret_dir = buf_detach(&dir, NULL);
	}
	/* a client that hangs up must not kill us mid-answer */
	signal(SIGPIPE, SIG_IGN);

	if (o.listen != NULL)
		server(&o);
	connection(0, 1, &o);
	free(o.secret_dir);
	return EXIT_OK;
}
