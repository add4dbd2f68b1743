/*
 * rendercache.c: see rendercache.h. The file:
 *
 *	sluice-render-cache 2\n
 *	PARAMS\n			one field
 *	E FILE KEY DATA\n		per file (three fields, no spaces)
 *	D DIR KEY DATA\n		per folder, the same way
 *	. COUNT\n			the end: how many entries came before
 *
 * Fields are "LEN:BYTES" (so data may hold anything, newlines too).
 * Nothing after the first malformed byte is trusted: the whole old file
 * is dropped, as a file cut short by a crash would be. Version 1 had no
 * folder entries.
 */
#include "lib/rendercache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"
#include "lib/banned.h"

#define MAGIC "sluice-render-cache 2\n"
/* A cache larger than this is not mapped (manifests are bounded too). */
#define MAX_CACHE ((off_t)4 << 30)

struct entry {
	const char *file, *key, *data;
	size_t filelen, keylen, n;
	int dir;			/* a folder entry ('D') */
};

#define OUT_BUFFER (1u << 18)

struct rendercache {
	char *path, *tmp;
	const char *map;		/* the old file, or NULL */
	size_t maplen;
	struct strmap index;		/* file -> struct entry in entries */
	struct strmap dirs;		/* the same for folders */
	struct entry *entries;
	FILE *out;			/* the new file, or NULL */
	char *outbuf;			/* its buffer: see open_new */
	unsigned long nout;
	struct buf line;		/* an entry's head, for keep */
};

/* "N:" for a field of n bytes (no printf: it is done per file and folder) */
static void
put_len(struct buf *b, size_t n)
{
	char num[3 * sizeof(n) + 2], *p = num + sizeof(num);

	*--p = ':';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	buf_add(b, p, (size_t)(num + sizeof(num) - p));
}

void
rendercache_put(struct buf *b, const char *s, size_t n)
{
	put_len(b, n);
	buf_add(b, s, n);
}

void
rendercache_puts(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_addch(b, '-');
	else
		rendercache_put(b, s, strlen(s));
}

int
rendercache_get(const char **p, const char *end, const char **s, size_t *n)
{
	const char *q = *p;
	size_t len = 0;

	if (q < end && *q == '-') {
		*p = q + 1;
		return 0;
	}
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (len > (size_t)(end - q) / 10)
			return -1;	/* longer than what is left */
		len = len * 10 + (size_t)(*q - '0');
	}
	if (q >= end || *q != ':' || len > (size_t)(end - q - 1))
		return -1;
	*s = q + 1;
	*n = len;
	*p = q + 1 + len;
	return 1;
}

/* Index the mapped file: 0, or -1 if it is not a cache for params. */
static int
index_map(struct rendercache *c, const char *params, struct buf *why)
{
	const char *p = c->map, *end = c->map + c->maplen, *s;
	const char *file, *key, *data;
	size_t n, filen, keylen, datalen, count = 0, alloc = 0;
	unsigned long want;
	char *stop;
	int dir;

	if (c->maplen < strlen(MAGIC) ||
	    memcmp(p, MAGIC, strlen(MAGIC)) != 0) {
		buf_adds(why, "not a render cache of this version");
		return -1;
	}
	p += strlen(MAGIC);
	if (rendercache_get(&p, end, &s, &n) != 1 || p >= end ||
	    *p++ != '\n' || n != strlen(params) ||
	    memcmp(s, params, n) != 0) {
		buf_adds(why, "made with other settings");
		return -1;
	}
	while (p < end && (*p == 'E' || *p == 'D')) {
		dir = *p++ == 'D';
		if (p >= end || *p++ != ' ' ||
		    rendercache_get(&p, end, &file, &filen) != 1 ||
		    rendercache_get(&p, end, &key, &keylen) != 1 ||
		    rendercache_get(&p, end, &data, &datalen) != 1 ||
		    p >= end || *p++ != '\n')
			goto bad;
		if (count == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			c->entries = xreallocarray(c->entries, alloc,
			    sizeof(*c->entries));
		}
		c->entries[count].file = file;
		c->entries[count].filelen = filen;
		c->entries[count].key = key;
		c->entries[count].keylen = keylen;
		c->entries[count].data = data;
		c->entries[count].n = datalen;
		c->entries[count].dir = dir;
		count++;
	}
	/* the end mark, with the count: a file cut short has none */
	if (end - p < 4 || memcmp(p, ". ", 2) != 0 || end[-1] != '\n')
		goto bad;
	errno = 0;
	want = strtoul(p + 2, &stop, 10);
	if (errno != 0 || stop != end - 1 || want != count)
		goto bad;
	/* only now, with the whole file sound: the index */
	for (n = 0; n < count; n++)
		strmap_putn(c->entries[n].dir ? &c->dirs : &c->index,
		    c->entries[n].file, c->entries[n].filelen, &c->entries[n],
		    NULL);
	return 0;
bad:
	buf_addf(why, "malformed at byte %zu", (size_t)(p - c->map));
	return -1;
}

static void
map_old(struct rendercache *c, const char *params)
{
	struct buf why = BUF_INIT;
	struct stat sb;
	void *m;
	int fd;

	fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_debug("render cache '%s': %s", c->path,
			    strerror(errno));
		return;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    sb.st_size > MAX_CACHE) {
		log_debug("render cache '%s': not a usable file", c->path);
		close(fd);
		return;
	}
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_debug("render cache '%s': %s", c->path, strerror(errno));
		return;
	}
	c->map = m;
	c->maplen = (size_t)sb.st_size;
	if (index_map(c, params, &why) < 0) {
		log_debug("render cache '%s' not used: %s", c->path, why.s);
		free(c->entries);
		c->entries = NULL;
		munmap((void *)c->map, c->maplen);
		c->map = NULL;
	}
	buf_release(&why);
}

static void
open_new(struct rendercache *c, const char *params)
{
	struct buf b = BUF_INIT, head = BUF_INIT;
	int fd;

	buf_addf(&b, "%s.%ld.tmp", c->path, (long)getpid());
	c->tmp = buf_detach(&b, NULL);
	fd = open(c->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || (c->out = fdopen(fd, "w")) == NULL) {
		log_warn("cannot write the render cache '%s': %s", c->tmp,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		free(c->tmp);
		c->tmp = NULL;
		return;
	}
	/* megabytes of entries: stdio's 4 KiB would be thousands of writes
	 * (and glibc takes the size only with a buffer) */
	c->outbuf = xmalloc(OUT_BUFFER);
	(void)setvbuf(c->out, c->outbuf, _IOFBF, OUT_BUFFER);
	buf_adds(&head, MAGIC);
	rendercache_puts(&head, params);
	buf_addch(&head, '\n');
	fwrite(head.s, 1, head.len, c->out);
	buf_release(&head);
}

struct rendercache *
rendercache_open(const char *path, const char *params)
{
	struct rendercache *c = xcalloc(1, sizeof(*c));

	buf_init(&c->line, 0);
	c->path = xstrdup(path);
	map_old(c, params);
	open_new(c, params);
	return c;
}

static const char *
find(const struct strmap *index, const char *name, const char *key,
    size_t *n)
{
	const struct entry *e;

	if ((e = strmap_get(index, name)) == NULL ||
	    e->keylen != strlen(key) || memcmp(e->key, key, e->keylen) != 0)
		return NULL;
	*n = e->n;
	return e->data;
}

const char *
rendercache_find(struct rendercache *c, const char *file, const char *key,
    size_t *n)
{
	return find(&c->index, file, key, n);
}

const char *
rendercache_find_dir(struct rendercache *c, const char *dir,
    const char *key, size_t *n)
{
	return find(&c->dirs, dir, key, n);
}

static void
keep(struct rendercache *c, const char *mark, const char *file,
    const char *key, const char *data, size_t n)
{
	struct buf *b = &c->line;

	if (c->out == NULL)
		return;
	buf_reset(b);
	buf_adds(b, mark);
	rendercache_puts(b, file);
	rendercache_puts(b, key);
	put_len(b, n);
	fwrite(b->s, 1, b->len, c->out);
	fwrite(data, 1, n, c->out);
	fputc('\n', c->out);
	c->nout++;
}

void
rendercache_keep(struct rendercache *c, const char *file, const char *key,
    const char *data, size_t n)
{
	keep(c, "E ", file, key, data, n);
}

void
rendercache_keep_dir(struct rendercache *c, const char *dir,
    const char *key, const char *data, size_t n)
{
	keep(c, "D ", dir, key, data, n);
}

int
rendercache_commit(struct rendercache *c)
{
	int bad;

	if (c->out == NULL)
		return -1;
	fprintf(c->out, ". %lu\n", c->nout);
	bad = ferror(c->out);
	if (fclose(c->out) != 0)
		bad = 1;
	c->out = NULL;
	if (bad || rename(c->tmp, c->path) < 0) {
		log_warn("cannot write the render cache '%s': %s", c->path,
		    strerror(errno));
		unlink(c->tmp);
		return -1;
	}
	free(c->tmp);
	c->tmp = NULL;
	return 0;
}

void
rendercache_close(struct rendercache *c)
{
	if (c == NULL)
		return;
	if (c->out != NULL)
		fclose(c->out);
	if (c->tmp != NULL)
		unlink(c->tmp);
	if (c->map != NULL)
		munmap((void *)c->map, c->maplen);
	strmap_release(&c->index, NULL);
	strmap_release(&c->dirs, NULL);
	free(c->entries);
	free(c->outbuf);
	buf_release(&c->line);
	free(c->tmp);
	free(c->path);
	free(c);
}
