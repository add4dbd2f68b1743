/*
 * changed: time git-fetch's "changed" list both ways, libgit2's
 * git_diff_tree_to_tree (what git-fetch used before lib/treediff) and
 * treediff, on the same two commits.
 *
 * usage: changed [-r runs] GITDIR FROM TO [PATH...]
 *
 * FROM and TO are revisions (anything git_revparse_single reads). Each run
 * opens GITDIR afresh and reads both commits before the clock starts, as
 * git-fetch has by then (the pack is open, no tree is cached); what is
 * timed is what changed_files does: look the commits up, take their
 * trees, diff, write the JSON array. The best of -r runs (default 20) of
 * each is reported; the two take turns, so a slow second of this VM hurts
 * both alike.
 *
 * stdout: one line, "files=N libgit2_ms=A treediff_ms=B same=yes|no".
 * The lists must be the same, libgit2's paths named twice in a row (a
 * type change) taken once. Exit: 0; 1 the lists differ; 64 usage; 70 a
 * libgit2 call failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/exitcode.h"
#include "lib/jsonw.h"
#include "lib/mtime.h"
#include "lib/num.h"
#include "lib/treediff.h"
#include "lib/banned.h"

static const char usage_line[] =
    "usage: changed [-r runs] GITDIR FROM TO [PATH...]";

static void
fail(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "changed: %s: %s\n", what,
	    e != NULL && e->message != NULL ? e->message : "?");
	exit(EXIT_SOFTWARE);
}

/* git-fetch's on_delta, before treediff, but for the repeat */
static int
on_delta(const git_diff_delta *d, float progress, void *payload)
{
	struct jsonw *w = payload;
	const char *last = NULL;

	(void)progress;
	if (d->old_file.path && d->status != GIT_DELTA_ADDED) {
		jsonw_str(w, d->old_file.path);
		last = d->old_file.path;
	}
	if (d->new_file.path && d->status != GIT_DELTA_DELETED &&
	    (d->old_file.path == NULL ||
	    strcmp(d->old_file.path, d->new_file.path) != 0 ||
	    d->status == GIT_DELTA_ADDED) &&
	    (last == NULL || strcmp(last, d->new_file.path) != 0))
		jsonw_str(w, d->new_file.path);
	return 0;
}

static void
add_changed(const char *path, void *arg)
{
	jsonw_str(arg, path);
}

/* One run: the list in out, the seconds it took returned. */
static double
run(const char *gitdir, const char *from, const char *to, char **paths,
    size_t npaths, int libgit2, struct buf *out)
{
	git_repository *repo;
	git_object *fo, *to_o;
	git_commit *a, *b;
	git_tree *ta, *tb;
	git_diff *diff;
	git_diff_options dopt;
	git_oid fid, tid;
	struct jsonw w;
	double t0, t;

	if (git_repository_open_bare(&repo, gitdir) < 0 ||
	    git_revparse_single(&fo, repo, from) < 0 ||
	    git_revparse_single(&to_o, repo, to) < 0)
		fail("cannot read the commits");
	git_oid_cpy(&fid, git_object_id(fo));
	git_oid_cpy(&tid, git_object_id(to_o));
	git_object_free(fo);
	git_object_free(to_o);
	buf_reset(out);
	jsonw_init(&w, out);

	t0 = mtime_now();
	if (git_commit_lookup(&a, repo, &fid) < 0 ||
	    git_commit_lookup(&b, repo, &tid) < 0 ||
	    git_commit_tree(&ta, a) < 0 || git_commit_tree(&tb, b) < 0)
		fail("cannot read the trees");
	jsonw_open_array(&w);
	if (libgit2) {
		git_diff_options_init(&dopt, GIT_DIFF_OPTIONS_VERSION);
		dopt.pathspec.strings = paths;
		dopt.pathspec.count = npaths;
		if (git_diff_tree_to_tree(&diff, repo, ta, tb, &dopt) < 0)
			fail("cannot diff");
		git_diff_foreach(diff, on_delta, NULL, NULL, NULL, &w);
		git_diff_free(diff);
	} else if (treediff_files(repo, ta, tb, paths, npaths, add_changed,
	    &w) < 0) {
		fail("treediff failed");
	}
	jsonw_close_array(&w);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(a);
	git_commit_free(b);
	t = mtime_now() - t0;

	git_repository_free(repo);
	return t;
}

int
main(int argc, char *argv[])
{
	struct buf ref = BUF_INIT, got = BUF_INIT;
	double best[2] = { 1e9, 1e9 }, t;
	long runs = 20, i, files = 0;
	size_t k;
	int ch, m, same;

	while ((ch = getopt(argc, argv, "r:")) != -1) {
		switch (ch) {
		case 'r':
			if (num_parse_long(optarg, 1, 10000, &runs) < 0) {
				fprintf(stderr, "%s\n", usage_line);
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "%s\n", usage_line);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3) {
		fprintf(stderr, "%s\n", usage_line);
		return EXIT_USAGE;
	}
	if (!treediff_paths_plain(argv + 3, (size_t)argc - 3)) {
		fprintf(stderr, "changed: only plain paths: treediff does not "
		    "take globs\n");
		return EXIT_USAGE;
	}
	git_libgit2_init();
	for (i = 0; i < runs; i++)
		for (m = 0; m < 2; m++) {
			/* libgit2 first in even runs, treediff in odd ones */
			ch = (int)((i + m) % 2);
			t = run(argv[0], argv[1], argv[2], argv + 3,
			    (size_t)argc - 3, !ch, ch ? &got : &ref);
			if (t < best[ch])
				best[ch] = t;
		}
	for (k = 0; k < got.len; k++)
		files += got.s[k] == '"';
	same = ref.len == got.len && memcmp(ref.s, got.s, got.len) == 0;
	printf("files=%ld libgit2_ms=%.3f treediff_ms=%.3f same=%s\n",
	    files / 2, best[0] * 1000, best[1] * 1000, same ? "yes" : "no");
	if (!same)
		fprintf(stderr, "libgit2:  %s\ntreediff: %s\n", ref.s, got.s);
	buf_release(&ref);
	buf_release(&got);
	git_libgit2_shutdown();
	return same ? 0 : 1;
}
