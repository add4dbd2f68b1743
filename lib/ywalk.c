/*
 * ywalk.c: a libyaml event walk's position (ywalk.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/ywalk.h"
#include "lib/banned.h"

void
ywalk_start(struct ywalk *w, const char *data, size_t len)
{
	w->data = (const unsigned char *)data;
	w->len = len;
	w->ci = 0;
	w->bi = 0;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		w->bi = 3;	/* libyaml counts no character for a BOM */
	buf_reset(&w->path);
}

size_t
ywalk_byte(struct ywalk *w, size_t index)
{
	unsigned char b;

	while (w->ci < index && w->bi < w->len) {
		b = w->data[w->bi];
		w->bi += b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 :
		    b >= 0xc0 ? 2 : 1;
		w->ci++;
	}
	return w->bi < w->len ? w->bi : w->len;
}

void
ywalk_add_segment(struct buf *path, const char *s)
{
	buf_addch(path, '/');
	for (; *s != '\0'; s++) {
		if (*s == '~')
			buf_adds(path, "~0");
		else if (*s == '/')
			buf_adds(path, "~1");
		else
			buf_addch(path, *s);
	}
}

void
ywalk_node(struct ywalk *w)
{
	struct ywalk_frame *top;
	char num[32];

	if (w->depth == 0) {
		buf_reset(&w->path);
		return;
	}
	top = &w->f[w->depth - 1];
	buf_setlen(&w->path, top->path_len);
	if (top->seq) {
		snprintf(num, sizeof(num), "%lu", top->index);
		ywalk_add_segment(&w->path, num);
	} else if (top->want_key || top->key == NULL) {
		/* a key, or under a key that is not a plain string: no target
		 * can be here (targets never hold \001) */
		buf_adds(&w->path, "/\001");
	} else {
		ywalk_add_segment(&w->path, top->key);
	}
}

void
ywalk_done(struct ywalk *w, const char *scalar_key)
{
	struct ywalk_frame *top;

	if (w->depth == 0)
		return;
	top = &w->f[w->depth - 1];
	if (top->seq) {
		top->index++;
	} else if (top->want_key) {
		free(top->key);
		top->key = scalar_key ? xstrdup(scalar_key) : NULL;
		top->want_key = 0;
	} else {
		top->want_key = 1;
	}
}

void
ywalk_push(struct ywalk *w, int seq)
{
	if (w->depth == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		w->f = xreallocarray(w->f, w->alloc, sizeof(*w->f));
	}
	memset(&w->f[w->depth], 0, sizeof(*w->f));
	w->f[w->depth].seq = seq;
	w->f[w->depth].want_key = !seq;
	w->f[w->depth].path_len = w->path.len;
	w->depth++;
}

void
ywalk_pop(struct ywalk *w)
{
	if (w->depth == 0)
		return;
	w->depth--;
	free(w->f[w->depth].key);
}

void
ywalk_reset(struct ywalk *w)
{
	while (w->depth > 0)
		ywalk_pop(w);
	buf_reset(&w->path);
}

void
ywalk_release(struct ywalk *w)
{
	ywalk_reset(w);
	free(w->f);
	w->f = NULL;
	w->alloc = 0;
	buf_release(&w->path);
}
