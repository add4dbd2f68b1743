/*
 * buf.h: growable byte strings (git's strbuf). The bytes are always
 * NUL-terminated, so b.s can be passed where a C string is wanted, but may
 * hold NULs of their own: b.len is the truth.
 *
 *	struct buf b = BUF_INIT;
 *	buf_addf(&b, "%s:%s", ns, name);
 *	use(b.s);
 *	buf_release(&b);
 *
 * A struct buf owns its bytes. buf_detach hands them to the caller (who
 * frees them) and leaves the buf empty and reusable.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *s;
	size_t len;
	size_t alloc;
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b, size_t hint);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b, size_t *len);	/* len may be NULL */
/* Make room for n more bytes (plus the NUL) without changing len. */
void buf_grow(struct buf *b, size_t n);
void buf_setlen(struct buf *b, size_t len);	/* len <= current alloc */
static inline void buf_reset(struct buf *b) { buf_setlen(b, 0); }

void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * Append s (n bytes of UTF-8) as a JSON string literal, quotes included.
 * Bytes that are not valid UTF-8 become U+FFFD, so the output is always
 * valid JSON.
 */
void buf_add_json_str(struct buf *b, const char *s, size_t n);

/*
 * Read the whole of fd (or at most max bytes; more is an error with errno
 * EFBIG) and append it. 0, or -1 with errno set; nothing is logged.
 */
int buf_read_fd(struct buf *b, int fd, size_t max);

#endif
