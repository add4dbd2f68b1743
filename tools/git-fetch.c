/*
 * git-fetch: keep a bare mirror of one source's repository and say which
 * commit to sync: the first stage of both passes.
 *
 * Out: one "revision" record (source, url without password, branch,
 * commit, synced, gitDir, paths, syncSet, changed), then one "end"
 * record. It reads no records: it starts the stream. No worktree is ever
 * written: later stages read blobs from the mirror's object store.
 * A branch the remote lacks, a --git-path missing in the commit, or an
 * unverified head are "error" records.
 *
 * git-fetch --mark-synced COMMIT moves the sync tag (an annotated tag,
 * "Sync pointer", as Flux v1 wrote it) to COMMIT and force-pushes it; with
 * --git-readonly the mark is kept in the state folder instead. It writes
 * no records. The supervisor runs it only after a complete, ok pass.
 *
 * State: STATE/SOURCE/mirror.git (and .lock), STATE/SOURCE/synced
 * (read-only mode), STATE/SOURCE/gnupg (signature checks). A fetch that
 * downloads adds a pack; past git's gc --auto limits the packs (and loose
 * objects) are consolidated (lib/mirror_pack.h).
 *
 * Flags: see usage and git-fetch(1). Secrets come only from files and the
 * environment: --git-http-password-file or $SLUICE_GIT_PASSWORD.
 * Exit: 0; 1 an error record was written; 64 usage; 74 local I/O;
 * 75 network, time-out or lock held; 78 credentials, host key,
 * certificate, URL or other configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/flux.h"
#include "lib/fsx.h"
#include "lib/giturl.h"
#include "lib/gitopts.h"
#include "lib/gpgv.h"
#include "lib/jsonw.h"
#include "lib/log.h"
#include "lib/mirror.h"
#include "lib/mirror_pack.h"
#include "lib/rec.h"
#include "lib/srctree.h"
#include "lib/tool.h"
#include "lib/treediff.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define STAGE "git-fetch"
/* Bound on the commits a signature walk looks at in one run. */
#define MAX_VERIFY_COMMITS 10000

static const char usage_line[] =
    "usage: git-fetch --git-url URL [--git-branch B] [--git-path P]...\n"
    "                 [--source NAME] [--state-dir DIR] [options]\n"
    "       git-fetch --git-url URL --mark-synced COMMIT [options]";

static const char help_text[] =
    "usage: git-fetch --git-url URL [options]\n"
    "       git-fetch --git-url URL --mark-synced COMMIT [options]\n"
    "\n"
    "Mirrors a Git repository and writes a \"revision\" record naming the\n"
    "commit to sync. See git-fetch(1).\n"
    "\n"
    "  --git-url URL                 file://, git://, http(s)://, ssh:// or\n"
    "                                user@host:path\n"
    "  --git-branch B                the branch (master)\n"
    "  --git-path P                  paths in the repository (repeatable)\n"
    "  --source NAME                 the source's name (from the URL)\n"
    "  --state-dir DIR               $SLUICE_STATE_DIR, /var/lib/sluice\n"
    "  --git-sync-tag T              the sync tag (flux-sync)\n"
    "  --git-label L                 the sync tag, as Flux v1's --git-label\n"
    "  --git-readonly                never push; keep the mark locally\n"
    "  --git-timeout DURATION        per network operation (20s)\n"
    "  --git-ssh-key FILE            private key for ssh URLs\n"
    "  --git-known-hosts FILE        trusted host keys (~/.ssh/known_hosts)\n"
    "  --git-ca-file FILE            CA for https (the system CAs)\n"
    "  --git-http-user NAME          user for http(s) (the URL's, or git)\n"
    "  --git-http-password-file F    password or token ($SLUICE_GIT_PASSWORD)\n"
    "  --git-verify-signatures-mode none|all|first-parent\n"
    "  --git-gpg-key-import PATH     trusted public keys (repeatable)\n"
    "  --mark-synced COMMIT          move the sync tag to COMMIT\n"
    "  --git-user NAME               tagger name (sluice)\n"
    "  --git-email EMAIL             tagger email (sluice@localhost)\n"
    "  --git-signing-key KEY         sign the sync tag with this GPG key\n"
    "  --log-format FORMAT           auto, text or json\n";

enum {
	OPT_PATH = 256, OPT_SYNC_TAG, OPT_LABEL, OPT_VERIFY_MODE, OPT_VERIFY,
	OPT_GPG_IMPORT, OPT_MARK_SYNCED, OPT_LOG_FORMAT, OPT_VERSION
};

static const struct option long_options[] = {
	GITOPTS_LONG_OPTIONS,
	{ "git-path", required_argument, NULL, OPT_PATH },
	{ "git-sync-tag", required_argument, NULL, OPT_SYNC_TAG },
	{ "git-label", required_argument, NULL, OPT_LABEL },
	{ "git-verify-signatures-mode", required_argument, NULL,
	    OPT_VERIFY_MODE },
	{ "git-verify-signatures", no_argument, NULL, OPT_VERIFY },
	{ "git-gpg-key-import", required_argument, NULL, OPT_GPG_IMPORT },
	{ "mark-synced", required_argument, NULL, OPT_MARK_SYNCED },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

enum verify_mode { VERIFY_NONE, VERIFY_ALL, VERIFY_FIRST_PARENT };

struct options {
	struct gitopts g;	/* url, branch, credentials, committer... */
	char **paths;
	size_t npaths;
	char **gpg_keys;
	size_t ngpg_keys;
	enum verify_mode verify;
	const char *mark_synced;
};

/* State kept for one run: where things are and what was found. */
struct run {
	const struct options *o;
	struct mirror m;
	struct buf dir;		/* STATE/SOURCE */
	struct buf mirror_dir;
	struct buf sync_set;
	struct buf safe_url;
	int failed;		/* an error that makes the revision not ok */
	int errors;		/* error records written: exit 1 */
};

/* ---- records ---- */

static void
head(struct jsonw *w, struct run *r, const char *type)
{
	jsonw_open(w);
	jsonw_kstr(w, "type", type);
	if (strcmp(type, "revision") != 0)
		jsonw_kstr(w, "stage", STAGE);
	jsonw_kstr(w, "source", r->o->g.source);
}

static void
error_record(struct run *r, const char *commit, const char *file,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
error_record(struct run *r, const char *commit, const char *file,
    const char *fmt, ...)
{
	struct buf b = BUF_INIT, msg = BUF_INIT;
	struct jsonw w;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	jsonw_init(&w, &b);
	head(&w, r, "error");
	jsonw_kstr(&w, "commit", commit);
	if (file != NULL)
		jsonw_kstr(&w, "file", file);
	jsonw_kstr(&w, "message", msg.s);
	jsonw_close(&w);
	rec_out_buf(&b);
	log_event(LOG_ERROR, (const char *const[]){ "source", r->o->g.source,
	    "file", file, NULL }, "%s", msg.s);
	r->failed = 1;
	r->errors++;
	buf_release(&b);
	buf_release(&msg);
}

static void
end_record(struct run *r, const char *commit, int ok, int fetched,
    const char *why)
{
	struct rec_count counts[] = { { "fetched", (unsigned long)fetched } };

	rec_write_end(STAGE, r->o->g.source, commit, ok, counts, 1, NULL, 0, why);
}

/* ---- the read-only sync mark ---- */

static void
mark_path(struct run *r, struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/synced", r->dir.s);
}

static int
read_mark(struct run *r, git_oid *oid)
{
	struct buf path = BUF_INIT, b = BUF_INIT;
	int fd, ret = -1;

	mark_path(r, &path);
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && buf_read_fd(&b, fd, 128) == 0 &&
	    b.len >= GIT_OID_HEXSZ &&
	    git_oid_fromstrn(oid, b.s, GIT_OID_HEXSZ) == 0)
		ret = 0;
	else if (fd >= 0)
		log_warn("ignoring '%s': it does not hold a commit id", path.s);
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&b);
	return ret;
}

/* ---- what changed ---- */

/* The list being written: each path once (both diffs give them in path
 * order, libgit2's twice when a file changes type). */
struct changed {
	struct jsonw *w;
	struct buf last;
};

static void
add_changed(const char *path, void *arg)
{
	struct changed *c = arg;

	if (c->last.len > 0 && strcmp(c->last.s, path) == 0)
		return;
	jsonw_str(c->w, path);
	buf_reset(&c->last);
	buf_adds(&c->last, path);
}

static int
on_delta(const git_diff_delta *d, float progress, void *payload)
{
	(void)progress;
	if (d->old_file.path && d->status != GIT_DELTA_ADDED)
		add_changed(d->old_file.path, payload);
	if (d->new_file.path && d->status != GIT_DELTA_DELETED)
		add_changed(d->new_file.path, payload);
	return 0;
}

/*
 * The files under the paths that differ between two commits. treediff
 * reads only the folders that differ; libgit2's diff reads every tree of
 * both commits, and is kept for paths with globs, which only it matches.
 */
static void
changed_files(struct run *r, const git_oid *from, const git_oid *to,
    char **paths, size_t npaths, struct jsonw *w)
{
	git_diff_options dopt;
	git_commit *a = NULL, *b = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	struct buf list = BUF_INIT;
	struct jsonw lw;
	struct changed c = { NULL, BUF_INIT };

	if (git_commit_lookup(&a, r->m.repo, from) < 0 ||
	    git_commit_lookup(&b, r->m.repo, to) < 0 ||
	    git_commit_tree(&ta, a) < 0 || git_commit_tree(&tb, b) < 0) {
		/* cannot tell: say everything may have changed */
		jsonw_null(w);
		goto out;
	}
	if (treediff_paths_plain(paths, npaths)) {
		/* aside, so that a failure half way leaves no partial list */
		jsonw_init(&lw, &list);
		jsonw_open_array(&lw);
		c.w = &lw;
		if (treediff_files(r->m.repo, ta, tb, paths, npaths,
		    add_changed, &c) < 0) {
			jsonw_null(w);
		} else {
			jsonw_close_array(&lw);
			jsonw_raw(w, list.s, list.len);
		}
		goto out;
	}
	git_diff_options_init(&dopt, GIT_DIFF_OPTIONS_VERSION);
	dopt.pathspec.strings = paths;
	dopt.pathspec.count = npaths;
	if (git_diff_tree_to_tree(&diff, r->m.repo, ta, tb, &dopt) < 0) {
		jsonw_null(w);
		goto out;
	}
	jsonw_open_array(w);
	c.w = w;
	git_diff_foreach(diff, on_delta, NULL, NULL, NULL, &c);
	jsonw_close_array(w);
out:
	buf_release(&c.last);
	buf_release(&list);
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(a);
	git_commit_free(b);
}

/* ---- signatures ---- */

/*
 * The newest commit from synced (exclusive) to head whose signature and
 * every one before it verify; *bad is the first that does not. With no
 * synced commit, only the head is checked: its signature vouches for its
 * whole tree. 0 with *good set (may equal synced, or be zero if nothing
 * verified), or -1 on an internal error (logged).
 */
static int
verify_range(struct run *r, const git_oid *synced, const git_oid *headc,
    git_oid *good, git_oid *bad, struct buf *why)
{
	struct gpgv *g;
	git_revwalk *walk = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	struct buf err = BUF_INIT, signer = BUF_INIT, home = BUF_INIT;
	git_oid oid;
	size_t n = 0;
	int ret = -1, v;

	memset(good, 0, sizeof(*good));
	memset(bad, 0, sizeof(*bad));
	if (synced != NULL)
		git_oid_cpy(good, synced);
	buf_addf(&home, "%s/gnupg", r->dir.s);
	g = gpgv_open(home.s, r->o->gpg_keys, r->o->ngpg_keys, &err);
	if (g == NULL) {
		log_error("cannot set up signature checks: %s", err.s);
		goto out;
	}
	if (git_revwalk_new(&walk, r->m.repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
	    GIT_SORT_REVERSE) < 0 || git_revwalk_push(walk, headc) < 0 ||
	    (synced != NULL && git_revwalk_hide(walk, synced) < 0)) {
		log_error("cannot walk the commits to verify: %s",
		    git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	if (r->o->verify == VERIFY_FIRST_PARENT)
		git_revwalk_simplify_first_parent(walk);
	while (git_revwalk_next(&oid, walk) == 0) {
		if (synced == NULL && !git_oid_equal(&oid, headc))
			continue;	/* first run: the head alone */
		if (++n > MAX_VERIFY_COMMITS) {
			git_oid_cpy(bad, &oid);
			buf_addf(why, "more than %d commits to verify in one run",
			    MAX_VERIFY_COMMITS);
			break;
		}
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
		if (git_commit_extract_signature(&sig, &data, r->m.repo, &oid,
		    NULL) < 0) {
			git_oid_cpy(bad, &oid);
			buf_adds(why, "it is not signed");
			break;
		}
		buf_reset(&signer);
		v = gpgv_verify(g, sig.ptr, sig.size, data.ptr, data.size,
		    &signer, why);
		if (v < 0) {
			log_error("cannot verify a signature: %s", why->s);
			goto out;
		}
		if (v == 0) {
			git_oid_cpy(bad, &oid);
			break;
		}
		git_oid_cpy(good, &oid);
	}
	ret = 0;
out:
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_revwalk_free(walk);
	gpgv_close(g);
	buf_release(&err);
	buf_release(&signer);
	buf_release(&home);
	return ret;
}

/* ---- one fetch ---- */

static int
state_dirs(struct run *r)
{
	const char *src = r->o->g.source;

	if (*src == '\0' || strchr(src, '/') != NULL || strcmp(src, ".") == 0 ||
	    strcmp(src, "..") == 0)
		die(EXIT_USAGE, "--source: '%s' cannot name a folder", src);
	buf_addf(&r->dir, "%s/%s", r->o->g.state_dir, src);
	buf_addf(&r->mirror_dir, "%s/mirror.git", r->dir.s);
	if ((mkdir(r->o->g.state_dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(r->dir.s, 0700) < 0 && errno != EEXIST)) {
		log_errno("cannot create '%s'", r->dir.s);
		return EXIT_IOERR;
	}
	return 0;
}

static int
fetch(struct run *r)
{
	const struct options *o = r->o;
	struct mirror_heads heads;
	struct buf err = BUF_INIT, rec = BUF_INIT, path = BUF_INIT,
	    why = BUF_INIT;
	char head_hex[GIT_OID_HEXSZ + 1], synced_hex[GIT_OID_HEXSZ + 1];
	char bad_hex[GIT_OID_HEXSZ + 1];
	git_oid synced, commit, good, bad;
	struct srctree *tree = NULL;
	const git_oid *synced_p = NULL;
	git_commit *c = NULL;
	struct jsonw w;
	size_t i;
	int status;

	status = mirror_open(&r->m, r->mirror_dir.s, &o->g.m, &err);
	if (status == 0)
		status = mirror_fetch(&r->m, &heads, &err);
	if (status != 0) {
		error_record(r, NULL, NULL, "%s", err.s);
		end_record(r, NULL, 0, 0, err.s);
		goto out;
	}
	/*
	 * After every fetch, not only one that downloaded: img-update's
	 * commits and the sync tags add loose objects without one. Below
	 * the limits it is two folder reads. Before the records: the stages
	 * after this one find the mirror through them, so none reads it
	 * while packs are removed. Its failure is a warning, never the
	 * fetch's.
	 */
	(void)mirror_pack_maintain(&r->m);
	if (!heads.has_branch) {
		error_record(r, NULL, NULL, "branch '%s' does not exist in "
		    "'%s'", o->g.m.branch, r->m.url.clean);
		end_record(r, NULL, 0, heads.fetched, "no such branch");
		goto out;
	}
	git_oid_cpy(&commit, &heads.branch);
	/* the sync mark: the remote's tag, or ours when read-only */
	if (o->g.readonly) {
		if (read_mark(r, &synced) == 0 &&
		    git_commit_lookup(&c, r->m.repo, &synced) == 0)
			synced_p = &synced;
	} else if (heads.has_tag) {
		git_object *tag = NULL, *peeled = NULL;

		/*
		 * The advertisement names the commit when the server sends
		 * the peeled line, the tag object otherwise: peel it here.
		 */
		if (git_object_lookup(&tag, r->m.repo, &heads.tag,
		    GIT_OBJECT_ANY) == 0 &&
		    git_object_peel(&peeled, tag, GIT_OBJECT_COMMIT) == 0) {
			git_oid_cpy(&synced, git_object_id(peeled));
			synced_p = &synced;
		}
		git_object_free(peeled);
		git_object_free(tag);
	}
	git_commit_free(c);
	c = NULL;
	if (o->verify != VERIFY_NONE) {
		if (verify_range(r, synced_p, &heads.branch, &good, &bad,
		    &why) < 0) {
			status = EXIT_CONFIG;
			end_record(r, NULL, 0, heads.fetched,
			    "signatures could not be checked");
			goto out;
		}
		if (!git_oid_is_zero(&bad)) {
			git_oid_tostr(bad_hex, sizeof(bad_hex), &bad);
			error_record(r, bad_hex, NULL, "commit %s is not "
			    "verified (%s); syncing the last verified commit "
			    "instead", bad_hex, why.s);
			/*
			 * The revision written is whole and verified: the
			 * pass over it may complete (and prune) as usual.
			 */
			r->failed = 0;
		}
		if (git_oid_is_zero(&good)) {
			end_record(r, NULL, 0, heads.fetched,
			    "no verified commit to sync");
			goto out;
		}
		git_oid_cpy(&commit, &good);
	}
	git_oid_tostr(head_hex, sizeof(head_hex), &commit);
	if (synced_p != NULL)
		git_oid_tostr(synced_hex, sizeof(synced_hex), synced_p);

	jsonw_init(&w, &rec);
	head(&w, r, "revision");
	jsonw_kstr(&w, "url", r->m.url.clean);
	jsonw_kstr(&w, "branch", o->g.m.branch);
	jsonw_kstr(&w, "commit", head_hex);
	jsonw_kstr(&w, "synced", synced_p ? synced_hex : NULL);
	jsonw_kstr(&w, "gitDir", r->mirror_dir.s);
	jsonw_key(&w, "paths");
	jsonw_open_array(&w);
	for (i = 0; i < o->npaths; i++)
		jsonw_str(&w, o->paths[i]);
	jsonw_close_array(&w);
	jsonw_kstr(&w, "syncSet", r->sync_set.s);
	jsonw_key(&w, "changed");
	if (synced_p == NULL)
		jsonw_null(&w);
	else
		changed_files(r, synced_p, &commit, o->paths, o->npaths, &w);
	jsonw_close(&w);
	rec_out_buf(&rec);

	/* every path must be in the commit */
	tree = srctree_open_git(r->mirror_dir.s, head_hex, &err);
	for (i = 0; tree != NULL && i < o->npaths; i++) {
		buf_reset(&err);
		if (srctree_clean_path(o->paths[i], &path, &err) < 0)
			error_record(r, head_hex, o->paths[i], "%s", err.s);
		else if (srctree_stat(tree, path.s) == SRCTREE_NONE)
			error_record(r, head_hex, o->paths[i], "path '%s' not "
			    "found in commit %s", o->paths[i], head_hex);
	}
	end_record(r, head_hex, !r->failed, heads.fetched, NULL);
	log_event(LOG_INFO, (const char *const[]){ "source", o->g.source,
	    "commit", head_hex, NULL }, "%s '%s' at %.12s",
	    heads.fetched ? "fetched" : "no change in", o->g.m.branch, head_hex);
out:
	srctree_free(tree);
	mirror_close(&r->m);
	buf_release(&err);
	buf_release(&rec);
	buf_release(&path);
	buf_release(&why);
	return status;
}

/* ---- moving the sync tag ---- */

static int
make_tag(struct run *r, git_object *target, struct buf *err)
{
	const struct options *o = r->o;
	git_signature *sig = NULL;
	git_buf tagger = GIT_BUF_INIT;
	struct buf body = BUF_INIT, gpg = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid oid;
	int ret = EXIT_CONFIG;

	if (git_signature_now(&sig, o->g.user, o->g.email) < 0) {
		buf_addf(err, "bad tagger '%s <%s>'", o->g.user, o->g.email);
		goto out;
	}
	if (o->g.signing_key == NULL) {
		if (git_tag_create(&oid, r->m.repo, o->g.m.sync_tag, target, sig,
		    "Sync pointer", 1) < 0)
			goto git_fail;
		ret = 0;
		goto out;
	}
	/* a signed tag: the object text, then its armored signature */
	git_oid_tostr(hex, sizeof(hex), git_object_id(target));
	buf_addf(&body, "object %s\ntype commit\ntag %s\ntagger %s <%s> "
	    "%lld %c%02d%02d\n\nSync pointer\n", hex, o->g.m.sync_tag,
	    sig->name, sig->email, (long long)sig->when.time,
	    sig->when.offset < 0 ? '-' : '+', abs(sig->when.offset) / 60,
	    abs(sig->when.offset) % 60);
	if (gpgv_sign(o->g.signing_key, body.s, body.len, &gpg, err) < 0)
		goto out;
	buf_add(&body, gpg.s, gpg.len);
	if (git_tag_create_from_buffer(&oid, r->m.repo, body.s, 1) < 0)
		goto git_fail;
	ret = 0;
	goto out;
git_fail:
	buf_addf(err, "cannot create the tag '%s': %s", o->g.m.sync_tag,
	    git_error_last() ? git_error_last()->message : "?");
	ret = EXIT_IOERR;
out:
	git_buf_dispose(&tagger);
	git_signature_free(sig);
	buf_release(&body);
	buf_release(&gpg);
	return ret;
}

static int
mark_synced(struct run *r)
{
	const struct options *o = r->o;
	struct buf err = BUF_INIT, ref = BUF_INIT, spec = BUF_INIT,
	    path = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 2];
	git_object *target = NULL, *peeled = NULL;
	git_reference *tag = NULL;
	git_oid old;
	int status, had_tag = 0;

	status = mirror_open_existing(&r->m, r->mirror_dir.s, &o->g.m, &err);
	if (status != 0)
		goto out;
	if (git_revparse_single(&target, r->m.repo, o->mark_synced) < 0 ||
	    git_object_peel(&peeled, target, GIT_OBJECT_COMMIT) < 0) {
		buf_addf(&err, "'%s' is not a commit in the mirror",
		    o->mark_synced);
		status = EXIT_USAGE;
		goto out;
	}
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_object_id(peeled));
	if (o->g.readonly) {
		hex[GIT_OID_HEXSZ] = '\n';
		mark_path(r, &path);
		if (fsx_write_atomic(path.s, hex, GIT_OID_HEXSZ + 1, 0644) < 0)
			status = EXIT_IOERR;
		goto out;
	}
	buf_addf(&ref, "refs/tags/%s", o->g.m.sync_tag);
	if (git_reference_lookup(&tag, r->m.repo, ref.s) == 0) {
		git_object *was = NULL;

		if (git_reference_target(tag) != NULL) {
			git_oid_cpy(&old, git_reference_target(tag));
			had_tag = 1;
		}
		if (git_reference_peel(&was, tag, GIT_OBJECT_COMMIT) == 0 &&
		    git_oid_equal(git_object_id(was), git_object_id(peeled))) {
			git_object_free(was);
			log_info("'%s' already marks %s", o->g.m.sync_tag, hex);
			goto out;
		}
		git_object_free(was);
	}
	if ((status = make_tag(r, peeled, &err)) != 0)
		goto out;
	buf_addf(&spec, "+%s:%s", ref.s, ref.s);
	status = mirror_push(&r->m, spec.s, &err);
	if (status == 0) {
		log_info("moved '%s' to %s", o->g.m.sync_tag, hex);
	} else {
		/* the mirror's tag stands for the remote's: put it back, or
		 * the next pass would find it "already" marking the commit
		 * and never push it */
		git_reference *back = NULL;

		if (had_tag ? git_reference_create(&back, r->m.repo, ref.s,
		    &old, 1, "sluice: push failed") < 0 :
		    git_reference_remove(r->m.repo, ref.s) < 0)
			log_warn("cannot restore '%s' in the mirror: %s",
			    ref.s, git_error_last() ?
			    git_error_last()->message : "?");
		git_reference_free(back);
	}
out:
	if (status != 0)
		log_event(LOG_ERROR, (const char *const[]){ "source", o->g.source,
		    NULL }, "%s", err.s);
	git_reference_free(tag);
	git_object_free(target);
	git_object_free(peeled);
	mirror_close(&r->m);
	buf_release(&err);
	buf_release(&ref);
	buf_release(&spec);
	buf_release(&path);
	return status;
}

int
main(int argc, char *argv[])
{
	struct tool_status st = TOOL_STATUS_INIT;
	struct options o;
	struct run r;
	struct buf err = BUF_INIT;
	int ch, status;

	tool_init("git-fetch");
	memset(&o, 0, sizeof(o));
	gitopts_init(&o.g);
	while ((ch = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_PATH: tool_add_list(&o.paths, &o.npaths, optarg); break;
		case OPT_SYNC_TAG: o.g.m.sync_tag = optarg; break;
		case OPT_LABEL: o.g.m.sync_tag = optarg; break;
		case OPT_VERIFY_MODE:
			if (strcmp(optarg, "none") == 0 || *optarg == '\0')
				o.verify = VERIFY_NONE;
			else if (strcmp(optarg, "all") == 0)
				o.verify = VERIFY_ALL;
			else if (strcmp(optarg, "first-parent") == 0)
				o.verify = VERIFY_FIRST_PARENT;
			else
				die(EXIT_USAGE, "--git-verify-signatures-mode: "
				    "'%s' is not none, all or first-parent",
				    optarg);
			break;
		case OPT_VERIFY: o.verify = VERIFY_ALL; break;
		case OPT_GPG_IMPORT:
			tool_add_list(&o.gpg_keys, &o.ngpg_keys, optarg);
			break;
		case OPT_MARK_SYNCED: o.mark_synced = optarg; break;
		case OPT_LOG_FORMAT: tool_log_format(optarg); break;
		case 'h': tool_help(help_text);
		case OPT_VERSION: tool_help("git-fetch " SLUICE_VERSION "\n");
		default:
			if (!gitopts_flag(&o.g, ch, optarg))
				tool_usage(usage_line);
		}
	}
	if (optind != argc || o.g.m.url == NULL || *o.g.m.branch == '\0' ||
	    *o.g.m.sync_tag == '\0')
		tool_usage(usage_line);
	if (o.verify != VERIFY_NONE && o.ngpg_keys == 0)
		die(EXIT_CONFIG, "--git-verify-signatures-mode needs trusted "
		    "keys: give them with --git-gpg-key-import");
	gitopts_finish(&o.g);

	memset(&r, 0, sizeof(r));
	r.o = &o;
	buf_init(&r.dir, 0);
	buf_init(&r.mirror_dir, 0);
	buf_init(&r.sync_set, 0);
	buf_init(&r.safe_url, 0);
	if (flux_safe_url(o.g.m.url, &r.safe_url) < 0)
		die(EXIT_CONFIG, "--git-url: cannot parse the URL");
	flux_sync_set_name(r.safe_url.s, o.g.m.branch, o.paths, o.npaths,
	    &r.sync_set);

	git_libgit2_init();
	status = mirror_global_init(&o.g.m, &err);
	if (status != 0)
		die(status, "%s", err.s);
	status = state_dirs(&r);
	if (status == 0)
		status = o.mark_synced ? mark_synced(&r) : fetch(&r);
	if (r.errors)
		tool_note(&st, 0);

	git_libgit2_shutdown();
	buf_release(&r.dir);
	buf_release(&r.mirror_dir);
	buf_release(&r.sync_set);
	buf_release(&r.safe_url);
	buf_release(&err);
	tool_free_list(o.paths, o.npaths);
	tool_free_list(o.gpg_keys, o.ngpg_keys);
	gitopts_release(&o.g);
	ch = tool_finish(&st);
	return status != 0 ? status : ch;
}
