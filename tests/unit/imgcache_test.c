/* Unit tests of lib/imgcache: the on-disk image metadata cache. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsx.h"
#include "lib/imgcache.h"
#include "lib/log.h"
#include "tests/unit/tap.h"

#define NTAGS		500
#define NDIGESTS	50
#define T0		1700000000LL
#define HEX64		"0123456789abcdef0123456789abcdef" \
			"0123456789abcdef0123456789abcdef"

static char root[] = "/tmp/imgcache_test.XXXXXX";
static struct buf cache_dir = BUF_INIT;

/* stderr goes to a file between capture_begin and capture_end */
static int saved_stderr = -1;
static char capture_path[] = "/tmp/imgcache_test_err.XXXXXX";

static void
capture_begin(void)
{
	int fd = mkstemp(capture_path);

	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void
capture_end(struct buf *out)
{
	int fd;

	dup2(saved_stderr, 2);
	close(saved_stderr);
	buf_reset(out);
	fd = open(capture_path, O_RDONLY);
	if (fd >= 0) {
		(void)buf_read_fd(out, fd, 1 << 20);
		close(fd);
	}
	unlink(capture_path);
	memcpy(capture_path + strlen(capture_path) - 6, "XXXXXX", 6);
}

/* "sha256:" and the hex of sha256(i) */
static void
make_digest(unsigned i, char *out)
{
	unsigned char md[DIGEST_SHA256_LEN];
	struct buf b = BUF_INIT;

	digest_sha256(&i, sizeof(i), md);
	buf_adds(&b, "sha256:");
	digest_hex(md, sizeof(md), &b);
	memcpy(out, b.s, b.len + 1);
	buf_release(&b);
}

/* the path of the only file (or the first) in dir ending in .repo */
static int
repo_file(const char *dir, struct buf *path)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	buf_reset(path);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len > 5 && strcmp(e->d_name + len - 5, ".repo") == 0) {
			if (n++ == 0)
				buf_addf(path, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static void
fill_repo(struct imgcache_repo *r, struct imgcache *c)
{
	struct imgcache_image img;
	struct imgcache_tag *t;
	char tag[32], stamp[32];
	unsigned i;

	for (i = 0; i < NDIGESTS; i++) {
		memset(&img, 0, sizeof(img));
		make_digest(i, img.digest);
		img.created = T0 - 86400LL * i;
		snprintf(stamp, sizeof(stamp), "2023-11-%02uT22:13:20Z",
		    1 + i % 28);
		img.label_created = stamp;
		img.label_build_date = i % 2 ? stamp : NULL;
		imgcache_put_digest(c, &img);
	}
	r->listed = T0 + 5;
	for (i = 0; i < NTAGS; i++) {
		snprintf(tag, sizeof(tag), "1.%u.%u", i / 10, i % 10);
		t = imgcache_repo_add(r, tag);
		make_digest(i % NDIGESTS, t->digest);
		t->checked = T0 - i;
		t->interval = IMGCACHE_MIN_REFRESH << (i % 10);
	}
}

static void
test_open(void)
{
	struct imgcache *c;
	struct stat st;
	struct buf b = BUF_INIT, err = BUF_INIT;

	c = imgcache_open(cache_dir.s);
	ok(c != NULL, "open creates the folder");
	ok(stat(cache_dir.s, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700, "the folder is mode 0700");
	imgcache_close(c);
	c = imgcache_open(cache_dir.s);
	ok(c != NULL, "open takes an existing folder");
	imgcache_close(c);

	buf_addf(&b, "%s/plain", root);
	close(open(b.s, O_WRONLY | O_CREAT, 0600));
	capture_begin();
	c = imgcache_open(b.s);
	capture_end(&err);
	ok(c == NULL && strstr(err.s, "not a folder") != NULL,
	    "open refuses a file, and says so");
	unlink(b.s);
	buf_release(&b);
	buf_release(&err);
}

static void
test_round_trip(void)
{
	struct imgcache_repo r, got;
	struct imgcache_image img;
	struct imgcache *c;
	struct buf path = BUF_INIT;
	struct stat st;
	const char *name = "index.docker.io/library/nginx";
	char d[IMGCACHE_DIGEST_MAX], stamp[32];
	size_t i, bad;
	double per_tag;

	c = imgcache_open(cache_dir.s);
	imgcache_repo_init(&r, name);
	fill_repo(&r, c);
	ok(imgcache_save_repo(c, &r) == 0, "saves 500 tags, 50 digests");
	imgcache_close(c);

	ok(repo_file(cache_dir.s, &path) == 1 && stat(path.s, &st) == 0,
	    "one file for the repository");
	per_tag = (double)st.st_size / NTAGS;
	printf("# %lld bytes for %d tags and %d digests: %.1f bytes a tag\n",
	    (long long)st.st_size, NTAGS, NDIGESTS, per_tag);
	ok(per_tag < 100, "under 100 bytes a tag (%.1f)", per_tag);
	ok((st.st_mode & 0777) == 0600, "the file is mode 0600");

	/* a fresh handle: nothing known but what the file holds */
	c = imgcache_open(cache_dir.s);
	make_digest(0, d);
	is_int(imgcache_get_digest(c, d, &img), 1,
	    "a digest is unknown before its repository is loaded");
	imgcache_image_release(&img);
	is_int(imgcache_load_repo(c, name, &got), 0, "loads it back");
	is_str(got.name, name, "the name");
	is_int(got.listed, T0 + 5, "when the tags were listed");
	is_int(got.n, NTAGS, "every tag");
	for (i = 0, bad = 0; i < NTAGS && i < got.n; i++)
		if (strcmp(got.tags[i].tag, r.tags[i].tag) != 0 ||
		    strcmp(got.tags[i].digest, r.tags[i].digest) != 0 ||
		    got.tags[i].checked != r.tags[i].checked ||
		    got.tags[i].interval != r.tags[i].interval)
			bad++;
	is_int(bad, 0, "every tag's name, digest, check time and interval");

	for (i = 0, bad = 0; i < NDIGESTS; i++) {
		make_digest((unsigned)i, d);
		snprintf(stamp, sizeof(stamp), "2023-11-%02uT22:13:20Z",
		    (unsigned)(1 + i % 28));
		if (imgcache_get_digest(c, d, &img) != 0 ||
		    strcmp(img.digest, d) != 0 ||
		    img.created != T0 - 86400LL * (long long)i ||
		    img.label_created == NULL ||
		    strcmp(img.label_created, stamp) != 0 ||
		    (i % 2 ? img.label_build_date == NULL ||
		    strcmp(img.label_build_date, stamp) != 0 :
		    img.label_build_date != NULL))
			bad++;
		imgcache_image_release(&img);
	}
	is_int(bad, 0, "every digest's created time and labels, absent "
	    "labels staying absent");

	/* saving what was loaded gives the same bytes */
	{
		struct buf before = BUF_INIT, after = BUF_INIT;
		int fd;

		fd = open(path.s, O_RDONLY);
		(void)buf_read_fd(&before, fd, 1 << 20);
		close(fd);
		ok(imgcache_save_repo(c, &got) == 0, "saves the loaded entry");
		fd = open(path.s, O_RDONLY);
		(void)buf_read_fd(&after, fd, 1 << 20);
		close(fd);
		ok(before.len == after.len &&
		    memcmp(before.s, after.s, before.len) == 0,
		    "load then save changes no byte");
		buf_release(&before);
		buf_release(&after);
	}

	imgcache_repo_release(&got);
	imgcache_repo_release(&r);
	imgcache_close(c);
	buf_release(&path);
}

static void
test_missing(void)
{
	struct imgcache_repo r;
	struct imgcache *c = imgcache_open(cache_dir.s);

	is_int(imgcache_load_repo(c, "ghcr.io/nobody/nothing", &r), 1,
	    "a repository never saved is missing");
	ok(r.n == 0 && r.listed == 0 && strcmp(r.name,
	    "ghcr.io/nobody/nothing") == 0, "as an empty entry, named");
	imgcache_repo_release(&r);
	imgcache_close(c);
}

static void
test_adaptive(void)
{
	struct imgcache_tag t;
	char a[IMGCACHE_DIGEST_MAX], b[IMGCACHE_DIGEST_MAX];
	long long now = T0, want;
	int i, steps, fine;

	make_digest(1, a);
	make_digest(2, b);
	memset(&t, 0, sizeof(t));
	t.tag = (char *)"v1";
	ok(imgcache_checked(&t, a, now) == 0, "a first check is recorded");
	is_int(t.interval, 3600, "a new tag is re-checked after 1 h");
	is_int(t.checked, now, "check time recorded");
	is_str(t.digest, a, "digest recorded");

	/* unchanged: 2 h, 4 h, ..., 128 h, then 7 d for good */
	for (fine = 1, want = 3600, steps = 0; steps < 10; steps++) {
		now += t.interval + 1;
		imgcache_checked(&t, a, now);
		want = want * 2 > 604800 ? 604800 : want * 2;
		if (t.interval != want)
			fine = 0;
	}
	ok(fine, "an unchanged digest doubles the interval");
	is_int(t.interval, 604800, "up to 7 d, and no further");

	/* moved: 3.5 d, ... down to 5 min */
	for (fine = 1, i = 0; i < 20; i++) {
		want = t.interval / 2 < 300 ? 300 : t.interval / 2;
		now += t.interval + 1;
		imgcache_checked(&t, i % 2 ? a : b, now);
		if (t.interval != want)
			fine = 0;
	}
	ok(fine, "a moved tag halves the interval");
	is_int(t.interval, 300, "down to 5 min, and no further");

	t.interval = 0;
	imgcache_checked(&t, t.digest, now);
	is_int(t.interval, 600, "no previous interval counts as 5 min");
	t.interval = 1LL << 62;
	imgcache_checked(&t, t.digest, now);
	is_int(t.interval, 604800, "a huge interval clips, no overflow");

	imgcache_excluded(&t, now);
	ok(t.digest[0] == '\0' && t.interval == 86400 && t.checked == now,
	    "an excluded tag has no digest and waits 24 h");
	imgcache_checked(&t, a, now + 86401);
	is_int(t.interval, 3600, "a formerly excluded tag starts at 1 h");

	{
		struct buf err = BUF_INIT;
		struct imgcache_tag keep = t;
		int rc;

		capture_begin();
		rc = imgcache_checked(&t, "sha256:../../x", now + 1);
		capture_end(&err);
		ok(rc == -1 && t.checked == keep.checked &&
		    strcmp(t.digest, keep.digest) == 0 &&
		    strstr(err.s, "not a digest") != NULL,
		    "a malformed digest is refused, the tag left as it was");
		buf_release(&err);
	}
}

static void
test_due(void)
{
	struct imgcache_tag t;

	memset(&t, 0, sizeof(t));
	ok(imgcache_due(&t, T0), "a tag never checked is due");
	t.checked = 1000;
	t.interval = 3600;
	ok(!imgcache_due(&t, 1000), "not due just after its check");
	ok(!imgcache_due(&t, 4600), "not due at the deadline itself");
	ok(imgcache_due(&t, 4601), "due past the deadline");
	ok(imgcache_due(&t, 999), "due if the check lies in the future");
}

/* save a small repository called name; its file's path into path */
static void
save_small(struct imgcache *c, const char *name)
{
	struct imgcache_repo r;
	struct imgcache_tag *t;

	imgcache_repo_init(&r, name);
	t = imgcache_repo_add(&r, "latest");
	imgcache_checked(t, "sha256:0123456789abcdef", T0);
	imgcache_repo_add(&r, "never-checked");
	imgcache_save_repo(c, &r);
	imgcache_repo_release(&r);
}

static void
path_of(const char *name, struct buf *path)
{
	unsigned char md[DIGEST_SHA256_LEN];

	digest_sha256(name, strlen(name), md);
	buf_reset(path);
	buf_addf(path, "%s/", cache_dir.s);
	digest_hex(md, sizeof(md), path);
	buf_adds(path, ".repo");
}

/* load name, expecting "missing" with a warning mentioning what */
static void
expect_corrupt(struct imgcache *c, const char *name, const char *what,
    const char *how)
{
	struct imgcache_repo r;
	struct buf err = BUF_INIT;
	int rc;

	capture_begin();
	rc = imgcache_load_repo(c, name, &r);
	capture_end(&err);
	ok(rc == 1 && r.n == 0 && strstr(err.s, "warning") != NULL &&
	    strstr(err.s, what) != NULL, "%s: missing, with a warning", how);
	if (strstr(err.s, what) == NULL)
		printf("#   stderr: %s", err.s);
	imgcache_repo_release(&r);
	buf_release(&err);
}

/* n bytes of body, then its SHA-256: a checksum that matches */
static void
write_sealed(const char *path, const char *body, size_t n)
{
	struct buf b = BUF_INIT;
	unsigned char md[DIGEST_SHA256_LEN];

	buf_add(&b, body, n);
	digest_sha256(b.s, b.len, md);
	buf_add(&b, md, sizeof(md));
	fsx_write_atomic(path, b.s, b.len, 0600);
	buf_release(&b);
}

static void
test_corrupt(void)
{
	const char *name = "quay.io/team/app";
	struct imgcache *c = imgcache_open(cache_dir.s);
	struct buf path = BUF_INIT, data = BUF_INIT, other = BUF_INIT;
	struct imgcache_repo r;
	size_t len;
	int fd;

	save_small(c, name);
	path_of(name, &path);
	fd = open(path.s, O_RDONLY);
	(void)buf_read_fd(&data, fd, 1 << 20);
	close(fd);
	len = data.len;
	is_int(imgcache_load_repo(c, name, &r), 0, "the intact file loads");
	ok(r.n == 2 && strcmp(r.tags[1].tag, "never-checked") == 0 &&
	    r.tags[1].digest[0] == '\0' && r.tags[1].checked == 0,
	    "with its never-checked tag");
	imgcache_repo_release(&r);

	data.s[len / 2] ^= 0x01;
	fsx_write_atomic(path.s, data.s, len, 0600);
	expect_corrupt(c, name, "checksum", "one flipped bit");
	data.s[len / 2] ^= 0x01;

	fsx_write_atomic(path.s, data.s, len - 1, 0600);
	expect_corrupt(c, name, "checksum", "truncated by a byte");
	fsx_write_atomic(path.s, data.s, 10, 0600);
	expect_corrupt(c, name, "truncated", "truncated to 10 bytes");
	fsx_write_atomic(path.s, "", 0, 0600);
	expect_corrupt(c, name, "truncated", "empty");

	/* a valid file, under another repository's name */
	fsx_write_atomic(path.s, data.s, len, 0600);
	path_of("quay.io/team/other", &other);
	fsx_write_atomic(other.s, data.s, len, 0600);
	expect_corrupt(c, "quay.io/team/other", "another repository",
	    "another repository's file");

	unlink(other.s);
	if (symlink(path.s, other.s) == 0)
		expect_corrupt(c, "quay.io/team/other", "symbolic link",
		    "a symbolic link");
	unlink(other.s);

	/* checksums that match bytes that do not parse */
	{
		struct buf body = BUF_INIT;
		size_t blen = len - DIGEST_SHA256_LEN;

		buf_add(&body, data.s, blen);
		buf_addch(&body, 0);
		write_sealed(path.s, body.s, body.len);
		expect_corrupt(c, name, "trailing bytes",
		    "a sealed file with a byte too many");
		write_sealed(path.s, body.s, blen - 1);
		expect_corrupt(c, name, "truncated",
		    "a sealed file a byte short");
		/* the last tag's digest index is at -16 from the sum */
		memcpy(body.s + blen - 16, "\0\0\0\7", 4);
		write_sealed(path.s, body.s, blen);
		expect_corrupt(c, name, "out of range",
		    "a digest index past the digests");
		memcpy(body.s, "SLCIMGC\1", 8);
		write_sealed(path.s, body.s, blen);
		expect_corrupt(c, name, "version", "another format version");
		buf_release(&body);
	}

	/* a corrupt file is replaced by the next save */
	fsx_write_atomic(path.s, data.s, len - 1, 0600);
	save_small(c, name);
	is_int(imgcache_load_repo(c, name, &r), 0,
	    "a save replaces a corrupt file");
	imgcache_repo_release(&r);

	imgcache_close(c);
	buf_release(&path);
	buf_release(&data);
	buf_release(&other);
}

static void
test_refuse(void)
{
	const char *name = "registry.example/refuse";
	struct imgcache *c = imgcache_open(cache_dir.s);
	struct imgcache_repo r;
	struct imgcache_tag *t;
	struct buf err = BUF_INIT;
	char longtag[300];
	int rc;

	save_small(c, name);
	imgcache_repo_init(&r, name);
	t = imgcache_repo_add(&r, "x");
	t->interval = -1;
	capture_begin();
	rc = imgcache_save_repo(c, &r);
	capture_end(&err);
	ok(rc == -1 && strstr(err.s, "out of range") != NULL,
	    "a negative interval is refused");
	t->interval = 0;

	memset(longtag, 'a', sizeof(longtag) - 1);
	longtag[sizeof(longtag) - 1] = '\0';
	imgcache_repo_add(&r, longtag);
	capture_begin();
	rc = imgcache_save_repo(c, &r);
	capture_end(&err);
	ok(rc == -1, "a tag over 255 bytes is refused");
	imgcache_repo_release(&r);

	is_int(imgcache_load_repo(c, name, &r), 0,
	    "a refused save leaves the previous entry");
	ok(r.n == 2 && strcmp(r.tags[0].tag, "latest") == 0,
	    "untouched");
	imgcache_repo_release(&r);
	imgcache_close(c);
	buf_release(&err);
}

static void
test_names(void)
{
	static const char *const names[] = {
		"../../escape", "/", "a/b/../../../c", ".", "..",
		"name with spaces\nand a newline", NULL /* long */,
	};
	struct imgcache *c;
	struct imgcache_repo r;
	struct buf longname = BUF_INIT, path = BUF_INIT, esc = BUF_INIT;
	struct dirent *e;
	struct stat st;
	size_t i, n = sizeof(names) / sizeof(names[0]);
	const char *name;
	int fine, count;
	DIR *d;

	/* a fresh folder, so every file in it is one of these */
	buf_addf(&path, "%s/names", root);
	c = imgcache_open(path.s);
	for (i = 0; i < 1000; i++)
		buf_addch(&longname, "ab/."[i % 4]);
	for (i = 0, fine = 1; i < n; i++) {
		name = names[i] ? names[i] : longname.s;
		save_small(c, name);
		if (imgcache_load_repo(c, name, &r) != 0 ||
		    strcmp(r.name, name) != 0 || r.n != 2)
			fine = 0;
		imgcache_repo_release(&r);
	}
	ok(fine, "unsafe names save and load back");

	d = opendir(path.s);
	for (count = 0, fine = 1; d != NULL && (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		count++;
		if (strlen(e->d_name) != 64 + 5 ||
		    strspn(e->d_name, "0123456789abcdef") != 64 ||
		    strcmp(e->d_name + 64, ".repo") != 0)
			fine = 0;
	}
	if (d != NULL)
		closedir(d);
	ok(fine && count == (int)n,
	    "each is one file named by 64 hex digits and .repo, in the folder");
	buf_addf(&esc, "%s/escape", root);
	ok(stat(esc.s, &st) < 0 && lstat("/escape", &st) < 0,
	    "nothing is written outside it");
	imgcache_close(c);
	buf_release(&longname);
	buf_release(&path);
	buf_release(&esc);
}

static void
test_digests(void)
{
	static const char *const good[] = {
		"sha256:" HEX64, "sha512:abc",
		"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeT",
		"a.b-c_d:A=_-",
	};
	static const char *const bad[] = {
		"", "sha256", ":abc", "sha256:", "SHA256:abc", "sha256:ab/c",
		"-sha:abc", "sha-:abc", "sh--a:abc", "sha256:../x",
		"sha256:" HEX64 "0",
	};
	struct imgcache *c = imgcache_open(cache_dir.s);
	struct imgcache_image img, got;
	struct imgcache_repo r;
	struct imgcache_tag *t;
	struct buf err = BUF_INIT;
	char d[IMGCACHE_DIGEST_MAX], bare[IMGCACHE_DIGEST_MAX];
	size_t i;
	int fine, rc;

	for (i = 0, fine = 1; i < sizeof(good) / sizeof(good[0]); i++)
		if (!imgcache_digest_valid(good[i]))
			fine = 0;
	ok(fine, "well-formed digests are accepted");
	for (i = 0, fine = 1; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (imgcache_digest_valid(bad[i]))
			fine = 0;
	ok(fine, "malformed or too long digests are refused");

	memset(&img, 0, sizeof(img));
	make_digest(1000, d);
	memcpy(img.digest, d, sizeof(d));
	img.created = 0;	/* Bazel-style: unknown */
	ok(imgcache_put_digest(c, &img) == 0, "puts a digest without labels");
	is_int(imgcache_get_digest(c, d, &got), 0, "and gets it");
	ok(got.created == 0 && got.label_created == NULL &&
	    got.label_build_date == NULL && strcmp(got.digest, d) == 0,
	    "zero created time, no labels");
	imgcache_image_release(&got);

	img.created = T0;
	img.label_build_date = (char *)"20231114";
	imgcache_put_digest(c, &img);
	imgcache_get_digest(c, d, &got);
	ok(got.created == T0 && strcmp(got.label_build_date, "20231114") == 0,
	    "a second put replaces the first");
	imgcache_image_release(&got);

	memcpy(img.digest, "sha256:../x", sizeof("sha256:../x"));
	capture_begin();
	rc = imgcache_put_digest(c, &img);
	capture_end(&err);
	ok(rc == -1 && strstr(err.s, "not a digest") != NULL,
	    "a malformed digest is not put");

	/* on disk: a known digest and one never put, in one repository */
	make_digest(1001, bare);
	imgcache_repo_init(&r, "docker.io/x/digests");
	t = imgcache_repo_add(&r, "known");
	imgcache_checked(t, d, T0);
	t = imgcache_repo_add(&r, "bare");
	imgcache_checked(t, bare, T0);
	t = imgcache_repo_add(&r, "excluded");
	imgcache_excluded(t, T0);
	/* sha256 is stored as 32 bytes; the others as text */
	t = imgcache_repo_add(&r, "sha512");
	imgcache_checked(t, "sha512:abc", T0);
	memset(&img, 0, sizeof(img));
	memcpy(img.digest, "sha512:abc", sizeof("sha512:abc"));
	img.created = T0 + 1;
	imgcache_put_digest(c, &img);
	ok(imgcache_save_repo(c, &r) == 0, "saves the repository");
	imgcache_repo_release(&r);
	imgcache_close(c);

	c = imgcache_open(cache_dir.s);
	is_int(imgcache_load_repo(c, "docker.io/x/digests", &r), 0,
	    "loads it in a new session");
	ok(r.n == 4 && strcmp(r.tags[1].digest, bare) == 0 &&
	    r.tags[2].digest[0] == '\0' && r.tags[2].interval == 86400 &&
	    strcmp(r.tags[3].digest, "sha512:abc") == 0,
	    "tags keep their digests, the excluded one none");
	is_int(imgcache_get_digest(c, "sha512:abc", &got), 0,
	    "a digest of another algorithm is known");
	ok(got.created == T0 + 1, "with its metadata");
	imgcache_image_release(&got);
	is_int(imgcache_get_digest(c, d, &got), 0, "the digest put is known");
	ok(got.created == T0 && got.label_created == NULL &&
	    strcmp(got.label_build_date, "20231114") == 0,
	    "with its metadata");
	imgcache_image_release(&got);
	is_int(imgcache_get_digest(c, bare, &got), 1,
	    "a digest never put stays unknown, to be fetched");
	imgcache_image_release(&got);
	imgcache_repo_release(&r);
	imgcache_close(c);
	buf_release(&err);
}

int
main(void)
{
	log_init("imgcache_test");
	log_set_format("text");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	buf_addf(&cache_dir, "%s/cache", root);

	test_open();
	test_round_trip();
	test_missing();
	test_adaptive();
	test_due();
	test_corrupt();
	test_refuse();
	test_names();
	test_digests();

	fsx_remove_tree(root);
	buf_release(&cache_dir);
	return tap_done();
}
