/*
 * Unit tests of lib/mirror_pack: a mirror's packs consolidated past git's
 * limits, and everything left in place when that cannot be done whole.
 * Each case is a bare repository of small packs, as many fetches leave
 * one, made with libgit2 beside a larger base pack.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/buf.h"
#include "lib/mirror.h"
#include "lib/mirror_pack.h"
#include "tests/unit/tap.h"

static char tmp[] = "/tmp/mirror_pack_test.XXXXXX";
static struct buf dir = BUF_INIT;	/* this case's repository */
static struct mirror_opts opts;
/* What the mirror's own handle could not read after the last maintain */
static size_t handle_unreadable;

/* Every object a case made, to read back at its end. */
static git_oid ids[2000];
static size_t nids;

__attribute__((format(printf, 1, 2)))
static const char *
path(const char *fmt, ...)
{
	static struct buf p = BUF_INIT;
	va_list ap;

	buf_reset(&p);
	buf_addf(&p, "%s/", dir.s);
	va_start(ap, fmt);
	buf_vaddf(&p, fmt, ap);
	va_end(ap);
	return p.s;
}

static int
exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static void
touch(const char *p)
{
	int fd = open(p, O_CREAT | O_WRONLY, 0644);

	if (fd < 0)
		printf("# cannot make %s\n", p);
	else
		close(fd);
}

/* A new empty bare repository for the case called name. */
static git_repository *
new_repo(const char *name)
{
	git_repository *repo = NULL;

	buf_reset(&dir);
	buf_addf(&dir, "%s/%s.git", tmp, name);
	nids = 0;
	if (git_repository_init(&repo, dir.s, 1) < 0)
		printf("# cannot make %s: %s\n", dir.s,
		    git_error_last()->message);
	return repo;
}

/* Write a blob of text as a loose object, and remember it. */
static void
loose(git_repository *repo, const char *text, git_oid *id)
{
	if (git_blob_create_from_buffer(id, repo, text, strlen(text)) < 0)
		printf("# cannot write a blob\n");
	ids[nids++] = *id;
}

/* A pack of n new blobs, as a fetch leaves one; its name in *name. */
static void
add_pack(git_repository *repo, int n, struct buf *name)
{
	static int serial;
	git_packbuilder *pb = NULL;
	git_oid id[64];
	char hex[GIT_OID_HEXSZ + 1], text[64];
	int i;

	git_packbuilder_new(&pb, repo);
	for (i = 0; i < n; i++) {
		(void)snprintf(text, sizeof(text), "blob %d, in a pack\n",
		    ++serial);
		loose(repo, text, &id[i]);
		git_packbuilder_insert(pb, &id[i], NULL);
	}
	if (git_packbuilder_write(pb, path("objects/pack"), 0, NULL,
	    NULL) < 0)
		printf("# cannot write a pack: %s\n",
		    git_error_last()->message);
	if (name != NULL) {
		buf_reset(name);
		buf_addf(name, "pack-%s", git_packbuilder_name(pb));
	}
	git_packbuilder_free(pb);
	for (i = 0; i < n; i++) {
		git_oid_tostr(hex, sizeof(hex), &id[i]);
		unlink(path("objects/%.2s/%s", hex, hex + 2));
	}
}

/* A base of 40 objects, then n packs of one: n + 1 packs. */
static git_repository *
packed_repo(const char *name, int n)
{
	git_repository *repo = new_repo(name);
	int i;

	add_pack(repo, 40, NULL);
	for (i = 0; i < n; i++)
		add_pack(repo, 1, NULL);
	return repo;
}

/* n loose objects whose names start with 17, where git samples. */
static void
loose_in_17(git_repository *repo, int n)
{
	static int i;
	char text[64];
	git_oid id;

	for (; n > 0; i++) {
		(void)snprintf(text, sizeof(text), "loose %d\n", i);
		git_odb_hash(&id, text, strlen(text), GIT_OBJECT_BLOB);
		if (id.id[0] != 0x17)
			continue;
		loose(repo, text, &id);
		n--;
	}
}

static int
count_in(const char *d, const char *suffix)
{
	struct dirent *e;
	size_t m = strlen(suffix), n;
	int count = 0;
	DIR *dp = opendir(d);

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		n = strlen(e->d_name);
		if (n > m && strcmp(e->d_name + n - m, suffix) == 0)
			count++;
	}
	if (dp != NULL)
		closedir(dp);
	return count;
}

static int
count_packs(void)
{
	return count_in(path("objects/pack"), ".pack");
}

static int
count_loose(void)
{
	struct dirent *e;
	char hex2[3];
	DIR *dp;
	int i, n = 0;

	for (i = 0; i < 256; i++) {
		(void)snprintf(hex2, sizeof(hex2), "%02x", i);
		if ((dp = opendir(path("objects/%s", hex2))) == NULL)
			continue;
		while ((e = readdir(dp)) != NULL)
			n += strlen(e->d_name) == GIT_OID_HEXSZ - 2;
		closedir(dp);
	}
	return n;
}

/* How many of the case's objects a fresh repository handle cannot read. */
static size_t
unreadable(git_repository *repo)
{
	git_repository *fresh = NULL;
	git_odb *odb = NULL;
	git_odb_object *obj;
	size_t i, bad = 0;

	if (repo == NULL && git_repository_open_bare(&fresh, dir.s) < 0)
		return nids;
	if (git_repository_odb(&odb, repo ? repo : fresh) < 0)
		return nids;
	for (i = 0; i < nids; i++) {
		if (git_odb_read(&obj, odb, &ids[i]) < 0)
			bad++;
		else
			git_odb_object_free(obj);
	}
	git_odb_free(odb);
	git_repository_free(fresh);
	return bad;
}

/* Lock and open the case's repository as a mirror, and maintain it. */
static int
maintain(void)
{
	struct mirror m;
	struct buf err = BUF_INIT;
	int r = -2;

	if (mirror_open_existing(&m, dir.s, &opts, &err) != 0) {
		printf("# cannot open the mirror: %s\n", err.s);
		goto out;
	}
	r = mirror_pack_maintain(&m);
	handle_unreadable = unreadable(m.repo);
	mirror_close(&m);
out:
	buf_release(&err);
	return r;
}

static void
test_limits(void)
{
	git_repository *repo;

	/* a new mirror: no pack, no loose object (every fetch looks) */
	repo = new_repo("empty");
	is_int(maintain(), 0, "no pack at all: nothing to do");
	git_repository_free(repo);

	repo = packed_repo("fifty", MIRROR_PACK_LIMIT - 1);
	is_int(maintain(), 0, "50 packs: nothing to do");
	is_int(count_packs(), 50, "50 packs: all still there");
	git_repository_free(repo);

	repo = packed_repo("fifty-one", MIRROR_PACK_LIMIT);
	loose(repo, "a loose one\n", &ids[nids]);
	is_int(maintain(), 1, "51 packs: consolidated");
	is_int(count_packs(), 2, "51 packs: the base and one new pack");
	is_int(count_loose(), 0, "the loose objects went into it");
	is_int(unreadable(NULL), 0, "every object is still there");
	is_int(handle_unreadable, 0, "and the mirror's handle reads them");
	is_int(maintain(), 0, "and the next time there is nothing to do");
	git_repository_free(repo);

	repo = new_repo("loose");
	add_pack(repo, 40, NULL);
	loose_in_17(repo, (MIRROR_LOOSE_LIMIT + 255) / 256);
	is_int(maintain(), 0, "27 loose objects in objects/17: nothing to do");
	loose_in_17(repo, 1);
	loose(repo, "elsewhere\n", &ids[nids]);
	is_int(maintain(), 1, "28 there: git would pack them, so do we");
	is_int(count_loose(), 0, "no loose object is left");
	is_int(count_packs(), 2, "the base and the loose objects' pack");
	is_int(unreadable(NULL), 0, "every object is still there");
	ok(!exists(path("objects/17")), "their emptied folders are gone");
	git_repository_free(repo);
}

static void
test_keep(void)
{
	git_repository *repo;
	struct buf kept = BUF_INIT;

	/* a kept pack does not count towards the limit, as in git */
	repo = packed_repo("keep", MIRROR_PACK_LIMIT - 1);
	add_pack(repo, 1, &kept);
	touch(path("objects/pack/%s.keep", kept.s));
	is_int(maintain(), 0, "50 packs and a kept one: nothing to do");
	add_pack(repo, 1, NULL);
	is_int(maintain(), 1, "51 packs and a kept one: consolidated");
	is_int(count_packs(), 3, "the base, the new pack and the kept one");
	ok(exists(path("objects/pack/%s.pack", kept.s)) &&
	    exists(path("objects/pack/%s.idx", kept.s)) &&
	    exists(path("objects/pack/%s.keep", kept.s)),
	    "the kept pack is untouched");
	is_int(unreadable(NULL), 0, "every object is still there");
	git_repository_free(repo);
	buf_release(&kept);
}

/* Copy the case's file objects/pack/src to objects/pack/dst. */
static void
copy(const char *src, const char *dst)
{
	struct buf b = BUF_INIT, to = BUF_INIT;
	FILE *fp;
	int fd;

	buf_adds(&to, path("objects/pack/%s", dst));
	fd = open(path("objects/pack/%s", src), O_RDONLY);
	if (fd < 0 || buf_read_fd(&b, fd, 1 << 24) < 0 ||
	    (fp = fopen(to.s, "w")) == NULL ||
	    fwrite(b.s, 1, b.len, fp) != b.len || fclose(fp) != 0)
		printf("# cannot copy %s to %s\n", src, dst);
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	buf_release(&to);
}

/* Write n bytes of text over the case's file at off. */
static void
overwrite(const char *file, off_t off, const char *text, size_t n)
{
	const char *p = path("%s", file);
	int fd;

	chmod(p, 0644);		/* packs are read-only, for the owner too */
	fd = open(p, O_WRONLY);
	if (fd < 0 || pwrite(fd, text, n, off) != (ssize_t)n)
		printf("# cannot change %s\n", file);
	if (fd >= 0)
		close(fd);
}

/* The names in objects/pack, one a line, sorted. */
static void
pack_files(struct buf *out)
{
	struct buf cmd = BUF_INIT;

	buf_addf(&cmd, "ls '%s' >'%s/ls'", path("objects/pack"), tmp);
	buf_reset(out);
	if (system(cmd.s) == 0) {
		int fd = open(path("../ls"), O_RDONLY);

		if (fd >= 0) {
			(void)buf_read_fd(out, fd, 1 << 20);
			close(fd);
		}
	}
	buf_release(&cmd);
}

static void
test_leftovers(void)
{
	git_repository *repo;
	struct buf name = BUF_INIT, from = BUF_INIT, to = BUF_INIT;
	const char *idx_only = "pack-0000000000000000000000000000000000000000";
	const char *pack_only = "pack-1111111111111111111111111111111111111111";
	const char *kept = "pack-2222222222222222222222222222222222222222";

	repo = new_repo("leftovers");
	add_pack(repo, 40, &name);
	/* what killed runs leave: libgit2's temporary files, an index that
	 * libgit2 put in place before its pack, a pack without an index */
	touch(path("objects/pack/pack_git2_0a1b2c"));
	touch(path("objects/pack/pack_git2_0a1bidx.lock"));
	buf_addf(&from, "%s.idx", name.s);
	buf_addf(&to, "%s.idx", idx_only);
	copy(from.s, to.s);
	buf_reset(&from);
	buf_reset(&to);
	buf_addf(&from, "%s.pack", name.s);
	buf_addf(&to, "%s.pack", pack_only);
	copy(from.s, to.s);
	buf_reset(&to);
	buf_addf(&to, "%s.pack", kept);
	copy(from.s, to.s);
	touch(path("objects/pack/%s.keep", kept));

	is_int(maintain(), 0, "leftovers: nothing to consolidate");
	ok(!exists(path("objects/pack/pack_git2_0a1b2c")) &&
	    !exists(path("objects/pack/pack_git2_0a1bidx.lock")),
	    "libgit2's temporary files are gone");
	ok(!exists(path("objects/pack/%s.idx", idx_only)),
	    "an index without its pack is gone");
	ok(!exists(path("objects/pack/%s.pack", pack_only)),
	    "a pack without its index is gone");
	ok(exists(path("objects/pack/%s.pack", kept)),
	    "but not one that a .keep claims");
	ok(exists(path("objects/pack/%s.pack", name.s)) &&
	    exists(path("objects/pack/%s.idx", name.s)),
	    "the real pack stays");
	is_int(unreadable(NULL), 0, "every object is still there");
	git_repository_free(repo);
	buf_release(&name);
	buf_release(&from);
	buf_release(&to);
}

static void
test_failure(void)
{
	git_repository *repo;
	struct buf name = BUF_INIT, file = BUF_INIT, before = BUF_INIT,
	    after = BUF_INIT;

	repo = packed_repo("damaged", MIRROR_PACK_LIMIT);
	add_pack(repo, 1, &name);
	loose(repo, "a loose one\n", &ids[nids]);
	/* what a bad disk does to the blob's compressed bytes, which start
	 * after the pack's header (12 bytes) and the object's (2) */
	buf_addf(&file, "objects/pack/%s.pack", name.s);
	overwrite(file.s, 14, "xxxxxxxx", 8);
	pack_files(&before);
	is_int(maintain(), -1, "a damaged pack: it fails");
	pack_files(&after);
	is_str(after.s, before.s, "every pack stays, and no new one");
	is_int(count_packs(), MIRROR_PACK_LIMIT + 2, "all 52 of them");
	is_int(count_loose(), 1, "the loose object stays");
	git_repository_free(repo);
	buf_release(&name);
	buf_release(&file);
	buf_release(&before);
	buf_release(&after);
}

/* A pack whose index is of a version no one writes is left alone. */
static void
test_other_version(void)
{
	git_repository *repo;
	struct buf name = BUF_INIT, file = BUF_INIT;

	repo = packed_repo("v3", MIRROR_PACK_LIMIT);
	add_pack(repo, 1, &name);
	buf_addf(&file, "objects/pack/%s.idx", name.s);
	overwrite(file.s, 7, "\3", 1);
	is_int(maintain(), 1, "an index of version 3: the others are "
	    "consolidated");
	ok(exists(path("objects/pack/%s.pack", name.s)) &&
	    exists(path("objects/pack/%s.idx", name.s)),
	    "and that pack is left as it is");
	is_int(count_packs(), 3, "the base, the new pack and that one");
	is_int(unreadable(NULL), 1, "only its object cannot be read, by "
	    "libgit2 either");
	git_repository_free(repo);
	buf_release(&name);
	buf_release(&file);
}

int
main(void)
{
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("HOME", tmp, 1);
	git_libgit2_init();
	opts.url = "file:///nowhere.git";
	opts.branch = "main";
	opts.sync_tag = "flux-sync";
	opts.timeout = 10;

	test_limits();
	test_keep();
	test_leftovers();
	test_failure();
	test_other_version();

	git_libgit2_shutdown();
	buf_reset(&dir);
	buf_addf(&dir, "rm -rf %s", tmp);
	if (system(dir.s) != 0)
		printf("# cannot remove %s\n", tmp);
	buf_release(&dir);
	return tap_done();
}
