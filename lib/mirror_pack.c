/*
 * mirror_pack.c: consolidating a mirror's packs (mirror_pack.h).
 *
 * Readers. Files are only ever removed after the pack that replaces them
 * is in place, which is how git itself removes packs. A process that
 * already has an old pack open or mapped keeps reading it after unlink(2);
 * one that had read only its index finds the pack gone, and libgit2 (1.5,
 * as git) then skips it and looks in the folder again, where the new pack
 * is. Even so, no reader should need that: git-fetch consolidates before
 * it writes its revision record, so the later stages of its own pass,
 * which find the mirror through that record, open it afterwards; the
 * supervisor's pass lock keeps the other pass over the source (and so
 * img-update) away meanwhile; and the mirror's lock, which the caller
 * holds, keeps every other writer out.
 */
#include "lib/mirror_pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/packidx.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

/* git estimates the loose objects from one of the 256 fan-out folders */
#define LOOSE_SAMPLE_DIR	"17"
#define LOOSE_SAMPLE_LIMIT	((MIRROR_LOOSE_LIMIT + 255) / 256)
/*
 * The pack files libgit2 may hold open at once while it builds: it keeps
 * every pack it reads from open, and a mirror that grew for months before
 * this code ran has more packs than a service's 1,024 descriptors.
 */
#define OPEN_PACKS_LIMIT	128
/* libgit2's names for a pack and an index it is still writing */
#define LIBGIT2_TMP_PREFIX	"pack_git2_"
#define HEXSZ			GIT_OID_HEXSZ

/* The files of one pack, the index first: without it no reader uses the
 * pack, so a removal cut short leaves nothing half visible. */
static const char *const pack_exts[] = { ".idx", ".pack", ".rev", ".bitmap" };

struct pack {
	char *name;		/* "pack-HEX", without an extension */
	off_t size;		/* of the .pack */
	int merged;		/* its objects are in the new pack */
};

/* What the object store holds, and what a consolidation made of it. */
struct store {
	struct buf objects;	/* DIR/objects */
	struct buf packdir;	/* DIR/objects/pack */
	char **names;		/* the files in packdir, sorted */
	size_t nnames;
	struct pack *packs;	/* without a .keep: largest first */
	size_t npacks;
	git_oid *ids;		/* every object to pack (repeats are fine) */
	size_t nids, ids_alloc;
	size_t nloose;		/* of those, loose objects */
	char made[5 + HEXSZ + 1];	/* "pack-HEX" written */
};

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : "unknown error";
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
is_hex(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") == n && s[n] == '\0';
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is there a file named base + ext in packdir? */
static int
has_file(const struct store *s, const char *base, const char *ext)
{
	struct buf name = BUF_INIT;
	const char *key;
	int found;

	buf_addf(&name, "%s%s", base, ext);
	key = name.s;
	found = s->nnames > 0 && bsearch(&key, s->names, s->nnames,
	    sizeof(*s->names), cmp_str) != NULL;
	buf_release(&name);
	return found;
}

static void
add_id(struct store *s, const git_oid *id)
{
	if (s->nids == s->ids_alloc) {
		s->ids_alloc = s->ids_alloc ? 2 * s->ids_alloc : 256;
		s->ids = xreallocarray(s->ids, s->ids_alloc, sizeof(*s->ids));
	}
	git_oid_cpy(&s->ids[s->nids++], id);
}

/* Remove name in packdir, a leftover of a run that was killed. */
static void
remove_leftover(struct store *s, const char *name)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/%s", s->packdir.s, name);
	log_warn("removing '%s', left by a run that did not finish", path.s);
	if (unlink(path.s) < 0 && errno != ENOENT)
		log_warn("cannot remove '%s': %s", path.s, strerror(errno));
	buf_release(&path);
}

static int
list_names(struct store *s, struct buf *err)
{
	struct dirent *e;
	size_t alloc = 0;
	DIR *d;

	d = opendir(s->packdir.s);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		buf_addf(err, "cannot read '%s': %s", s->packdir.s,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (s->nnames == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			s->names = xreallocarray(s->names, alloc,
			    sizeof(*s->names));
		}
		s->names[s->nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (s->nnames > 0)	/* qsort and bsearch want an array */
		qsort(s->names, s->nnames, sizeof(*s->names), cmp_str);
	return 0;
}

static int
cmp_pack(const void *a, const void *b)
{
	const struct pack *p = a, *q = b;

	if (p->size != q->size)
		return p->size > q->size ? -1 : 1;
	return strcmp(p->name, q->name);
}

/*
 * The packs that count, largest first: those with an index and no .keep.
 * Under the mirror's lock no one else writes here, so libgit2's temporary
 * files and a pack or an index without its other half are leftovers of a
 * killed run (libgit2 puts the index in place before the pack), which no
 * reader can use: they are removed, unless a .keep claims them.
 */
static int
scan_packs(struct store *s, struct buf *err)
{
	struct buf base = BUF_INIT, path = BUF_INIT;
	struct stat st;
	const char *name;
	size_t i;
	int ret = 0;

	if (list_names(s, err) < 0)
		return -1;
	s->packs = xreallocarray(NULL, s->nnames ? s->nnames : 1,
	    sizeof(*s->packs));
	for (i = 0; i < s->nnames; i++) {
		name = s->names[i];
		if (strncmp(name, LIBGIT2_TMP_PREFIX,
		    strlen(LIBGIT2_TMP_PREFIX)) == 0) {
			remove_leftover(s, name);
			continue;
		}
		if (strncmp(name, "pack-", 5) != 0)
			continue;
		buf_reset(&base);
		if (has_suffix(name, ".idx"))
			buf_add(&base, name, strlen(name) - 4);
		else if (has_suffix(name, ".pack"))
			buf_add(&base, name, strlen(name) - 5);
		else
			continue;
		if (has_file(s, base.s, ".keep"))
			continue;
		if (!has_file(s, base.s, ".idx") ||
		    !has_file(s, base.s, ".pack")) {
			remove_leftover(s, name);
			continue;
		}
		if (has_suffix(name, ".idx"))
			continue;	/* the pack is counted once, by .pack */
		buf_reset(&path);
		buf_addf(&path, "%s/%s", s->packdir.s, name);
		if (stat(path.s, &st) < 0) {
			buf_addf(err, "cannot read '%s': %s", path.s,
			    strerror(errno));
			ret = -1;
			break;
		}
		s->packs[s->npacks].name = buf_detach(&base, NULL);
		s->packs[s->npacks].size = st.st_size;
		s->packs[s->npacks].merged = 0;
		s->npacks++;
	}
	qsort(s->packs, s->npacks, sizeof(*s->packs), cmp_pack);
	buf_release(&base);
	buf_release(&path);
	return ret;
}

/*
 * Count the loose objects in the fan-out folder hex2 and, with all, add
 * them to s. The number found, or -1 with err.
 */
static long
scan_loose_dir(struct store *s, const char *hex2, struct buf *err, int all)
{
	struct buf path = BUF_INIT, hex = BUF_INIT;
	struct dirent *e;
	git_oid id;
	long n = 0;
	DIR *d;

	buf_addf(&path, "%s/%s", s->objects.s, hex2);
	d = opendir(path.s);
	if (d == NULL) {
		if (errno != ENOENT) {
			buf_addf(err, "cannot read '%s': %s", path.s,
			    strerror(errno));
			n = -1;
		}
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		/* libgit2's temporary files there have longer names */
		if (!is_hex(e->d_name, HEXSZ - 2))
			continue;
		n++;
		if (!all)
			continue;
		buf_reset(&hex);
		buf_addf(&hex, "%s%s", hex2, e->d_name);
		if (git_oid_fromstr(&id, hex.s) == 0)
			add_id(s, &id);
	}
	closedir(d);
out:
	buf_release(&path);
	buf_release(&hex);
	return n;
}

static int
scan_loose(struct store *s, struct buf *err)
{
	char hex2[3];
	long n;
	int i;

	for (i = 0; i < 256; i++) {
		(void)snprintf(hex2, sizeof(hex2), "%02x", i);
		if ((n = scan_loose_dir(s, hex2, err, 1)) < 0)
			return -1;
		s->nloose += (size_t)n;
	}
	return 0;
}

/*
 * The ids of every pack but the largest, into s. A pack whose index this
 * cannot read is left as it is (libgit2 could not read it either).
 */
static void
collect_packs(struct store *s)
{
	struct packidx idx = PACKIDX_INIT;
	struct buf path = BUF_INIT, why = BUF_INIT;
	size_t i, j;

	for (i = 1; i < s->npacks; i++) {
		buf_reset(&path);
		buf_reset(&why);
		buf_addf(&path, "%s/%s.idx", s->packdir.s, s->packs[i].name);
		if (packidx_read(&idx, path.s, &why) < 0) {
			log_warn("leaving the pack '%s' as it is: %s",
			    s->packs[i].name, why.s);
			continue;
		}
		for (j = 0; j < idx.n; j++)
			add_id(s, &idx.ids[j]);
		s->packs[i].merged = 1;
	}
	packidx_release(&idx);
	buf_release(&path);
	buf_release(&why);
}

static size_t
count_merged(const struct store *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->npacks; i++)
		n += s->packs[i].merged;
	return n;
}

/* Write one pack of s->ids into packdir and name it in s->made. */
static int
write_pack(struct store *s, git_repository *repo, size_t *nobjects,
    struct buf *err)
{
	git_packbuilder *pb = NULL;
	size_t i;
	int ret = -1;

	if (git_packbuilder_new(&pb, repo) < 0)
		goto fail;
	for (i = 0; i < s->nids; i++)
		if (git_packbuilder_insert(pb, &s->ids[i], NULL) < 0)
			goto fail;
	if (git_packbuilder_write(pb, s->packdir.s, 0, NULL, NULL) < 0)
		goto fail;
	if ((size_t)snprintf(s->made, sizeof(s->made), "pack-%s",
	    git_packbuilder_name(pb)) >= sizeof(s->made)) {
		buf_addf(err, "the new pack's name '%s' is not a SHA-1",
		    git_packbuilder_name(pb));
		goto out;
	}
	*nobjects = git_packbuilder_object_count(pb);
	ret = 0;
	goto out;
fail:
	buf_addf(err, "cannot write the new pack: %s", git_msg());
out:
	git_packbuilder_free(pb);
	return ret;
}

/* fsync the file or folder path: the old files go only once the new
 * ones are on disk. */
static int
sync_file(const char *path, struct buf *err)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		buf_addf(err, "cannot sync '%s': %s", path, strerror(errno));
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The new pack is whole: synced to disk with its index and folder, and
 * every object read back from it alone (libgit2 checks each one's hash
 * as it reads).
 */
static int
check_made(struct store *s, struct buf *err)
{
	struct buf idx = BUF_INIT, pack = BUF_INIT;
	git_odb *odb = NULL;
	git_odb_backend *one = NULL;
	git_odb_object *obj;
	char hex[HEXSZ + 1];
	size_t i;
	int ret = -1;

	buf_addf(&idx, "%s/%s.idx", s->packdir.s, s->made);
	buf_addf(&pack, "%s/%s.pack", s->packdir.s, s->made);
	if (sync_file(pack.s, err) < 0 || sync_file(idx.s, err) < 0)
		goto out;
	if (sync_file(s->packdir.s, err) < 0)
		goto out;
	if (git_odb_new(&odb) < 0 || git_odb_backend_one_pack(&one,
	    idx.s) < 0 || git_odb_add_backend(odb, one, 1) < 0) {
		buf_addf(err, "cannot open the new pack '%s': %s", idx.s,
		    git_msg());
		goto out;
	}
	one = NULL;		/* the odb has it */
	for (i = 0; i < s->nids; i++) {
		if (git_odb_read(&obj, odb, &s->ids[i]) < 0) {
			buf_addf(err, "cannot read %s back from the new pack: "
			    "%s", git_oid_tostr(hex, sizeof(hex),
			    &s->ids[i]), git_msg());
			goto out;
		}
		git_odb_object_free(obj);
	}
	ret = 0;
out:
	if (one != NULL)
		one->free(one);
	git_odb_free(odb);
	buf_release(&idx);
	buf_release(&pack);
	return ret;
}

/* Remove the merged packs. A failure leaves only a redundant copy. */
static void
remove_merged(struct store *s)
{
	struct buf path = BUF_INIT;
	size_t i, j;

	for (i = 0; i < s->npacks; i++) {
		if (!s->packs[i].merged || strcmp(s->packs[i].name,
		    s->made) == 0)
			continue;
		/* an operator may have kept it since the scan */
		buf_reset(&path);
		buf_addf(&path, "%s/%s.keep", s->packdir.s, s->packs[i].name);
		if (access(path.s, F_OK) == 0)
			continue;
		for (j = 0; j < sizeof(pack_exts) / sizeof(pack_exts[0]); j++) {
			buf_reset(&path);
			buf_addf(&path, "%s/%s%s", s->packdir.s,
			    s->packs[i].name, pack_exts[j]);
			if (unlink(path.s) < 0 && errno != ENOENT)
				log_warn("cannot remove '%s': %s", path.s,
				    strerror(errno));
		}
	}
	buf_release(&path);
}

static void
remove_loose(struct store *s)
{
	struct buf path = BUF_INIT;
	char hex[HEXSZ + 1];
	size_t i;

	/* the loose ones were added last, after the packs' */
	for (i = s->nids - s->nloose; i < s->nids; i++) {
		git_oid_tostr(hex, sizeof(hex), &s->ids[i]);
		buf_reset(&path);
		buf_addf(&path, "%s/%.2s/%s", s->objects.s, hex, hex + 2);
		if (unlink(path.s) < 0 && errno != ENOENT)
			log_warn("cannot remove '%s': %s", path.s,
			    strerror(errno));
		/* as git prune-packed does; a folder still in use stays */
		buf_setlen(&path, s->objects.len + 3);
		(void)rmdir(path.s);
	}
	buf_release(&path);
}

static void
store_release(struct store *s)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	for (i = 0; i < s->npacks; i++)
		free(s->packs[i].name);
	free(s->names);
	free(s->packs);
	free(s->ids);
	buf_release(&s->objects);
	buf_release(&s->packdir);
}

/*
 * Consolidate: 1 done, 0 nothing worth doing, -1 with err (nothing
 * removed).
 */
static int
consolidate(struct store *s, struct mirror *m, struct buf *err)
{
	size_t nobjects = 0, merged;

	collect_packs(s);
	merged = count_merged(s);
	if (scan_loose(s, err) < 0)
		return -1;
	/* one pack alone would only be written again */
	if (merged < 2 && s->nloose == 0)
		return 0;
	if (write_pack(s, m->repo, &nobjects, err) < 0 ||
	    check_made(s, err) < 0)
		return -1;
	remove_merged(s);
	remove_loose(s);
	log_info("consolidated %zu packs and %zu loose objects of '%s' into "
	    "one pack of %zu objects", merged, s->nloose, m->dir, nobjects);
	return 1;
}

/*
 * A fresh handle on the mirror: the old one may still name packs that are
 * gone, and holds them open. Kept if a new one cannot be had: what it has
 * open stays readable.
 */
static void
reopen(struct mirror *m)
{
	git_repository *fresh = NULL;

	if (git_repository_open_ext(&fresh, m->dir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
	    NULL) < 0) {
		log_warn("cannot open '%s' again after consolidating its "
		    "packs: %s", m->dir, git_msg());
		return;
	}
	git_repository_free(m->repo);
	m->repo = fresh;
}

int
mirror_pack_maintain(struct mirror *m)
{
	struct store s;
	struct buf err = BUF_INIT;
	size_t limit = 0;
	long sample = 0;
	int ret;

	if (m->repo == NULL || m->lock_fd < 0)
		BUG("mirror_pack_maintain: the mirror is not open and locked");
	memset(&s, 0, sizeof(s));
	buf_init(&s.objects, 0);
	buf_init(&s.packdir, 0);
	buf_addf(&s.objects, "%s/objects", m->dir);
	buf_addf(&s.packdir, "%s/pack", s.objects.s);
	ret = scan_packs(&s, &err);
	if (ret == 0 && (sample = scan_loose_dir(&s, LOOSE_SAMPLE_DIR, &err,
	    0)) < 0)
		ret = -1;
	if (ret == 0 && s.npacks <= MIRROR_PACK_LIMIT &&
	    sample <= LOOSE_SAMPLE_LIMIT)
		goto out;
	if (ret == 0) {
		git_libgit2_opts(GIT_OPT_GET_MWINDOW_FILE_LIMIT, &limit);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT,
		    (size_t)OPEN_PACKS_LIMIT);
		ret = consolidate(&s, m, &err);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, limit);
		if (ret > 0)
			reopen(m);
	}
out:
	if (ret < 0)
		log_warn("cannot consolidate the packs of '%s' (they stay as "
		    "they are): %s", m->dir, err.s);
	store_release(&s);
	buf_release(&err);
	return ret;
}
