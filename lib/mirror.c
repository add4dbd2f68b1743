/* flock(2): BSD, not POSIX, but on every system git-fetch runs on; its
 * locks are the ones the flock(1) command takes, so an operator or a test
 * can hold a mirror from the shell. */
#define _DEFAULT_SOURCE
#include "lib/mirror.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/exitcode.h"
#include "lib/fsx.h"
#include "lib/knownhosts.h"
#include "lib/log.h"
#include "lib/mtime.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/*
 * Time-outs. libgit2 1.5 has no time-out of its own, so an alarm, whose
 * handler is installed without SA_RESTART, interrupts a blocked connect or
 * read (EINTR, which libgit2 turns into an error), and the progress
 * callbacks give up once the flag is set.
 */
static volatile sig_atomic_t timed_out;

static void
on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void
alarm_start(double seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocked calls must fail */
	sigaction(SIGALRM, &sa, NULL);
	timed_out = 0;
	alarm(seconds > 0 ? (unsigned)ceil(seconds) : 0);
}

static void
alarm_stop(void)
{
	alarm(0);
}

/* What the callbacks learnt, to tell the caller why libgit2 failed. */
struct session {
	struct mirror *m;
	int status;		/* an exit status set by a callback */
	struct buf why;
	int cred_calls;
	double deadline;
};

static int
session_fail(struct session *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
session_fail(struct session *s, int status, const char *fmt, ...)
{
	va_list ap;

	if (s->status == 0) {
		s->status = status;
		va_start(ap, fmt);
		buf_vaddf(&s->why, fmt, ap);
		va_end(ap);
	}
	git_error_set_str(GIT_ERROR_CALLBACK, s->why.s);
	return GIT_EUSER;
}

static int
on_credentials(git_credential **out, const char *url, const char *url_user,
    unsigned int allowed, void *payload)
{
	struct session *s = payload;
	const struct mirror_opts *o = s->m->o;
	const struct giturl *u = &s->m->url;
	const char *user;

	(void)url;
	/* libgit2 asks again and again after a refusal: once is enough */
	if (++s->cred_calls > 2)
		return session_fail(s, EXIT_CONFIG, "authentication failed "
		    "for '%s': the server refused the credentials", u->clean);
	user = url_user ? url_user : u->user;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (o->ssh_key == NULL)
			return session_fail(s, EXIT_CONFIG, "'%s' needs an SSH "
			    "key: give one with --git-ssh-key", u->clean);
		if (s->cred_calls > 1)
			return session_fail(s, EXIT_CONFIG, "authentication "
			    "failed for '%s': the server refused the key '%s'",
			    u->clean, o->ssh_key);
		return git_credential_ssh_key_new(out, user ? user : "git",
		    NULL, o->ssh_key, NULL);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user ? user : "git");
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		const char *pass = o->http_password ? o->http_password :
		    u->password;

		if (o->http_user != NULL)
			user = o->http_user;
		if (pass == NULL)
			return session_fail(s, EXIT_CONFIG, "'%s' asks for a "
			    "user and password and none is configured "
			    "(--git-http-password-file)", u->clean);
		if (s->cred_calls > 1)
			return session_fail(s, EXIT_CONFIG, "authentication "
			    "failed for '%s': wrong user or password",
			    u->clean);
		return git_credential_userpass_plaintext_new(out,
		    user ? user : "git", pass);
	}
	return session_fail(s, EXIT_CONFIG, "'%s' asks for credentials of a "
	    "kind sluice does not offer", u->clean);
}

static int
check_ssh_host(struct session *s, const git_cert_hostkey *hk, const char *host)
{
	const struct mirror_opts *o = s->m->o;
	enum knownhosts_result res;
	struct buf err = BUF_INIT, fp = BUF_INIT, name = BUF_INIT;
	const unsigned char *key = (const unsigned char *)hk->hostkey;
	const char *type;
	unsigned long line = 0;
	size_t tn = 0;
	int port = giturl_port(&s->m->url), ret;

	if (!(hk->type & GIT_CERT_SSH_RAW))
		return session_fail(s, EXIT_CONFIG, "libgit2 gave no raw host "
		    "key for '%s' to check", host);
	if (port == 22)
		buf_adds(&name, host);
	else
		buf_addf(&name, "[%s]:%d", host, port);
	knownhosts_fingerprint(key, hk->hostkey_len, &fp);
	type = knownhosts_key_type(key, hk->hostkey_len, &tn);
	if (o->known_hosts == NULL) {
		ret = session_fail(s, EXIT_CONFIG, "cannot check the host key "
		    "of '%s' (%.*s %s): no known_hosts file "
		    "(--git-known-hosts)", name.s, (int)tn, type ? type : "?",
		    fp.s);
		goto out;
	}
	if (knownhosts_check(o->known_hosts, host, port, key, hk->hostkey_len,
	    &res, &line, &err) < 0) {
		ret = session_fail(s, EXIT_CONFIG, "%s", err.s);
		goto out;
	}
	switch (res) {
	case KNOWNHOSTS_MATCH:
		ret = 0;
		break;
	case KNOWNHOSTS_UNKNOWN:
		ret = session_fail(s, EXIT_CONFIG, "the %.*s host key of '%s' "
		    "(%s) is not in '%s'; if that fingerprint is right, add "
		    "it with: ssh-keyscan -t %.*s%s%.0d %s >>%s", (int)tn, type,
		    name.s, fp.s, o->known_hosts, (int)tn, type,
		    port != 22 ? " -p " : "", port != 22 ? port : 0, host,
		    o->known_hosts);
		break;
	case KNOWNHOSTS_CHANGED:
		ret = session_fail(s, EXIT_CONFIG, "the %.*s host key of '%s' "
		    "(%s) does not match the one in '%s' line %lu: refusing "
		    "to connect (someone may be in the middle); if the key "
		    "really changed, remove that line", (int)tn, type, name.s,
		    fp.s, o->known_hosts, line);
		break;
	default:
		ret = session_fail(s, EXIT_CONFIG, "the %.*s host key of '%s' "
		    "(%s) is revoked in '%s' line %lu", (int)tn, type, name.s,
		    fp.s, o->known_hosts, line);
		break;
	}
out:
	buf_release(&err);
	buf_release(&fp);
	buf_release(&name);
	return ret;
}

static int
on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct session *s = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return check_ssh_host(s, (const git_cert_hostkey *)cert, host);
	if (valid)
		return 0;
	return session_fail(s, EXIT_CONFIG, "the TLS certificate of '%s' is "
	    "not trusted%s", host, s->m->o->ca_file ? " by --git-ca-file" :
	    " by the system CAs (--git-ca-file names another CA)");
}

static int
on_transfer(const git_indexer_progress *stats, void *payload)
{
	struct session *s = payload;

	(void)stats;
	if (timed_out || mtime_now() > s->deadline)
		return session_fail(s, EXIT_TEMPFAIL, "'%s' timed out after "
		    "%gs", s->m->url.clean, s->m->o->timeout);
	return 0;
}

static int
on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return on_transfer(NULL, payload);
}

static void
session_init(struct session *s, struct mirror *m, git_remote_callbacks *cb)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	buf_init(&s->why, 0);
	s->deadline = mtime_now() + m->o->timeout;
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->transfer_progress = on_transfer;
	cb->sideband_progress = on_sideband;
	cb->payload = s;
}

/*
 * The exit status and message for a libgit2 failure: a callback's own
 * verdict first, then the time-out, then libgit2's error class.
 */
static int
session_error(struct session *s, const char *what, struct buf *err)
{
	const git_error *e = git_error_last();
	int status = EXIT_TEMPFAIL;

	if (s->status != 0) {
		buf_addf(err, "%s", s->why.s);
		return s->status;
	}
	if (timed_out) {
		buf_addf(err, "cannot %s '%s': timed out after %gs", what,
		    s->m->url.clean, s->m->o->timeout);
		return EXIT_TEMPFAIL;
	}
	if (e != NULL && (e->klass == GIT_ERROR_SSL ||
	    e->klass == GIT_ERROR_INVALID || e->klass == GIT_ERROR_CONFIG))
		status = EXIT_CONFIG;
	if (e != NULL && e->message != NULL &&
	    (strstr(e->message, "401") || strstr(e->message, "403") ||
	    strstr(e->message, "authentication") ||
	    strstr(e->message, "not found") ||
	    strstr(e->message, "does not appear to be a git repository") ||
	    strstr(e->message, "unsupported URL protocol")))
		status = EXIT_CONFIG;
	buf_addf(err, "cannot %s '%s': %s", what, s->m->url.clean,
	    e && e->message ? e->message : "unknown error");
	return status;
}

static void
session_release(struct session *s)
{
	buf_release(&s->why);
}

int
mirror_global_init(const struct mirror_opts *o, struct buf *err)
{
	if (o->ca_file != NULL &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, o->ca_file,
	    NULL) < 0) {
		const git_error *e = git_error_last();

		buf_addf(err, "cannot use the CA file '%s': %s", o->ca_file,
		    e && e->message ? e->message : "unknown error");
		return EXIT_CONFIG;
	}
	return 0;
}

/* ---- the mirror on disk ---- */

static int
lock_mirror(struct mirror *m, struct buf *err)
{
	struct buf path = BUF_INIT;
	int ret = 0;

	buf_addf(&path, "%s.lock", m->dir);
	m->lock_fd = open(path.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (m->lock_fd < 0) {
		buf_addf(err, "cannot open '%s': %s", path.s, strerror(errno));
		ret = EXIT_IOERR;
		goto out;
	}
	while (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			buf_addf(err, "another run holds '%s'", path.s);
			ret = EXIT_TEMPFAIL;
		} else {
			buf_addf(err, "cannot lock '%s': %s", path.s,
			    strerror(errno));
			ret = EXIT_IOERR;
		}
		break;
	}
out:
	buf_release(&path);
	return ret;
}

static int
is_lock_name(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && strcmp(name + n - 5, ".lock") == 0;
}

/* Remove the *.lock files under dir/sub (recursively): stale, since we
 * hold the mirror's own lock. */
static void
clear_locks(const char *dir, const char *sub)
{
	struct buf path = BUF_INIT, child = BUF_INIT;
	struct dirent *e;
	struct stat st;
	DIR *d;

	buf_addf(&path, "%s%s%s", dir, *sub ? "/" : "", sub);
	d = opendir(path.s);
	if (d == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		buf_reset(&child);
		buf_addf(&child, "%s/%s", path.s, e->d_name);
		if (lstat(child.s, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && (*sub || strcmp(e->d_name, "refs")
		    == 0)) {
			buf_reset(&child);
			buf_addf(&child, "%s%s%s", sub, *sub ? "/" : "",
			    e->d_name);
			clear_locks(dir, child.s);
		} else if (S_ISREG(st.st_mode) && is_lock_name(e->d_name)) {
			log_warn("removing '%s', left by a run that did not "
			    "finish", child.s);
			(void)unlink(child.s);
		}
	}
	closedir(d);
out:
	buf_release(&path);
	buf_release(&child);
}

/* The branch's commit and its tree can be read. */
static int
looks_whole(struct mirror *m)
{
	struct buf ref = BUF_INIT;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_oid oid;
	int ok = 1;

	buf_addf(&ref, "refs/heads/%s", m->o->branch);
	if (git_reference_name_to_id(&oid, m->repo, ref.s) == 0)
		ok = git_commit_lookup(&c, m->repo, &oid) == 0 &&
		    git_commit_tree(&t, c) == 0;
	git_tree_free(t);
	git_commit_free(c);
	buf_release(&ref);
	return ok;
}

/*
 * A first mirror of a repository on this machine: copy (or hard-link) its
 * object files, as git clone does for a local source. Fetching instead
 * makes libgit2 1.5 build a whole new pack with a fresh delta search,
 * eight times slower than git. The fetch that follows then only sets the
 * refs. -1 (not logged) if it cannot: the caller fetches as for a remote.
 */
static int
clone_local(struct mirror *m, const char *tmp)
{
	git_clone_options co;

	git_clone_options_init(&co, GIT_CLONE_OPTIONS_VERSION);
	co.bare = 1;
	co.local = GIT_CLONE_LOCAL;
	co.checkout_branch = m->o->branch;
	if (git_clone(&m->repo, m->url.clean, tmp, &co) < 0) {
		git_repository_free(m->repo);
		m->repo = NULL;
		(void)fsx_remove_tree(tmp);
		return -1;
	}
	return 0;
}

static int
create_new(struct mirror *m, struct buf *err)
{
	git_repository_init_options io;
	struct buf tmp = BUF_INIT, head = BUF_INIT;
	int ret = 0;

	/* the _init functions: libgit2's INIT macros leave fields out */
	git_repository_init_options_init(&io,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION);

	buf_addf(&tmp, "%s.new", m->dir);
	if (fsx_remove_tree(tmp.s) < 0) {
		buf_addf(err, "cannot remove '%s': %s", tmp.s, strerror(errno));
		ret = EXIT_IOERR;
		goto out;
	}
	buf_addf(&head, "refs/heads/%s", m->o->branch);
	if (strcmp(m->url.scheme, "file") == 0 && clone_local(m, tmp.s) == 0)
		goto made;
	io.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
	    GIT_REPOSITORY_INIT_NO_REINIT;
	io.initial_head = head.s;
	if (git_repository_init_ext(&m->repo, tmp.s, &io) < 0) {
		const git_error *e = git_error_last();

		buf_addf(err, "cannot create '%s': %s", tmp.s,
		    e && e->message ? e->message : "unknown error");
		ret = EXIT_IOERR;
		goto out;
	}
made:
	m->recloned = 1;
out:
	buf_release(&tmp);
	buf_release(&head);
	return ret;
}

/* What every open does first: the URL parsed, the mirror locked. */
static int
begin(struct mirror *m, const char *dir, const struct mirror_opts *o,
    struct buf *err)
{
	memset(m, 0, sizeof(*m));
	m->lock_fd = -1;
	m->o = o;
	m->dir = xstrdup(dir);
	if (giturl_parse(o->url, &m->url, err) < 0)
		return EXIT_CONFIG;
	return lock_mirror(m, err);
}

/* Open the bare repository in dir as m->repo, never searching upwards. */
static int
open_bare(struct mirror *m, const char *dir)
{
	return git_repository_open_ext(&m->repo, dir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
}

int
mirror_open(struct mirror *m, const char *dir, const struct mirror_opts *o,
    struct buf *err)
{
	struct buf tmp = BUF_INIT;
	struct stat st;
	int ret;

	if ((ret = begin(m, dir, o, err)) != 0)
		return ret;
	/* a first clone that never finished */
	buf_addf(&tmp, "%s.new", dir);
	if (lstat(tmp.s, &st) == 0) {
		log_warn("removing '%s': a first clone that did not finish",
		    tmp.s);
		(void)fsx_remove_tree(tmp.s);
	}
	buf_release(&tmp);
	if (lstat(dir, &st) < 0)
		return create_new(m, err);
	clear_locks(dir, "");
	if (open_bare(m, dir) < 0 || !looks_whole(m)) {
		const git_error *e = git_error_last();

		log_warn("the mirror '%s' is damaged (%s): cloning it anew",
		    dir, e && e->message ? e->message : "cannot read the "
		    "branch's commit");
		git_repository_free(m->repo);
		m->repo = NULL;
		if (fsx_remove_tree(dir) < 0) {
			buf_addf(err, "cannot remove '%s': %s", dir,
			    strerror(errno));
			return EXIT_IOERR;
		}
		return create_new(m, err);
	}
	return 0;
}

int
mirror_open_existing(struct mirror *m, const char *dir,
    const struct mirror_opts *o, struct buf *err)
{
	int ret;

	if ((ret = begin(m, dir, o, err)) != 0)
		return ret;
	clear_locks(dir, "");
	if (open_bare(m, dir) < 0) {
		buf_addf(err, "there is no mirror in '%s' (run git-fetch "
		    "first)", dir);
		return EXIT_CONFIG;
	}
	return 0;
}

/* The URL libgit2 gets: the password taken out (see mirror.h). */
static const char *
libgit2_url(struct mirror *m)
{
	return m->url.clean;
}

/* Do the local refs already say what the remote advertised? */
static int
up_to_date(struct mirror *m, const git_remote_head **heads, size_t n)
{
	git_oid local;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		size_t len = strlen(name);

		if (strncmp(name, "refs/tags/", 10) != 0 &&
		    !(strncmp(name, "refs/heads/", 11) == 0 &&
		    strcmp(name + 11, m->o->branch) == 0))
			continue;
		if (len > 3 && strcmp(name + len - 3, "^{}") == 0)
			continue;	/* peeled: the tag object counts */
		if (git_reference_name_to_id(&local, m->repo, name) < 0 ||
		    !git_oid_equal(&local, &heads[i]->oid))
			return 0;
	}
	return 1;
}

static int
read_heads(struct mirror *m, const git_remote_head **heads, size_t n,
    struct mirror_heads *out)
{
	struct buf want = BUF_INIT, tag = BUF_INIT, peeled = BUF_INIT;
	size_t i;

	buf_addf(&want, "refs/heads/%s", m->o->branch);
	buf_addf(&tag, "refs/tags/%s", m->o->sync_tag);
	buf_addf(&peeled, "refs/tags/%s^{}", m->o->sync_tag);
	for (i = 0; i < n; i++) {
		if (strcmp(heads[i]->name, want.s) == 0) {
			out->has_branch = 1;
			git_oid_cpy(&out->branch, &heads[i]->oid);
		} else if (strcmp(heads[i]->name, peeled.s) == 0) {
			out->has_tag = 1;
			git_oid_cpy(&out->tag, &heads[i]->oid);
		} else if (strcmp(heads[i]->name, tag.s) == 0 &&
		    !out->has_tag) {
			/* a lightweight tag, or the peeled line comes later */
			out->has_tag = 1;
			git_oid_cpy(&out->tag, &heads[i]->oid);
		}
	}
	buf_release(&want);
	buf_release(&tag);
	buf_release(&peeled);
	return 0;
}

/* The first clone is whole: move it into place and open it there. */
static int
settle_new(struct mirror *m, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	int ret = 0;

	buf_addf(&tmp, "%s.new", m->dir);
	git_repository_free(m->repo);
	m->repo = NULL;
	if (rename(tmp.s, m->dir) < 0 || fsx_sync_parent(m->dir) < 0) {
		buf_addf(err, "cannot rename '%s' to '%s': %s", tmp.s, m->dir,
		    strerror(errno));
		ret = EXIT_IOERR;
	} else if (open_bare(m, m->dir) < 0) {
		buf_addf(err, "cannot open '%s' after cloning it", m->dir);
		ret = EXIT_IOERR;
	}
	m->recloned = 0;
	buf_release(&tmp);
	return ret;
}

int
mirror_fetch(struct mirror *m, struct mirror_heads *out, struct buf *err)
{
	git_fetch_options fo;
	git_remote_callbacks cb;
	git_proxy_options proxy;
	const git_remote_head **heads;
	git_remote *remote = NULL;
	struct buf branch_spec = BUF_INIT;
	struct session s;
	char *specs[2];
	git_strarray refspecs = { specs, 2 };
	size_t n;
	int ret = 0;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION);
	memset(out, 0, sizeof(*out));
	session_init(&s, m, &cb);
	proxy.type = GIT_PROXY_AUTO;
	alarm_start(m->o->timeout);
	if (git_remote_create_anonymous(&remote, m->repo, libgit2_url(m)) < 0 ||
	    git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, &proxy,
	    NULL) < 0 || git_remote_ls(&heads, &n, remote) < 0) {
		ret = session_error(&s, "reach", err);
		goto out;
	}
	read_heads(m, heads, n, out);
	if (!out->has_branch)
		goto out;	/* the caller reports it */
	if (!m->recloned && up_to_date(m, heads, n))
		goto out;	/* nothing new: no negotiation at all */
	buf_addf(&branch_spec, "+refs/heads/%s:refs/heads/%s", m->o->branch,
	    m->o->branch);
	specs[0] = branch_spec.s;
	specs[1] = (char *)"+refs/tags/*:refs/tags/*";
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.proxy_opts = proxy;
	if (git_remote_download(remote, &refspecs, &fo) < 0 ||
	    git_remote_update_tips(remote, &cb, 0,
	    GIT_REMOTE_DOWNLOAD_TAGS_NONE, "sluice: fetch") < 0 ||
	    git_remote_prune(remote, &cb) < 0) {
		ret = session_error(&s, "fetch from", err);
		goto out;
	}
	out->fetched = 1;
out:
	alarm_stop();
	if (remote != NULL) {
		git_remote_disconnect(remote);
		git_remote_free(remote);
	}
	if (ret == 0 && m->recloned && out->has_branch)
		ret = settle_new(m, err);
	session_release(&s);
	buf_release(&branch_spec);
	return ret;
}

static int
on_push_ref(const char *ref, const char *status, void *payload)
{
	struct session *s = payload;

	if (status != NULL) {
		s->m->push_rejected = 1;
		return session_fail(s, EXIT_CONFIG, "the server refused to "
		    "update '%s': %s", ref, status);
	}
	return 0;
}

int
mirror_push(struct mirror *m, const char *refspec, struct buf *err)
{
	git_push_options po;
	git_remote *remote = NULL;
	struct session s;
	char *specs[1];
	git_strarray refspecs = { specs, 1 };
	int ret = 0;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);

	session_init(&s, m, &po.callbacks);
	po.callbacks.push_update_reference = on_push_ref;
	po.proxy_opts.type = GIT_PROXY_AUTO;
	specs[0] = (char *)refspec;
	m->push_rejected = 0;
	alarm_start(m->o->timeout);
	if (git_remote_create_anonymous(&remote, m->repo, libgit2_url(m)) < 0 ||
	    (ret = git_remote_push(remote, &refspecs, &po)) < 0 ||
	    s.status != 0) {
		/* libgit2 refuses a push it can tell is not a fast-forward */
		if (ret == GIT_ENONFASTFORWARD)
			m->push_rejected = 1;
		ret = session_error(&s, "push to", err);
	}
	alarm_stop();
	git_remote_free(remote);
	session_release(&s);
	return ret;
}

void
mirror_close(struct mirror *m)
{
	git_repository_free(m->repo);
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	giturl_release(&m->url);
	free(m->dir);
	memset(m, 0, sizeof(*m));
	m->lock_fd = -1;
}
