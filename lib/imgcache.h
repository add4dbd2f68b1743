/*
 * imgcache.h: the image metadata cache img-scan keeps in its state folder,
 * in place of Flux v1's memcached (flux-v1-reference.md §6.3, §7). It
 * remembers, per image repository, which tags exist and which digest each
 * pointed at when last checked, so that a run asks the registry only about
 * tags that are due; and, per digest, the metadata §6.5 orders images by,
 * so that a digest seen once is never fetched again.
 *
 *	c = imgcache_open(dir);
 *	imgcache_load_repo(c, "index.docker.io/library/nginx", &r);
 *	for each tag t in r that imgcache_due(t, now):
 *		ask the registry for t's digest; on success
 *		imgcache_checked(t, digest, now);
 *		if imgcache_get_digest(c, digest, &img) == 1:
 *			fetch the config blob; imgcache_put_digest(c, &img)
 *	imgcache_save_repo(c, &r);
 *	imgcache_repo_release(&r);
 *	imgcache_close(c);
 *
 * A failed registry read must never replace what the cache knew: update a
 * tag (imgcache_checked) and save only with results that succeeded, and
 * leave tags whose check failed as they were loaded.
 *
 * ON DISK. One file per repository, "<dir>/<sha256 hex of the name>.repo":
 * the hash keeps any name ("../x", "/", 1000 bytes) to one safe, fixed
 * length file name; the name itself is stored inside and checked on load,
 * so a misplaced or colliding file reads as missing. Each file holds the
 * repository's tags and, once each, the digests they point at with those
 * digests' metadata (there is no shared digest store: a digest no tag
 * points at any more disappears with the next save). Integers are
 * big-endian, strings are length-prefixed bytes, times are unix seconds:
 *
 *	magic	8 bytes	"SLCIMGC" then the format version, 2
 *	name	u16 length, bytes	the canonical repository name
 *	listed	i64	when the tag list was last fetched (0: never)
 *	ndigest	u32, then per digest:
 *	  form	u8	1: sha256, then its 32 bytes;
 *			0: another, then u8 length, bytes ("alg:enc")
 *	  flags	u8	1: metadata known, 2: has created label,
 *			4: has build-date label (2 and 4 need 1)
 *	  created	i64	if known (0: unknown)
 *	  label	u16 length, bytes	if flag 2:
 *			org.opencontainers.image.created
 *	  label	u16 length, bytes	if flag 4:
 *			org.label-schema.build-date
 *	ntag	u32, then per tag:
 *	  tag	u8 length, bytes
 *	  digest	u32	index into the digests; 0xffffffff: none
 *			(never checked, or excluded)
 *	  checked	i64	when the digest was last read (0: never)
 *	  interval	u32	seconds until the next check is due
 *	sum	32 bytes	SHA-256 of everything before it
 *
 * A file that is truncated, fails its checksum, has bytes left over or
 * values out of range is never trusted: it is logged with log_warn and
 * reads as missing, so img-scan starts that repository afresh and the next
 * save replaces it. 500 tags sharing 50 digests take about 31 bytes a tag
 * (tests/unit/imgcache_test.c measures it), against ~1 KB a tag of JSON
 * in Flux v1's memcached.
 *
 * Every write goes through fsx_write_atomic (write, fsync, rename), so a
 * crash leaves the old file or the new one. Concurrent writers are not
 * handled: img-scan holds the source lock, so one process owns the folder.
 *
 * Errors are logged here, once; functions return 0 or -1 (or say
 * otherwise). Strings handed in are copied; strings handed out are owned
 * by the struct they are in and freed by its _release function.
 */
#ifndef SLUICE_IMGCACHE_H
#define SLUICE_IMGCACHE_H

#include <stddef.h>

/*
 * Adaptive refresh, seconds: Flux v1's constants ([F]
 * pkg/registry/cache/warming.go initialRefresh, minRefresh, maxRefresh,
 * excludedRefresh; the rule is repocachemanager.go updateImage).
 */
#define IMGCACHE_INITIAL_REFRESH	3600		/* 1 h: a new tag */
#define IMGCACHE_MIN_REFRESH		300		/* 5 min */
#define IMGCACHE_MAX_REFRESH		(7 * 24 * 3600)	/* 7 d */
#define IMGCACHE_EXCLUDED_REFRESH	(24 * 3600)	/* 24 h, fixed */

/* "sha256:" and 64 hex digits, and the NUL */
#define IMGCACHE_DIGEST_MAX	72

struct imgcache;

struct imgcache_tag {
	char *tag;
	char digest[IMGCACHE_DIGEST_MAX];	/* "": never checked, or
						 * excluded */
	long long checked;	/* unix seconds of the last check; 0: never */
	long long interval;	/* seconds from checked until due again */
};

struct imgcache_repo {
	char *name;		/* canonical: "index.docker.io/library/x" */
	struct imgcache_tag *tags;
	size_t n, alloc;
	long long listed;	/* when the tag list was last fetched; 0 */
};

/* What img-scan needs of one image (a config blob), by digest. */
struct imgcache_image {
	char digest[IMGCACHE_DIGEST_MAX];
	long long created;	/* config "created", unix s; 0: unknown */
	/* org.opencontainers.image.created and org.label-schema.build-date,
	 * as the image has them; NULL: no such label */
	char *label_created;
	char *label_build_date;
};

/*
 * Open the cache in dir, creating the folder (mode 0700, its parent must
 * exist) if it is missing. NULL (logged) if it cannot be created or is
 * not a folder. Free with imgcache_close.
 */
struct imgcache *imgcache_open(const char *dir);
void imgcache_close(struct imgcache *c);

/*
 * Read the entry for repo into *out, which this initialises (release it
 * with imgcache_repo_release whatever the result). 0: found; 1: missing,
 * and *out is an empty entry named repo; a corrupt file is logged as a
 * warning and is missing too. -1 (logged): the file could not be read.
 * The digests the file holds become known to imgcache_get_digest.
 */
int imgcache_load_repo(struct imgcache *c, const char *repo,
    struct imgcache_repo *out);

/*
 * Replace the entry for r->name with r, atomically. The digests r's tags
 * point at are written with the metadata imgcache_get_digest knows of
 * them (none: the digest is stored bare and reads as unknown). -1
 * (logged) for an I/O error, or a name, tag or value the format cannot
 * hold (an empty name or tag, a tag over 255 bytes, a negative time, an
 * interval over 2^32 - 1), in which case nothing is written.
 */
int imgcache_save_repo(struct imgcache *c, const struct imgcache_repo *r);

/* An empty entry named name (copied), and its release. */
void imgcache_repo_init(struct imgcache_repo *r, const char *name);
void imgcache_repo_release(struct imgcache_repo *r);
/*
 * Append a never-checked tag (copied) and return it (borrowed: valid until
 * the next add or the release). Tags are not checked for duplicates.
 */
struct imgcache_tag *imgcache_repo_add(struct imgcache_repo *r,
    const char *tag);

/*
 * Is t due for a re-check at now? Yes if it was never checked, if now is
 * past checked + interval (Flux's now.After(deadline)), or if checked lies
 * in the future (the clock went back: distrust it rather than wait).
 */
int imgcache_due(const struct imgcache_tag *t, long long now);

/*
 * Record a successful check at now that found digest, and set the next
 * interval as Flux v1 does: a tag never checked before gets 1 h; the same
 * digest as before doubles the interval, a different one ("the tag
 * moved") halves it, clipped to [5 min, 7 d]. A previous interval of 0
 * counts as 5 min, as Flux treats an entry without a fetch time. Flux
 * would carry the 24 h of an excluded tag into its first real check; here
 * a tag with no previous digest always starts at 1 h.
 * -1 (logged, t unchanged) if digest is not "algorithm:hex" or too long.
 */
int imgcache_checked(struct imgcache_tag *t, const char *digest,
    long long now);

/*
 * Record a successful check at now that found nothing usable for t (no
 * linux/amd64 image in a manifest list): no digest, due again in 24 h.
 */
void imgcache_excluded(struct imgcache_tag *t, long long now);

/*
 * Is digest well formed: "algorithm:encoded" in OCI's grammar, shorter
 * than IMGCACHE_DIGEST_MAX? 1 or 0; nothing logged.
 */
int imgcache_digest_valid(const char *digest);

/*
 * Copy the metadata known of digest into *out (free its labels with
 * imgcache_image_release). Known means read from a repository file loaded
 * through c, or put through c, since imgcache_open. 0: found; 1: unknown,
 * and *out is zeroed with the digest set.
 */
int imgcache_get_digest(struct imgcache *c, const char *digest,
    struct imgcache_image *out);

/*
 * Remember img (copied; it replaces what was known of the digest). It
 * reaches disk with the next imgcache_save_repo whose tags point at it.
 * -1 (logged) for a malformed digest or a label over 65535 bytes.
 */
int imgcache_put_digest(struct imgcache *c, const struct imgcache_image *img);

void imgcache_image_release(struct imgcache_image *img);

/*
 * Forget every digest known so far (what was loaded or put), to bound
 * memory between batches of repositories: call it only after saving the
 * repositories whose digests were put, or their metadata is lost.
 */
void imgcache_forget(struct imgcache *c);

#endif
