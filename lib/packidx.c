/*
 * packidx.c: the object ids of a pack index (packidx.h). The layouts, from
 * gitformat-pack(5), all numbers big-endian:
 *
 *   version 1: fan-out[256] (4 bytes each: how many names start with a
 *              byte <= i), then per object 4 bytes of offset and its
 *              20-byte name, then two 20-byte checksums.
 *   version 2: "\377tOc", version 2, the same fan-out, the N names, N
 *              CRCs, N 4-byte offsets, up to N 8-byte large offsets, the
 *              two checksums.
 *
 * A version 1 file has no magic: its first word is a fan-out count, which
 * would need four thousand million objects to read as "\377tOc".
 */
#include "lib/packidx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

#define FANOUT_N	256
#define FANOUT_SZ	(FANOUT_N * 4)
#define NAME_SZ		20	/* SHA-1, the only hash libgit2 1.5 reads */
#define TRAILER_SZ	(2 * NAME_SZ)
#define V2_HEADER_SZ	8

static const unsigned char v2_magic[4] = { 0xff, 't', 'O', 'c' };

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Read n bytes at off. 0, or -1 with errno (EIO: the file is shorter). */
static int
read_at(int fd, void *p, size_t n, off_t off)
{
	unsigned char *c = p;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, c, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/*
 * The names must be strictly ascending and the fan-out must count them:
 * an index that breaks either is damaged, and its ids cannot be trusted.
 */
static int
check_names(const unsigned char *names, size_t stride, size_t n,
    const uint32_t *fanout)
{
	size_t i, at = 0;
	unsigned b;

	for (i = 1; i < n; i++)
		if (memcmp(names + (i - 1) * stride, names + i * stride,
		    NAME_SZ) >= 0)
			return -1;
	for (b = 0; b < FANOUT_N; b++) {
		while (at < n && names[at * stride] == b)
			at++;
		if (fanout[b] != at)
			return -1;
	}
	return 0;
}

int
packidx_read(struct packidx *idx, const char *path, struct buf *err)
{
	unsigned char head[V2_HEADER_SZ + FANOUT_SZ], *fan, *names = NULL;
	uint32_t fanout[FANOUT_N];
	uint64_t n, min, max, size;
	size_t i, stride, skip;
	off_t at;
	struct stat st;
	int fd, version, ret = -1;

	packidx_release(idx);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		buf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	size = (uint64_t)st.st_size;
	/* the smallest index, of either version, is longer than head */
	if (size < FANOUT_SZ + TRAILER_SZ || read_at(fd, head, sizeof(head),
	    0) < 0)
		goto bad;
	if (memcmp(head, v2_magic, sizeof(v2_magic)) == 0) {
		if (be32(head + 4) != 2) {
			buf_addf(err, "'%s' is a version %lu pack index, not 1 "
			    "or 2", path, (unsigned long)be32(head + 4));
			goto out;
		}
		version = 2;
		fan = head + V2_HEADER_SZ;
		at = V2_HEADER_SZ + FANOUT_SZ;
		stride = NAME_SZ;
		skip = 0;
	} else {
		version = 1;
		fan = head;
		at = FANOUT_SZ;
		stride = 4 + NAME_SZ;	/* offset, then name */
		skip = 4;
	}
	for (i = 0; i < FANOUT_N; i++) {
		fanout[i] = be32(fan + 4 * i);
		if (i > 0 && fanout[i] < fanout[i - 1])
			goto bad;
	}
	n = fanout[FANOUT_N - 1];
	/* names, CRCs and offsets, and at most n large offsets */
	min = version == 2 ? V2_HEADER_SZ + FANOUT_SZ + n * (NAME_SZ + 8) +
	    TRAILER_SZ : FANOUT_SZ + n * stride + TRAILER_SZ;
	max = version == 2 ? min + n * 8 : min;
	if (size < min || size > max)
		goto bad;
	names = xreallocarray(NULL, n ? n : 1, stride);
	if (read_at(fd, names, n * stride, at) < 0 ||
	    check_names(names + skip, stride, n, fanout) < 0)
		goto bad;
	idx->ids = xreallocarray(NULL, n ? n : 1, sizeof(*idx->ids));
	for (i = 0; i < n; i++)
		git_oid_fromraw(&idx->ids[i], names + i * stride + skip);
	idx->n = n;
	idx->version = version;
	ret = 0;
	goto out;
bad:
	buf_addf(err, "'%s' is not a whole version 1 or 2 pack index", path);
out:
	free(names);
	if (fd >= 0)
		close(fd);
	return ret;
}

void
packidx_release(struct packidx *idx)
{
	free(idx->ids);
	idx->ids = NULL;
	idx->n = 0;
	idx->version = 0;
}
