/*
 * Unit tests of lib/packidx. The indexes are git's own, of both versions
 * and with 64-bit offsets; git show-index says what each one lists. The
 * damaged ones are those, cut or changed a byte at a time.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/packidx.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/packidx_test.XXXXXX";

static const char *
path_of(const char *name)
{
	static struct buf p = BUF_INIT;

	buf_reset(&p);
	buf_addf(&p, "%s/%s", tmp, name);
	return p.s;
}

static void
read_file(const char *name, struct buf *out)
{
	int fd = open(path_of(name), O_RDONLY);

	buf_reset(out);
	if (fd < 0 || buf_read_fd(out, fd, 1 << 24) < 0)
		printf("# cannot read %s\n", name);
	if (fd >= 0)
		close(fd);
}

static void
write_file(const char *name, const void *p, size_t n)
{
	FILE *fp = fopen(path_of(name), "w");

	if (fp == NULL || fwrite(p, 1, n, fp) != n || fclose(fp) != 0)
		printf("# cannot write %s\n", name);
}

static off_t
file_size(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) == 0 ? st.st_size : -1;
}

/* idx reads, and lists exactly what git show-index lists, in order. */
static void
reads_as_git_says(const char *name, int version, size_t want_n)
{
	struct packidx idx = PACKIDX_INIT;
	struct buf err = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	tap_system("git show-index <%s | cut -d' ' -f2 | sort >%s.want",
	    path_of(name), path_of(name));
	if (!ok(packidx_read(&idx, path_of(name), &err) == 0, "%s reads",
	    name))
		printf("#   %s\n", err.s);
	is_int(idx.version, version, "%s: version %d", name, version);
	is_int(idx.n, want_n, "%s: %zu objects", name, want_n);
	for (i = 0; i < idx.n; i++)
		buf_addf(&got, "%s\n", git_oid_tostr(hex, sizeof(hex),
		    &idx.ids[i]));
	buf_addf(&want, "%s.want", name);
	read_file(want.s, &want);
	ok(got.len > 0 || want_n == 0, "%s: ids were read", name);
	is_str(got.s, want.s, "%s: the ids git show-index lists, sorted",
	    name);
	packidx_release(&idx);
	buf_release(&err);
	buf_release(&got);
	buf_release(&want);
}

/* The file made of idx with change applied must not read. */
static void
refused(const char *what, const struct buf *idx, size_t at, int byte,
    size_t len)
{
	struct packidx got = PACKIDX_INIT;
	struct buf b = BUF_INIT, err = BUF_INIT;

	buf_add(&b, idx->s, len);
	if (at < len)
		b.s[at] = (char)byte;
	write_file("bad.idx", b.s, b.len);
	ok(packidx_read(&got, path_of("bad.idx"), &err) == -1 &&
	    got.n == 0 && got.ids == NULL, "refused: %s", what);
	ok(strstr(err.s, "bad.idx") != NULL, "the reason names the file: "
	    "%s", err.s);
	packidx_release(&got);
	buf_release(&b);
	buf_release(&err);
}

static void
test_damaged(void)
{
	struct buf v1 = BUF_INIT, v2 = BUF_INIT, err = BUF_INIT;
	struct packidx idx = PACKIDX_INIT;
	const size_t names = 8 + 1024;	/* v2: where the names start */
	int r;

	read_file("v1.idx", &v1);
	read_file("v2.idx", &v2);
	refused("an empty file", &v2, 0, 0, 0);
	refused("a version 3 index", &v2, 7, 3, v2.len);
	refused("a version 2 index cut short", &v2, v2.len, 0, v2.len - 41);
	refused("a version 2 index cut in its names", &v2, v2.len, 0,
	    names + 30);
	refused("a version 1 index one byte short", &v1, v1.len, 0,
	    v1.len - 1);
	refused("a fan-out that goes down", &v2, 8 + 4 * 10, 0x7f, v2.len);
	/* a first name of 0xff.. : out of order, and outside its bucket */
	refused("names out of order", &v2, names, 0xff, v2.len);
	refused("a version 1 name out of order", &v1, 1024 + 4, 0xff,
	    v1.len);

	r = packidx_read(&idx, path_of("missing.idx"), &err);
	ok(r == -1 && strstr(err.s, "missing.idx") != NULL, "a missing file: "
	    "%s", err.s);
	buf_release(&v1);
	buf_release(&v2);
	buf_release(&err);
}

/* Reading into a packidx that holds ids replaces them. */
static void
test_reuse(void)
{
	struct packidx idx = PACKIDX_INIT;
	struct buf err = BUF_INIT;

	ok(packidx_read(&idx, path_of("v2.idx"), &err) == 0 && idx.n == 300,
	    "first read");
	ok(packidx_read(&idx, path_of("empty.idx"), &err) == 0 && idx.n == 0,
	    "a second read replaces the first");
	packidx_release(&idx);
	buf_release(&err);
}

int
main(void)
{
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_DIR", path_of("repo.git"), 1);
	/* 300 blobs spread over the fan-out; their pack indexed three ways:
	 * version 2, version 1, and version 2 with the offsets past 256 in
	 * the 64-bit table */
	if (tap_system("git init -q --bare %s && cd %s && for i in $(seq 300); do "
	    "echo \"blob $i\"; done | split -l 1 - b. && "
	    "git hash-object -w b.* >ids && "
	    "git pack-objects -q --index-version=2 p <ids >name && "
	    "mv p-$(cat name).pack v.pack && mv p-$(cat name).idx v2.idx && "
	    "git index-pack --index-version=1 -o v1.idx v.pack >/dev/null && "
	    "git index-pack --index-version=2,0x100 -o big.idx v.pack "
	    ">/dev/null && git pack-objects -q e </dev/null >ename && "
	    "mv e-$(cat ename).idx empty.idx", path_of("repo.git"), tmp) != 0)
		return 1;

	reads_as_git_says("v2.idx", 2, 300);
	reads_as_git_says("v1.idx", 1, 300);
	reads_as_git_says("big.idx", 2, 300);
	ok(file_size("big.idx") > file_size("v2.idx"),
	    "big.idx does hold 64-bit offsets");
	reads_as_git_says("empty.idx", 2, 0);
	test_damaged();
	test_reuse();

	tap_system("rm -rf %s", tmp);
	return tap_done();
}
