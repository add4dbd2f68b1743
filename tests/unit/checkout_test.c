/*
 * Unit tests of lib/checkout. The repositories are made by running git in
 * a temporary directory; git archive | tar -x says what a checkout must
 * look like.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/checkout.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/checkout_test.XXXXXX";
static git_repository *repo;

/* Commit everything in src into bare.git; the new commit's id in *oid. */
static void
commit(const char *msg, git_oid *oid)
{
	struct buf path = BUF_INIT, hex = BUF_INIT;
	int fd;

	tap_system("cd %s/src && git add -A && git commit -q --allow-empty -m '%s' &&"
	    " git rev-parse HEAD >%s/head", tmp, msg, tmp);
	buf_addf(&path, "%s/head", tmp);
	fd = open(path.s, O_RDONLY);
	if (fd < 0 || buf_read_fd(&hex, fd, 100) < 0 ||
	    git_oid_fromstrn(oid, hex.s, GIT_OID_HEXSZ) < 0)
		printf("# cannot read %s\n", path.s);
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&hex);
}

/* dir must hold what git archive makes of commit (submodules aside). */
static void
same_as_archive(const git_oid *oid, const char *name)
{
	char hex[GIT_OID_HEXSZ + 1];
	int r;

	git_oid_tostr(hex, sizeof(hex), oid);
	tap_system("rm -rf %s/expect && mkdir %s/expect && git archive %s |"
	    " tar -x -C %s/expect && { rmdir %s/expect/sub 2>/dev/null;"
	    " true; }", tmp, tmp, hex, tmp, tmp);
	r = tap_system("diff -r --no-dereference %s/expect %s/co >%s/diff.out 2>&1",
	    tmp, tmp, tmp);
	if (!ok(r == 0, "%s: the directory equals git archive", name))
		tap_system("sed 's/^/#   /' %s/diff.out", tmp);
}

static void
record_names(const git_oid *oid, const char *name)
{
	struct buf path = BUF_INIT, got = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 2];
	int fd;

	git_oid_tostr(hex, sizeof(hex) - 1, oid);
	hex[GIT_OID_HEXSZ] = '\n';
	hex[GIT_OID_HEXSZ + 1] = '\0';
	buf_addf(&path, "%s/co.commit", tmp);
	fd = open(path.s, O_RDONLY);
	if (fd >= 0) {
		(void)buf_read_fd(&got, fd, 100);
		close(fd);
	}
	is_str(got.s, hex, "%s: the record names the commit", name);
	buf_release(&path);
	buf_release(&got);
}

static int
stat_co(const char *rel, struct stat *st)
{
	struct buf path = BUF_INIT;
	int r;

	buf_addf(&path, "%s/co/%s", tmp, rel);
	r = lstat(path.s, st);
	buf_release(&path);
	return r;
}

/* Set rel's mtime a long way into the past. */
static void
age(const char *rel)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/co/%s", tmp, rel);
	if (utimensat(AT_FDCWD, path.s, ts, AT_SYMLINK_NOFOLLOW) < 0)
		printf("# cannot set the times of %s\n", path.s);
	buf_release(&path);
}

static int
untouched(const char *rel, ino_t ino)
{
	struct stat st;

	return stat_co(rel, &st) == 0 && st.st_ino == ino &&
	    st.st_mtime == 1000000000;
}

static int
update(const git_oid *oid)
{
	struct buf dir = BUF_INIT;
	int r;

	buf_addf(&dir, "%s/co", tmp);
	r = checkout_update(repo, oid, dir.s);
	buf_release(&dir);
	return r;
}

static void
test_checkout(void)
{
	git_oid c1, c2, c3, c4, bogus;
	struct stat st;
	ino_t keep_ino, deep_ino;

	/* c1: nested directories, a submodule, a file to move */
	tap_system("cd %s/src && mkdir -p dir/sub/deep gone/y moved.d &&"
	    " echo a >a.txt && echo keep >keep.txt && echo b >dir/b.txt &&"
	    " echo c >dir/sub/c.txt && echo d >dir/sub/deep/d.txt &&"
	    " echo x >gone/x.txt && echo z >gone/y/z.txt &&"
	    " echo '#!/bin/sh' >script.sh && echo f >f && echo v >victim &&"
	    " rmdir moved.d && git update-index --add --cacheinfo"
	    " 160000,1111111111111111111111111111111111111111,sub", tmp);
	commit("c1", &c1);
	ok(update(&c1) == 0, "c1: a first checkout succeeds");
	same_as_archive(&c1, "c1");
	record_names(&c1, "c1");
	ok(stat_co("sub", &st) < 0 && errno == ENOENT,
	    "c1: a submodule is skipped");
	age("keep.txt");
	age("dir/sub/deep/d.txt");
	keep_ino = stat_co("keep.txt", &st) == 0 ? st.st_ino : 0;
	deep_ino = stat_co("dir/sub/deep/d.txt", &st) == 0 ? st.st_ino : 0;

	ok(update(&c1) == 0 && untouched("keep.txt", keep_ino),
	    "c1 again: nothing is written");

	/*
	 * c2: modify, delete, chmod 755, symlinks (one to outside), remove a
	 * whole directory, rename a file
	 */
	tap_system("cd %s/src && echo a2 >a.txt && rm dir/b.txt &&"
	    " chmod 755 script.sh && ln -s dir/sub/c.txt ln &&"
	    " ln -s %s/outside evil && rm -r gone && mkdir moved &&"
	    " git mv dir/sub/c.txt moved/c.txt", tmp, tmp);
	commit("c2", &c2);
	/* a symlink planted where c2 modifies a file */
	tap_system("rm %s/co/a.txt && ln -s %s/outside/victim %s/co/a.txt"
	    " && echo precious >%s/outside/victim", tmp, tmp, tmp, tmp);
	ok(update(&c2) == 0, "c2: an incremental update succeeds");
	same_as_archive(&c2, "c2");
	record_names(&c2, "c2");
	ok(untouched("keep.txt", keep_ino),
	    "c2: an unchanged file is not rewritten");
	ok(untouched("dir/sub/deep/d.txt", deep_ino),
	    "c2: an unchanged file in a directory that changed is not "
	    "rewritten");
	ok(stat_co("script.sh", &st) == 0 && (st.st_mode & 0100),
	    "c2: the exec bit is set");
	ok(stat_co("evil", &st) == 0 && S_ISLNK(st.st_mode),
	    "c2: a symlink is a symlink");
	ok(stat_co("gone", &st) < 0 && errno == ENOENT,
	    "c2: a removed directory is gone");
	ok(tap_system("grep -qx precious %s/outside/victim", tmp) == 0,
	    "c2: a planted symlink is not written through");

	/*
	 * c3: the symlink to outside becomes a directory, a symlink becomes
	 * a file, a file a directory and a directory a file
	 */
	tap_system("cd %s/src && rm evil ln f && mkdir evil f &&"
	    " echo pwned >evil/pwned.txt && echo ln >ln && echo g >f/g &&"
	    " rm -r dir/sub/deep && echo deep >dir/sub/deep", tmp);
	commit("c3", &c3);
	ok(update(&c3) == 0, "c3: an incremental update succeeds");
	same_as_archive(&c3, "c3");
	record_names(&c3, "c3");
	ok(tap_system("test ! -e %s/outside/pwned.txt", tmp) == 0,
	    "c3: nothing is written through the old symlink");
	ok(untouched("keep.txt", keep_ino), "c3: keep.txt still untouched");

	/* c4 adds a file under evil/, where a symlink has been planted */
	tap_system("cd %s/src && echo more >evil/more.txt && rm -r %s/co/evil &&"
	    " ln -s %s/outside %s/co/evil", tmp, tmp, tmp, tmp);
	commit("c4", &c4);
	ok(update(&c4) == 0, "c4: an incremental update succeeds");
	ok(tap_system("test ! -e %s/outside/more.txt", tmp) == 0,
	    "c4: a planted symlink to a directory is not followed");
	ok(stat_co("evil", &st) == 0 && S_ISDIR(st.st_mode) &&
	    stat_co("evil/more.txt", &st) == 0 && S_ISREG(st.st_mode),
	    "c4: the symlink gave way to a directory");

	ok(update(&c1) == 0, "c4 to c1: an update backwards succeeds");
	same_as_archive(&c1, "c4 to c1");
	record_names(&c1, "c4 to c1");

	/* a lost record means a full rewrite, stray files included */
	tap_system("rm %s/co.commit && echo stray >%s/co/stray", tmp, tmp);
	ok(update(&c2) == 0, "no record: a full rewrite succeeds");
	same_as_archive(&c2, "no record");
	record_names(&c2, "no record");
	ok(!untouched("keep.txt", keep_ino) ||
	    stat_co("keep.txt", &st) < 0, "no record: keep.txt was rewritten");

	memset(&bogus, 0x42, sizeof(bogus));
	tap_system("echo 4242424242424242424242424242424242424242 >%s/co.commit"
	    " && echo stray >%s/co/stray", tmp, tmp);
	ok(update(&c3) == 0, "an unknown commit recorded: a full rewrite");
	same_as_archive(&c3, "unknown commit recorded");
	tap_system("echo garbage >%s/co.commit", tmp);
	ok(update(&c1) == 0, "a garbled record: a full rewrite");
	same_as_archive(&c1, "garbled record");
	record_names(&c1, "garbled record");

	tap_system("rm -rf %s/co", tmp);
	ok(update(&c2) == 0, "dir removed but record kept: a full rewrite");
	same_as_archive(&c2, "dir removed");

	ok(update(&bogus) < 0, "an unknown commit is an error");
	ok(stat_co("a.txt", &st) == 0, "and leaves the directory alone");
}

int
main(void)
{
	struct buf path = BUF_INIT;

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_AUTHOR_NAME", "t", 1);
	setenv("GIT_AUTHOR_EMAIL", "t@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "t", 1);
	setenv("GIT_COMMITTER_EMAIL", "t@example.com", 1);
	buf_addf(&path, "%s/bare.git", tmp);
	setenv("GIT_DIR", path.s, 1);
	tap_system("mkdir %s/src %s/outside && git -c init.defaultBranch=main"
	    " init -q --bare %s/bare.git", tmp, tmp, tmp);
	buf_reset(&path);
	buf_addf(&path, "%s/src", tmp);
	setenv("GIT_WORK_TREE", path.s, 1);

	git_libgit2_init();
	buf_reset(&path);
	buf_addf(&path, "%s/bare.git", tmp);
	if (git_repository_open_bare(&repo, path.s) < 0) {
		printf("# cannot open %s\n", path.s);
		return 1;
	}
	test_checkout();
	git_repository_free(repo);
	git_libgit2_shutdown();
	tap_system("rm -rf %s", tmp);
	buf_release(&path);
	return tap_done();
}
