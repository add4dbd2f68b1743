#include "lib/imgcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsx.h"
#include "lib/log.h"
#include "lib/num.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAGIC		"SLCIMGC\2"
#define MAGIC_LEN	8
#define NO_DIGEST	0xffffffffUL
#define MAX_FILE	(64UL << 20)	/* far beyond any real repository */
#define FLAG_KNOWN	1u
#define FLAG_LCREATED	2u
#define FLAG_LBUILD	4u
/* how a digest is stored */
#define FORM_TEXT	0u	/* u8 length, then the text */
#define FORM_SHA256	1u	/* the 32 bytes of a "sha256:" digest */
#define SHA256_PREFIX	"sha256:"
#define SHA256_HEX	64
/* the smallest encodings, to bound counts before allocating */
#define MIN_DIGEST_REC	(1 + 1 + 1 + 8 + 2 + 2)
#define MIN_TAG_REC	(1 + 1 + 4 + 8 + 4)

struct imgcache {
	char *dir;
	struct strmap images;	/* digest -> struct imgcache_image * */
};

static void
image_free(void *p)
{
	struct imgcache_image *img = p;

	imgcache_image_release(img);
	free(img);
}

struct imgcache *
imgcache_open(const char *dir)
{
	struct imgcache *c;
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_errno("cannot create the image cache '%s'", dir);
		return NULL;
	}
	if (stat(dir, &st) < 0) {
		log_errno("cannot open the image cache '%s'", dir);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("cannot open the image cache '%s': not a folder",
		    dir);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->dir = xstrdup(dir);
	return c;
}

void
imgcache_forget(struct imgcache *c)
{
	strmap_release(&c->images, image_free);
}

void
imgcache_close(struct imgcache *c)
{
	if (c == NULL)
		return;
	strmap_release(&c->images, image_free);
	free(c->dir);
	free(c);
}

/* dir/<hex sha256(name)>.repo: safe whatever the name holds */
static void
repo_path(const struct imgcache *c, const char *name, struct buf *path)
{
	unsigned char md[DIGEST_SHA256_LEN];

	digest_sha256(name, strlen(name), md);
	buf_addf(path, "%s/", c->dir);
	digest_hex(md, sizeof(md), path);
	buf_adds(path, ".repo");
}

void
imgcache_repo_init(struct imgcache_repo *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
}

void
imgcache_repo_release(struct imgcache_repo *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->tags[i].tag);
	free(r->tags);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

struct imgcache_tag *
imgcache_repo_add(struct imgcache_repo *r, const char *tag)
{
	struct imgcache_tag *t;

	if (r->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->tags = xreallocarray(r->tags, r->alloc, sizeof(*r->tags));
	}
	t = &r->tags[r->n++];
	memset(t, 0, sizeof(*t));
	t->tag = xstrdup(tag);
	return t;
}

void
imgcache_image_release(struct imgcache_image *img)
{
	free(img->label_created);
	free(img->label_build_date);
	img->label_created = NULL;
	img->label_build_date = NULL;
}

static int
is_alnum_lower(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

int
imgcache_digest_valid(const char *digest)
{
	const char *colon = strchr(digest, ':'), *p;
	int sep = 1;		/* a separator may not come first */

	if (colon == NULL || colon == digest ||
	    strlen(digest) >= IMGCACHE_DIGEST_MAX)
		return 0;
	for (p = digest; p < colon; p++) {
		if (is_alnum_lower(*p)) {
			sep = 0;
		} else if (strchr("+._-", *p) != NULL && !sep) {
			sep = 1;
		} else {
			return 0;
		}
	}
	if (sep || colon[1] == '\0')
		return 0;
	for (p = colon + 1; *p != '\0'; p++)
		if (!is_alnum_lower(*p) && !(*p >= 'A' && *p <= 'Z') &&
		    strchr("=_-", *p) == NULL)
			return 0;
	return 1;
}

int
imgcache_due(const struct imgcache_tag *t, long long now)
{
	if (t->checked <= 0 || now < t->checked)
		return 1;
	return now - t->checked > t->interval;
}

static long long
clip_refresh(long long r)
{
	if (r > IMGCACHE_MAX_REFRESH)
		return IMGCACHE_MAX_REFRESH;
	if (r < IMGCACHE_MIN_REFRESH)
		return IMGCACHE_MIN_REFRESH;
	return r;
}

int
imgcache_checked(struct imgcache_tag *t, const char *digest, long long now)
{
	long long prev = t->interval > 0 ? t->interval : IMGCACHE_MIN_REFRESH;

	if (!imgcache_digest_valid(digest))
		return log_error("cannot cache the digest '%.80s' of tag "
		    "'%s': not a digest", digest, t->tag ? t->tag : "");
	/* clip first, so that prev * 2 cannot overflow */
	if (prev > IMGCACHE_MAX_REFRESH)
		prev = IMGCACHE_MAX_REFRESH;
	if (t->digest[0] == '\0')
		t->interval = IMGCACHE_INITIAL_REFRESH;
	else if (strcmp(t->digest, digest) == 0)
		t->interval = clip_refresh(prev * 2);
	else
		t->interval = clip_refresh(prev / 2);
	memcpy(t->digest, digest, strlen(digest) + 1);
	t->checked = now;
	return 0;
}

void
imgcache_excluded(struct imgcache_tag *t, long long now)
{
	t->digest[0] = '\0';
	t->checked = now;
	t->interval = IMGCACHE_EXCLUDED_REFRESH;
}

int
imgcache_get_digest(struct imgcache *c, const char *digest,
    struct imgcache_image *out)
{
	const struct imgcache_image *img;

	memset(out, 0, sizeof(*out));
	if (strlen(digest) < sizeof(out->digest))
		memcpy(out->digest, digest, strlen(digest) + 1);
	img = strmap_get(&c->images, digest);
	if (img == NULL)
		return 1;
	out->created = img->created;
	if (img->label_created != NULL)
		out->label_created = xstrdup(img->label_created);
	if (img->label_build_date != NULL)
		out->label_build_date = xstrdup(img->label_build_date);
	return 0;
}

/* Store a copy of img under its digest, replacing any older copy. */
static void
images_put(struct imgcache *c, const struct imgcache_image *img)
{
	struct imgcache_image *copy;
	void *old = NULL;

	copy = xcalloc(1, sizeof(*copy));
	memcpy(copy->digest, img->digest, sizeof(copy->digest));
	copy->created = img->created;
	if (img->label_created != NULL)
		copy->label_created = xstrdup(img->label_created);
	if (img->label_build_date != NULL)
		copy->label_build_date = xstrdup(img->label_build_date);
	strmap_put(&c->images, copy->digest, copy, &old);
	if (old != NULL)
		image_free(old);
}

int
imgcache_put_digest(struct imgcache *c, const struct imgcache_image *img)
{
	if (memchr(img->digest, '\0', sizeof(img->digest)) == NULL ||
	    !imgcache_digest_valid(img->digest))
		return log_error("cannot cache image metadata for '%.80s': "
		    "not a digest", img->digest);
	if ((img->label_created != NULL &&
	    strlen(img->label_created) > UINT16_MAX) ||
	    (img->label_build_date != NULL &&
	    strlen(img->label_build_date) > UINT16_MAX))
		return log_error("cannot cache image metadata for '%s': "
		    "label too long", img->digest);
	images_put(c, img);
	return 0;
}

/* Encoding. */

static void
put_u8(struct buf *b, unsigned v)
{
	buf_addch(b, (int)(v & 0xff));
}

static void
put_u16(struct buf *b, unsigned v)
{
	put_u8(b, v >> 8);
	put_u8(b, v);
}

static void
put_u32(struct buf *b, unsigned long v)
{
	put_u16(b, (unsigned)(v >> 16) & 0xffff);
	put_u16(b, (unsigned)v & 0xffff);
}

static void
put_i64(struct buf *b, long long v)
{
	unsigned long long u = (unsigned long long)v;

	put_u32(b, (unsigned long)(u >> 32) & 0xffffffffUL);
	put_u32(b, (unsigned long)u & 0xffffffffUL);
}

static void
put_str16(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u16(b, (unsigned)n);
	buf_add(b, s ? s : "", n);
}

static int
check_repo(const struct imgcache_repo *r)
{
	const struct imgcache_tag *t;
	size_t i, len;

	len = r->name ? strlen(r->name) : 0;
	if (len == 0 || len > UINT16_MAX)
		return log_error("cannot cache the repository '%.80s': "
		    "bad name", r->name ? r->name : "");
	if (r->listed < 0)
		return log_error("cannot cache the repository '%s': "
		    "negative time", r->name);
	if (r->n >= NO_DIGEST)
		return log_error("cannot cache the repository '%s': "
		    "too many tags", r->name);
	for (i = 0; i < r->n; i++) {
		t = &r->tags[i];
		len = t->tag ? strlen(t->tag) : 0;
		if (len == 0 || len > UINT8_MAX)
			return log_error("cannot cache tag '%.80s' of '%s': "
			    "bad tag", t->tag ? t->tag : "", r->name);
		if (memchr(t->digest, '\0', sizeof(t->digest)) == NULL ||
		    (t->digest[0] != '\0' && !imgcache_digest_valid(t->digest)))
			return log_error("cannot cache tag '%s' of '%s': "
			    "bad digest", t->tag, r->name);
		if (t->checked < 0 || t->interval < 0 ||
		    t->interval > (long long)UINT32_MAX)
			return log_error("cannot cache tag '%s' of '%s': "
			    "time out of range", t->tag, r->name);
	}
	return 0;
}

static void
put_digest_rec(struct buf *b, struct imgcache *c, const char *digest)
{
	const struct imgcache_image *img = strmap_get(&c->images, digest);
	unsigned flags = 0;

	unsigned char raw[SHA256_HEX / 2];
	size_t i;

	/* only what decodes back to the same text */
	if (strncmp(digest, SHA256_PREFIX, 7) == 0 &&
	    strlen(digest + 7) == SHA256_HEX &&
	    strspn(digest + 7, "0123456789abcdef") == SHA256_HEX) {
		for (i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(num_hexval(digest[7 + 2 * i]) <<
			    4 | num_hexval(digest[8 + 2 * i]));
		put_u8(b, FORM_SHA256);
		buf_add(b, raw, sizeof(raw));
	} else {
		put_u8(b, FORM_TEXT);
		put_u8(b, (unsigned)strlen(digest));
		buf_adds(b, digest);
	}
	if (img != NULL) {
		flags |= FLAG_KNOWN;
		if (img->label_created != NULL)
			flags |= FLAG_LCREATED;
		if (img->label_build_date != NULL)
			flags |= FLAG_LBUILD;
	}
	put_u8(b, flags);
	if (flags & FLAG_KNOWN)
		put_i64(b, img->created);
	if (flags & FLAG_LCREATED)
		put_str16(b, img->label_created);
	if (flags & FLAG_LBUILD)
		put_str16(b, img->label_build_date);
}

/* Append r in the file format (see imgcache.h), checksum included. */
static void
encode_repo(struct imgcache *c, const struct imgcache_repo *r,
    struct buf *b)
{
	struct strmap index = STRMAP_INIT;
	const char **order;
	unsigned char md[DIGEST_SHA256_LEN];
	unsigned long nd = 0, k;
	size_t i;
	void *v;

	/* each digest once, in the order the tags first name it */
	order = xreallocarray(NULL, r->n ? r->n : 1, sizeof(*order));
	for (i = 0; i < r->n; i++) {
		if (r->tags[i].digest[0] == '\0' ||
		    strmap_get(&index, r->tags[i].digest) != NULL)
			continue;
		order[nd++] = r->tags[i].digest;
		strmap_put(&index, r->tags[i].digest, (void *)(uintptr_t)nd,
		    NULL);
	}

	buf_add(b, MAGIC, MAGIC_LEN);
	put_str16(b, r->name);
	put_i64(b, r->listed);
	put_u32(b, nd);
	for (k = 0; k < nd; k++)
		put_digest_rec(b, c, order[k]);
	put_u32(b, (unsigned long)r->n);
	for (i = 0; i < r->n; i++) {
		put_u8(b, (unsigned)strlen(r->tags[i].tag));
		buf_adds(b, r->tags[i].tag);
		v = r->tags[i].digest[0] ? strmap_get(&index,
		    r->tags[i].digest) : NULL;
		put_u32(b, v ? (unsigned long)(uintptr_t)v - 1 : NO_DIGEST);
		put_i64(b, r->tags[i].checked);
		put_u32(b, (unsigned long)r->tags[i].interval);
	}
	digest_sha256(b->s, b->len, md);
	buf_add(b, md, sizeof(md));
	free(order);
	strmap_release(&index, NULL);
}

int
imgcache_save_repo(struct imgcache *c, const struct imgcache_repo *r)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	int ret;

	if (check_repo(r) < 0)
		return -1;
	encode_repo(c, r, &data);
	repo_path(c, r->name, &path);
	ret = fsx_write_atomic(path.s, data.s, data.len, 0600);
	buf_release(&path);
	buf_release(&data);
	return ret;
}

/* Decoding: every get fails once the bytes run out, and says why. */

struct reader {
	const unsigned char *p;
	size_t left;
	const char *why;	/* the first failure */
};

static int
fail(struct reader *rd, const char *why)
{
	if (rd->why == NULL)
		rd->why = why;
	return -1;
}

static int
get_bytes(struct reader *rd, size_t n, const unsigned char **out)
{
	if (rd->left < n)
		return fail(rd, "truncated");
	*out = rd->p;
	rd->p += n;
	rd->left -= n;
	return 0;
}

static int
get_uint(struct reader *rd, size_t n, unsigned long long *out)
{
	const unsigned char *p;
	size_t i;

	if (get_bytes(rd, n, &p) < 0)
		return -1;
	*out = 0;
	for (i = 0; i < n; i++)
		*out = *out << 8 | p[i];
	return 0;
}

static int
get_i64(struct reader *rd, long long *out)
{
	unsigned long long u;

	if (get_uint(rd, 8, &u) < 0)
		return -1;
	/* two's complement back to signed, without overflow */
	if (u > (unsigned long long)INT64_MAX)
		*out = -(long long)(~u) - 1;
	else
		*out = (long long)u;
	return 0;
}

/* A string of a length given in lenbytes bytes; no NULs inside. */
static int
get_str(struct reader *rd, size_t lenbytes, const unsigned char **s,
    size_t *n)
{
	unsigned long long len;

	if (get_uint(rd, lenbytes, &len) < 0 ||
	    get_bytes(rd, (size_t)len, s) < 0)
		return -1;
	if (memchr(*s, '\0', (size_t)len) != NULL)
		return fail(rd, "NUL in a string");
	*n = (size_t)len;
	return 0;
}

/* A digest record into img; known says whether its metadata is. */
static int
decode_digest(struct reader *rd, struct imgcache_image *img, int *known)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s, *lc, *lb;
	unsigned long long form, flags;
	size_t n, nlc, nlb, i;

	if (get_uint(rd, 1, &form) < 0)
		return -1;
	if (form == FORM_SHA256) {
		if (get_bytes(rd, SHA256_HEX / 2, &s) < 0)
			return -1;
		memcpy(img->digest, SHA256_PREFIX, 7);
		for (i = 0; i < SHA256_HEX / 2; i++) {
			img->digest[7 + 2 * i] = hex[s[i] >> 4];
			img->digest[8 + 2 * i] = hex[s[i] & 15];
		}
		img->digest[7 + SHA256_HEX] = '\0';
	} else if (form == FORM_TEXT) {
		if (get_str(rd, 1, &s, &n) < 0)
			return -1;
		if (n >= sizeof(img->digest))
			return fail(rd, "digest too long");
		memcpy(img->digest, s, n);
		img->digest[n] = '\0';
	} else {
		return fail(rd, "bad digest form");
	}
	if (!imgcache_digest_valid(img->digest))
		return fail(rd, "bad digest");
	if (get_uint(rd, 1, &flags) < 0)
		return -1;
	if ((flags & ~(unsigned long long)(FLAG_KNOWN | FLAG_LCREATED |
	    FLAG_LBUILD)) != 0 || (!(flags & FLAG_KNOWN) && flags != 0))
		return fail(rd, "bad digest flags");
	if ((flags & FLAG_KNOWN) && get_i64(rd, &img->created) < 0)
		return -1;
	if ((flags & FLAG_LCREATED) && get_str(rd, 2, &lc, &nlc) < 0)
		return -1;
	if ((flags & FLAG_LBUILD) && get_str(rd, 2, &lb, &nlb) < 0)
		return -1;
	if (flags & FLAG_LCREATED)
		img->label_created = xmemdup(lc, nlc);
	if (flags & FLAG_LBUILD)
		img->label_build_date = xmemdup(lb, nlb);
	*known = (flags & FLAG_KNOWN) != 0;
	return 0;
}

static int
decode_tag(struct reader *rd, const struct imgcache_image *images,
    unsigned long nd, struct imgcache_repo *out)
{
	const unsigned char *s;
	unsigned long long idx, interval;
	struct imgcache_tag *t;
	long long checked;
	char *tag;
	size_t n;

	if (get_str(rd, 1, &s, &n) < 0 || get_uint(rd, 4, &idx) < 0 ||
	    get_i64(rd, &checked) < 0 || get_uint(rd, 4, &interval) < 0)
		return -1;
	if (n == 0)
		return fail(rd, "empty tag");
	if (idx != NO_DIGEST && idx >= nd)
		return fail(rd, "digest index out of range");
	if (checked < 0)
		return fail(rd, "negative time");
	tag = xmemdup(s, n);
	t = imgcache_repo_add(out, tag);
	free(tag);
	if (idx != NO_DIGEST)
		memcpy(t->digest, images[idx].digest, sizeof(t->digest));
	t->checked = checked;
	t->interval = (long long)interval;
	return 0;
}

/*
 * Parse the n bytes of a repository file into out (initialised, empty),
 * adding known digests to c. 0, or -1 with rd->why.
 */
static int
decode_repo(struct imgcache *c, const unsigned char *data, size_t n,
    const char *repo, struct imgcache_repo *out, const char **why)
{
	struct reader rd = { data, 0, NULL };
	struct imgcache_image *images = NULL;
	unsigned char md[DIGEST_SHA256_LEN];
	unsigned long long nd = 0, nt, i;
	const unsigned char *s;
	int *known = NULL, ret = -1;
	size_t len;

	if (n < MAGIC_LEN + DIGEST_SHA256_LEN) {
		*why = "truncated";
		return -1;
	}
	digest_sha256(data, n - DIGEST_SHA256_LEN, md);
	if (memcmp(md, data + n - DIGEST_SHA256_LEN, sizeof(md)) != 0) {
		*why = "checksum mismatch (truncated or corrupt)";
		return -1;
	}
	rd.left = n - DIGEST_SHA256_LEN;
	if (get_bytes(&rd, MAGIC_LEN, &s) < 0 ||
	    memcmp(s, MAGIC, MAGIC_LEN) != 0) {
		fail(&rd, "not an image cache file of this version");
		goto out;
	}
	if (get_str(&rd, 2, &s, &len) < 0 || get_i64(&rd, &out->listed) < 0)
		goto out;
	if (len != strlen(repo) || memcmp(s, repo, len) != 0) {
		fail(&rd, "it belongs to another repository");
		goto out;
	}
	if (out->listed < 0) {
		fail(&rd, "negative time");
		goto out;
	}
	if (get_uint(&rd, 4, &nd) < 0)
		goto out;
	if (nd > rd.left / MIN_DIGEST_REC) {
		fail(&rd, "truncated");
		goto out;
	}
	images = xcalloc(nd ? (size_t)nd : 1, sizeof(*images));
	known = xcalloc(nd ? (size_t)nd : 1, sizeof(*known));
	for (i = 0; i < nd; i++)
		if (decode_digest(&rd, &images[i], &known[i]) < 0)
			goto out;
	if (get_uint(&rd, 4, &nt) < 0)
		goto out;
	if (nt > rd.left / MIN_TAG_REC) {
		fail(&rd, "truncated");
		goto out;
	}
	for (i = 0; i < nt; i++)
		if (decode_tag(&rd, images, (unsigned long)nd, out) < 0)
			goto out;
	if (rd.left != 0) {
		fail(&rd, "trailing bytes");
		goto out;
	}
	/* what this session has put is at least as fresh as the file */
	for (i = 0; i < nd; i++)
		if (known[i] && strmap_get(&c->images, images[i].digest) ==
		    NULL)
			images_put(c, &images[i]);
	ret = 0;
out:
	for (i = 0; images != NULL && i < nd; i++)
		imgcache_image_release(&images[i]);
	free(images);
	free(known);
	*why = rd.why;
	return ret;
}

int
imgcache_load_repo(struct imgcache *c, const char *repo,
    struct imgcache_repo *out)
{
	struct buf path = BUF_INIT, data = BUF_INIT;
	const char *why = NULL;
	struct stat st;
	int fd, ret = -1;

	imgcache_repo_init(out, repo);
	repo_path(c, repo, &path);
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		ret = 1;
		goto out;
	}
	if (fd < 0 && errno == ELOOP) {
		why = "a symbolic link";
		goto corrupt;
	}
	if (fd < 0) {
		log_errno("cannot open the image cache '%s' of '%s'", path.s,
		    repo);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		log_errno("cannot read the image cache '%s' of '%s'", path.s,
		    repo);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
		goto corrupt;
	}
	if (buf_read_fd(&data, fd, MAX_FILE) < 0) {
		if (errno == EFBIG) {
			why = "too large";
			goto corrupt;
		}
		log_errno("cannot read the image cache '%s' of '%s'", path.s,
		    repo);
		goto out;
	}
	if (decode_repo(c, (const unsigned char *)data.s, data.len, repo, out,
	    &why) == 0) {
		ret = 0;
		goto out;
	}
corrupt:
	log_warn("ignoring the image cache '%s' of '%s': %s", path.s, repo,
	    why ? why : "corrupt");
	imgcache_repo_release(out);
	imgcache_repo_init(out, repo);
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&path);
	buf_release(&data);
	return ret;
}
